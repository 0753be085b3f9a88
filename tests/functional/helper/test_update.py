# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``update``: rewrites one profile of the shared credentials file, retries instead of exiting."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys
import time

from tests.functional.helper.helpers import assert_error, run_helper, session_args

EXISTING = """# managed by hand
[default]
region = eu-west-1
aws_access_key_id = OLDKEY
output = json

[other]
aws_access_key_id = KEEPME
aws_secret_access_key = KEEPSECRET
last_line = kept"""


def read_profile(path, profile):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return dict(parser[profile])


def wait_for(predicate, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_once_rewrites_only_the_profile(helper, trust, emulator, helper_env):
    path = helper_env["AWS_SHARED_CREDENTIALS_FILE"]
    os.makedirs(os.path.dirname(path), mode=0o755)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(EXISTING)
    result = run_helper(helper, ["update", "--once"] + session_args(trust), helper_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("# managed by hand\n[default]\nregion = eu-west-1\naws_access_key_id = ASIA")
    assert text.endswith("[other]\naws_access_key_id = KEEPME\naws_secret_access_key = KEEPSECRET\nlast_line = kept")
    assert "OLDKEY" not in text and "output = json\n" in text
    profile = read_profile(path, "default")
    assert profile["aws_access_key_id"].startswith("ASIA") and profile["aws_session_token"]
    # The file was 0644: its mode is kept without any access for others (issue 13: keep owner, group and mode).
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_profile_flag_appends_a_missing_profile_and_boto3_uses_it(helper, trust, emulator, helper_env):
    path = helper_env["AWS_SHARED_CREDENTIALS_FILE"]
    result = run_helper(helper, ["update", "--once", "--profile", "fleet"] + session_args(trust), helper_env)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    env = {key: value for key, value in helper_env.items() if not key.startswith("AWS_ACCESS") and key != "AWS_SECRET_ACCESS_KEY"}
    code = ("import boto3; print(boto3.session.Session(profile_name='fleet').client('sts', endpoint_url=%r)"
            ".get_caller_identity()['Arn'])" % emulator.endpoint)
    answer = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=120, check=False)
    assert answer.returncode == 0, answer.stderr
    assert "assumed-role/%s/" % trust.role_name in answer.stdout.decode()


def test_once_fails_with_one_line_when_the_service_refuses(helper, trust, emulator_faults, helper_env):
    emulator_faults.set_faults(error_rate=1)
    result = run_helper(helper, ["update", "--once"] + session_args(trust), helper_env)
    assert_error(result, "HTTP 5")
    assert not os.path.exists(helper_env["AWS_SHARED_CREDENTIALS_FILE"])


def test_bad_profile_name(helper, trust, helper_env):
    assert_error(run_helper(helper, ["update", "--once", "--profile", "a]b"] + session_args(trust), helper_env),
                 "invalid profile name")


def test_loop_retries_then_refreshes(helper, trust, emulator_faults, helper_env, tmp_path):
    """Without --once: errors are retried with backoff; after success it refreshes before expiry."""
    path = helper_env["AWS_SHARED_CREDENTIALS_FILE"]
    log = tmp_path / "update.log"
    emulator_faults.set_faults(error_rate=1)
    args = [helper, "update", "--session-duration", "900", "--refresh-margin", "897"] + session_args(trust)
    with open(log, "wb") as stderr:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, env=helper_env)
    try:
        assert wait_for(lambda: b"retrying in" in log.read_bytes(), 60)
        assert process.poll() is None  # still running
        assert not os.path.exists(path)
        emulator_faults.clear_faults()
        assert wait_for(lambda: os.path.exists(path), 60)
        first = read_profile(path, "default")["aws_access_key_id"]
        assert wait_for(lambda: read_profile(path, "default")["aws_access_key_id"] != first, 30)  # refreshed ~3 s later
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=30)
    assert out == b""
    text = log.read_bytes()
    assert b"update failed (attempt 1), retrying in" in text and b"HTTP 5" in text
    assert b"Credentials will be refreshed at" in text
    assert read_profile(path, "default")["aws_secret_access_key"].encode() not in text


def test_planted_symlink_and_directory_give_one_clear_line(helper, trust, helper_env, tmp_path):
    path = helper_env["AWS_SHARED_CREDENTIALS_FILE"]
    os.makedirs(os.path.dirname(path), mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("[keep]\n")
    os.symlink(str(victim), path)
    if os.geteuid() == 0:
        os.lchown(path, 65534, 65534)
        assert_error(run_helper(helper, ["update", "--once"] + session_args(trust), helper_env),
                     "is a symbolic link owned by nobody (uid 65534), not by you", "Remove the link")
        assert victim.read_text() == "[keep]\n"
    os.unlink(path)
    os.mkdir(path)
    for extra in (["--once"], []):  # the loop stops too: waiting does not fix a directory
        result = run_helper(helper, ["update"] + extra + session_args(trust), helper_env, timeout=60)
        assert_error(result, "the credentials file %s is a directory" % path, "AWS_SHARED_CREDENTIALS_FILE")
