# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret leaves its home: the own CA's key encrypted from a real Ansible Vault file, the hosts' keys on the hosts.

The CA: a trust made with a plain key (as before) gets the vault: the trust playbook encrypts the same key in place
(the CA certificate, so the trust anchor, stays), then enroll signs with it and revoke signs a CRL with it that the
emulator's ImportCrl accepts and that revokes the host. A wrong or empty passphrase is one error naming the
variable, and changes nothing (CA key, CA certificate, hosts' certificates, CRL). The passphrase, right or wrong, is
in no output (-vvv) and in no file in clear: its only home is the vault file, encrypted.

The hosts (one fleet with the CA's, so one trust and one enrolment serve both): after an enrolment run with -vvv
(every task result printed), the bytes of each host's private key (PEM body, DER, private number), a host key's
passphrase and the credentials' secret key appear in no output and in no controller-side file. The key passphrase
lives on the host only in a 0600 file beside the key that the helper reads (--pkcs8-password-file): not in the AWS
config, not in the systemd unit. Check mode changes nothing, on a fresh fleet and on an enrolled one.
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import json
import os
import shlex
import stat
import subprocess

from cryptography.hazmat.primitives import serialization

from tests.support.fleet import BIN, Fleet, session_serial

PASSPHRASE = "ca-vault-passphrase-2f9c1e77"
WRONG = "not-the-ca-passphrase-8d41"
KEY_PASSPHRASE = "correct-horse-battery-staple-4711"  # h02's private key's


class VaultFleet(Fleet):
    """A fleet whose inventory's group_vars/all/ca-vault.yml is an Ansible Vault file (its password in a 0600 file)."""

    def env(self, **extra):
        password = os.path.join(self.scratch, "vault-password")
        if os.path.exists(password):
            extra.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", password)
        return super().env(**extra)

    def write_vault(self, variables):
        password = os.path.join(self.scratch, "vault-password")
        with open(os.open(password, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="ascii") as handle:
            handle.write("vault-password-for-tests\n")
        directory = os.path.join(self.scratch, "group_vars", "all")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "ca-vault.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join("%s: %s\n" % item for item in variables.items()))
        subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", path], env=self.env(), check=True, capture_output=True)
        return path


def digests(paths):
    """SHA-256 of each file (None when it does not exist): what "nothing changed" compares."""
    found = {}
    for path in paths:
        if os.path.exists(path):
            with open(path, "rb") as handle:
                found[path] = hashlib.sha256(handle.read()).hexdigest()
        else:
            found[path] = None
    return found


def scratch_files(fleet):
    """(path, content) of every file the test wrote."""
    for directory, _dirs, files in os.walk(fleet.scratch):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                with open(path, "rb") as handle:
                    yield path, handle.read()


def assert_only_h01_revoked(fleet):
    """A fresh CreateSession: h01's certificate is refused as revoked, h02's is not."""
    fleet.forget_cached_credentials()
    identities = fleet.identities()
    assert identities["h01"].rc != 0 and "revoked" in identities["h01"].stderr, identities["h01"].stderr
    assert identities["h02"].rc == 0, identities["h02"].stderr


def assert_refused(run, variable, text):
    assert run.rc != 0, run.tail()
    output = run.stdout + run.stderr
    assert text in output and variable in output, run.tail()
    assert "Traceback" not in output, run.tail()
    for secret in (PASSPHRASE, WRONG):
        assert secret not in output


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


def fleet_credential_process(fleet, host):
    """The host's credential_process output (the test keeps it in memory only)."""
    parser = configparser.RawConfigParser()
    parser.read(fleet.config_file(host))
    command = shlex.split(parser.get("profile rolesanywhere", "credential_process"))
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=fleet.env(), check=True).stdout


def assert_key_passphrase_only_in_its_file(fleet, host):
    """The helper gets the passphrase from a 0600 file beside the key in its 0700 slot, named in the config and the unit."""
    base = os.path.join(fleet.root(host), "etc/rolesanywhere")
    password_file = os.path.join(base, "current", "private-key.passphrase")
    with open(password_file, encoding="utf-8") as handle:
        assert handle.read() == KEY_PASSPHRASE
    modes = [stat.S_IMODE(os.stat(path).st_mode) for path in (password_file, os.path.realpath(os.path.join(base, "current")), base)]
    assert modes == [0o600, 0o700, 0o700]
    with open(fleet.config_file(host), encoding="utf-8") as handle:
        config = handle.read()
    with open(os.path.join(fleet.root(host), "etc/systemd/system/rolesanywhere-rolesanywhere.service"), encoding="utf-8") as handle:
        unit = handle.read()
    assert "--pkcs8-password-file %s" % password_file in config  # shell quoting in credential_process
    assert '"--pkcs8-password-file" "%s"' % password_file in unit  # systemd quoting in ExecStart
    for text in (config, unit):
        assert KEY_PASSPHRASE not in text and "--pkcs8-password " not in text and '"--pkcs8-password"' not in text


def assert_no_host_secret_left(fleet, output):
    """No host's key material, key passphrase or session secret in OUTPUT (an enrolment run's, -vvv) or any
    controller-side file; h02's key is encrypted and its passphrase only in its own file on the host."""
    secrets = {}
    for host in fleet.hosts:
        key_path = os.path.join(fleet.root(host), "etc/rolesanywhere/current/private-key.pem")
        secrets[host] = key_fingerprints(key_path, KEY_PASSPHRASE if host == "h02" else None)
    with open(os.path.join(fleet.root("h02"), "etc/rolesanywhere/current/private-key.pem"), "rb") as handle:
        assert b"ENCRYPTED PRIVATE KEY" in handle.read()
    assert_key_passphrase_only_in_its_file(fleet, "h02")

    # a real credential_process answer, to look for its secret key and token too
    secret_answer = json.loads(fleet_credential_process(fleet, "h01"))
    credentials = [secret_answer["SecretAccessKey"], secret_answer["SessionToken"][:40]]

    for host, marks in secrets.items():
        for mark in marks:
            assert mark not in output, "%s's key material is in the -vvv output" % host
    assert KEY_PASSPHRASE not in output
    for value in credentials:
        assert value not in output

    for path in controller_files(fleet):
        with open(path, "rb") as handle:
            content = handle.read().decode("latin-1")
        for host, marks in secrets.items():
            for mark in marks:
                assert mark not in content, "%s's key material is in %s" % (host, path)
        if os.path.basename(path) != "inventory.yml":  # the key passphrase's only controller-side home
            assert KEY_PASSPHRASE not in content, path


def test_encrypted_ca_key_trust_enroll_revoke(pca_emulator, tmp_path):
    # h02's key is encrypted (and RSA, with the helper's update unit), h03's EC P-384, h01's the default
    fleet = VaultFleet(str(tmp_path), pca_emulator["endpoint"], pca_emulator["region"], size=3, name="cavault",
                       host_vars={"h02": {"enroll_key_passphrase": KEY_PASSPHRASE, "enroll_key_type": "rsa-2048", "enroll_systemd": "update"},
                                  "h03": {"enroll_key_type": "ec-p384"}})
    ca_key = os.path.join(fleet.trust_dir, "ca-key.pem")
    ca_certificate = os.path.join(fleet.trust_dir, "ca.pem")
    crl = os.path.join(fleet.trust_dir, "crl.pem")

    # an existing CA with a plain key (today's trust), then the vault: the same key is encrypted in place
    assert fleet.trust().rc == 0
    with open(ca_key, "rb") as handle:
        plain = serialization.load_pem_private_key(handle.read(), password=None)
    before = digests([ca_certificate])
    fleet.write_vault({"rolesanywhere_trust_ca_passphrase": PASSPHRASE})
    plain_digests = digests([ca_key, ca_certificate])
    run = fleet.playbook("trust", "--check", extra_vars={"rolesanywhere_trust_dir": fleet.trust_dir, "rolesanywhere_trust_name": fleet.name,
                                                         "enroll_endpoint_url": fleet.endpoint})
    assert run.rc == 0, run.tail()  # check mode: would encrypt, writes nothing
    assert digests([ca_key, ca_certificate]) == plain_digests
    run = fleet.trust()
    assert run.rc == 0, run.tail()
    assert "Check the CA private key opens" in run.stdout and "changed: [localhost]" in run.stdout
    with open(ca_key, "rb") as handle:
        pem = handle.read()
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem
    encrypted = serialization.load_pem_private_key(pem, password=PASSPHRASE.encode())
    assert encrypted.private_numbers() == plain.private_numbers()
    assert digests([ca_certificate]) == before, "the CA certificate changed: the trust anchor would break"
    assert os.stat(ca_key).st_mode & 0o777 == 0o600

    # a re-run changes nothing (the enroll variables are written again, identical)
    run = fleet.trust()
    assert run.rc == 0 and "changed=0" in run.stdout, run.tail()

    # the enroll variables name the key, not the passphrase
    with open(fleet.vars_file(), encoding="utf-8") as handle:
        assert "passphrase" not in handle.read()

    # check mode on a fresh fleet writes nothing on the hosts
    run = fleet.playbook("enroll", "--check")
    assert run.rc == 0, run.tail()
    assert not os.path.exists(os.path.join(fleet.root("h01"), "etc")), "check mode wrote on a host"

    run = fleet.playbook("enroll", "-vvv", "--diff")
    assert run.rc == 0, run.tail()
    output = run.stdout + run.stderr
    assert '"changed": true' in output  # the verbose output really holds the task results
    assert PASSPHRASE not in output
    serials = fleet.serials()
    for host, identity in fleet.identities().items():
        assert identity.rc == 0, "%s: %s" % (host, identity.stderr)
        assert session_serial(identity) == serials[host]
    identity = fleet.caller_identity("h02")  # the AWS CLI, through the encrypted key's profile
    assert identity.rc == 0, identity.stderr
    assert_no_host_secret_left(fleet, output)

    # check mode on an enrolled fleet, even when a renewal is due, changes nothing
    run = fleet.playbook("rotate", "--check")
    assert run.rc == 0, run.tail()
    assert fleet.serials() == serials
    assert sorted(os.listdir(os.path.join(fleet.root("h01"), "etc/rolesanywhere"))) == ["current", "slot-a"]

    # wrong passphrase (extra vars win over the vault): trust, rotate (the role's signer) and revoke refuse it,
    # naming the variable, and change nothing
    watched = [ca_key, ca_certificate, crl] + [os.path.join(fleet.root(host), "etc/rolesanywhere/current/certificate.pem")
                                               for host in fleet.hosts]
    before = digests(watched)
    wrong = {"rolesanywhere_trust_ca_passphrase": WRONG}
    run = fleet.playbook("trust", "-vvv", extra_vars=dict(wrong, rolesanywhere_trust_dir=fleet.trust_dir,
                                                          rolesanywhere_trust_name=fleet.name, enroll_endpoint_url=fleet.endpoint))
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "does not open with the passphrase in")
    run = fleet.playbook("rotate", "-vvv", extra_vars=dict(wrong, rolesanywhere_rotate_batch="100%"))
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "does not open with the passphrase in")
    assert "The certificate in use is unchanged and keeps working" in run.stdout, run.tail()
    # one batch (rotate's default batches would stop after the first): each host fails, named, and keeps its certificate
    assert all(run.recap()[host]["failed"] == 1 for host in fleet.hosts), run.tail()
    run = fleet.playbook("revoke", "-vvv", extra_vars=dict(wrong, rolesanywhere_revoke_hosts="h01"))
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "does not open with the passphrase in")
    run = fleet.playbook("revoke", extra_vars={"enroll_own_ca_private_key_passphrase": WRONG, "rolesanywhere_revoke_hosts": "h01"})
    assert_refused(run, "enroll_own_ca_private_key_passphrase", "does not open with the passphrase in")
    run = fleet.playbook("rotate", extra_vars={"rolesanywhere_trust_ca_passphrase": ""})
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "is encrypted and rolesanywhere_trust_ca_passphrase is empty")
    assert digests(watched) == before, "a refused run changed a file"

    # revoke with the vault's passphrase: the CRL signed by the encrypted key is imported and revokes h01
    run = fleet.playbook("revoke", "-vvv", extra_vars={"rolesanywhere_revoke_hosts": "h01"})
    assert run.rc == 0, run.tail()
    assert PASSPHRASE not in run.stdout + run.stderr
    assert_only_h01_revoked(fleet)

    # the passphrase is in no file in clear (the vault file holds it encrypted)
    for path, content in scratch_files(fleet):
        assert PASSPHRASE.encode() not in content, path
