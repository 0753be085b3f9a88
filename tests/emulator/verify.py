# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server side of SigV4-X509: verify a CreateSession request as Roles Anywhere does.

It lives with the emulator, not in the signing core, so that no host's credential helper carries it. It
builds the canonical request and string to sign with the signing core's own functions, so the client and
the server cannot disagree on the canonical form; everything else (the Authorization header's shape, the
scope, the clock skew, the certificate headers, the signature) is checked here.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from cryptography import x509 as crypto_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import (
        ClockSkewError, InvalidSignatureError, ValidationError)
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.signing import (
        ALGORITHM_ECDSA, ALGORITHM_MLDSA, ALGORITHM_RSA, AMZ_DATE_FORMAT, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, SERVICE, TERMINATOR,
        _header_lookup, _normalise_signed_headers, _require_cryptography, _utc, canonical_request, credential_scope, mldsa_key_classes,
        string_to_sign)
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import is_region, is_role_session_name
except ImportError:  # run from a checkout without the collection layout: the same files, imported directly
    from plugins.module_utils._core.errors import ClockSkewError, InvalidSignatureError, ValidationError  # type: ignore[no-redef]
    from plugins.module_utils._core.signing import (  # type: ignore[no-redef]
        ALGORITHM_ECDSA, ALGORITHM_MLDSA, ALGORITHM_RSA, AMZ_DATE_FORMAT, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, SERVICE, TERMINATOR,
        _header_lookup, _normalise_signed_headers, _require_cryptography, _utc, canonical_request, credential_scope, mldsa_key_classes,
        string_to_sign)
    from plugins.module_utils._core.identifiers import is_region, is_role_session_name  # type: ignore[no-redef]

DEFAULT_MAX_SKEW_SECONDS = 300
# AWS's Python sample names the algorithm after the certificate's own hash while still signing
# with SHA-256, so a verifier accepts those names too.
RSA_ALGORITHMS = frozenset((ALGORITHM_RSA, "AWS4-X509-RSA-SHA384", "AWS4-X509-RSA-SHA512"))
ECDSA_ALGORITHMS = frozenset((ALGORITHM_ECDSA, "AWS4-X509-ECDSA-SHA384", "AWS4-X509-ECDSA-SHA512"))
MLDSA_PUBLIC_KEY_TYPES = tuple(public for _private, public in mldsa_key_classes().values())
SIGNING_ALGORITHMS = RSA_ALGORITHMS | ECDSA_ALGORITHMS | {ALGORITHM_MLDSA}
_AUTHORIZATION_RE = re.compile(
    r"^(?P<algorithm>AWS4-X509-[A-Z0-9-]+) +Credential=(?P<credential>[^, ]+), *"
    r"SignedHeaders=(?P<signed_headers>[^, ]+), *Signature=(?P<signature>[0-9a-fA-F]+)$"
)


def verify_signature(public_key, algorithm, text, signature):
    """True when signature (raw bytes) over text verifies with public_key under algorithm."""
    _require_cryptography()
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        if algorithm in RSA_ALGORITHMS and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        if algorithm in ECDSA_ALGORITHMS and isinstance(public_key, ec.EllipticCurvePublicKey):
            # Every curve, P-521 included, signs a SHA-256 digest (aws/rolesanywhere-credential-helper signer.go:509).
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return True
        if algorithm == ALGORITHM_MLDSA and isinstance(public_key, MLDSA_PUBLIC_KEY_TYPES):
            # Pure ML-DSA over the string to sign itself, empty context (file_system_signer.go:52-59,
            # mldsa_utils.go:70-74); deterministic and hedged signatures verify alike.
            public_key.verify(signature, data)
            return True
    except InvalidSignature:
        return False
    return False


# --- verifying CreateSession (the server side, shared with the emulator) ---------------------------

@dataclass
class VerifiedRequest:
    """What a verified CreateSession request asked for; chain checks are the server's job."""

    leaf: object
    chain: list
    serial: int
    algorithm: str
    region: str
    request_time: datetime.datetime
    trust_anchor_arn: str
    profile_arn: str
    role_arn: str
    duration_seconds: object  # int, or None when the request did not say
    role_session_name: object  # str or None
    signed_headers: tuple = ()


