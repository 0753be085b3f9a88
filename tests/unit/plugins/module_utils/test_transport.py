# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CreateSession over real loopback HTTP(S): TLS, CA bundles, proxies, retries, typed answers."""

from __future__ import annotations

import base64
import datetime
import email.utils
import json
import random
import socket
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import (
    AccessDeniedError,
    ClockSkewError,
    ConfigurationError,
    CreateSessionError,
    EndpointConnectionError,
    InvalidSignatureError,
    ResourceNotFoundError,
    ServiceError,
    ThrottledError,
    TLSError,
    UntrustedCertificateError,
    ValidationError,
)
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.transport import SessionCredentials
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.x509 import load_signing_material
from tests.support import pki
from tests.unit.plugins.module_utils.conftest import AWS_HOST

ACCOUNT = "123456789012"
ANCHOR = "arn:aws:rolesanywhere:us-east-1:%s:trust-anchor/0b5c4b2a-6f3e-4c1e-9d0a-1f2e3d4c5b6a" % ACCOUNT
PROFILE = "arn:aws:rolesanywhere:us-east-1:%s:profile/7c6b5a49-3827-4160-a5b4-c3d2e1f0a9b8" % ACCOUNT
ROLE = "arn:aws:iam::%s:role/HostRole" % ACCOUNT
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in PROXY_VARIABLES + ("AWS_CA_BUNDLE",):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def material():
    ca = pki.make_ca("RSA", cn="Client Root")
    intermediate = pki.make_intermediate(ca, key_type="EC")
    leaf = pki.make_leaf(intermediate, key_type="EC", cn="host1.example.com")
    return load_signing_material(leaf.cert_pem, leaf.key_pem, intermediate.cert_pem)


class Sleeps(list):
    """Injected sleep: records the delays instead of waiting."""

    def __call__(self, seconds):
        self.append(seconds)


def call(material, endpoint, **kwargs):
    kwargs.setdefault("sleep", Sleeps())
    return transport.create_session(material, ANCHOR, PROFILE, ROLE, endpoint=endpoint, **kwargs)


def fixed(status, body=None, headers=None):
    def responder(_request):
        return status, headers or {}, body if body is not None else {"message": "no"}
    return responder


def sequence(*answers):
    """Answer with the given responders in turn (the last one repeats)."""
    queue = list(answers)

    def responder(request):
        current = queue.pop(0) if len(queue) > 1 else queue[0]
        return current(request)
    return responder


# --- SessionCredentials ------------------------------------------------------------------------------

def credentials(**overrides):
    values = dict(access_key_id="ASIAEXAMPLE", secret_access_key=SECRET, session_token=TOKEN,
                  expiration=datetime.datetime(2024, 7, 6, 12, 38, 59, tzinfo=datetime.timezone.utc), role_arn=ROLE)
    values.update(overrides)
    return SessionCredentials(**values)


