# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper's --failover (issue 15): option parsing, the failover decision, one cache key per identity."""

from __future__ import annotations

import io
import types

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.cache import credential_identity, identity_key
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import (
    AccessDeniedError,
    ConfigurationError,
    CreateSessionError,
    EndpointConnectionError,
    ResourceNotFoundError,
    ServiceError,
    ThrottledError,
    TLSError,
    UntrustedCertificateError,
    ValidationError,
    error_for_response,
)
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import cli, session_request
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.command_line import read_options
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.failover import (
    FailoverSet,
    fails_over,
    failover_sessions,
    parse_failover_set,
)

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/11111111-2222-3333-4444-555555555555"
PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-2222-3333-4444-666666666666"
WEST_ANCHOR = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/21111111-2222-3333-4444-555555555555"
WEST_PROFILE = "arn:aws:rolesanywhere:us-west-2:123456789012:profile/21111111-2222-3333-4444-666666666666"
ROLE = "arn:aws:iam::123456789012:role/fleet"
WEST = "trust-anchor-arn=%s,profile-arn=%s" % (WEST_ANCHOR, WEST_PROFILE)
BASE = ["credential-process", "--cache", "--certificate", "c.pem", "--private-key", "k.pem", "--trust-anchor-arn", ANCHOR,
        "--profile-arn", PROFILE, "--role-arn", ROLE]


# --- parsing ----------------------------------------------------------------------------------------

def test_a_set_takes_its_region_from_the_arn_unless_given():
    assert parse_failover_set(WEST) == FailoverSet(WEST_ANCHOR, WEST_PROFILE, None, None)
    assert parse_failover_set(" %s , region=us-west-2,endpoint=http://127.0.0.1:1 " % WEST) == FailoverSet(
        WEST_ANCHOR, WEST_PROFILE, "us-west-2", "http://127.0.0.1:1")
    args = cli.parse_arguments(BASE + ["--failover", WEST])
    (parameters, config), = failover_sessions(args, {})
    assert parameters.region == "us-west-2"  # AWS's helper: the trust anchor ARN's region (aws_signing_helper/credentials.go)
    assert parameters.endpoint == "https://rolesanywhere.us-west-2.amazonaws.com"
    assert (parameters.trust_anchor_arn, parameters.profile_arn, parameters.role_arn) == (WEST_ANCHOR, WEST_PROFILE, ROLE)
    assert config.endpoint is None


@pytest.mark.parametrize("text, needle", [
    ("trust-anchor-arn=%s" % WEST_ANCHOR, "profile-arn is missing"),
    ("profile-arn=%s" % WEST_PROFILE, "trust-anchor-arn is missing"),
    (WEST + ",zone=a", "'zone' is not a key of a failover set"),
    (WEST + ",region", "'region' is not a key of a failover set"),
    (WEST + ",", "'' is not a key of a failover set"),
    (WEST + ",region=", "region has no value"),
    (WEST + ",profile-arn=%s" % WEST_PROFILE, "profile-arn is given twice"),
])
def test_bad_sets_are_refused_naming_the_value(text, needle):
    with pytest.raises(ConfigurationError) as caught:
        parse_failover_set(text)
    assert needle in caught.value.message and "--failover" in caught.value.message


@pytest.mark.parametrize("text, needle", [
    ("trust-anchor-arn=%s,profile-arn=%s" % (WEST_ANCHOR, PROFILE), "not in the same region"),
    (WEST + ",region=eu-west-1", "region eu-west-1 differs from the trust anchor's region us-west-2"),
    ("trust-anchor-arn=arn:aws:rolesanywhere:us-west-2:1:x,profile-arn=%s" % WEST_PROFILE, "trust_anchor_arn"),
    (WEST + ",endpoint=ftp://x", "--failover"),
])
def test_each_set_is_checked_by_the_session_rules_before_anything_is_sent(text, needle):
    args = cli.parse_arguments(BASE + ["--failover", WEST, "--failover", text])
    with pytest.raises(ConfigurationError) as caught:
        session_request.check_session_arguments(args, {})
    assert caught.value.message.startswith("--failover %r: " % text)
    assert needle in caught.value.message


def test_failover_is_repeatable_in_every_session_command_and_read_alike_by_the_cache_hit():
    second = WEST.replace("us-west-2", "eu-west-1")
    argv = BASE + ["--failover", WEST, "--failover=%s" % second]
    assert read_options(argv)["failover"] == [WEST, second] == vars(cli.parse_arguments(argv))["failover"]
    assert read_options(BASE)["failover"] == [] == vars(cli.parse_arguments(BASE))["failover"]
    for command in ("update", "serve"):
        assert vars(cli.parse_arguments([command] + BASE[2:] + ["--failover", WEST]))["failover"] == [WEST]
    assert read_options(BASE + ["--failover"]) is None  # missing value: argparse refuses it too


# --- one cache entry per identity -----------------------------------------------------------------------

