# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SigV4-X509 building, signing and verifying, checked against botocore and cryptography."""

from __future__ import annotations

import binascii
import datetime
import email.message
import hashlib
import json
import os
import re
import sys
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import endpoints, signing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import (
    ClockSkewError,
    ConfigurationError,
    CreateSessionError,
    InvalidSignatureError,
    ValidationError,
)
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.x509 import load_signing_material
from tests.emulator import verify as server_verify
from tests.support import pki

DATA = os.path.join(os.path.dirname(__file__), "data")
ACCOUNT = "123456789012"
ANCHOR = "arn:aws:rolesanywhere:us-east-1:%s:trust-anchor/0b5c4b2a-6f3e-4c1e-9d0a-1f2e3d4c5b6a" % ACCOUNT
PROFILE = "arn:aws:rolesanywhere:us-east-1:%s:profile/7c6b5a49-3827-4160-a5b4-c3d2e1f0a9b8" % ACCOUNT
ROLE = "arn:aws:iam::%s:role/fleet/HostRole" % ACCOUNT
ENDPOINT = "https://rolesanywhere.us-east-1.amazonaws.com"
FIXED_NOW = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca("EC")


@pytest.fixture(scope="module")
def materials(ca):
    """Signing material per (key type, with intermediate)."""
    intermediate = pki.make_intermediate(ca, key_type="RSA")
    result = {}
    for key_type, curve in (("RSA", "P-256"), ("EC", "P-256"), ("P-384", "P-384")):
        kind = "RSA" if key_type == "RSA" else "EC"
        direct = pki.make_leaf(ca, key_type=kind, curve=curve)
        chained = pki.make_leaf(intermediate, key_type=kind, curve=curve)
        result[(key_type, False)] = load_signing_material(direct.cert_pem, direct.key_pem)
        result[(key_type, True)] = load_signing_material(chained.cert_pem, chained.key_pem, intermediate.cert_pem)
    return result


def build(material, **kwargs):
    kwargs.setdefault("endpoint", ENDPOINT)
    kwargs.setdefault("now", FIXED_NOW)
    return signing.build_create_session_request(material, ANCHOR, PROFILE, ROLE, **kwargs)


def botocore_canonical_request(prepared):
    headers = {name: value for name, value in prepared.headers.items() if name != "Authorization"}
    request = AWSRequest(method=prepared.method, url=prepared.url, data=prepared.body, headers=headers)
    request.context["timestamp"] = prepared.amz_date
    auth = SigV4Auth(Credentials("unused", "unused"), "rolesanywhere", prepared.region)
    return auth.canonical_request(request)


def authorization_parts(prepared):
    match = re.match(
        r"^(?P<algorithm>\S+) Credential=(?P<credential>[^,]+), SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]+)$",
        prepared.headers["Authorization"],
    )
    assert match, prepared.headers["Authorization"]
    return match.groupdict()


def verify(prepared, **kwargs):
    parts = urlsplit(prepared.url)
    kwargs.setdefault("now", FIXED_NOW)
    return server_verify.verify_create_session_request(prepared.method, parts.path, parts.query, prepared.headers, prepared.body, **kwargs)


# --- canonical request == botocore's ---------------------------------------------------------------

@pytest.mark.parametrize("key_type", ["RSA", "EC", "P-384"])
@pytest.mark.parametrize("with_chain", [False, True], ids=["leaf", "chain"])
@pytest.mark.parametrize("session_name", [None, "host1.example.com@fleet"])
@pytest.mark.parametrize("endpoint", [ENDPOINT, "https://127.0.0.1:8443", "http://localhost:8080/prefix/"])
def test_canonical_request_is_byte_identical_to_botocore(materials, key_type, with_chain, session_name, endpoint):
    prepared = build(materials[(key_type, with_chain)], role_session_name=session_name, endpoint=endpoint)
    assert prepared.canonical_request == botocore_canonical_request(prepared)
    expected_signed = "content-type;host;x-amz-date;x-amz-x509" + (";x-amz-x509-chain" if with_chain else "")
    assert authorization_parts(prepared)["signed"] == expected_signed
    assert prepared.canonical_request.split("\n")[-2] == expected_signed


