# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_key_store=tpm: the host's key is made inside a software TPM (swtpm) and only its TPM-wrapped blob is on disk.

The controller is the host (local connection, enroll_root), the TPM an swtpm of this test on a private unix socket,
named by enroll_tpm_device: the playbook's environment has no TPM variable, so the modules and the installed helper
find the TPM only through what the role wrote. The proof and the identity check are real CreateSession calls against
the emulator, signed in the TPM through the installed helper. tpm2-tools (an implementation independent of ours)
loads the slot's key file under AWS's primary and reads its public key back: it must be the certificate's. With
enroll_tpm_persistent_handle, tpm2-tools lists the persistent handles and reads the key at each.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support import pki
from tests.support.fleet import session_serial
from tests.support.swtpm import SoftTpm, missing_parts
from .conftest import new_fleet

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="TPM tests need the Debian packages %s" % " and ".join(MISSING))

PASSWORD = "Tpm-5e1d-never-shown"


def run_enroll(fleet, *args, extra_vars=None, expect_rc=0):
    run = fleet.playbook("enroll", *args, extra_vars=extra_vars)
    assert run.rc == expect_rc, run.tail()
    assert PASSWORD not in run.stdout + run.stderr, "the TPM key password is in the output of enroll %s" % " ".join(args)
    return run


def spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def tpm_public_key(tpm, key_file):
    """The public key of the TSS2 key file, as the TPM itself gives it once tpm2-tools loaded the file's blobs under
    AWS's primary. tpm2-tools 5.4's tpm2_load does not read TSS2 PEM files ("Expected public object portion"), so the
    two OCTET STRINGs (public, private) are cut out where openssl asn1parse finds them."""
    with open(key_file, "rb") as handle:
        der = base64.b64decode(b"".join(handle.read().splitlines()[1:-1]))
    listing = subprocess.run(["openssl", "asn1parse", "-inform", "DER"], input=der, stdout=subprocess.PIPE, check=True)
    blobs = []
    for line in listing.stdout.decode("ascii").splitlines():
        found = re.match(r"\s*(\d+):d=1\s+hl=(\d+)\s+l=\s*(\d+)\s+prim: OCTET STRING", line)
        if found:
            start = int(found.group(1)) + int(found.group(2))
            blobs.append(der[start:start + int(found.group(3))])
    assert len(blobs) == 2, listing.stdout
    paths = [os.path.join(tpm.directory, "check.%s" % name) for name in ("pub", "priv", "ctx", "pem")]
    for path, blob in zip(paths, blobs):
        with open(path, "wb") as handle:
            handle.write(blob)
    tpm.tool("tpm2_load", "-C", tpm.primary, "-u", paths[0], "-r", paths[1], "-c", paths[2])
    tpm.tool("tpm2_readpublic", "-c", paths[2], "-f", "pem", "-o", paths[3])
    with open(paths[3], "rb") as handle:
        return serialization.load_pem_public_key(handle.read())


def assert_only_the_tpm_blob_on_disk(base):
    current = os.path.join(base, "current")
    assert not os.path.lexists(os.path.join(current, "private-key.pem"))
    key_file = os.path.join(current, "tpm-key.pem")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with open(key_file, "rb") as handle:
        assert handle.read().startswith(b"-----BEGIN TSS2 PRIVATE KEY-----")
    for directory, _dirs, names in os.walk(base):
        for name in names:
            with open(os.path.join(directory, name), "rb") as handle:
                data = handle.read()
            assert b"-----BEGIN PRIVATE KEY" not in data and b"-----BEGIN EC PRIVATE" not in data \
                and b"-----BEGIN RSA PRIVATE" not in data and b"ENCRYPTED PRIVATE" not in data, name
    done = subprocess.run(["openssl", "pkey", "-in", key_file, "-noout"], capture_output=True, check=False)
    assert done.returncode != 0, "openssl reads the TPM key file as a software key"
    return key_file


def break_a_renewal(fleet, scratch):
    """A renewal signed by a CA the trust anchor does not know: the proof fails, the role says the material in use is
    unchanged."""
    stranger = pki.make_ca(cn="stranger").write(str(scratch), "stranger")
    run = run_enroll(fleet, expect_rc=2, extra_vars={"enroll_own_ca_certificate": stranger.certificate,
                                                     "enroll_own_ca_private_key": stranger.private_key,
                                                     "enroll_own_ca_chain": ""})
    assert "The certificate in use is unchanged and keeps working" in run.stdout, run.tail()