def test_credential_process_json_is_the_official_helpers_bytes():
    text = credentials().credential_process_json()
    assert text == ('{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"%s","SessionToken":"%s",'
                    '"Expiration":"2024-07-06T12:38:59Z"}' % (SECRET, TOKEN))
    assert not text.endswith("\n")
    assert list(json.loads(text)) == ["Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]


def test_expiration_in_another_zone_is_written_in_utc():
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    value = credentials(expiration=datetime.datetime(2024, 7, 6, 14, 38, 59, tzinfo=plus_two))
    assert value.expiration_text == "2024-07-06T12:38:59Z"


def test_repr_and_describe_show_no_secret():
    value = credentials()
    for text in (repr(value), str(value), str(value.describe())):
        assert SECRET not in text and TOKEN not in text
    assert "ASIAEXAMPLE" in repr(value)


@pytest.mark.parametrize("text, expected", [
    ("2024-07-06T12:38:59Z", datetime.datetime(2024, 7, 6, 12, 38, 59, tzinfo=datetime.timezone.utc)),
    ("2024-07-06T12:38:59.123456789Z", datetime.datetime(2024, 7, 6, 12, 38, 59, tzinfo=datetime.timezone.utc)),
    ("2024-07-06T14:38:59+02:00", datetime.datetime(2024, 7, 6, 12, 38, 59, tzinfo=datetime.timezone.utc)),
    ("2024-07-06T12:38:59", datetime.datetime(2024, 7, 6, 12, 38, 59, tzinfo=datetime.timezone.utc)),
])
def test_parse_expiration(text, expected):
    assert transport.parse_expiration(text) == expected


# --- parse_create_session_response ------------------------------------------------------------------------

ERROR_TABLE = [
    (403, {"X-Amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/"}, {"message": "Untrusted Signing Certificate"},
     UntrustedCertificateError, "AccessDeniedException"),
    (403, {"x-amzn-errortype": "AccessDeniedException"}, {"message": "Invalid signature"}, InvalidSignatureError, "AccessDeniedException"),
    (403, {}, {"__type": "com.amazonaws.rolesanywhere#AccessDeniedException", "message": "Signature expired: 20240102T030405Z is now"},
     ClockSkewError, "AccessDeniedException"),
    (403, {}, {"code": "AccessDeniedException", "message": "Not authorized to set roleSessionName"}, AccessDeniedError, "AccessDeniedException"),
    (403, {}, {"message": "Unable to assume role"}, AccessDeniedError, None),
    (400, {"X-Amzn-ErrorType": "ValidationException"}, {"message": "1 validation error detected: durationSeconds"}, ValidationError,
     "ValidationException"),
    (404, {"X-Amzn-ErrorType": "ResourceNotFoundException"}, {"message": "Profile not found"}, ResourceNotFoundError,
     "ResourceNotFoundException"),
    (429, {}, {"message": "Rate exceeded"}, ThrottledError, None),
    (400, {"X-Amzn-ErrorType": "ThrottlingException"}, {"message": "Rate exceeded"}, ThrottledError, "ThrottlingException"),
    (503, {}, b"<html>Service Unavailable</html>", ServiceError, None),
    (418, {}, b"", CreateSessionError, None),
]


@pytest.mark.parametrize("status, headers, body, error_class, code", ERROR_TABLE)
def test_error_answers_become_typed_errors(status, headers, body, error_class, code):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(CreateSessionError) as caught:
        transport.parse_create_session_response(status, headers, data)
    error = caught.value
    assert type(error) is error_class  # pylint: disable=unidiomatic-typecheck
    assert error.status == status
    if code:
        assert error.code == code
    assert error.hint, "every error needs a hint"
    if isinstance(body, dict):
        assert error.service_message == body["message"] and body["message"] in str(error)
    assert str(status) in str(error)


@pytest.mark.parametrize("message, words", [
    ("Not authorized to set roleSessionName", "acceptRoleSessionName"),
    ("Some attributes failed to be mapped into session tags", "attribute mapping"),
    ("Untrusted Signing Certificate", "trust anchor"),
    ("Invalid signature", "private key"),
    ("Signature expired: x", "clock"),
])
def test_each_aws_message_gets_a_useful_hint(message, words):
    with pytest.raises(CreateSessionError) as caught:
        transport.parse_create_session_response(403, {"X-Amzn-ErrorType": "AccessDeniedException"}, json.dumps({"message": message}))
    assert words in caught.value.hint


def test_success_answer_is_parsed():
    body = {"credentialSet": [{"assumedRoleUser": {"arn": "arn:aws:sts::1:assumed-role/R/s", "assumedRoleId": "AROA:s"},
                               "credentials": {"accessKeyId": "ASIA1", "secretAccessKey": SECRET, "sessionToken": TOKEN,
                                               "expiration": "2024-07-06T12:38:59Z"},
                               "roleArn": ROLE, "sourceIdentity": "CN=host"}], "subjectArn": "arn:aws:rolesanywhere:x"}
    value = transport.parse_create_session_response(201, {}, json.dumps(body).encode())
    assert (value.access_key_id, value.secret_access_key, value.session_token) == ("ASIA1", SECRET, TOKEN)
    assert value.expiration.tzinfo is not None and value.expiration_text == "2024-07-06T12:38:59Z"
    assert (value.role_arn, value.assumed_role_arn, value.assumed_role_id, value.subject_arn, value.source_identity) == (
        ROLE, "arn:aws:sts::1:assumed-role/R/s", "AROA:s", "arn:aws:rolesanywhere:x", "CN=host")


@pytest.mark.parametrize("body", [
    b"not json " + SECRET.encode(),
    json.dumps({"credentialSet": [{"credentials": {"secretAccessKey": SECRET, "sessionToken": TOKEN}}]}).encode(),
    json.dumps({"credentialSet": [{"credentials": {"accessKeyId": "A", "secretAccessKey": SECRET, "sessionToken": TOKEN,
                                                   "expiration": "soon"}}]}).encode(),
])
def test_malformed_success_never_echoes_secrets(body):
    with pytest.raises(CreateSessionError) as caught:
        transport.parse_create_session_response(201, {}, body)
    for text in (str(caught.value), repr(caught.value), str(caught.value.to_dict())):
        assert SECRET not in text and TOKEN not in text


def test_200_is_not_success():
    with pytest.raises(CreateSessionError):
        transport.parse_create_session_response(200, {}, b"{}")


# --- end to end over loopback HTTPS ------------------------------------------------------------------------

def test_signed_request_over_https_gets_credentials(material, start_server, tls_files):
    server = start_server()
    value = call(material, server.endpoint, ca_bundle=tls_files["ca_bundle"], role_session_name="web-01", duration_seconds=1800)
    assert isinstance(value, SessionCredentials)
    assert value.access_key_id == "ASIAEXAMPLEACCESSKEY" and value.secret_access_key == SECRET and value.session_token == TOKEN
    assert value.assumed_role_arn == "arn:aws:sts::%s:assumed-role/HostRole/web-01" % ACCOUNT
    assert value.role_arn == ROLE and value.subject_arn.startswith("arn:aws:rolesanywhere:us-east-1:%s:subject/" % ACCOUNT)
    assert value.expiration.tzinfo is not None
    assert 1700 < value.remaining_seconds() <= 1800
    [request] = server.requests
    verified = request["verified"]
    assert verified.serial == material.serial and verified.role_session_name == "web-01" and verified.duration_seconds == 1800
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json"  # no charset appended after signing
    assert headers["Host"] == "127.0.0.1:%d" % server.port
    assert headers["Content-Length"] == str(len(request["body"]))
    assert "Accept-Encoding" not in headers
    assert len([name for name, _v in request["raw_headers"] if name.lower() == "host"]) == 1


def test_aws_ca_bundle_is_honoured(material, start_server, tls_files, monkeypatch):
    server = start_server()
    monkeypatch.setenv("AWS_CA_BUNDLE", tls_files["ca_bundle"])
    assert call(material, server.endpoint).access_key_id == "ASIAEXAMPLEACCESSKEY"


def test_explicit_ca_bundle_wins_over_aws_ca_bundle(material, start_server, tls_files, monkeypatch, tmp_path):
    server = start_server()
    other = pki.write_cert_pem(tmp_path / "other.pem", pki.make_ca(cn="Other CA").certificate)
    monkeypatch.setenv("AWS_CA_BUNDLE", other)
    assert call(material, server.endpoint, ca_bundle=tls_files["ca_bundle"]).access_key_id


def test_unknown_ca_is_a_tls_error_without_retries(material, start_server, tmp_path):
    server = start_server()
    other = pki.write_cert_pem(tmp_path / "other.pem", pki.make_ca(cn="Other CA").certificate)
    sleeps = Sleeps()
    with pytest.raises(TLSError) as caught:
        call(material, server.endpoint, ca_bundle=other, sleep=sleeps)
    assert "127.0.0.1" in str(caught.value) and "certificate" in str(caught.value)
    assert caught.value.attempts == 1 and sleeps == [] and server.requests == []
    assert "CA bundle" in caught.value.hint


def test_system_store_does_not_trust_the_test_ca(material, start_server):
    server = start_server()
    with pytest.raises(TLSError):
        call(material, server.endpoint)


def test_verify_ssl_false_accepts_any_certificate(material, start_server):
    server = start_server()
    assert call(material, server.endpoint, verify_ssl=False).access_key_id == "ASIAEXAMPLEACCESSKEY"


def test_plain_http_endpoint_works(material, start_server):
    server = start_server(tls=False)
    assert call(material, server.endpoint).access_key_id == "ASIAEXAMPLEACCESSKEY"


@pytest.mark.parametrize("bundle, words", [("missing.pem", "does not exist"), ("garbage.pem", "no usable CA certificate")])
def test_bad_ca_bundle_is_a_configuration_error(material, start_server, tmp_path, bundle, words):
    server = start_server()
    (tmp_path / "garbage.pem").write_text("not a certificate")
    with pytest.raises(ConfigurationError, match=words):
        call(material, server.endpoint, ca_bundle=str(tmp_path / bundle))
    assert server.requests == []


def test_service_errors_come_back_typed_from_the_verifying_server(material, start_server, tls_files):
    stranger = pki.make_leaf(pki.make_ca(), key_type="RSA")
    other = load_signing_material(stranger.cert_pem, stranger.key_pem)
    broken = material.replace(private_key=other.private_key, key_type="RSA", algorithm=other.algorithm)
    server = start_server()
    with pytest.raises(InvalidSignatureError) as caught:
        call(broken, server.endpoint, ca_bundle=tls_files["ca_bundle"])
    assert caught.value.status == 403 and caught.value.code == "AccessDeniedException"
    assert caught.value.service_message == "Invalid signature" and len(server.requests) == 1


# --- retries -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, headers, error_class", [
    (429, {}, ThrottledError),
    (400, {"X-Amzn-ErrorType": "ThrottlingException"}, ThrottledError),
    (500, {}, ServiceError),
    (503, {}, ServiceError),
])
def test_retries_stop_at_their_bound(material, start_server, status, headers, error_class):
    server = start_server(fixed(status, {"message": "Rate exceeded"}, headers), tls=False)
    sleeps = Sleeps()
    with pytest.raises(error_class) as caught:
        call(material, server.endpoint, max_attempts=4, sleep=sleeps)
    assert len(server.requests) == 4 and caught.value.attempts == 4
    assert "after 4 attempts" in str(caught.value)
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps, start=1):
        assert 0 <= delay <= transport.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)