def test_string_to_sign_matches_botocore(materials):
    prepared = build(materials[("EC", True)])
    request = AWSRequest(method="POST", url=prepared.url, data=prepared.body,
                         headers={k: v for k, v in prepared.headers.items() if k != "Authorization"})
    request.context["timestamp"] = prepared.amz_date
    auth = SigV4Auth(Credentials("unused", "unused"), "rolesanywhere", "us-east-1")
    botocore_sts = auth.string_to_sign(request, auth.canonical_request(request))
    # botocore names its own algorithm; everything after the first line is the same protocol.
    assert botocore_sts.split("\n")[1:] == prepared.string_to_sign.split("\n")[1:]
    assert prepared.string_to_sign.split("\n", 1)[0] == signing.ALGORITHM_ECDSA


# --- request shape -----------------------------------------------------------------------------------

def test_request_shape_follows_the_protocol(materials):
    material = materials[("EC", True)]
    prepared = build(material, role_session_name="web-01")
    parts = urlsplit(prepared.url)
    assert prepared.method == "POST"
    assert parts.path == "/sessions"
    assert parts.query == (
        "profileArn=" + quote(PROFILE, safe="") + "&roleArn=" + quote(ROLE, safe="") + "&trustAnchorArn=" + quote(ANCHOR, safe="")
    )
    assert "%3A" in parts.query and "%2F" in parts.query
    assert prepared.body == b'{"durationSeconds":3600,"roleSessionName":"web-01"}'
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.headers["Host"] == "rolesanywhere.us-east-1.amazonaws.com"
    assert prepared.headers["X-Amz-Date"] == "20240102T030405Z"
    assert binascii.a2b_base64(prepared.headers["X-Amz-X509"]) == material.certificate_der
    assert "\n" not in prepared.headers["X-Amz-X509"]
    assert [binascii.a2b_base64(x) for x in prepared.headers["X-Amz-X509-Chain"].split(",")] == list(material.chain_der)
    auth = authorization_parts(prepared)
    assert auth["credential"] == "%d/20240102/us-east-1/rolesanywhere/aws4_request" % material.serial
    assert auth["algorithm"] == "AWS4-X509-ECDSA-SHA256"


def test_body_without_session_name_and_custom_duration(materials):
    prepared = build(materials[("RSA", False)], duration_seconds=900)
    assert prepared.body == b'{"durationSeconds":900}'
    assert "X-Amz-X509-Chain" not in prepared.headers
    assert authorization_parts(prepared)["algorithm"] == "AWS4-X509-RSA-SHA256"


@pytest.mark.parametrize("endpoint, host", [
    ("https://127.0.0.1:8443", "127.0.0.1:8443"),
    ("https://example.test:443", "example.test"),
    ("http://example.test:80/", "example.test"),
    ("http://LOCALHOST:9000", "localhost:9000"),
    ("https://[::1]:4443", "[::1]:4443"),
])
def test_host_header_carries_a_non_default_port(materials, endpoint, host):
    prepared = build(materials[("EC", False)], endpoint=endpoint)
    assert prepared.headers["Host"] == host
    assert "\nhost:%s\n" % host in prepared.canonical_request


def test_region_defaults_to_the_trust_anchor_region(materials):
    anchor = ANCHOR.replace("us-east-1", "eu-west-2")
    profile = PROFILE.replace("us-east-1", "eu-west-2")
    prepared = signing.build_create_session_request(materials[("EC", False)], anchor, profile, ROLE, now=FIXED_NOW)
    assert prepared.url.startswith("https://rolesanywhere.eu-west-2.amazonaws.com/sessions?")
    assert "/eu-west-2/rolesanywhere/aws4_request" in prepared.headers["Authorization"]


# --- FIPS pseudo-regions ----------------------------------------------------------------------------

