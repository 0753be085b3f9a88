# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private key never leaves its host, no secret is printed, and check mode changes nothing.

After an enrolment run with -vvv (every task result printed), the bytes of each host's private key (PEM body,
DER, private number), the key passphrase and the credentials' secret key appear in no output and in no
controller-side file. The passphrase lives on the host only in a 0600 file beside the key that the helper reads
(--pkcs8-password-file): not in the AWS config, not in the systemd unit.
"""

from __future__ import annotations

import base64
import json
import os
import stat

from cryptography.hazmat.primitives import serialization

from tests.support.fleet import Fleet

PASSPHRASE = "correct-horse-battery-staple-4711"


def key_fingerprints(path, passphrase=None):
    """Strings that would betray the key: PEM lines, base64 of its DER forms, its private number."""
    with open(path, "rb") as handle:
        pem = handle.read()
    key = serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)
    marks = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
    for form in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        der = key.private_bytes(serialization.Encoding.DER, form, serialization.NoEncryption())
        marks.append(base64.b64encode(der).decode()[16:80])
        marks.append(der.hex()[32:96])
    numbers = key.private_numbers()
    number = getattr(numbers, "private_value", None) or numbers.d  # EC scalar or RSA private exponent
    marks += [str(number), "%x" % number]
    return [mark for mark in marks if len(mark) >= 20]


def controller_files(fleet):
    """Every file the controller side of the test wrote (hosts' trees and the hosts' cache excluded)."""
    for directory, dirs, files in os.walk(fleet.scratch):
        dirs[:] = [d for d in dirs if os.path.join(directory, d) not in (os.path.join(fleet.scratch, "hosts"), fleet.cache_dir)]
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                yield path


def test_private_key_never_leaves_the_host(pca_emulator, tmp_path):
    fleet = Fleet(str(tmp_path), pca_emulator["endpoint"], pca_emulator["region"], size=3, name="keystay",
                  host_vars={"h02": {"enroll_key_passphrase": PASSPHRASE, "enroll_key_type": "rsa-2048", "enroll_systemd": "update"},
                             "h03": {"enroll_key_type": "ec-p384"}})
    assert fleet.trust().rc == 0

    # check mode on a fresh fleet writes nothing on the hosts
    run = fleet.playbook("enroll", "--check")
    assert run.rc == 0, run.tail()
    assert not os.path.exists(os.path.join(fleet.root("h01"), "etc")), "check mode wrote on a host"

    run = fleet.playbook("enroll", "-vvv", "--diff")
    assert run.rc == 0, run.tail()
    output = run.stdout + run.stderr
    assert '"changed": true' in output  # the verbose output really holds the task results

    identity = fleet.caller_identity("h02")
    assert identity.rc == 0, identity.stderr

    secrets = {}
    for host in fleet.hosts:
        key_path = os.path.join(fleet.root(host), "etc/rolesanywhere/current/private-key.pem")
        secrets[host] = key_fingerprints(key_path, PASSPHRASE if host == "h02" else None)
    with open(os.path.join(fleet.root("h02"), "etc/rolesanywhere/current/private-key.pem"), "rb") as handle:
        assert b"ENCRYPTED PRIVATE KEY" in handle.read()
    assert_passphrase_only_in_its_file(fleet, "h02")

    # a real credential_process answer, to look for its secret key and token too
    secret_answer = json.loads(fleet_credential_process(fleet, "h01"))
    credentials = [secret_answer["SecretAccessKey"], secret_answer["SessionToken"][:40]]

    for host, marks in secrets.items():
        for mark in marks:
            assert mark not in output, "%s's key material is in the -vvv output" % host
    assert PASSPHRASE not in output
    for value in credentials:
        assert value not in output

    for path in controller_files(fleet):
        with open(path, "rb") as handle:
            content = handle.read().decode("latin-1")
        for host, marks in secrets.items():
            for mark in marks:
                assert mark not in content, "%s's key material is in %s" % (host, path)
        if os.path.basename(path) != "inventory.yml":  # the passphrase's only controller-side home
            assert PASSPHRASE not in content, path

    # check mode on an enrolled fleet, even when a renewal is due, changes nothing
    before = fleet.serials()
    run = fleet.playbook("rotate", "--check")
    assert run.rc == 0, run.tail()
    assert fleet.serials() == before
    assert sorted(os.listdir(os.path.join(fleet.root("h01"), "etc/rolesanywhere"))) == ["current", "slot-a"]


def fleet_credential_process(fleet, host):
    """The host's credential_process output (the test keeps it in memory only)."""
    import configparser  # pylint: disable=import-outside-toplevel
    import shlex  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel

    parser = configparser.RawConfigParser()
    parser.read(fleet.config_file(host))
    command = shlex.split(parser.get("profile rolesanywhere", "credential_process"))
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=fleet.env(), check=True).stdout


def assert_passphrase_only_in_its_file(fleet, host):
    """The helper gets the passphrase from a 0600 file beside the key in its 0700 slot, named in the config and the unit."""
    base = os.path.join(fleet.root(host), "etc/rolesanywhere")
    password_file = os.path.join(base, "current", "private-key.passphrase")
    with open(password_file, encoding="utf-8") as handle:
        assert handle.read() == PASSPHRASE
    modes = [stat.S_IMODE(os.stat(path).st_mode) for path in (password_file, os.path.realpath(os.path.join(base, "current")), base)]
    assert modes == [0o600, 0o700, 0o700]
    with open(fleet.config_file(host), encoding="utf-8") as handle:
        config = handle.read()
    with open(os.path.join(fleet.root(host), "etc/systemd/system/rolesanywhere-rolesanywhere.service"), encoding="utf-8") as handle:
        unit = handle.read()
    assert "--pkcs8-password-file %s" % password_file in config  # shell quoting in credential_process
    assert '"--pkcs8-password-file" "%s"' % password_file in unit  # systemd quoting in ExecStart
    for text in (config, unit):
        assert PASSPHRASE not in text and "--pkcs8-password " not in text and '"--pkcs8-password"' not in text