def _invalid(field_name, detail):
    """A 400 ValidationException shaped like AWS's messages."""
    return ValidationError(
        "1 validation error detected: %s" % detail,
        service_message="1 validation error detected: %s" % detail,
        hint="Check %s" % field_name,
    )


def _bad_signature(detail):
    # AWS answers only "Invalid signature"; the detail helps whoever reads the server's logs.
    return InvalidSignatureError("Invalid signature: %s" % detail, service_message="Invalid signature")


def _parse_authorization(lookup):
    header = lookup.get("authorization")
    if not header:
        raise ValidationError(
            "Missing Authorization header", service_message="Missing Authentication Token",
            hint="Sign the request with SigV4-X509",
        )
    match = _AUTHORIZATION_RE.match(" ".join(header.split()))
    if not match:
        raise ValidationError(
            "Authorization header is not 'AWS4-X509-<alg> Credential=..., SignedHeaders=..., Signature=...'",
            service_message="Invalid Authorization header", hint="Sign the request with SigV4-X509",
        )
    parts = match.groupdict()
    if parts["algorithm"] not in SIGNING_ALGORITHMS:
        raise ValidationError(
            "Unsupported signing algorithm %s" % parts["algorithm"],
            service_message="Unsupported signing algorithm", hint="Use AWS4-X509-RSA-SHA256, AWS4-X509-ECDSA-SHA256 or AWS4-X509-MLDSA",
        )
    return parts


def _parse_credential(credential):
    pieces = credential.split("/")
    if len(pieces) != 5 or not pieces[0].isdigit():
        raise _bad_signature("Credential %r is not <decimal serial>/<date>/<region>/rolesanywhere/aws4_request" % credential)
    return int(pieces[0]), pieces[1], pieces[2], pieces[3], pieces[4]