@pytest.mark.parametrize("region, anchor_region, endpoint", [
    ("fips-us-east-1", "us-east-1", "https://rolesanywhere-fips.us-east-1.amazonaws.com"),
    ("us-east-1-fips", "us-east-1", "https://rolesanywhere-fips.us-east-1.amazonaws.com"),
    ("us-gov-west-1-fips", "us-gov-west-1", "https://rolesanywhere-fips.us-gov-west-1.amazonaws.com"),
    ("fips-us-gov-west-1", "us-gov-west-1", "https://rolesanywhere-fips.us-gov-west-1.amazonaws.com"),
    ("us-gov-west-1", "us-gov-west-1", "https://rolesanywhere.us-gov-west-1.amazonaws.com"),
])
def test_no_fips_pseudo_region_reaches_the_scope(materials, region, anchor_region, endpoint):
    partition = "aws-us-gov" if "gov" in anchor_region else "aws"
    anchor = "arn:%s:rolesanywhere:%s:%s:trust-anchor/0b5c4b2a-6f3e-4c1e-9d0a-1f2e3d4c5b6a" % (partition, anchor_region, ACCOUNT)
    profile = "arn:%s:rolesanywhere:%s:%s:profile/7c6b5a49-3827-4160-a5b4-c3d2e1f0a9b8" % (partition, anchor_region, ACCOUNT)
    role = "arn:%s:iam::%s:role/HostRole" % (partition, ACCOUNT)
    prepared = signing.build_create_session_request(materials[("EC", False)], anchor, profile, role, region=region, now=FIXED_NOW)
    credential = authorization_parts(prepared)["credential"]
    assert credential.split("/")[2] == anchor_region
    assert "fips" not in credential and "fips" not in prepared.string_to_sign
    assert prepared.region == anchor_region
    assert prepared.url.split("/sessions")[0] == endpoint
    assert verify(prepared).region == anchor_region


def test_use_fips_endpoint_keeps_the_plain_region_in_scope(materials):
    prepared = build(materials[("EC", False)], endpoint=None, use_fips_endpoint=True)
    assert prepared.url.startswith("https://rolesanywhere-fips.us-east-1.amazonaws.com/")
    assert "/us-east-1/rolesanywhere/" in prepared.headers["Authorization"]


# --- endpoints --------------------------------------------------------------------------------------

@pytest.mark.parametrize("region, fips, dualstack", [
    ("us-east-1", False, False), ("us-east-1", True, False), ("us-east-1", False, True), ("eu-west-1", True, True),
    ("cn-north-1", False, False), ("us-gov-west-1", True, False), ("ap-southeast-2", False, False),
])
def test_resolve_endpoint_agrees_with_a_boto3_client(region, fips, dualstack):
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore import UNSIGNED  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    client = boto3.client("rolesanywhere", region_name=region,
                          config=Config(signature_version=UNSIGNED, use_fips_endpoint=fips, use_dualstack_endpoint=dualstack))
    assert endpoints.resolve_endpoint(region, fips, dualstack) == client.meta.endpoint_url.rstrip("/")


@pytest.mark.parametrize("region, fips, dualstack, expected", [
    ("us-east-1", False, False, "https://rolesanywhere.us-east-1.amazonaws.com"),
    ("us-east-1", False, True, "https://rolesanywhere.us-east-1.api.aws"),
    ("cn-northwest-1", False, False, "https://rolesanywhere.cn-northwest-1.amazonaws.com.cn"),
    ("cn-northwest-1", False, True, "https://rolesanywhere.cn-northwest-1.api.amazonwebservices.com.cn"),
    ("us-gov-east-1", True, True, "https://rolesanywhere-fips.us-gov-east-1.api.aws"),
    ("fips-us-east-1", False, False, "https://rolesanywhere-fips.us-east-1.amazonaws.com"),
])
def test_resolve_endpoint_known_values(region, fips, dualstack, expected):
    assert endpoints.resolve_endpoint(region, fips, dualstack) == expected


def test_without_botocore_the_built_in_table_resolves(materials, monkeypatch):
    monkeypatch.setitem(sys.modules, "botocore.endpoint_provider", None)  # import fails like a missing package
    endpoints.resolve_endpoint.cache_clear()
    endpoints._endpoint_provider.cache_clear()  # pylint: disable=protected-access
    try:
        assert endpoints._endpoint_provider() is None  # pylint: disable=protected-access
        assert build(materials[("EC", False)], endpoint=None).host == "rolesanywhere.us-east-1.amazonaws.com"
        assert endpoints.resolve_endpoint("fips-cn-north-1", False, True) == "https://rolesanywhere-fips.cn-north-1.api.amazonwebservices.com.cn"
        assert build(materials[("EC", False)], endpoint="https://example.test").host == "example.test"
    finally:
        endpoints.resolve_endpoint.cache_clear()
        endpoints._endpoint_provider.cache_clear()  # pylint: disable=protected-access


