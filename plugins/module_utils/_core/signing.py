# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SigV4-X509 for IAM Roles Anywhere CreateSession: build and sign.

CreateSession is SigV4 without the HMAC key derivation: the certificate's private key signs the
string to sign directly (RSASSA-PKCS1-v1_5 or ECDSA, always over SHA-256; ML-DSA over the string itself),
the algorithm is ``AWS4-X509-RSA-SHA256`` / ``AWS4-X509-ECDSA-SHA256`` / ``AWS4-X509-MLDSA`` and the leaf (and chain) travel in the
``X-Amz-X509`` (and ``X-Amz-X509-Chain``) headers. The test emulator's verifier (``tests/emulator/verify.py``)
builds the canonical form with these same functions, so the client and the server cannot disagree on it; the
verifier itself is not here, so no host's helper carries it.

No Ansible imports; ``cryptography`` is optional at import time. Endpoints: ``endpoints.py``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import json
from urllib.parse import quote

from .endpoints import resolve_endpoint, split_endpoint
from .errors import ConfigurationError
from .pem import require_cryptography
from .records import Record
from .identifiers import (  # noqa: F401  pylint: disable=unused-import
    DEFAULT_DURATION_SECONDS, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, REGION_RE, parse_role_arn, parse_rolesanywhere_arn,
    plain_region, region_from_arn, validate_arns, validate_duration, validate_role_session_name)

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    pass

ALGORITHM_RSA = "AWS4-X509-RSA-SHA256"
ALGORITHM_ECDSA = "AWS4-X509-ECDSA-SHA256"
ALGORITHM_MLDSA = "AWS4-X509-MLDSA"

SERVICE = "rolesanywhere"
TERMINATOR = "aws4_request"
CREATE_SESSION_PATH = "/sessions"
CONTENT_TYPE = "application/json"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_UNRESERVED = "-_.~"


# --- ARNs, regions, durations, session names: the rules live in identifiers.py (re-exported for callers) --------


# --- canonical form -------------------------------------------------------------------------------

def _uri_encode(value):
    return quote(str(value), safe=_UNRESERVED)


def canonical_query(pairs):
    """RFC 3986 encode keys and values, sort the encoded pairs, join with ``&``."""
    encoded = sorted((_uri_encode(key), _uri_encode(value)) for key, value in pairs)
    return "&".join("%s=%s" % pair for pair in encoded)


def _normalise_signed_headers(signed_headers):
    if isinstance(signed_headers, str):
        signed_headers = signed_headers.split(";")
    return sorted(name.strip().lower() for name in signed_headers if name.strip())


def _header_lookup(headers):
    """Lower-case name -> value for any mapping (dict, http.client.HTTPMessage, list of pairs)."""
    items = headers.items() if hasattr(headers, "items") else headers
    result = {}
    for name, value in items:
        key = name.lower()
        result[key] = "%s,%s" % (result[key], value) if key in result else value
    return result


def _canonical_header_value(value):
    return " ".join(str(value).split())


def canonical_request(method, path, query_pairs, headers, signed_headers, body):
    """The SigV4 canonical request (byte-identical to botocore's for the same request)."""
    lookup = _header_lookup(headers)
    names = _normalise_signed_headers(signed_headers)
    header_lines = "".join("%s:%s\n" % (name, _canonical_header_value(lookup.get(name, ""))) for name in names)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return "\n".join(
        (
            method.upper(),
            quote(path or "/", safe="/~"),
            canonical_query(query_pairs),
            header_lines,
            ";".join(names),
            hashlib.sha256(body or b"").hexdigest(),
        )
    )


def credential_scope(date_stamp, region):
    return "%s/%s/%s/%s" % (date_stamp, region, SERVICE, TERMINATOR)


def string_to_sign(algorithm, amz_date, scope, canonical_request_text):
    digest = hashlib.sha256(canonical_request_text.encode("utf-8")).hexdigest()
    return "\n".join((algorithm, amz_date, scope, digest))


def _require_cryptography():
    require_cryptography("sign and verify requests")


@functools.lru_cache(maxsize=None)
def mldsa_key_classes():
    """{"ML-DSA-44": (private key class, public key class), ...} of the installed cryptography; {} without ML-DSA.

    cryptography has them from 47.0 on; they work where the library cryptography is built with (OpenSSL 3.5 or
    newer, or AWS-LC) has ML-DSA, as the PyPI wheels of cryptography 50 (bundling OpenSSL 4.0) do.
    """
    try:
        from cryptography.hazmat.primitives.asymmetric import mldsa  # pylint: disable=import-outside-toplevel
    except ImportError:
        return {}
    classes = {}
    for level in (44, 65, 87):
        # cryptography 47's documentation spells them MlDsa65PrivateKey, cryptography 50 MLDSA65PrivateKey.
        pair = [getattr(mldsa, "MLDSA%d%sKey" % (level, kind), None) or getattr(mldsa, "MlDsa%d%sKey" % (level, kind), None)
                for kind in ("Private", "Public")]
        if None not in pair:
            classes["ML-DSA-%d" % level] = tuple(pair)
    return classes