UNAVAILABLE = {"X-Amzn-ErrorType": "ServiceUnavailableException"}


@pytest.mark.parametrize("body, headers, asked", [
    ({"message": "busy", "retryAfterSeconds": 7}, UNAVAILABLE, 7.0),  # botocore model: ServiceUnavailableException
    ({"message": "busy"}, dict(UNAVAILABLE, **{"Retry-After": "9"}), 9.0),
    ({"message": "busy"}, dict(UNAVAILABLE, **{"x-amz-retry-after": "4500"}), 4.5),
])
def test_the_services_retry_after_is_waited_for(material, start_server, body, headers, asked):
    from tests.unit.plugins.module_utils.conftest import verifying_responder  # pylint: disable=import-outside-toplevel

    server = start_server(sequence(fixed(503, body, headers), verifying_responder), tls=False)
    sleeps = Sleeps()
    assert call(material, server.endpoint, sleep=sleeps).access_key_id
    assert sleeps == [asked] and len(server.requests) == 2


def test_retry_after_as_an_http_date(material, start_server):
    from tests.unit.plugins.module_utils.conftest import verifying_responder  # pylint: disable=import-outside-toplevel

    when = email.utils.formatdate(time.time() + 12, usegmt=True)
    server = start_server(sequence(fixed(503, {"message": "busy"}, dict(UNAVAILABLE, **{"Retry-After": when})),
                                   verifying_responder), tls=False)
    sleeps = Sleeps()
    assert call(material, server.endpoint, sleep=sleeps).access_key_id
    assert len(sleeps) == 1 and 9 <= sleeps[0] <= 12