@pytest.mark.parametrize("endpoint", ["ftp://x", "rolesanywhere.us-east-1.amazonaws.com", "https://", "https://x/?a=b", 42, "https://x:99999"])
def test_bad_endpoint_is_refused(materials, endpoint):
    with pytest.raises(ConfigurationError, match="endpoint"):
        build(materials[("EC", False)], endpoint=endpoint)


# --- input validation ---------------------------------------------------------------------------------

OTHER = "8d7c6b5a-4938-4271-b6c5-d4e3f2a1b0c9"


@pytest.mark.parametrize("anchor, profile, role, words", [
    ("arn:aws:rolesanywhere:us-east-1:%s:profile/%s" % (ACCOUNT, OTHER), PROFILE, ROLE, "trust_anchor_arn"),
    ("not-an-arn", PROFILE, ROLE, "trust_anchor_arn"),
    (ANCHOR, "arn:aws:rolesanywhere:us-east-1:%s:trust-anchor/%s" % (ACCOUNT, OTHER), ROLE, "profile_arn"),
    (ANCHOR, "arn:aws:rolesanywhere:us-east-1:12345:profile/%s" % OTHER, ROLE, "profile_arn"),
    (ANCHOR, "arn:aws:rolesanywhere:us-east-1:%s:profile/not-a-uuid" % ACCOUNT, ROLE, "profile_arn"),
    (ANCHOR, PROFILE, "arn:aws:iam::%s:user/bob" % ACCOUNT, "role_arn"),
    (ANCHOR, PROFILE, "arn:aws:iam:us-east-1:%s:role/x" % ACCOUNT, "role_arn"),
    (ANCHOR, PROFILE, None, "role_arn"),
    (ANCHOR, PROFILE.replace("us-east-1", "us-west-2"), ROLE, "same region and account"),
    (ANCHOR, PROFILE.replace(ACCOUNT, "210987654321"), ROLE, "same region and account"),
    (ANCHOR, PROFILE, ROLE.replace("arn:aws:", "arn:aws-cn:"), "partition"),
])
def test_bad_arns_are_refused_before_signing(materials, anchor, profile, role, words):
    with pytest.raises(ConfigurationError) as caught:
        signing.build_create_session_request(materials[("EC", False)], anchor, profile, role, endpoint=ENDPOINT)
    assert words in str(caught.value)


@pytest.mark.parametrize("duration", [899, 43201, 0, -1, "abc", None, True, 3600.5])
def test_duration_out_of_range_is_a_configuration_error(materials, duration):
    with pytest.raises(ConfigurationError, match="duration_seconds"):
        build(materials[("EC", False)], duration_seconds=duration)


@pytest.mark.parametrize("duration", [900, 43200, "1800"])
def test_duration_bounds_are_accepted(materials, duration):
    assert json.loads(build(materials[("EC", False)], duration_seconds=duration).body)["durationSeconds"] == int(duration)


@pytest.mark.parametrize("name", ["a", "x" * 65, "has space", "semi;colon", ""])
def test_bad_role_session_name_is_refused(materials, name):
    with pytest.raises(ConfigurationError, match="role_session_name"):
        build(materials[("EC", False)], role_session_name=name)


@pytest.mark.parametrize("region", ["eu-west-1", "moon-1", "US EAST"])
def test_region_must_be_the_anchor_region(materials, region):
    with pytest.raises(ConfigurationError, match="region"):
        build(materials[("EC", False)], region=region)


@pytest.mark.parametrize("arn, region", [
    (ANCHOR, "us-east-1"), (PROFILE, "us-east-1"), (ROLE, ""),
    ("arn:aws-us-gov:rolesanywhere:us-gov-west-1:%s:crl/%s" % (ACCOUNT, OTHER), "us-gov-west-1"),
])
def test_region_from_arn(arn, region):
    assert signing.region_from_arn(arn) == region