def mldsa_private_key_types():
    return tuple(private for private, _public in mldsa_key_classes().values())


class KeySigner(object):
    """A private key that signs where it lives and never leaves it (a PKCS#11 token: _core/pkcs11.py; a TPM: _core/tpm.py).

    The signing core takes it wherever it takes a ``cryptography`` private key (``SigningMaterial.private_key``):
    it asks for ``algorithm`` and for ``sign(data)``, the SigV4-X509 signature over ``data`` exactly as
    ``sign_string`` makes it for a key file (RSA: PKCS#1 v1.5 over SHA-256; EC: DER-encoded ECDSA over SHA-256).
    ``public_key()`` is the certificate's public key, so the material's checks read it as they read a file key's.
    AWS's helper has the same seam: its Signer interface (aws_signing_helper/signer.go) with FileSystemSigner,
    PKCS11Signer and TPMv2Signer behind it.
    """

    algorithm = None  # ALGORITHM_RSA or ALGORITHM_ECDSA
    key_type = None  # "RSA" or "EC", as x509.check_key_supported names a file key's type

    def __init__(self, key_type, description):
        self.key_type = key_type
        self.algorithm = ALGORITHM_RSA if key_type == "RSA" else ALGORITHM_ECDSA
        self.description = description  # where the key is, for messages (never a PIN or password)

    def public_key(self):
        raise NotImplementedError

    def sign(self, data):
        raise NotImplementedError

    def close(self):
        """Release what the signer holds (a token session); signing again reopens it."""


def release_key(private_key):
    """Close what a KeySigner holds (its token session; it reopens to sign again); a key file holds nothing."""
    if isinstance(private_key, KeySigner):
        private_key.close()


def algorithm_for_key(private_key):
    """The SigV4-X509 algorithm of a key type, as AWS's aws_signing_helper 1.8 names it.

    aws/rolesanywhere-credential-helper signer.go:121-123, file_system_signer.go:110-122: RSA keys sign with
    AWS4-X509-RSA-SHA256, EC keys of every curve (P-256, P-384, P-521) with AWS4-X509-ECDSA-SHA256 (the
    certificate's own hash plays no part), ML-DSA keys with AWS4-X509-MLDSA.
    """
    if isinstance(private_key, KeySigner):
        return private_key.algorithm
    _require_cryptography()
    if isinstance(private_key, rsa.RSAPrivateKey):
        return ALGORITHM_RSA
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return ALGORITHM_ECDSA
    if isinstance(private_key, mldsa_private_key_types()):
        return ALGORITHM_MLDSA
    raise ConfigurationError(
        "the private key is a %s key" % type(private_key).__name__,
        "Roles Anywhere accepts RSA, EC (P-256, P-384, P-521) and ML-DSA (44, 65, 87) keys only",
    )


def sign_string(private_key, text):
    """Sign the string to sign; returns the raw signature bytes.

    RSA: PKCS#1 v1.5 over SHA-256. EC: DER-encoded ECDSA over SHA-256, whatever the curve (AWS's helper
    passes crypto.SHA256 for every key, signer.go:509, so P-521 signs a SHA-256 digest too). ML-DSA: pure
    ML-DSA (FIPS 204) over the string to sign itself, not a digest, with an empty context, as AWS's helper
    does (file_system_signer.go:52-59, mldsa_utils.go:70-74). AWS's helper signs ML-DSA deterministically;
    cryptography signs hedged (randomised), which verifies the same way but gives other bytes each time.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if isinstance(private_key, KeySigner):  # signs inside its token
        return private_key.sign(data)
    _require_cryptography()
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(private_key, mldsa_private_key_types()):
        return private_key.sign(data)
    algorithm_for_key(private_key)  # raises the clear error
    raise AssertionError("unreachable")


# --- building CreateSession -----------------------------------------------------------------------

class PreparedRequest(Record):
    """A signed CreateSession request; ``headers`` are exactly the bytes to send (Host included)."""

    # method, url, host, path: str; query: list of (name, value); headers: dict; body: bytes; the rest str
    __slots__ = ("method", "url", "host", "path", "query", "headers", "body", "region", "amz_date", "canonical_request",
                 "string_to_sign")
    _defaults = dict.fromkeys(("region", "amz_date", "canonical_request", "string_to_sign"), "")
    _hidden = frozenset(("canonical_request", "string_to_sign"))


def _utc(now):
    if now is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc)


def _request_region(anchor, region):
    if region is None:
        return anchor["region"], False
    plain, fips = plain_region(region)
    if plain != anchor["region"]:
        raise ConfigurationError(
            "region %s differs from the trust anchor's region %s" % (plain, anchor["region"]),
            "CreateSession must go to the trust anchor's region: drop region or set it to %s" % anchor["region"],
        )
    return plain, fips


def create_session_body(duration_seconds, role_session_name=None):
    """Compact JSON body, key order durationSeconds then roleSessionName (like the official helper)."""
    document = {"durationSeconds": duration_seconds}
    if role_session_name is not None:
        document["roleSessionName"] = role_session_name
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _b64(der):
    return base64.b64encode(der).decode("ascii")


class SessionParameters(Record):
    """CreateSession's inputs, validated once by ``session_parameters``: signing takes them as they are."""

    # ARNs, region (the signing region: plain, the trust anchor's) and endpoint: str; duration_seconds: int
    __slots__ = ("trust_anchor_arn", "profile_arn", "role_arn", "region", "endpoint", "duration_seconds",
                 "role_session_name")
    _defaults = {"duration_seconds": DEFAULT_DURATION_SECONDS, "role_session_name": None}