def test_a_longer_retry_after_than_the_bound_is_raised_at_once(material, start_server):
    server = start_server(fixed(503, {"message": "busy", "retryAfterSeconds": 3600}, UNAVAILABLE), tls=False)
    sleeps = Sleeps()
    with pytest.raises(ServiceError) as caught:
        call(material, server.endpoint, sleep=sleeps, max_attempts=5)
    assert sleeps == [] and len(server.requests) == 1 and caught.value.retry_after == 3600


def test_a_short_retry_after_never_shortens_the_backoff(material, start_server):
    server = start_server(fixed(503, {"message": "busy", "retryAfterSeconds": 0}, UNAVAILABLE), tls=False)
    sleeps = Sleeps()
    with pytest.raises(ServiceError):
        call(material, server.endpoint, sleep=sleeps, max_attempts=3, rng=random.Random(1))
    expected = [transport.backoff_seconds(n, rng=rng) for rng in [random.Random(1)] for n in (1, 2)]
    assert sleeps == expected


def test_a_404_from_a_web_server_says_check_the_endpoint_url(material, start_server):
    server = start_server(fixed(404, b"<html>Not Found</html>"), tls=False)
    with pytest.raises(CreateSessionError) as caught:
        call(material, server.endpoint + "/wrong/base")
    text = str(caught.value)
    assert "/wrong/base/sessions answered HTTP 404" in text and "not a Roles Anywhere endpoint" in text
    assert "Check the endpoint URL" in text and not isinstance(caught.value, ResourceNotFoundError)