@pytest.mark.parametrize("arn", ["arn:aws:s3:::bucket", "arn:aws:rolesanywhere:us-east-1:%s:trust-anchor/x" % ACCOUNT, "", None])
def test_region_from_arn_refuses_other_arns(arn):
    with pytest.raises(ConfigurationError):
        signing.region_from_arn(arn)


def test_unsupported_key_is_refused_by_name():
    ed = pki.generate_key("Ed25519")
    with pytest.raises(ConfigurationError, match="Ed25519PrivateKey"):
        signing.algorithm_for_key(ed)


# --- signatures -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [("RSA", False), ("EC", True), ("P-384", False)])
def test_signature_verifies_with_cryptography(materials, key):
    material = materials[key]
    prepared = build(material)
    signature = binascii.unhexlify(authorization_parts(prepared)["signature"])
    data = prepared.string_to_sign.encode()
    public_key = material.certificate.public_key()
    if material.key_type == "RSA":
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))  # SHA-256 also on P-384
        assert signature[0] == 0x30  # DER SEQUENCE{r, s}
    assert prepared.string_to_sign == "\n".join([
        material.algorithm, "20240102T030405Z", "20240102/us-east-1/rolesanywhere/aws4_request",
        hashlib.sha256(prepared.canonical_request.encode()).hexdigest()])


def test_p384_signature_is_not_over_sha384(materials):
    material = materials[("P-384", False)]
    prepared = build(material)
    signature = binascii.unhexlify(authorization_parts(prepared)["signature"])
    from cryptography.exceptions import InvalidSignature  # pylint: disable=import-outside-toplevel

    with pytest.raises(InvalidSignature):
        material.certificate.public_key().verify(signature, prepared.string_to_sign.encode(), ec.ECDSA(hashes.SHA384()))


GOLDEN_SIGNATURE = (
    "a1d5921bf76775340547a189ee7814fde15774a55ff96f6eb555646c3098b2305df284851d38665388adf2b0c04b914ac4e72f263665b4932166164251d0fa43"
    "d6074a4c086ac7116f86e99384162ad317483cae67ac3fb1dfceaee9d51cad144ae74d951b3dc0cc90ea082e888a8d9a104e10feaea5a59e692ecce6be886cff"
    "7439d62c36275435f00ca98d0d20139fb5aa32fb260145312fbd3ccf965ae09173e52e0e88a75aef60f093cf64d97e67b5b7cd54d23d8065ae3a6c78d20755cd"
    "45f85edb54f0740c16a3a04853391b9ea622e91e91d697fc46bf1dac71864a59f7eefad46d6a9219a96f7df3af290e14d668ae63e4a24b00cd483051debd3000"
)  # RSASSA-PKCS1-v1_5 is deterministic: any change to the canonical form changes this


def golden_material():
    return load_signing_material(
        os.path.join(DATA, "golden-rsa.crt"), os.path.join(DATA, "golden-rsa.key"), os.path.join(DATA, "golden-rsa-chain.pem"))


def test_rsa_golden_vector_is_pinned():
    material = golden_material()
    assert material.serial == 0x1234567890ABCDEF
    prepared = build(material, role_session_name="golden")
    with open(os.path.join(DATA, "golden-rsa-vector.json"), encoding="utf-8") as handle:
        vector = json.load(handle)
    assert prepared.canonical_request == vector["canonical_request"]
    assert prepared.string_to_sign == vector["string_to_sign"]
    assert prepared.headers["Authorization"] == vector["authorization"]
    assert hashlib.sha256(prepared.canonical_request.encode()).hexdigest() == vector["canonical_request_sha256"]
    assert prepared.headers["Authorization"].startswith(
        "AWS4-X509-RSA-SHA256 Credential=1311768467294899695/20240102/us-east-1/rolesanywhere/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-x509;x-amz-x509-chain, Signature=" + GOLDEN_SIGNATURE)
    assert verify(prepared).role_session_name == "golden"


# --- verify_create_session_request ----------------------------------------------------------------------

