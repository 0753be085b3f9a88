# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove an AWS config profile: run its credential_process once and check the answer (enroll_proof module).

Runs on the managed host with the standard library only, as the user who will use the credentials. Only the
access key id and expiration leave this module, never the secret key or session token; a failure is the
reason the helper gave (its last line on standard error).
"""

from __future__ import annotations

import configparser
import json
import shlex

REQUIRED_KEYS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
NO_CONFIG = "-"


class ProofError(Exception):
    """The profile could not be proven; the message says why (never a secret)."""


def credential_process(config_file, profile, command=""):
    """The credential_process command of the profile (or ``command`` when ``config_file`` is "-"), split like
    the AWS CLI splits it."""
    if config_file == NO_CONFIG:
        if not command:
            raise ProofError("no command to prove: give command when config is '-'")
        return shlex.split(command)
    parser = configparser.RawConfigParser()
    try:
        if not parser.read(config_file):
            raise ProofError("cannot read %s" % config_file)
    except configparser.Error as error:
        raise ProofError("cannot read %s: %s" % (config_file, error))
    section = "default" if profile == "default" else "profile %s" % profile
    if not parser.has_option(section, "credential_process"):
        raise ProofError("%s has no [%s] with credential_process" % (config_file, section))
    return shlex.split(parser.get(section, "credential_process"))


def run_helper(argv, run_command):
    """Run the helper; return (access key id, expiration) or raise ProofError with its reason. ``run_command``: the
    module's AnsibleModule.run_command (ansible-test's pylint rule ansible-bad-function). It has no timeout: the
    helper's own connect and read timeouts and bounded retries end the run."""
    try:
        returncode, stdout, stderr = run_command(argv, encoding=None, handle_exceptions=False)
    except OSError:  # not there, or not executable
        raise ProofError("the helper %s is not installed" % argv[0])
    if returncode != 0:
        reason = stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProofError(reason[-1] if reason else "the helper exited with status %d" % returncode)
    try:
        answer = json.loads(stdout.decode("utf-8"))
    except ValueError:
        raise ProofError("the helper printed something that is not credential_process JSON")
    if not isinstance(answer, dict):
        raise ProofError("the helper printed something that is not credential_process JSON")
    missing = [key for key in REQUIRED_KEYS if not answer.get(key)]
    if answer.get("Version") != 1 or missing:
        raise ProofError("the helper's answer lacks %s" % (", ".join(missing) or "Version 1"))
    return answer["AccessKeyId"], answer["Expiration"]


def prove(config_file, profile, command, run_command):
    """{"access_key_id", "expiration"} from one credential_process run, or ProofError."""
    access_key_id, expiration = run_helper(credential_process(config_file, profile, command), run_command)
    return {"access_key_id": access_key_id, "expiration": expiration}
