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


# PKCS#11 (--pkcs11-lib, --reuse-pin, pkcs11: URIs) is supported: tests/functional/helper/test_pkcs11.py; TPM keys
# (--tpm-key-password, --no-tpm-key-password, handle:, TSS2 key files) too: tests/functional/helper/test_tpm.py.
UNSUPPORTED = [
    ("--cert-selector", "Key=x509Subject,Value=CN=host", "certificate stores"),
    ("--system-store-name", "MY", "certificate stores"),
    ("--use-latest-expiring-certificate", None, "certificate stores"),
]


@pytest.mark.parametrize("command, flag, value, needle", [("credential-process",) + case for case in UNSUPPORTED]
                         + [("update",) + UNSUPPORTED[0], ("serve",) + UNSUPPORTED[1]])
def test_unsupported_flags(helper, trust, helper_env, command, flag, value, needle):
    args = [command] + session_args(trust) + [flag] + ([value] if value else [])
    assert_error(run_helper(helper, args, helper_env), flag, "not supported yet", needle)


@pytest.mark.parametrize("value, extra, needles", [
    ("handle:0x81000001", [], ["TPM key handle:0x81000001 needs its password", "--tpm-key-password"]),
    ("handle:0x81000001", ["--no-tpm-key-password"], ["the TPM", "cannot be opened", "TPM2TOOLS_TCTI"]),
    ("handle:0x81000001", ["--tpm-key-password", "pw", "--pkcs8-password", "pw"], ["--tpm-key-password cannot be combined with --pkcs8-password"]),
    ("handle:0x0", ["--no-tpm-key-password"], ["--private-key handle:0x0 is not a TPM persistent handle"]),
])
def test_tpm_handles_without_a_tpm(helper, trust, helper_env, tmp_path, value, extra, needles):
    """The TPM tests with swtpm are tests/functional/helper/test_tpm.py; here there is no TPM at all."""
    args = process(trust) + extra
    args[args.index("--private-key") + 1] = value
    env = dict(helper_env, TPM2TOOLS_TCTI="device:%s" % (tmp_path / "tpmrm0"))
    assert_error(run_helper(helper, args, env), *needles)


def test_tpm_key_file_that_is_truncated(helper, trust, helper_env, tmp_path):
    tss2 = tmp_path / "tpm.key"
    tss2.write_text("-----BEGIN TSS2 PRIVATE KEY-----\nMIIB\n-----END TSS2 PRIVATE KEY-----\n")
    args = process(trust)
    args[args.index("--private-key") + 1] = str(tss2)
    assert_error(run_helper(helper, args, helper_env), "TPM key file %s" % tss2, "bad DER length", "tpm2_encodeobject")


@pytest.mark.parametrize("args, needle", [
    (["credential-process", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["credential-process", "--session-duration", "soon"], "invalid int value: 'soon'"),
    (["credential-process", "--cert"], "unrecognized arguments: --cert"),  # no abbreviations, like the official helper
])
def test_usage_errors(helper, helper_env, args, needle):
    assert_error(run_helper(helper, args, helper_env), needle)


# --- the SDKs' configuration ----------------------------------------------------------------------------------

def _without_endpoint(args):
    index = args.index("--endpoint")
    return args[:index] + args[index + 2:]


def test_the_service_endpoint_variable_reaches_the_emulator_and_beats_the_flag(helper, trust, helper_env):
    env = dict(helper_env, AWS_ENDPOINT_URL_ROLESANYWHERE=trust.endpoint)
    assert run_helper(helper, _without_endpoint(process(trust)), env).returncode == 0
    # AWS's helper: AWS_ENDPOINT_URL_ROLESANYWHERE overrides --endpoint (rolesanywhere/endpoints.go resolveBaseEndpoint).
    args = process(trust)
    args[args.index("--endpoint") + 1] = "http://127.0.0.1:1"
    assert run_helper(helper, args, env).returncode == 0


def test_the_services_section_of_the_config_file_reaches_the_emulator(helper, trust, helper_env, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile fleet]\nservices = local\n\n[services local]\nrolesanywhere =\n  endpoint_url = %s\n" % trust.endpoint)
    env = dict(helper_env, AWS_CONFIG_FILE=str(config), AWS_PROFILE="fleet")
    assert run_helper(helper, _without_endpoint(process(trust)), env).returncode == 0


@pytest.mark.parametrize("how", ["flag", "environment", "config"])
def test_fips_with_a_custom_endpoint_is_refused(helper, trust, helper_env, tmp_path, how):
    args, env = process(trust), dict(helper_env)
    if how == "flag":
        args.append("--use-fips-endpoint")
    elif how == "environment":
        env["AWS_USE_FIPS_ENDPOINT"] = "true"
    else:
        (tmp_path / "config").write_text("[default]\nuse_fips_endpoint = true\n")
        env["AWS_CONFIG_FILE"] = str(tmp_path / "config")
    assert_error(run_helper(helper, args, env), "FIPS and custom endpoint are not supported", "--endpoint")


def test_an_endpoint_of_another_region_is_named(helper, trust, helper_env):
    args = process(trust)
    args[args.index("--endpoint") + 1] = "https://rolesanywhere.eu-central-1.amazonaws.com"
    assert_error(run_helper(helper, args, helper_env), "is in region eu-central-1, but the trust anchor ARN is in region us-east-1",
                 "https://rolesanywhere.us-east-1.amazonaws.com")


def test_a_url_that_is_not_roles_anywhere_says_check_the_endpoint_url(helper, trust, helper_env):
    import http.server  # pylint: disable=import-outside-toplevel
    import threading  # pylint: disable=import-outside-toplevel

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = b"<html><body>Not Found</body></html>"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        args = process(trust)
        args[args.index("--endpoint") + 1] = "http://127.0.0.1:%d/api" % server.server_address[1]
        assert_error(run_helper(helper, args, helper_env), "/api/sessions answered HTTP 404", "not a Roles Anywhere endpoint",
                     "Check the endpoint URL")
    finally:
        server.shutdown()
        server.server_close()


def test_a_missing_ca_bundle_is_named_with_where_it_was_set(helper, trust, helper_env, tmp_path):
    https_args = process(trust)
    https_args[https_args.index("--endpoint") + 1] = "https://rolesanywhere.us-east-1.amazonaws.com"
    env = dict(helper_env, AWS_CA_BUNDLE=str(tmp_path / "missing.pem"))
    assert_error(run_helper(helper, https_args, env), "AWS_CA_BUNDLE %s does not exist" % (tmp_path / "missing.pem"))
    config = tmp_path / "config"
    config.write_text("[default]\nca_bundle = %s\n" % (tmp_path / "gone.pem"))
    env = dict(helper_env, AWS_CONFIG_FILE=str(config))
    env.pop("AWS_CA_BUNDLE", None)
    assert_error(run_helper(helper, https_args, env), "ca_bundle in profile default of %s" % config, str(tmp_path / "gone.pem"))