def test_an_aws_endpoint_of_another_region_is_refused_before_sending(material, monkeypatch):
    monkeypatch.setattr(transport, "send_prepared", _refuse_connection)
    with pytest.raises(ConfigurationError) as caught:
        call(material, "https://rolesanywhere.eu-west-1.amazonaws.com")
    assert "is in region eu-west-1, but the trust anchor ARN is in region us-east-1" in str(caught.value)
    assert "https://rolesanywhere.us-east-1.amazonaws.com" in str(caught.value)


@pytest.mark.parametrize("options, words", [
    ({"use_fips_endpoint": True}, "FIPS and custom endpoint are not supported"),
    ({"region": "us-east-1-fips"}, "FIPS and custom endpoint are not supported"),
    ({"use_dualstack_endpoint": True}, "Dualstack and custom endpoint are not supported"),
])
def test_fips_or_dualstack_with_a_custom_endpoint_is_refused_as_aws_does(material, options, words, monkeypatch):
    monkeypatch.setattr(transport, "send_prepared", _refuse_connection)
    with pytest.raises(ConfigurationError, match=words):
        call(material, "https://rolesanywhere.example.internal", **options)


@pytest.mark.parametrize("status, error_class", [(403, AccessDeniedError), (400, ValidationError), (404, ResourceNotFoundError)])
def test_client_errors_are_never_retried(material, start_server, status, error_class):
    server = start_server(fixed(status, {"message": "no"}), tls=False)
    sleeps = Sleeps()
    with pytest.raises(error_class):
        call(material, server.endpoint, max_attempts=5, sleep=sleeps)
    assert len(server.requests) == 1 and sleeps == []


def test_retry_then_success_signs_every_attempt_afresh(material, start_server):
    from tests.unit.plugins.module_utils.conftest import verifying_responder  # pylint: disable=import-outside-toplevel

    server = start_server(sequence(fixed(429), fixed(503), verifying_responder), tls=False)
    sleeps = Sleeps()
    value = call(material, server.endpoint, max_attempts=3, sleep=sleeps)
    assert value.access_key_id == "ASIAEXAMPLEACCESSKEY"
    assert len(server.requests) == 3 and len(sleeps) == 2
    signatures = {request["headers"]["Authorization"] for request in server.requests}
    assert len(signatures) == 3  # ECDSA signatures are randomised: identical ones would mean a replayed request
    assert "verified" in server.requests[-1]


