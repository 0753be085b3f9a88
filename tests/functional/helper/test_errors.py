# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every error names the cause and the fix: one line on stderr, exit 1, nothing on stdout."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.functional.helper.helpers import assert_error, run_helper, session_args
from tests.support.scenario import make_trust

SKEWED_CLOCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "skewed_clock.py")


def process(trust, **extra):
    return ["credential-process"] + session_args(trust, **extra)


def test_clock_skew(helper, trust, helper_env):
    command = [sys.executable, SKEWED_CLOCK, "-900", helper] + process(trust)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=helper_env, timeout=120, check=False)
    assert_error(result, "HTTP 403", "clock", "NTP")
    within_limits = [sys.executable, SKEWED_CLOCK, "-60", helper] + process(trust)
    assert subprocess.run(within_limits, stdout=subprocess.PIPE, env=helper_env, timeout=120, check=False).returncode == 0


def test_key_does_not_match_certificate(helper, trust, helper_env):
    other = trust.issue("other.example.com")
    args = process(trust)
    args[args.index("--private-key") + 1] = other.private_key
    assert_error(run_helper(helper, args, helper_env), "does not match certificate", "Use the key the certificate was issued for")


def test_profile_disabled(helper, emulator, helper_env, tmp_path):
    disabled = make_trust(emulator, tmp_path, profile_enabled=False)
    assert_error(run_helper(helper, process(disabled), helper_env), "HTTP 403", "profile", "enabled")


def test_role_not_in_profile(helper, trust, emulator, helper_env, tmp_path):
    stranger = make_trust(emulator, tmp_path)
    args = process(trust)
    args[args.index("--role-arn") + 1] = stranger.role_arn
    assert_error(run_helper(helper, args, helper_env), "HTTP 403", "lists this role")


def test_trust_policy_refuses(helper, emulator, helper_env, tmp_path):
    refusing = make_trust(emulator, tmp_path, policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    assert_error(run_helper(helper, process(refusing), helper_env), "HTTP 403", "trust policy", "rolesanywhere.amazonaws.com")


def test_role_session_name_not_accepted(helper, emulator, helper_env, tmp_path):
    strict = make_trust(emulator, tmp_path, accept_role_session_name=False)
    assert_error(run_helper(helper, process(strict, role_session_name="web-1"), helper_env),
                 "Not authorized to set roleSessionName", "acceptRoleSessionName")


def test_duration_above_the_role_maximum(helper, emulator, helper_env, tmp_path):
    short_role = make_trust(emulator, tmp_path, max_session_duration=3600, duration_seconds=7200)
    assert_error(run_helper(helper, process(short_role, session_duration=7200), helper_env), "HTTP 400", "duration")


@pytest.mark.parametrize("extra, needles", [
    ({"session_duration": 60}, ["duration_seconds 60 is out of range", "900 to 43200"]),
    ({"session_duration": 50000}, ["out of range"]),
    ({"role_session_name": "x"}, ["role_session_name 'x'", "2 to 64 characters"]),
    ({"region": "eu-west-1"}, ["differs from the trust anchor's region", "us-east-1"]),
    ({"region": "mars"}, ["not an AWS region name"]),
])
def test_bad_input_is_refused_before_any_request(helper, trust, emulator, helper_env, extra, needles):
    emulator.reset_counters()
    assert_error(run_helper(helper, process(trust, **extra), helper_env), *needles)
    assert not emulator.counters().get("CreateSession")


@pytest.mark.parametrize("command, drop, needle", [
    ("update", "--role-arn", "--role-arn is required"),
    ("serve", "--certificate", "--certificate is required"),
] + [("credential-process", drop, needle) for drop, needle in [
    ("--certificate", "--certificate is required"),
    ("--trust-anchor-arn", "--trust-anchor-arn is required"),
    ("--profile-arn", "--profile-arn is required"),
    ("--role-arn", "--role-arn is required"),
]])
def test_missing_flags(helper, trust, helper_env, command, drop, needle):
    args = session_args(trust)
    index = args.index(drop)
    del args[index:index + 2]
    if drop == "--certificate":
        del args[args.index("--private-key"):args.index("--private-key") + 2]
    assert_error(run_helper(helper, [command] + args, helper_env), needle)


@pytest.mark.parametrize("flag, value", [
    ("--trust-anchor-arn", "arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-2222-3333-4444-555555555555"),
    ("--profile-arn", "not-an-arn"),
    ("--role-arn", "arn:aws:iam::123456789012:user/bob"),
])
def test_malformed_arns(helper, trust, helper_env, flag, value):
    args = process(trust)
    args[args.index(flag) + 1] = value
    assert_error(run_helper(helper, args, helper_env), flag[2:].replace("-", "_"), "ARN")


UNSUPPORTED = [
    ("--pkcs11-lib", "/usr/lib/opensc-pkcs11.so", "PKCS#11"),
    ("--reuse-pin", None, "PKCS#11"),
    ("--tpm-key-password", "pw", "TPM"),
    ("--no-tpm-key-password", None, "TPM"),
    ("--cert-selector", "Key=x509Subject,Value=CN=host", "certificate stores"),
    ("--system-store-name", "MY", "certificate stores"),
    ("--use-latest-expiring-certificate", None, "certificate stores"),
]


@pytest.mark.parametrize("command, flag, value, needle", [("credential-process",) + case for case in UNSUPPORTED]
                         + [("update",) + UNSUPPORTED[2], ("serve",) + UNSUPPORTED[4]])
def test_unsupported_flags(helper, trust, helper_env, command, flag, value, needle):
    args = [command] + session_args(trust) + [flag] + ([value] if value else [])
    assert_error(run_helper(helper, args, helper_env), flag, "not supported yet", needle)


@pytest.mark.parametrize("flag, value, needle", [
    ("--certificate", "pkcs11:token=fleet;object=cert", "PKCS#11"),
    ("--private-key", "pkcs11:token=fleet;object=key", "PKCS#11"),
    ("--private-key", "handle:0x81000001", "TPM"),
])
def test_unsupported_values(helper, trust, helper_env, flag, value, needle):
    args = process(trust)
    args[args.index(flag) + 1] = value
    assert_error(run_helper(helper, args, helper_env), "not supported yet", needle)


def test_tpm_key_file(helper, trust, helper_env, tmp_path):
    tss2 = tmp_path / "tpm.key"
    tss2.write_text("-----BEGIN TSS2 PRIVATE KEY-----\nMIIB\n-----END TSS2 PRIVATE KEY-----\n")
    args = process(trust)
    args[args.index("--private-key") + 1] = str(tss2)
    assert_error(run_helper(helper, args, helper_env), "TPM", "not supported yet")


@pytest.mark.parametrize("args, needle", [
    (["credential-process", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["credential-process", "--session-duration", "soon"], "invalid int value: 'soon'"),
    (["credential-process", "--cert"], "unrecognized arguments: --cert"),  # no abbreviations, like the official helper
])
def test_usage_errors(helper, helper_env, args, needle):
    assert_error(run_helper(helper, args, helper_env), needle)