def _parse_amz_date(lookup):
    value = lookup.get("x-amz-date", "")
    try:
        return datetime.datetime.strptime(value.strip(), AMZ_DATE_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise ValidationError(
            "X-Amz-Date %r is missing or not YYYYMMDDTHHMMSSZ" % value,
            service_message="Missing or invalid X-Amz-Date header", hint="Send X-Amz-Date",
        ) from None


def _check_skew(request_time, now, max_skew_seconds):
    now = _utc(now)
    skew = datetime.timedelta(seconds=max_skew_seconds)
    if request_time < now - skew:
        text = "Signature expired: %s is now earlier than %s (%s - %d min.)" % (
            request_time.strftime(AMZ_DATE_FORMAT), (now - skew).strftime(AMZ_DATE_FORMAT),
            now.strftime(AMZ_DATE_FORMAT), max_skew_seconds // 60)
        raise ClockSkewError(text, service_message=text)
    if request_time > now + skew:
        text = "Signature not yet current: %s is still later than %s (%s + %d min.)" % (
            request_time.strftime(AMZ_DATE_FORMAT), (now + skew).strftime(AMZ_DATE_FORMAT),
            now.strftime(AMZ_DATE_FORMAT), max_skew_seconds // 60)
        raise ClockSkewError(text, service_message=text)


def _check_scope(date_stamp, region, service, terminator, request_time):
    if service != SERVICE or terminator != TERMINATOR:
        raise _bad_signature("Credential scope names service %r / %r, expected rolesanywhere/aws4_request" % (service, terminator))
    if date_stamp != request_time.strftime("%Y%m%d"):
        raise _bad_signature("Credential date %s does not match X-Amz-Date %s" % (date_stamp, request_time.strftime(AMZ_DATE_FORMAT)))
    if not is_region(region) or "fips" in region:
        raise _bad_signature("Credential should be scoped to a valid region, not %r" % region)


def _load_der_certificates(value, header):
    certificates = []
    for item in value.split(","):
        try:
            der = base64.b64decode(item.strip(), validate=True)
            certificates.append(crypto_x509.load_der_x509_certificate(der, default_backend()))
        except (ValueError, binascii.Error):
            raise _invalid(header, "Value at '%s' failed to satisfy constraint: Member must be base64 DER certificates" % header) from None
    return certificates


def _request_document(body):
    if not body:
        return {}
    try:
        document = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError):
        raise _invalid("the request body", "Request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise _invalid("the request body", "Request body must be a JSON object")
    return document


def _request_fields(query_pairs, document):
    query = dict(query_pairs)
    values = {}
    for name in ("trustAnchorArn", "profileArn", "roleArn"):
        value = query.get(name, document.get(name))
        if not isinstance(value, str) or not value:
            raise _invalid(name, "Value null at '%s' failed to satisfy constraint: Member must not be null" % name)
        values[name] = value
    duration = document.get("durationSeconds", query.get("durationSeconds"))
    if duration is not None:
        if isinstance(duration, str) and duration.isdigit():
            duration = int(duration)
        if isinstance(duration, bool) or not isinstance(duration, int) or not MIN_DURATION_SECONDS <= duration <= MAX_DURATION_SECONDS:
            raise _invalid("durationSeconds", "Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value "
                           "between %d and %d" % (duration, MIN_DURATION_SECONDS, MAX_DURATION_SECONDS))
    session_name = document.get("roleSessionName", query.get("roleSessionName"))
    if session_name is not None and not is_role_session_name(session_name):
        raise _invalid("roleSessionName", "Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy "
                       "regular expression pattern: [\\w+=,.@-]{2,64}" % (session_name,))
    return values, duration, session_name


def verify_create_session_request(method, path, query_string, headers, body, now=None, max_skew_seconds=DEFAULT_MAX_SKEW_SECONDS):
    """Verify a SigV4-X509 CreateSession request; return what it asked for, or raise CreateSessionError.

    headers: any (case-insensitive) mapping or list of pairs. query_string: the raw query (no ``?``).
    The error's ``status``, ``code`` and ``service_message`` are what AWS would answer.
    """
    _require_cryptography()
    lookup = _header_lookup(headers)
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    authorization = _parse_authorization(lookup)
    serial, date_stamp, region, service, terminator = _parse_credential(authorization["credential"])
    request_time = _parse_amz_date(lookup)
    _check_scope(date_stamp, region, service, terminator, request_time)
    _check_skew(request_time, now, max_skew_seconds)

    signed_headers = _normalise_signed_headers(authorization["signed_headers"])
    for required in ("host", "x-amz-date"):
        if required not in signed_headers:
            raise _bad_signature("'%s' must be a SignedHeader" % required)
    for name in signed_headers:
        if name not in lookup:
            raise _bad_signature("signed header %r is missing from the request" % name)
    if "x-amz-x509" not in lookup:
        raise _invalid("X-Amz-X509", "Value null at 'X-Amz-X509' failed to satisfy constraint: Member must not be null")
    leaf = _load_der_certificates(lookup["x-amz-x509"], "X-Amz-X509")[0]
    chain = _load_der_certificates(lookup["x-amz-x509-chain"], "X-Amz-X509-Chain") if lookup.get("x-amz-x509-chain") else []
    if leaf.serial_number != serial:
        raise _bad_signature("Credential serial %d is not the X-Amz-X509 certificate's serial %d" % (serial, leaf.serial_number))

    query_pairs = parse_qsl(query_string or "", keep_blank_values=True)
    canonical = canonical_request(method, path, query_pairs, lookup, signed_headers, body)
    to_sign = string_to_sign(authorization["algorithm"], lookup["x-amz-date"].strip(), credential_scope(date_stamp, region), canonical)
    if not verify_signature(leaf.public_key(), authorization["algorithm"], to_sign, _unhex(authorization["signature"])):
        raise _bad_signature("the signature does not verify with the X-Amz-X509 certificate's key (%s)" % authorization["algorithm"])

    values, duration, session_name = _request_fields(query_pairs, _request_document(body))
    return VerifiedRequest(
        leaf=leaf, chain=chain, serial=serial, algorithm=authorization["algorithm"], region=region, request_time=request_time,
        trust_anchor_arn=values["trustAnchorArn"], profile_arn=values["profileArn"], role_arn=values["roleArn"],
        duration_seconds=duration, role_session_name=session_name, signed_headers=tuple(signed_headers),
    )


def _unhex(hex_text):
    try:
        return binascii.unhexlify(hex_text)
    except (binascii.Error, ValueError):
        raise _bad_signature("Signature is not an even number of hex digits") from None