def test_resigning_uses_the_current_clock(material, start_server, monkeypatch):
    from tests.unit.plugins.module_utils.conftest import verifying_responder  # pylint: disable=import-outside-toplevel

    server = start_server(sequence(fixed(500), verifying_responder), tls=False)
    waited = []

    def slow_sleep(_seconds):
        waited.append(True)
        time.sleep(1.1)  # crosses a second boundary: X-Amz-Date must move with it

    call(material, server.endpoint, sleep=slow_sleep)
    dates = [request["headers"]["X-Amz-Date"] for request in server.requests]
    assert waited and len(dates) == 2 and dates[0] != dates[1]


def test_connection_refused_is_retried_then_reported(material):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    sleeps = Sleeps()
    with pytest.raises(EndpointConnectionError) as caught:
        call(material, "https://127.0.0.1:%d" % port, max_attempts=3, sleep=sleeps)
    assert caught.value.attempts == 3 and len(sleeps) == 2
    assert "connection refused" in str(caught.value) and "127.0.0.1:%d" % port in str(caught.value)


def test_dropped_connection_is_retried(material, start_server):
    server = start_server(lambda _request: None, tls=False)
    with pytest.raises(EndpointConnectionError) as caught:
        call(material, server.endpoint, max_attempts=2)
    assert len(server.requests) == 2 and caught.value.attempts == 2


def test_read_timeout(material, start_server):
    def stall(request):
        time.sleep(1.0)
        return 201, {}, {}

    server = start_server(stall, tls=False)
    started = time.monotonic()
    with pytest.raises(EndpointConnectionError, match="timed out"):
        call(material, server.endpoint, read_timeout=0.2, max_attempts=1)
    assert time.monotonic() - started < 1.0 and len(server.requests) == 1


def test_full_jitter_backoff_is_capped():
    class Highest:
        @staticmethod
        def uniform(low, high):
            return high

    assert [transport.backoff_seconds(n, rng=Highest) for n in (1, 2, 3, 10, 20)] == [0.5, 1.0, 2.0, 20.0, 20.0]
    rng = random.Random(1)
    values = [transport.backoff_seconds(3, rng=rng) for _attempt in range(50)]
    assert all(0 <= v <= 2.0 for v in values) and len(set(values)) > 40


@pytest.mark.parametrize("options, words", [
    ({"max_attempts": 0}, "max_attempts"), ({"max_attempts": "3"}, "max_attempts"),
    ({"connect_timeout": 0}, "connect_timeout"), ({"read_timeout": -1}, "read_timeout"),
    ({"duration_seconds": 43201}, "duration_seconds"),
])
def test_bad_options_fail_before_anything_is_sent(material, start_server, options, words):
    server = start_server(tls=False)
    with pytest.raises(ConfigurationError, match=words):
        call(material, server.endpoint, **options)
    assert server.requests == []


# --- proxies -------------------------------------------------------------------------------------------------

def test_https_proxy_from_the_environment_is_used(material, routing_proxy, tls_files, monkeypatch):
    # AWS's host name: the proxy (which routes every tunnel to the local server) must see the CONNECT.
    proxy, server = routing_proxy
    monkeypatch.setenv("https_proxy", proxy.url.replace("http://", "http://fleet:p%40ss@"))
    assert call(material, "https://" + AWS_HOST, ca_bundle=tls_files["ca_bundle"]).access_key_id
    [seen] = proxy.seen
    assert seen["method"] == "CONNECT" and seen["target"] == AWS_HOST + ":443"
    assert seen["headers"]["Proxy-Authorization"] == "Basic " + base64.b64encode(b"fleet:p@ss").decode()
    assert len(server.requests) == 1 and server.requests[0]["headers"]["Host"] == AWS_HOST


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_endpoints_are_never_proxied(material, start_server, tls_files, connect_proxy, monkeypatch, host):
    # Go: httpproxy useProxy returns false for "localhost" and loopback IPs, whatever NO_PROXY says.
    server = start_server()
    monkeypatch.setenv("HTTPS_PROXY", connect_proxy.url)
    endpoint = "https://%s:%d" % (host, server.port)
    assert call(material, endpoint, ca_bundle=tls_files["ca_bundle"]).access_key_id
    assert connect_proxy.seen == [] and len(server.requests) == 1