def session_parameters(trust_anchor_arn, profile_arn, role_arn, *, region=None, endpoint=None,
                       duration_seconds=DEFAULT_DURATION_SECONDS, role_session_name=None, use_fips_endpoint=False,
                       use_dualstack_endpoint=False):
    """Validate the inputs of CreateSession once (ConfigurationError naming what is wrong) and resolve the endpoint.

    ``endpoint``: a URL, or a callable ``(signing region, fips_from_region) -> URL`` (sdk_config's
    ``ClientConfig.endpoint_url``), or None for the region's endpoint.
    """
    anchor = validate_arns(trust_anchor_arn, profile_arn, role_arn)
    duration_seconds = validate_duration(duration_seconds)
    role_session_name = validate_role_session_name(role_session_name)
    signing_region, fips_from_name = _request_region(anchor, region)
    if endpoint is None:
        endpoint = resolve_endpoint(signing_region, bool(use_fips_endpoint or fips_from_name), bool(use_dualstack_endpoint))
    elif callable(endpoint):  # a resolver such as sdk_config.ClientConfig.endpoint_url
        endpoint = endpoint(signing_region, fips_from_name)
    split_endpoint(endpoint)
    return SessionParameters(trust_anchor_arn, profile_arn, role_arn, signing_region, endpoint, duration_seconds,
                             role_session_name)


def build_create_session_request(material, trust_anchor_arn, profile_arn, role_arn, *, region=None, endpoint=None,
                                 duration_seconds=DEFAULT_DURATION_SECONDS, role_session_name=None, now=None,
                                 use_fips_endpoint=False, use_dualstack_endpoint=False):
    """Validate the inputs, then build and sign a CreateSession request (ARNs in the query string)."""
    parameters = session_parameters(
        trust_anchor_arn, profile_arn, role_arn, region=region, endpoint=endpoint, duration_seconds=duration_seconds,
        role_session_name=role_session_name, use_fips_endpoint=use_fips_endpoint,
        use_dualstack_endpoint=use_dualstack_endpoint,
    )
    return sign_create_session_request(material, parameters, now)


def sign_create_session_request(material, parameters, now=None):
    """Build and sign a CreateSession request from validated ``SessionParameters`` (fresh date and signature)."""
    trust_anchor_arn, profile_arn, role_arn = parameters.trust_anchor_arn, parameters.profile_arn, parameters.role_arn
    signing_region = parameters.region
    scheme, host, base_path = split_endpoint(parameters.endpoint)
    algorithm = algorithm_for_key(material.private_key)

    when = _utc(now)
    amz_date = when.strftime(AMZ_DATE_FORMAT)
    path = base_path + CREATE_SESSION_PATH
    query = [("profileArn", profile_arn), ("roleArn", role_arn), ("trustAnchorArn", trust_anchor_arn)]
    body = create_session_body(parameters.duration_seconds, parameters.role_session_name)
    headers = {"Content-Type": CONTENT_TYPE, "Host": host, "X-Amz-Date": amz_date, "X-Amz-X509": _b64(material.certificate_der)}
    if material.chain_der:
        headers["X-Amz-X509-Chain"] = ",".join(_b64(der) for der in material.chain_der)
    signed_headers = sorted(name.lower() for name in headers)

    canonical = canonical_request("POST", path, query, headers, signed_headers, body)
    scope = credential_scope(amz_date[:8], signing_region)
    to_sign = string_to_sign(algorithm, amz_date, scope, canonical)
    signature = sign_string(material.private_key, to_sign)
    headers["Authorization"] = "%s Credential=%d/%s, SignedHeaders=%s, Signature=%s" % (
        algorithm, material.serial, scope, ";".join(signed_headers), binascii.hexlify(signature).decode("ascii"),
    )
    url = "%s://%s%s?%s" % (scheme, host, path, canonical_query(query))
    return PreparedRequest(
        method="POST", url=url, host=host, path=path, query=query, headers=headers, body=body, region=signing_region,
        amz_date=amz_date, canonical_request=canonical, string_to_sign=to_sign,
    )
