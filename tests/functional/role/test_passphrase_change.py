# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A changed enroll_key_passphrase renews the key, and the passphrase file switches with the key, never before.

The passphrase file lives in the slot beside the key it opens (<enroll_dir>/current/private-key.passphrase), so
the swap of the 'current' link switches both at once. Changing, adding or removing the passphrase is a renewal
reason (key_passphrase); check mode writes nothing; no passphrase (nor its SHA-1) shows in any output.
"""

from __future__ import annotations

import hashlib
import os
import stat

from cryptography.hazmat.primitives import serialization

from tests.support.fleet import session_serial
from .conftest import new_fleet

PASSPHRASE_A = "first-Passphrase-a81f-never-shown"
PASSPHRASE_B = "second-Passphrase-77c2-never-shown"
SECRETS = [PASSPHRASE_A, PASSPHRASE_B] + [hashlib.sha1(value.encode()).hexdigest() for value in (PASSPHRASE_A, PASSPHRASE_B)]
PASSWORD_FLAG = "--pkcs8-password-file"
UNIT = "etc/systemd/system/rolesanywhere-rolesanywhere.service"


def set_passphrase(fleet, passphrase):
    """Change enroll_key_passphrase in the inventory (not on the command line, where ps and logs could see it)."""
    if passphrase is None:
        fleet.group_vars.pop("enroll_key_passphrase", None)
    else:
        fleet.group_vars["enroll_key_passphrase"] = passphrase
    fleet.write_inventory()


def run_enroll(fleet, *args):
    run = fleet.playbook("enroll", *args)
    assert run.rc == 0, run.tail()
    output = run.stdout + run.stderr
    for secret in SECRETS:
        assert secret not in output, "a passphrase or its SHA-1 is in the output of enroll %s" % " ".join(args)
    return run


def key_password(base):
    """The passphrase file of the material in use (None when there is none), after checking its modes."""
    path = os.path.join(base, "current", "private-key.passphrase")
    if not os.path.exists(path):
        return None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(os.path.realpath(path))).st_mode) == 0o700
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def assert_key_opens_with(base, passphrase):
    with open(os.path.join(base, "current", "private-key.pem"), "rb") as handle:
        pem = handle.read()
    assert (b"ENCRYPTED PRIVATE KEY" in pem) == (passphrase is not None)
    serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)


def assert_works_with(fleet, serial):
    fleet.forget_cached_credentials()
    identity = fleet.helper_identity("h01")
    assert identity.rc == 0, identity.stderr
    assert session_serial(identity) == serial


def config_and_unit(fleet):
    texts = []
    for path in (fleet.config_file("h01"), os.path.join(fleet.root("h01"), UNIT)):
        with open(path, encoding="utf-8") as handle:
            texts.append(handle.read())
    return texts


def test_passphrase_change_renews_and_switches_with_the_key(emulator, trust_vars, tmp_path):
    fleet = new_fleet(tmp_path, emulator, trust_vars, "passphrase", enroll_systemd="update", enroll_key_passphrase=PASSPHRASE_A)
    base = os.path.join(fleet.root("h01"), "etc/rolesanywhere")
    password_file = os.path.join(base, "current", "private-key.passphrase")

    # enrol with A: the file sits in the slot, the config and the unit name it through the 'current' link
    run_enroll(fleet)
    first = fleet.certificate("h01").serial_number
    assert key_password(base) == PASSPHRASE_A
    assert_key_opens_with(base, PASSPHRASE_A)
    assert sorted(os.listdir(base)) == ["current", "slot-a"]
    for text in config_and_unit(fleet):
        assert password_file in text and PASSPHRASE_A not in text
    assert_works_with(fleet, first)

    # B in check mode: a renewal is due, nothing is written
    set_passphrase(fleet, PASSPHRASE_B)
    run = run_enroll(fleet, "--check", "--diff")
    assert run.recap()["h01"]["changed"] > 0
    assert fleet.certificate("h01").serial_number == first and key_password(base) == PASSPHRASE_A
    assert sorted(os.listdir(base)) == ["current", "slot-a"]

    # B for real (-vvv shows every result): renewed, the new key opens with B, and the file holds B
    run = run_enroll(fleet, "-vvv", "--diff")
    assert "key_passphrase" in run.stdout
    second = fleet.certificate("h01").serial_number
    assert second != first
    assert key_password(base) == PASSPHRASE_B
    assert_key_opens_with(base, PASSPHRASE_B)
    assert sorted(os.listdir(base)) == ["current", "slot-b"]
    assert_works_with(fleet, second)

    for text in config_and_unit(fleet):
        assert password_file in text  # the same path as with A: config and unit did not change

    # nothing changed: nothing to do
    run = run_enroll(fleet)
    assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()
    assert fleet.certificate("h01").serial_number == second

    # no passphrase: renewed with a plain key, no passphrase file left, the helper is no longer told of one
    set_passphrase(fleet, None)
    run_enroll(fleet)
    third = fleet.certificate("h01").serial_number
    assert third != second
    assert key_password(base) is None
    assert_key_opens_with(base, None)
    assert sorted(os.listdir(base)) == ["current", "slot-a"]
    for text in config_and_unit(fleet):
        assert PASSWORD_FLAG not in text
    assert_works_with(fleet, third)