def assert_works_with(fleet, serial):
    fleet.forget_cached_credentials()
    identity = fleet.helper_identity("h01")
    assert identity.rc == 0, identity.stderr
    assert session_serial(identity) == serial


@pytest.mark.parametrize("key_type, password", [("ec-p256", PASSWORD), ("rsa-2048", "")])
def test_tpm_key_store_enrols_renews_and_refuses_a_missing_tpm(emulator, trust_vars, tmp_path, key_type, password):
    tpm = SoftTpm(tmp_path / "tpm")
    try:
        fleet = new_fleet(tmp_path, emulator, trust_vars, "tpm", enroll_key_store="tpm", enroll_key_type=key_type,
                          enroll_tpm_device="swtpm:path=%s" % (tmp_path / "no-tpm.sock"),
                          enroll_tpm_key_password=password, enroll_systemd="none")
        base = os.path.join(fleet.root("h01"), "etc/rolesanywhere")

        # no TPM where enroll_tpm_device says: one clear line naming the variable, nothing on the host
        run = run_enroll(fleet, expect_rc=2)
        assert "enroll_tpm_device=swtpm:path=" in run.stdout and "cannot be reached" in run.stdout, run.tail()
        assert not os.path.lexists(base)

        # a parent handle where the TPM has no key: refused before anything changes
        fleet.group_vars["enroll_tpm_device"] = tpm.tcti
        fleet.write_inventory()
        run = run_enroll(fleet, expect_rc=2, extra_vars={"enroll_tpm_parent_handle": "0x81000077"})
        assert "enroll_tpm_parent_handle=0x81000077" in run.stdout and "has no key there" in run.stdout, run.tail()
        assert not os.path.lexists(base)

        # check mode: a first enrolment is due, nothing is made
        run = run_enroll(fleet, "--check")
        assert run.recap()["h01"]["changed"] > 0
        assert not os.path.lexists(os.path.join(base, "current"))

        # enrol: the key file is a TPM blob whose public key (read back by the TPM) is the certificate's
        run_enroll(fleet)
        first = fleet.certificate("h01")
        assert sorted(os.listdir(base)) == ["current", "slot-a"]
        key_file = assert_only_the_tpm_blob_on_disk(base)
        assert spki(tpm_public_key(tpm, key_file)) == spki(first.public_key())
        with open(fleet.config_file("h01"), encoding="utf-8") as handle:
            config = handle.read()
        assert "TPM2TOOLS_TCTI=%s" % tpm.tcti in config and "/current/tpm-key.pem" in config
        assert ("--tpm-key-password" in config) == bool(password) and ("--no-tpm-key-password" in config) != bool(password)
        assert_works_with(fleet, first.serial_number)

        # nothing changed: nothing to do
        run = run_enroll(fleet)
        assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()

        # forced renewal in check mode: nothing made
        run_enroll(fleet, "--check", extra_vars={"enroll_force_renew": True})
        assert sorted(os.listdir(base)) == ["current", "slot-a"] and fleet.certificate("h01").serial_number == first.serial_number

        # forced renewal: a new key in the TPM, the old key file gone with the old slot after the proof
        run_enroll(fleet, extra_vars={"enroll_force_renew": True})
        second = fleet.certificate("h01")
        assert second.serial_number != first.serial_number
        assert sorted(os.listdir(base)) == ["current", "slot-b"]
        key_file = assert_only_the_tpm_blob_on_disk(base)
        assert spki(tpm_public_key(tpm, key_file)) == spki(second.public_key()) != spki(first.public_key())
        assert_works_with(fleet, second.serial_number)

        # a broken renewal (a CA the trust anchor does not know signs): the proof fails, the key and certificate in
        # use keep working
        break_a_renewal(fleet, tmp_path)
        assert fleet.certificate("h01").serial_number == second.serial_number
        assert sorted(os.listdir(base)) == ["current", "slot-b"]
        assert_works_with(fleet, second.serial_number)
    finally:
        tpm.stop()


def handle_public_key(tpm, handle):
    """The public key the TPM holds at a persistent handle, read by tpm2-tools."""
    path = os.path.join(tpm.directory, "handle-%x.pem" % handle)
    tpm.tool("tpm2_readpublic", "-c", "0x%x" % handle, "-f", "pem", "-o", path)
    with open(path, "rb") as stream:
        return serialization.load_pem_public_key(stream.read())


