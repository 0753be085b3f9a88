# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_key_store=pkcs11: the host's key is made inside a SoftHSM2 token and never exists on disk.

The controller is the host (local connection, enroll_root), the token a SoftHSM2 token of this test (SOFTHSM2_CONF
in the environment the playbook and the helper inherit). The proof and the identity check are real CreateSession
calls against the emulator, signed in the token through the installed helper.
"""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from tests.support import pki
from tests.support.fleet import session_serial
from tests.support.softhsm import SoftHsm, missing_parts
from .conftest import new_fleet

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="PKCS#11 tests need %s" % " and ".join(MISSING))

TOKEN = "enrol"
PIN = "Pin-7c41-never-shown"
WRONG_PIN = "Wrong-3b9e-never-shown"
SO_PIN = "So-5e0a-never-shown"
PACKAGE_TASK = "Install the PKCS#11 bindings (and OpenSC) from the OS packages"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's Python: cryptography from the OS, PyKCS11 only with python3-pykcs11


def run_enroll(fleet, *args, extra_vars=None, expect_rc=0):
    run = fleet.playbook("enroll", *args, extra_vars=extra_vars)
    assert run.rc == expect_rc, run.tail()
    output = run.stdout + run.stderr
    assert PIN not in output and WRONG_PIN not in output and SO_PIN not in output, "a PIN is in the output of enroll %s" % " ".join(args)
    return run


def files_under(path):
    found = []
    for directory, _dirs, names in os.walk(path):
        found.extend(os.path.join(directory, name) for name in names)
    return found


def assert_no_private_key_on_disk(base):
    assert not os.path.lexists(os.path.join(base, "current", "private-key.pem"))
    for path in files_under(base):
        with open(path, "rb") as handle:
            assert b"PRIVATE KEY" not in handle.read(), "%s holds a private key" % path


def token_keys(hsm):
    return sorted(hsm.private_keys(TOKEN, PIN), key=lambda key: key["id"])


def assert_works_with(fleet, serial):
    fleet.forget_cached_credentials()
    identity = fleet.helper_identity("h01")
    assert identity.rc == 0, identity.stderr
    assert session_serial(identity) == serial


def test_pkcs11_key_store_enrols_renews_and_refuses_a_wrong_pin(emulator, trust_vars, tmp_path, monkeypatch):
    hsm = SoftHsm(tmp_path / "hsm")
    hsm.init_token(TOKEN, pin=PIN)
    monkeypatch.setenv("SOFTHSM2_CONF", hsm.conf)  # the playbook's modules and the helper inherit it
    fleet = new_fleet(tmp_path, emulator, trust_vars, "pkcs11", enroll_key_store="pkcs11", enroll_pkcs11_module=hsm.module,
                      enroll_pkcs11_token_label=TOKEN, enroll_pkcs11_pin=WRONG_PIN, enroll_systemd="none")
    base = os.path.join(fleet.root("h01"), "etc/rolesanywhere")

    # a wrong PIN: one clear line, nothing on the host, nothing in the token
    run = run_enroll(fleet, expect_rc=2)
    assert "is wrong" in run.stdout and "enroll_pkcs11_pin" in run.stdout, run.tail()
    assert not os.path.lexists(base)
    assert token_keys(hsm) == []

    fleet.group_vars["enroll_pkcs11_pin"] = PIN
    fleet.write_inventory()

    # check mode: a first enrolment is due, nothing is made
    run = run_enroll(fleet, "--check")
    assert run.recap()["h01"]["changed"] > 0
    assert not os.path.lexists(os.path.join(base, "current")) and token_keys(hsm) == []

    # enrol: the key is in the token (sensitive, never extractable), the PIN in a 0600 pin-source file in the slot
    run_enroll(fleet)
    first = fleet.certificate("h01").serial_number
    assert sorted(os.listdir(base)) == ["current", "slot-a"]
    assert_no_private_key_on_disk(base)
    [key] = token_keys(hsm)
    assert key["id"] == "0a" and key["label"].startswith("rolesanywhere-")
    assert key["CKA_EXTRACTABLE"] is False and key["CKA_SENSITIVE"] is True
    assert key["CKA_NEVER_EXTRACTABLE"] is True and key["CKA_ALWAYS_SENSITIVE"] is True
    pin_file = os.path.join(base, "current", "pkcs11.pin")
    assert stat.S_IMODE(os.stat(pin_file).st_mode) == 0o600
    with open(pin_file, encoding="utf-8") as handle:
        assert handle.read() == PIN
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        config = handle.read()
    assert "pkcs11:token=%s;object=%s?pin-source=" % (TOKEN, key["label"]) in config and "--pkcs11-lib" in config
    assert PIN not in config
    assert_works_with(fleet, first)

    # nothing changed: nothing to do (and no package step: the modules' Python imports PyKCS11)
    run = run_enroll(fleet)
    assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()
    assert PACKAGE_TASK not in run.stdout and "packages.yml" not in run.stdout

    # forced renewal in check mode: nothing made
    run_enroll(fleet, "--check", extra_vars={"enroll_force_renew": True})
    assert [k["id"] for k in token_keys(hsm)] == ["0a"] and fleet.certificate("h01").serial_number == first

    # forced renewal: a new key object beside the old one, the old one destroyed after the proof and the swap
    run_enroll(fleet, extra_vars={"enroll_force_renew": True})
    second = fleet.certificate("h01").serial_number
    assert second != first
    assert sorted(os.listdir(base)) == ["current", "slot-b"]
    [key] = token_keys(hsm)
    assert key["id"] == "0b" and key["CKA_EXTRACTABLE"] is False and key["CKA_SENSITIVE"] is True
    assert_no_private_key_on_disk(base)
    assert_works_with(fleet, second)

    # a broken renewal (a CA the trust anchor does not know signs): the proof fails, the key and certificate in use
    # keep working, and the failure path destroyed the key made for the staging slot (slot-a's id): the token holds
    # only the live key
    stranger = pki.make_ca(cn="stranger").write(str(tmp_path), "stranger")
    run = run_enroll(fleet, expect_rc=2, extra_vars={"enroll_own_ca_certificate": stranger.certificate,
                                                     "enroll_own_ca_private_key": stranger.private_key, "enroll_own_ca_chain": ""})
    assert "The certificate in use is unchanged and keeps working" in run.stdout, run.tail()
    assert fleet.certificate("h01").serial_number == second
    assert [k["id"] for k in token_keys(hsm)] == ["0b"]
    assert sorted(os.listdir(base)) == ["current", "slot-b"]
    assert_works_with(fleet, second)


def test_pkcs11_so_pin_initialises_the_token_in_an_empty_slot(emulator, trust_vars, tmp_path, monkeypatch):
    hsm = SoftHsm(tmp_path / "hsm")  # no token: SoftHSM2 shows one slot with an uninitialised token
    monkeypatch.setenv("SOFTHSM2_CONF", hsm.conf)
    fleet = new_fleet(tmp_path, emulator, trust_vars, "pkcs11", enroll_key_store="pkcs11", enroll_pkcs11_module=hsm.module,
                      enroll_pkcs11_token_label=TOKEN, enroll_pkcs11_pin=PIN, enroll_systemd="none")
    base = os.path.join(fleet.root("h01"), "etc/rolesanywhere")

    # without the SO PIN: the error naming the label (and the new variable), nothing made
    run = run_enroll(fleet, expect_rc=2)
    assert "0 PKCS#11 tokens match enroll_pkcs11_token_label=%s" % TOKEN in run.stdout, run.tail()
    assert "enroll_pkcs11_so_pin" in run.stdout and not os.path.lexists(base)

    fleet.group_vars["enroll_pkcs11_so_pin"] = SO_PIN
    fleet.write_inventory()
    # check mode: the preflight passes, the token is not initialised
    run = run_enroll(fleet, "--check")
    assert run.recap()["h01"]["changed"] > 0 and SO_PIN not in run.stdout + run.stderr
    assert not os.path.lexists(base) and hsm.token_labels() == []

    run = run_enroll(fleet)
    assert SO_PIN not in run.stdout + run.stderr
    assert hsm.token_labels() == [TOKEN]
    [key] = token_keys(hsm)  # logged in with enroll_pkcs11_pin, which the role set with C_InitPIN
    assert key["id"] == "0a" and key["CKA_EXTRACTABLE"] is False and key["CKA_SENSITIVE"] is True
    assert_no_private_key_on_disk(base)
    assert_works_with(fleet, fleet.certificate("h01").serial_number)

    # the token exists now: nothing to do, and it is not initialised again
    run = run_enroll(fleet)
    assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()
    assert hsm.token_labels() == [TOKEN] and [k["id"] for k in token_keys(hsm)] == ["0a"]


def system_python_without_pykcs11():
    """Whether SYSTEM_PYTHON runs the role's modules (cryptography, apt) but cannot import PyKCS11: a host lacking
    python3-pykcs11, without uninstalling anything."""
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    modules = subprocess.run([SYSTEM_PYTHON, "-c", "import cryptography, apt"], check=False, capture_output=True)
    bindings = subprocess.run([SYSTEM_PYTHON, "-c", "import PyKCS11"], check=False, capture_output=True)
    return modules.returncode == 0 and bindings.returncode != 0


@pytest.mark.skipif(not system_python_without_pykcs11(),
                    reason="needs %s with cryptography and apt but without python3-pykcs11" % SYSTEM_PYTHON)
def test_pkcs11_bindings_missing_on_the_host_are_installed_or_named(emulator, trust_vars, tmp_path, monkeypatch):
    hsm = SoftHsm(tmp_path / "hsm")
    hsm.init_token(TOKEN, pin=PIN)
    monkeypatch.setenv("SOFTHSM2_CONF", hsm.conf)
    fleet = new_fleet(tmp_path, emulator, trust_vars, "pkcs11", enroll_key_store="pkcs11", enroll_pkcs11_module=hsm.module,
                      enroll_pkcs11_token_label=TOKEN, enroll_pkcs11_pin=PIN, enroll_systemd="none",
                      ansible_python_interpreter=SYSTEM_PYTHON)
    base = os.path.join(fleet.root("h01"), "etc/rolesanywhere")

    # no package access: one line naming the package, nothing changed
    run = run_enroll(fleet, expect_rc=2, extra_vars={"enroll_install_packages": False})
    assert "needs the OS package(s) python3-pykcs11 on the host" in run.stdout, run.tail()
    assert PACKAGE_TASK not in run.stdout and not os.path.lexists(base) and token_keys(hsm) == []

    # with it (check mode: apt installs nothing here): the package step is due, then the enrolment
    run = run_enroll(fleet, "--check", "-v")
    assert "rolesanywhere.fleet.enroll : " + PACKAGE_TASK in run.changed_tasks(), run.tail()
    assert '"missing_packages": ["python3-pykcs11"]' in run.stdout, run.tail()
    assert system_python_without_pykcs11()  # still not installed: check mode
    assert not os.path.lexists(base) and token_keys(hsm) == []
