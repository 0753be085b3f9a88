# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role with a passphrase-protected key: the helper reads the passphrase from a 0600 file.

One host enrolled by the real playbooks against the emulator: the AWS CLI gets credentials through the
profile, and the passphrase is in no AWS config file, systemd unit or playbook output; check mode writes
nothing and a second run changes nothing. (test_key_stays_on_host in tests/functional/fleet checks -vvv output.)
"""

from __future__ import annotations

import os
import stat

from tests.functional.fleet.fleetlib import Fleet

PASSPHRASE = "enroll-pass-5d1e9a0c-never-shown"


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_enrolment_with_a_passphrase_uses_a_password_file(emulator, tmp_path):
    fleet = Fleet(str(tmp_path), emulator.endpoint, emulator.region, size=1, name="pwfile",
                  group_vars={"enroll_key_passphrase": PASSPHRASE, "enroll_systemd": "update"})
    assert fleet.trust().rc == 0
    root = fleet.root("h01")

    os.makedirs(os.path.join(root, "etc/systemd/system"))  # the unit goes there, as on a systemd host
    check = fleet.playbook("enroll", "--check")
    assert check.rc == 0, check.tail()
    assert os.listdir(os.path.join(root, "etc")) == ["systemd"], "check mode wrote on the host"

    first = fleet.playbook("enroll", "--diff")
    assert first.rc == 0, first.tail()

    base = os.path.join(root, "etc/rolesanywhere")
    password_file = os.path.join(base, "private-key.passphrase")
    assert read(password_file) == PASSPHRASE
    assert (mode_of(password_file), mode_of(base)) == (0o600, 0o700)
    assert "ENCRYPTED PRIVATE KEY" in read(os.path.join(base, "current/private-key.pem"))
    config = read(fleet.config_file("h01"))
    unit = read(os.path.join(root, "etc/systemd/system/rolesanywhere-rolesanywhere.service"))
    assert "--pkcs8-password-file %s" % password_file in config  # shell quoting in credential_process
    assert '"--pkcs8-password-file" "%s"' % password_file in unit  # systemd quoting in ExecStart
    for text in (config, unit):
        assert PASSPHRASE not in text and "--pkcs8-password " not in text and '"--pkcs8-password"' not in text

    fleet.forget_cached_credentials()
    identity = fleet.caller_identity("h01")  # the real AWS CLI through credential_process
    assert identity.rc == 0, identity.stderr
    assert ":assumed-role/" in identity.stdout

    again = fleet.playbook("enroll")
    assert again.rc == 0, again.tail()
    assert again.recap()["h01"]["changed"] == 0, again.changed_tasks()
    for run in (check, first, again):
        assert PASSPHRASE not in run.stdout + run.stderr
