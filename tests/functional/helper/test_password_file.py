# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``--pkcs8-password-file``: the key's password from a 0600 file, for every command that loads a key.

The password never appears in any output, error or debug log, and a file that group or others can open is
refused (naming the file and ``chmod 600``) before any request is made.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.functional.helper.helpers import Serving, assert_error, run_helper, session_args

PASSWORD = "Pw-file-9f3b2c71-never-shown"
WRONG = "Wrong-pw-4c1d-never-shown"


class LeafTrust(object):  # pylint: disable=too-few-public-methods
    """The trust's ARNs with another leaf's files (what session_args reads)."""

    def __init__(self, trust, leaf):
        self.__dict__.update(trust.arns())
        self.endpoint = trust.endpoint
        self.certificate, self.private_key, self.intermediates = leaf.certificate, leaf.private_key, leaf.intermediates


@pytest.fixture(scope="module")
def encrypted(trust):
    """An RSA leaf of the trust with an encrypted PKCS#8 key (RSA: sign-string output is deterministic)."""
    return LeafTrust(trust, trust.issue("pwfile.example.com", key_type="RSA", key_format="pkcs8-encrypted", passphrase=PASSWORD))


def password_file(directory, content, mode=0o600, name="key-password"):
    path = os.path.join(str(directory), name)
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    os.chmod(path, mode)
    return path


def assert_no_password(result):
    for stream in (result.stdout, result.stderr):
        assert PASSWORD.encode() not in stream and WRONG.encode() not in stream


def calls(emulator):
    return emulator.counters().get("CreateSession", 0)


@pytest.mark.parametrize("content", [PASSWORD, PASSWORD + "\n", PASSWORD + "\r\n"])
def test_credential_process_reads_the_password_file(helper, encrypted, helper_env, tmp_path, content):
    path = password_file(tmp_path, content)
    result = run_helper(helper, ["credential-process", "--debug", "--pkcs8-password-file", path] + session_args(encrypted),
                        helper_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    assert_no_password(result)


def test_only_one_trailing_newline_is_dropped(helper, encrypted, helper_env, tmp_path):
    path = password_file(tmp_path, PASSWORD + "\n\n")
    result = run_helper(helper, ["credential-process", "--pkcs8-password-file", path] + session_args(encrypted), helper_env)
    assert_error(result, encrypted.private_key, "passphrase is wrong")
    assert_no_password(result)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_file_others_can_open_is_refused_before_any_request(helper, encrypted, emulator, helper_env, tmp_path, mode):
    path = password_file(tmp_path, PASSWORD, mode)
    before = calls(emulator)
    for command in (["credential-process"], ["update", "--once"], ["serve", "--port", "0"]):
        result = run_helper(helper, command + ["--pkcs8-password-file", path] + session_args(encrypted), helper_env)
        assert_error(result, path, "chmod 600", "%04o" % mode)
        assert_no_password(result)
    result = run_helper(helper, ["sign-string", "--private-key", encrypted.private_key, "--pkcs8-password-file", path], helper_env)
    assert_error(result, path, "chmod 600")
    assert calls(emulator) == before


def test_both_password_flags_are_refused(helper, encrypted, helper_env, tmp_path):
    path = password_file(tmp_path, PASSWORD)
    args = ["credential-process", "--pkcs8-password", PASSWORD, "--pkcs8-password-file", path] + session_args(encrypted)
    stderr = assert_error(run_helper(helper, args, helper_env), "--pkcs8-password-file", "not allowed with", "--pkcs8-password")
    assert PASSWORD not in stderr


@pytest.mark.parametrize("case, needle", [("missing", "cannot be read"), ("empty", "is empty"), ("newline", "is empty"),
                                          ("directory", "cannot be read"), ("wrong", "passphrase is wrong")])
def test_bad_password_files(helper, encrypted, helper_env, tmp_path, case, needle):
    path = {"missing": lambda: str(tmp_path / "absent"), "empty": lambda: password_file(tmp_path, ""),
            "newline": lambda: password_file(tmp_path, "\n"), "directory": lambda: str(tmp_path),
            "wrong": lambda: password_file(tmp_path, WRONG)}[case]()
    result = run_helper(helper, ["credential-process", "--debug", "--pkcs8-password-file", path] + session_args(encrypted),
                        helper_env)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and result.stdout == b"" and needle in stderr and "Traceback" not in stderr, stderr
    assert path in stderr or encrypted.private_key in stderr
    assert_no_password(result)


def test_sign_string_gives_the_same_signature_as_with_the_flag(helper, encrypted, helper_env, tmp_path):
    path = password_file(tmp_path, PASSWORD + "\n")
    base = ["sign-string", "--private-key", encrypted.private_key, "--format", "text"]
    from_flag = run_helper(helper, base + ["--pkcs8-password", PASSWORD], helper_env)
    from_file = run_helper(helper, base + ["--pkcs8-password-file", path], helper_env)
    assert from_flag.returncode == 0 and from_file.returncode == 0, (from_flag.stderr, from_file.stderr)
    assert from_file.stdout == from_flag.stdout and len(from_file.stdout) == 512  # RSA-2048, hex
    assert_no_password(from_file)


def test_update_once_with_a_password_file(helper, encrypted, helper_env, tmp_path):
    path = password_file(tmp_path, PASSWORD)
    result = run_helper(helper, ["update", "--once", "--debug", "--pkcs8-password-file", path] + session_args(encrypted), helper_env)
    assert result.returncode == 0, result.stderr
    assert_no_password(result)
    with open(helper_env["AWS_SHARED_CREDENTIALS_FILE"], encoding="utf-8") as handle:
        written = handle.read()
    assert "aws_secret_access_key" in written and PASSWORD not in written


def test_serve_with_a_password_file(helper, encrypted, emulator, tmp_path):
    path = password_file(tmp_path, PASSWORD)
    with Serving(helper, ["--debug", "--pkcs8-password-file", path] + session_args(encrypted), emulator.env(),
                 tmp_path / "serve.log") as serving:
        token = serving.token()
        role = encrypted.role_arn.rsplit("/", 1)[1]
        status, _headers, body = serving.request("GET", "/latest/meta-data/iam/security-credentials/" + role,
                                                 {"X-aws-ec2-metadata-token": token})
        assert status == 200, body
        assert json.loads(body)["Code"] == "Success"
        log = serving.log()
    assert PASSWORD not in log


def test_help_lists_the_flag_for_every_key_loading_command(helper, helper_env):
    for command in ("credential-process", "update", "serve", "sign-string"):
        result = run_helper(helper, [command, "--help"], helper_env)
        assert result.returncode == 0 and b"--pkcs8-password-file" in result.stdout, command