def profile_key(fleet):
    """The --private-key of the installed profile's credential_process."""
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        argv = shlex.split(re.search(r"^credential_process = (.*)$", handle.read(), re.M).group(1))
    return argv[argv.index("--private-key") + 1], "--tpm-key-password" in argv, "--no-tpm-key-password" in argv


def test_tpm_key_at_a_persistent_handle(emulator, trust_vars, tmp_path):
    """enroll_tpm_persistent_handle: slot-a's key at the handle, slot-b's at the next one (tpm_handle.py); the helper
    is given handle:0x... with the key's password; the previous key is evicted after the swap, a failed renewal's key
    with its slot; a handle that holds another key is refused before anything changes."""
    tpm = SoftTpm(tmp_path / "tpm")
    try:
        tpm.make_key("other", "ecc256", persistent=0x81000101)  # not the enrolment's: slot-b's handle is taken
        fleet = new_fleet(tmp_path, emulator, trust_vars, "tpmhandle", enroll_key_store="tpm", enroll_key_type="ec-p256",
                          enroll_tpm_device=tpm.tcti, enroll_tpm_key_password=PASSWORD,
                          enroll_tpm_persistent_handle="0x81000100", enroll_systemd="none")
        base = os.path.join(fleet.root("h01"), "etc/rolesanywhere")

        run = run_enroll(fleet, expect_rc=2)
        assert "enroll_tpm_persistent_handle=0x81000100: the TPM swtpm:path=" in run.stdout, run.tail()
        assert "holds a key that is not this enrolment's at 0x81000101" in run.stdout, run.tail()
        assert not os.path.lexists(base) and tpm.persistent_handles() == [0x81000101]
        tpm.tool("tpm2_evictcontrol", "-C", "o", "-c", "0x81000101")

        # enrol: the key at the handle (tpm2-tools reads the certificate's public key there), the helper given the
        # handle and the password, and working through it
        run_enroll(fleet)
        first = fleet.certificate("h01")
        assert tpm.persistent_handles() == [0x81000100]
        assert spki(handle_public_key(tpm, 0x81000100)) == spki(first.public_key())
        assert {"tpm-key.handle", "tpm-key.pem"} <= set(os.listdir(os.path.join(base, "current")))
        with open(os.path.join(base, "current", "tpm-key.handle"), encoding="ascii") as handle:
            assert handle.read() == "0x81000100\n"
        assert profile_key(fleet) == ("handle:0x81000100", True, False)
        assert_works_with(fleet, first.serial_number)
        run = run_enroll(fleet)
        assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()

        # forced renewal: the new key at the next handle, the old one evicted after the swap
        run_enroll(fleet, extra_vars={"enroll_force_renew": True})
        second = fleet.certificate("h01")
        assert sorted(os.listdir(base)) == ["current", "slot-b"] and tpm.persistent_handles() == [0x81000101]
        assert spki(handle_public_key(tpm, 0x81000101)) == spki(second.public_key()) != spki(first.public_key())
        assert profile_key(fleet) == ("handle:0x81000101", True, False)
        assert_works_with(fleet, second.serial_number)

        # a broken renewal: its key (made persistent at slot-a's handle) is evicted with its slot; the key in use works
        break_a_renewal(fleet, tmp_path)
        assert sorted(os.listdir(base)) == ["current", "slot-b"] and tpm.persistent_handles() == [0x81000101]
        assert_works_with(fleet, second.serial_number)

        # emptied: a renewal (reason tpm_persistent_handle) back to the key file alone, the last handle evicted
        fleet.group_vars["enroll_tpm_persistent_handle"] = ""
        fleet.write_inventory()
        run_enroll(fleet)
        third = fleet.certificate("h01")
        assert third.serial_number != second.serial_number and tpm.persistent_handles() == []
        assert profile_key(fleet)[0].endswith("/current/tpm-key.pem")
        assert_works_with(fleet, third.serial_number)

        # at a handle again, then enroll_key_store moved to file: the swap evicts the last persistent key too
        fleet.group_vars["enroll_tpm_persistent_handle"] = "0x81000100"
        fleet.write_inventory()
        run_enroll(fleet)
        assert len(tpm.persistent_handles()) == 1
        fleet.group_vars["enroll_key_store"] = "file"
        fleet.write_inventory()
        run_enroll(fleet)
        assert tpm.persistent_handles() == [] and profile_key(fleet)[0].endswith("/current/private-key.pem")
        assert_works_with(fleet, fleet.certificate("h01").serial_number)
    finally:
        tpm.stop()