def test_cache_key_is_the_identity_not_the_region_that_answered():
    plain = read_options(BASE)
    with_failover = read_options(BASE + ["--failover", WEST])
    key = identity_key(credential_identity(with_failover, {}))
    assert "failover" not in credential_identity(plain, {})  # single-region entries keep the key they always had
    assert key != identity_key(credential_identity(plain, {}))
    # The same command line is the same identity, whichever set answered it last time.
    assert key == identity_key(credential_identity(read_options(BASE + ["--failover", WEST]), {}))
    assert key != identity_key(credential_identity(read_options(BASE + ["--failover", WEST + ",region=us-west-2"]), {}))


# --- the failover decision ----------------------------------------------------------------------------

@pytest.mark.parametrize("error, expected", [
    (EndpointConnectionError("cannot reach x: connection refused"), True),
    (EndpointConnectionError("cannot reach x: timed out (after 3 attempts)"), True),
    (TLSError("TLS handshake with x failed"), True),
    (error_for_response(500, "InternalServerException", "boom", attempts=3), True),
    (error_for_response(503, "ServiceUnavailableException", "later", attempts=3), True),
    (ServiceError("5xx"), True),
    (error_for_response(403, "AccessDeniedException", "Unable to assume role"), False),
    (error_for_response(400, "ValidationException", "bad duration"), False),
    (error_for_response(404, "ResourceNotFoundException", "no such trust anchor"), False),
    (error_for_response(429, "ThrottlingException", "slow down", attempts=3), False),
    (AccessDeniedError("refused"), False), (ValidationError("invalid"), False), (ResourceNotFoundError("gone"), False),
    (UntrustedCertificateError("untrusted"), False), (ThrottledError("throttled"), False),
    (CreateSessionError("not roles anywhere"), False), (ConfigurationError("bad input"), False),
])
def test_only_no_answer_or_5xx_fails_over(error, expected):
    assert fails_over(error) is expected


def test_certificate_that_does_not_verify_does_not_fail_over():
    error = TLSError("TLS certificate verification failed for x")
    error.certificate_verification = True
    assert fails_over(error) is False


def _console():
    stream = io.StringIO()
    return types.SimpleNamespace(console=cli.Console(stream, debug=False)), stream


def _request(argv):
    return session_request.check_session_arguments(cli.parse_arguments(argv), {})


def test_obtain_credentials_tries_the_sets_in_order(monkeypatch):
    calls = []
    answers = {"us-east-1": EndpointConnectionError("cannot reach east: connection refused"),
               "eu-west-1": error_for_response(503, "ServiceUnavailableException", "down", attempts=3),
               "us-west-2": "credentials"}

    def create_session(_material, *_arns, parameters, config, verify_ssl):  # pylint: disable=unused-argument
        calls.append(parameters.region)
        answer = answers[parameters.region]
        if isinstance(answer, Exception):
            raise answer
        return types.SimpleNamespace(access_key_id="ASIA", assumed_role_arn=ROLE, expiration_text="later")

    monkeypatch.setattr(transport, "create_session", create_session)
    context, stream = _console()
    eu = WEST.replace("us-west-2", "eu-west-1")
    credentials, _material = session_request.obtain_credentials(
        _request(BASE + ["--failover", eu, "--failover", WEST]), context, material=object())
    assert credentials.access_key_id == "ASIA"
    assert calls == ["us-east-1", "eu-west-1", "us-west-2"]
    log = stream.getvalue()
    assert "CreateSession in us-east-1 (https://rolesanywhere.us-east-1.amazonaws.com) failed, trying eu-west-1" in log
    assert "CreateSession in eu-west-1" in log and "trying us-west-2" in log and "HTTP 503" in log

    # A 4xx stops at once: the next region is never asked.
    calls.clear()
    answers["us-east-1"] = error_for_response(403, "AccessDeniedException", "Untrusted certificate. Insufficient certificate")
    with pytest.raises(CreateSessionError) as caught:
        session_request.obtain_credentials(_request(BASE + ["--failover", WEST]), _console()[0], material=object())
    assert caught.value.status == 403 and calls == ["us-east-1"]

    # The last set's failure is the command's.
    calls.clear()
    answers["us-east-1"] = EndpointConnectionError("cannot reach east: timed out")
    answers["us-west-2"] = EndpointConnectionError("cannot reach west: timed out")
    with pytest.raises(EndpointConnectionError, match="cannot reach west"):
        session_request.obtain_credentials(_request(BASE + ["--failover", WEST]), _console()[0], material=object())
    assert calls == ["us-east-1", "us-west-2"]


def test_one_region_is_one_call_and_imports_no_failover(monkeypatch):
    calls = []
    monkeypatch.setattr(transport, "create_session", lambda *_a, parameters, **_k: calls.append(parameters.region) or (
        types.SimpleNamespace(access_key_id="ASIA", assumed_role_arn=ROLE, expiration_text="later")))
    request = _request(BASE)
    assert request.failover == ()
    session_request.obtain_credentials(request, _console()[0], material=object())
    assert calls == ["us-east-1"]
