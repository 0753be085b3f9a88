# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prove an AWS config profile: run its credential_process once and check the answer.

Usage: prove_credentials.py CONFIG_FILE PROFILE
       prove_credentials.py - PROFILE      (the command line is in $ROLESANYWHERE_PROOF_COMMAND)

Prints one line: on success the access key id and expiration (never the secret key or session token),
on failure the reason the helper gave. Exit status 0 on success, 1 otherwise. Runs on the managed host
with the standard library only, as the user who will use the credentials.
"""

from __future__ import annotations

import configparser
import json
import os
import shlex
import subprocess
import sys

TIMEOUT_SECONDS = 120
REQUIRED_KEYS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")


def credential_process(config_file, profile):
    """The credential_process command of the profile, split like the AWS CLI splits it."""
    if config_file == "-":
        command = os.environ.get("ROLESANYWHERE_PROOF_COMMAND", "")
        if not command:
            raise LookupError("ROLESANYWHERE_PROOF_COMMAND is empty")
        return shlex.split(command)
    parser = configparser.RawConfigParser()
    if not parser.read(config_file):
        raise LookupError("cannot read %s" % config_file)
    section = "default" if profile == "default" else "profile %s" % profile
    if not parser.has_option(section, "credential_process"):
        raise LookupError("%s has no [%s] with credential_process" % (config_file, section))
    return shlex.split(parser.get(section, "credential_process"))


def run_helper(argv):
    """Run the helper; return (access key id, expiration) or raise RuntimeError with its reason."""
    try:
        completed = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise RuntimeError("the helper %s is not installed" % argv[0])
    except subprocess.TimeoutExpired:
        raise RuntimeError("the helper gave no answer within %d seconds" % TIMEOUT_SECONDS)
    if completed.returncode != 0:
        reason = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(reason[-1] if reason else "the helper exited with status %d" % completed.returncode)
    try:
        answer = json.loads(completed.stdout.decode("utf-8"))
    except ValueError:
        raise RuntimeError("the helper printed something that is not credential_process JSON")
    missing = [key for key in REQUIRED_KEYS if not answer.get(key)]
    if answer.get("Version") != 1 or missing:
        raise RuntimeError("the helper's answer lacks %s" % (", ".join(missing) or "Version 1"))
    return answer["AccessKeyId"], answer["Expiration"]


def main(args):
    if len(args) != 2:
        print("usage: prove_credentials.py CONFIG_FILE PROFILE")
        return 2
    try:
        access_key_id, expiration = run_helper(credential_process(args[0], args[1]))
    except (LookupError, RuntimeError, configparser.Error) as error:
        print(str(error))
        return 1
    print(json.dumps({"access_key_id": access_key_id, "expiration": expiration}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