@pytest.mark.parametrize("key", [("RSA", False), ("RSA", True), ("EC", False), ("EC", True), ("P-384", True)])
def test_verify_accepts_what_build_makes(materials, key):
    material = materials[key]
    prepared = build(material, role_session_name="abc", duration_seconds=1200)
    result = verify(prepared)
    assert result.serial == material.serial
    assert result.algorithm == material.algorithm
    assert (result.trust_anchor_arn, result.profile_arn, result.role_arn) == (ANCHOR, PROFILE, ROLE)
    assert result.duration_seconds == 1200 and result.role_session_name == "abc"
    assert result.request_time == FIXED_NOW and result.region == "us-east-1"
    assert result.leaf.serial_number == material.serial
    assert [c.serial_number for c in result.chain] == [c.serial_number for c in material.chain]


def test_verify_accepts_headers_in_any_case_and_shape(materials):
    prepared = build(materials[("EC", True)])
    parts = urlsplit(prepared.url)
    message = email.message.Message()
    for name, value in prepared.headers.items():
        message[name.upper()] = value
    assert server_verify.verify_create_session_request("POST", parts.path, parts.query, message, prepared.body, now=FIXED_NOW)
    pairs = [(name.lower(), value) for name, value in prepared.headers.items()]
    assert server_verify.verify_create_session_request("POST", parts.path, parts.query, pairs, prepared.body, now=FIXED_NOW)


def sign_custom(material, headers, body, query_pairs, path="/sessions", algorithm=None, now=FIXED_NOW, region="us-east-1"):
    """Sign an arbitrary request with the module's primitives (to test the verifier)."""
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = dict(headers, **{"X-Amz-Date": amz_date})
    names = sorted(n.lower() for n in headers)
    canonical = signing.canonical_request("POST", path, query_pairs, headers, names, body)
    scope = signing.credential_scope(amz_date[:8], region)
    algorithm = algorithm or material.algorithm
    signature = signing.sign_string(material.private_key, signing.string_to_sign(algorithm, amz_date, scope, canonical)).hex()
    headers["Authorization"] = "%s Credential=%d/%s, SignedHeaders=%s, Signature=%s" % (algorithm, material.serial, scope, ";".join(names), signature)
    return headers


def test_verify_takes_arns_from_a_json_body(materials):
    material = materials[("RSA", False)]
    body = json.dumps({"trustAnchorArn": ANCHOR, "profileArn": PROFILE, "roleArn": ROLE, "durationSeconds": 900}).encode()
    headers = sign_custom(material, {"Content-Type": "application/x-amz-json-1.0", "Host": "h",
                                     "X-Amz-X509": binascii.b2a_base64(material.certificate_der, newline=False).decode()}, body, [])
    result = server_verify.verify_create_session_request("POST", "/sessions", "", headers, body, now=FIXED_NOW)
    assert (result.trust_anchor_arn, result.profile_arn, result.role_arn, result.duration_seconds) == (ANCHOR, PROFILE, ROLE, 900)
    assert result.role_session_name is None


@pytest.mark.parametrize("alias", ["AWS4-X509-RSA-SHA512", "AWS4-X509-RSA-SHA384"])
def test_verify_accepts_rsa_algorithm_aliases(materials, alias):
    material = materials[("RSA", False)]
    headers = sign_custom(material, {"Host": "h", "X-Amz-X509": binascii.b2a_base64(material.certificate_der, newline=False).decode()},
                          b"", [("trustAnchorArn", ANCHOR), ("profileArn", PROFILE), ("roleArn", ROLE)], algorithm=alias)
    query = "trustAnchorArn=%s&profileArn=%s&roleArn=%s" % (quote(ANCHOR, safe=""), quote(PROFILE, safe=""), quote(ROLE, safe=""))
    result = server_verify.verify_create_session_request("POST", "/sessions", query, headers, b"", now=FIXED_NOW)
    assert result.algorithm == alias and result.duration_seconds is None


def tamper(prepared, **changes):
    headers = dict(prepared.headers)
    for name, value in changes.get("headers", {}).items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    parts = urlsplit(prepared.url)
    return dict(method=changes.get("method", "POST"), path=changes.get("path", parts.path), query_string=changes.get("query", parts.query),
                headers=headers, body=changes.get("body", prepared.body))


