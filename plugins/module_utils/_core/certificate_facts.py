# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about a certificate (for read-certificate-data, the modules and the role) and end-entity checks."""

from __future__ import annotations

import datetime
import hashlib

from .certificate_text import general_name_text
from .errors import MaterialError
from .pem import require_cryptography
from .x509 import CURVE_NAMES, _der, check_key_supported, key_type_name, not_valid_after, not_valid_before, utc_datetime

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    pass


# --- facts and checks ---------------------------------------------------------------------------------

def _extension(certificate, extension_class):
    try:
        return certificate.extensions.get_extension_for_class(extension_class).value
    except x509.ExtensionNotFound:
        return None


def _iso(value):
    return utc_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _common_name(name):
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return values[0].value if values else None


def certificate_facts(certificate):
    """Plain facts about a certificate (JSON-friendly; times as ``YYYY-MM-DDTHH:MM:SSZ``)."""
    require_cryptography()
    certificate = getattr(certificate, "certificate", certificate)  # accept SigningMaterial too
    key = certificate.public_key()
    sans = _extension(certificate, x509.SubjectAlternativeName)
    constraints = _extension(certificate, x509.BasicConstraints)
    facts = {
        "subject": certificate.subject.rfc4514_string(),
        "subject_cn": _common_name(certificate.subject),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial": certificate.serial_number,
        "serial_hex": "%x" % certificate.serial_number,
        "not_before": _iso(not_valid_before(certificate)),
        "not_after": _iso(not_valid_after(certificate)),
        "sans": [general_name_text(name) for name in sans] if sans is not None else [],
        "is_ca": bool(constraints.ca) if constraints is not None else False,
        "version": certificate.version.name,
        "signature_hash": certificate.signature_hash_algorithm.name if certificate.signature_hash_algorithm else None,
        "fingerprint_sha256": hashlib.sha256(_der(certificate)).hexdigest(),
        "key_type": key_type_name(key).split(" ")[0],
        "key_size": key.key_size if hasattr(key, "key_size") else None,
        "curve": CURVE_NAMES.get(key.curve.name, key.curve.name) if isinstance(key, ec.EllipticCurvePublicKey) else None,
    }
    return facts


def needs_renewal(certificate, renew_before_seconds, now=None):
    """True when the certificate expires within renew_before_seconds of now (or already has)."""
    require_cryptography()
    certificate = getattr(certificate, "certificate", certificate)
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    now = utc_datetime(now)
    return not_valid_after(certificate) - now <= datetime.timedelta(seconds=renew_before_seconds)


def end_entity_problems(certificate):
    """Why Roles Anywhere would refuse this as an end-entity certificate ([] when it would not)."""
    require_cryptography()
    certificate = getattr(certificate, "certificate", certificate)
    problems = []
    if certificate.version != x509.Version.v3:
        problems.append("it is X.509 %s, not v3" % certificate.version.name)
    constraints = _extension(certificate, x509.BasicConstraints)
    if constraints is not None and constraints.ca:
        problems.append("basicConstraints says CA:true")
    usage = _extension(certificate, x509.KeyUsage)
    if usage is None or not usage.digital_signature:
        problems.append("keyUsage lacks digitalSignature")
    hash_algorithm = certificate.signature_hash_algorithm
    if hash_algorithm is not None and hash_algorithm.name in ("md5", "sha1"):
        problems.append("it is signed with %s (SHA-256 or stronger needed)" % hash_algorithm.name.upper())
    try:
        check_key_supported(certificate.public_key(), "the certificate")
    except MaterialError as error:
        problems.append(error.message)
    return problems