def test_upper_case_proxy_variable_wins_as_in_go(material, routing_proxy, tls_files, monkeypatch):
    proxy, server = routing_proxy
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")  # Python's urllib would pick this one
    assert call(material, "https://" + AWS_HOST, ca_bundle=tls_files["ca_bundle"]).access_key_id
    assert [seen["target"] for seen in proxy.seen] == [AWS_HOST + ":443"] and len(server.requests) == 1


def test_proxy_refusing_the_tunnel_names_the_variable_and_no_proxy(material, monkeypatch):
    from tests.support.proxy import ConnectProxy  # pylint: disable=import-outside-toplevel

    with ConnectProxy(refuse=True) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(EndpointConnectionError) as caught:
            call(material, "https://" + AWS_HOST, max_attempts=1)
    text = str(caught.value)
    assert "the proxy refused the tunnel (502 Bad Gateway)" in text and "(from HTTPS_PROXY)" in text
    assert "NO_PROXY" in text and "use_proxy" not in text and "--with-proxy" not in text


def test_use_proxy_false_ignores_the_environment(material, start_server, tls_files, connect_proxy, monkeypatch):
    server = start_server()
    monkeypatch.setenv("HTTPS_PROXY", connect_proxy.url)
    assert call(material, server.endpoint, ca_bundle=tls_files["ca_bundle"], use_proxy=False).access_key_id
    assert connect_proxy.seen == [] and len(server.requests) == 1


def test_no_proxy_bypasses_the_proxy(material, start_server, tls_files, connect_proxy, monkeypatch):
    server = start_server()
    monkeypatch.setenv("https_proxy", connect_proxy.url)
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert call(material, server.endpoint, ca_bundle=tls_files["ca_bundle"]).access_key_id
    assert connect_proxy.seen == []


def test_no_proxy_domain_bypasses_the_proxy_for_aws_host_names(material, monkeypatch):
    from tests.support.proxy import ConnectProxy  # pylint: disable=import-outside-toplevel

    with ConnectProxy(refuse=True) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "amazonaws.com")
        monkeypatch.setattr(transport, "send_prepared", _refuse_connection)
        with pytest.raises(EndpointConnectionError) as caught:
            call(material, "https://" + AWS_HOST, max_attempts=1)
    assert proxy.seen == [] and "via proxy" not in str(caught.value)


def _refuse_connection(*_args, **_kwargs):
    raise ConnectionRefusedError(111, "Connection refused")


def test_unreachable_proxy_is_named(material, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:%d" % port)
    with pytest.raises(EndpointConnectionError) as caught:
        call(material, "https://rolesanywhere.us-east-1.amazonaws.com", max_attempts=1)
    assert "via proxy 127.0.0.1:%d (from https_proxy)" % port in str(caught.value)


def test_https_scheme_proxy_is_refused(monkeypatch):
    monkeypatch.setenv("https_proxy", "https://proxy.example:3128")
    with pytest.raises(ConfigurationError, match="proxy"):
        transport.proxy_for("https://rolesanywhere.us-east-1.amazonaws.com")


def test_proxy_repr_hides_credentials(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://user:hunter2@proxy.example:3128")
    proxy = transport.proxy_for("https://rolesanywhere.us-east-1.amazonaws.com")
    assert (proxy.host, proxy.port) == ("proxy.example", 3128)
    assert "hunter2" not in repr(proxy) and base64.b64encode(b"user:hunter2").decode() not in repr(proxy)