def auth_with(prepared, **parts):
    current = authorization_parts(prepared)
    current.update(parts)
    return "%s Credential=%s, SignedHeaders=%s, Signature=%s" % (current["algorithm"], current["credential"], current["signed"], current["signature"])


def with_auth(prepared, **parts):
    return tamper(prepared, headers={"Authorization": auth_with(prepared, **parts)})


def with_credential(prepared, old, new):
    return with_auth(prepared, credential=authorization_parts(prepared)["credential"].replace(old, new))


def _tampered_cases(prepared, other_material):
    date_and_scope = authorization_parts(prepared)["credential"].split("/", 1)[1]
    signature = authorization_parts(prepared)["signature"]
    other_b64 = binascii.b2a_base64(other_material.certificate_der, newline=False).decode()
    query = prepared.url.split("?")[1]
    bad = InvalidSignatureError, "Invalid signature"
    return {
        "body": (tamper(prepared, body=prepared.body.replace(b"3600", b"3601")),) + bad,
        "query": (tamper(prepared, query=query.replace("HostRole", "Admin")),) + bad,
        "host": (tamper(prepared, headers={"Host": "evil.example"}),) + bad,
        "path": (tamper(prepared, path="/sessions2"),) + bad,
        "chain header": (tamper(prepared, headers={"X-Amz-X509-Chain": None}),) + bad,
        "other certificate": (tamper(prepared, headers={
            "X-Amz-X509": other_b64, "Authorization": auth_with(prepared, credential="%d/%s" % (other_material.serial, date_and_scope))}),) + bad,
        "serial mismatch": (with_auth(prepared, credential="12345/%s" % date_and_scope),) + bad,
        "signature flipped": (with_auth(prepared, signature="00" + signature[2:]),) + bad,
        "odd hex": (with_auth(prepared, signature="abc"),) + bad,
        "service": (with_credential(prepared, "rolesanywhere", "sts"),) + bad,
        "fips scope": (with_credential(prepared, "us-east-1", "us-east-1-fips"),) + bad,
        "scope date": (with_credential(prepared, "20240102", "20240103"),) + bad,
        "host unsigned": (with_auth(prepared, signed="content-type;x-amz-date;x-amz-x509;x-amz-x509-chain"),) + bad,
        "algorithm vs key": (with_auth(prepared, algorithm="AWS4-X509-RSA-SHA256"),) + bad,
        "unknown algorithm": (with_auth(prepared, algorithm="AWS4-X509-DSA-SHA1"), ValidationError, "Unsupported signing algorithm"),
        "hmac algorithm": (with_auth(prepared, algorithm="AWS4-HMAC-SHA256"), ValidationError, "Invalid Authorization header"),
        "no authorization": (tamper(prepared, headers={"Authorization": None}), ValidationError, "Missing Authentication Token"),
        "garbled authorization": (tamper(prepared, headers={"Authorization": "AWS4-X509-RSA-SHA256 nonsense"}), ValidationError,
                                  "Invalid Authorization header"),
        "no date": (tamper(prepared, headers={"X-Amz-Date": None}), ValidationError, "X-Amz-Date"),
        "bad date": (tamper(prepared, headers={"X-Amz-Date": "yesterday"}), ValidationError, "X-Amz-Date"),
        "no certificate": (tamper(prepared, headers={"X-Amz-X509": None}),) + bad,
        "bad certificate": (tamper(prepared, headers={"X-Amz-X509": "bm90IGEgY2VydA=="}), ValidationError, "X-Amz-X509"),
    }


CASES = ["body", "query", "host", "path", "chain header", "other certificate", "serial mismatch", "signature flipped", "odd hex",
         "service", "fips scope", "scope date", "host unsigned", "algorithm vs key", "unknown algorithm", "hmac algorithm",
         "no authorization", "garbled authorization", "no date", "bad date", "no certificate", "bad certificate"]


