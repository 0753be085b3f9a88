# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_proof on the host: the profile's credential_process run once, only the key id and expiration kept."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.proof import ProofError, credential_process
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.proof import prove as prove_with
from tests.support.commands import run_command


def prove(config_file, profile, command=""):
    """The module's call, with run_command outside a module."""
    return prove_with(config_file, profile, command, run_command)


ANSWER = {"Version": 1, "AccessKeyId": "ASIAPROOF", "SecretAccessKey": "secret-never-returned",
          "SessionToken": "token-never-returned", "Expiration": "2026-12-07T01:00:00Z"}


def helper(tmp_path, answer=None, stderr="", status=0):
    """A fake helper: a Python script printing ``answer`` (JSON) and ``stderr``, ending with ``status``."""
    script = tmp_path / "helper.py"
    script.write_text("import sys\nsys.stdout.write(%r)\nsys.stderr.write(%r)\nsys.exit(%d)\n" % (
        json.dumps(answer) if isinstance(answer, dict) else (answer or ""), stderr, status))
    return "%s %s --profile-arn arn" % (shlex.quote(sys.executable), shlex.quote(str(script)))


def test_the_command_proves_and_no_secret_is_returned(tmp_path):
    assert prove("-", "proof", helper(tmp_path, ANSWER)) == {"access_key_id": "ASIAPROOF", "expiration": "2026-12-07T01:00:00Z"}


def test_a_profile_of_a_config_file(tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile rolesanywhere]\ncredential_process = %s\n[default]\ncredential_process = false\n" % helper(tmp_path, ANSWER))
    assert prove(str(config), "rolesanywhere")["access_key_id"] == "ASIAPROOF"
    assert credential_process(str(config), "default") == ["false"]


@pytest.mark.parametrize("answer, stderr, status, reason", [
    (None, "first line\nAccessDeniedException: Untrusted signing certificate", 1, "AccessDeniedException: Untrusted signing certificate"),
    (None, "", 3, "the helper exited with status 3"),
    ("not json", "", 0, "not credential_process JSON"),
    ("[1]", "", 0, "not credential_process JSON"),
    (dict(ANSWER, SessionToken=""), "", 0, "the helper's answer lacks SessionToken"),
    (dict(ANSWER, Version=2), "", 0, "the helper's answer lacks Version 1"),
])
def test_the_helpers_reason_is_the_failure(tmp_path, answer, stderr, status, reason):
    with pytest.raises(ProofError, match=reason) as caught:
        prove("-", "proof", helper(tmp_path, answer, stderr, status))
    assert "never-returned" not in str(caught.value)


def test_what_cannot_be_run_is_named(tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile other]\ncredential_process = true\n")
    cases = [(("-", "proof", ""), "no command to prove"),
             ((str(tmp_path / "missing"), "proof"), "cannot read"),
             ((str(config), "rolesanywhere"), r"has no \[profile rolesanywhere\] with credential_process"),
             (("-", "proof", str(tmp_path / "no-helper")), "is not installed")]
    config_broken = tmp_path / "broken"
    config_broken.write_text("no section\n")
    cases.append(((str(config_broken), "proof"), "cannot read"))
    for arguments, reason in cases:
        with pytest.raises(ProofError, match=reason):
            prove(*arguments)