@pytest.mark.parametrize("case", CASES)
def test_verify_refuses_tampered_requests(materials, case):
    prepared = build(materials[("EC", True)])
    request, error_class, service_message = _tampered_cases(prepared, materials[("RSA", False)])[case]
    with pytest.raises(CreateSessionError) as caught:
        server_verify.verify_create_session_request(now=FIXED_NOW, **request)
    error = caught.value
    assert type(error) is error_class, (case, error)  # pylint: disable=unidiomatic-typecheck
    assert service_message in error.service_message or service_message in str(error)
    expected_status = 403 if error_class is InvalidSignatureError else 400
    assert error.status == expected_status
    assert error.code == ("AccessDeniedException" if expected_status == 403 else "ValidationException")


@pytest.mark.parametrize("offset, prefix", [(301, "Signature expired"), (-301, "Signature not yet current")])
def test_verify_refuses_requests_outside_the_skew(materials, offset, prefix):
    prepared = build(materials[("EC", False)])
    with pytest.raises(ClockSkewError) as caught:
        verify(prepared, now=FIXED_NOW + datetime.timedelta(seconds=offset))
    assert caught.value.status == 403 and caught.value.code == "AccessDeniedException"
    assert caught.value.service_message.startswith(prefix)
    assert "20240102T030405Z" in caught.value.service_message


@pytest.mark.parametrize("offset", [-300, 300, 0])
def test_verify_accepts_requests_inside_the_skew(materials, offset):
    assert verify(build(materials[("EC", False)]), now=FIXED_NOW + datetime.timedelta(seconds=offset))


def test_verify_honours_max_skew(materials):
    prepared = build(materials[("EC", False)])
    with pytest.raises(ClockSkewError):
        verify(prepared, now=FIXED_NOW + datetime.timedelta(seconds=61), max_skew_seconds=60)


@pytest.mark.parametrize("document, field", [
    ({"durationSeconds": 899}, "durationSeconds"),
    ({"durationSeconds": 50000}, "durationSeconds"),
    ({"durationSeconds": "abc"}, "durationSeconds"),
    ({"roleSessionName": "bad name"}, "roleSessionName"),
    ({"durationSeconds": 3600, "trustAnchorArn": None}, "trustAnchorArn"),
    ([1, 2], "JSON object"),
    ("not json", "not valid JSON"),
])
def test_verify_reports_invalid_fields(materials, document, field):
    material = materials[("EC", False)]
    body = document.encode() if isinstance(document, str) else json.dumps(document).encode()
    query_pairs = [("profileArn", PROFILE), ("roleArn", ROLE)]
    if not (isinstance(document, dict) and "trustAnchorArn" in document):
        query_pairs.append(("trustAnchorArn", ANCHOR))
    headers = sign_custom(material, {"Content-Type": "application/json", "Host": "h",
                                     "X-Amz-X509": binascii.b2a_base64(material.certificate_der, newline=False).decode()}, body, query_pairs)
    query = "&".join("%s=%s" % (k, quote(v, safe="")) for k, v in query_pairs)
    with pytest.raises(ValidationError) as caught:
        server_verify.verify_create_session_request("POST", "/sessions", query, headers, body, now=FIXED_NOW)
    assert field in caught.value.service_message
    assert caught.value.status == 400 and caught.value.code == "ValidationException"


def test_verify_uses_the_current_time_by_default(materials):
    prepared = build(materials[("EC", False)], now=None)
    parts = urlsplit(prepared.url)
    assert server_verify.verify_create_session_request("POST", parts.path, parts.query, prepared.headers, prepared.body)
    with pytest.raises(ClockSkewError):
        verify(build(materials[("EC", False)]), now=None)  # FIXED_NOW is long ago


def test_naive_now_means_utc(materials):
    prepared = build(materials[("EC", False)], now=FIXED_NOW.replace(tzinfo=None))
    assert prepared.amz_date == "20240102T030405Z"


def test_canonical_query_encoding():
    assert signing.canonical_query([("b", "x y"), ("a", "arn:aws/x~y_z.-"), ("a", "0")]) == "a=0&a=arn%3Aaws%2Fx~y_z.-&b=x%20y"


def test_canonical_request_collapses_header_whitespace():
    text = signing.canonical_request("post", "/sessions", [], {"Host": "h", "X-Test": "  a   b  "}, "x-test;host", b"")
    assert text.split("\n")[3:6] == ["host:h", "x-test:a b", ""]
    assert text.split("\n")[6] == "host;x-test"
