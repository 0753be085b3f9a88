# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the acmpca_certificate module: input checks, tokens, serials, PEM handling.

No Ansible and no boto3 imports here, so that the rules are unit-testable on their own.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import unquote, urlsplit

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    pass

from .._core import pem
from .._core.certificate_text import format_serial
from .._core.errors import ConfigurationError, MaterialError
from .._core.identifiers import parse_acm_pca_arn
from .._core.pem import require_cryptography  # noqa: F401  pylint: disable=unused-import
from .._core.pem import split_pem_certificates  # noqa: F401  pylint: disable=unused-import

SIGNING_ALGORITHMS = (
    "SHA256WITHECDSA",
    "SHA384WITHECDSA",
    "SHA512WITHECDSA",
    "SHA256WITHRSA",
    "SHA384WITHRSA",
    "SHA512WITHRSA",
)
VALIDITY_TYPES = ("DAYS", "MONTHS", "YEARS", "END_DATE", "ABSOLUTE")
REVOCATION_REASONS = (
    "UNSPECIFIED",
    "KEY_COMPROMISE",
    "CERTIFICATE_AUTHORITY_COMPROMISE",
    "AFFILIATION_CHANGED",
    "SUPERSEDED",
    "CESSATION_OF_OPERATION",
    "PRIVILEGE_WITHDRAWN",
    "A_A_COMPROMISE",
)
DEFAULT_TEMPLATE_NAME = "EndEntityCertificate/V1"
_HEX_SERIAL = re.compile(r"^(0x)?[0-9a-fA-F]+$")


def parse_ca_arn(arn):
    """Return (partition, region, account) of an ACM PCA certificate authority ARN."""
    parts = parse_acm_pca_arn(arn, "certificate_authority_arn")
    return parts["partition"], parts["region"], parts["account"]


def default_template_arn(partition):
    """AWS's own default template for IssueCertificate, in the CA's partition."""
    return "arn:%s:acm-pca:::template/%s" % (partition, DEFAULT_TEMPLATE_NAME)


def load_csr(csr_pem):
    """Parse and check a PEM CSR (signature, and a key IAM Roles Anywhere can use); return the cryptography object."""
    csr = pem.load_csr(csr_pem, "csr")
    csr_key_family(csr)
    return csr


def csr_key_family(csr):
    """'EC' or 'RSA' for the CSR's public key."""
    key = csr.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC"
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    raise MaterialError("csr holds a %s key" % type(key).__name__, "IAM Roles Anywhere accepts RSA and EC (P-256, P-384) keys only")


def algorithm_family(signing_algorithm):
    """'EC' for *WITHECDSA, 'RSA' for *WITHRSA."""
    return "EC" if signing_algorithm.endswith("ECDSA") else "RSA"


def ca_key_family(ca_key_algorithm):
    """'EC' or 'RSA' from DescribeCertificateAuthority's KeyAlgorithm (RSA_2048, EC_prime256v1, ...)."""
    if (ca_key_algorithm or "").startswith("EC_"):
        return "EC"
    if (ca_key_algorithm or "").startswith("RSA_"):
        return "RSA"
    return None


def choose_signing_algorithm(requested, ca_configuration):
    """The algorithm to sign with: the requested one, else the CA's own; it must fit the CA's key."""
    ca_algorithm = ca_configuration.get("SigningAlgorithm")
    chosen = requested or ca_algorithm
    if not chosen:
        raise ConfigurationError("the certificate authority does not say which signing algorithm it uses", "Set signing_algorithm")
    family = ca_key_family(ca_configuration.get("KeyAlgorithm"))
    if family and algorithm_family(chosen) != family:
        raise ConfigurationError(
            "signing_algorithm %s does not fit the certificate authority's %s key" % (chosen, ca_configuration.get("KeyAlgorithm")),
            "Use a *WITH%s algorithm, or leave signing_algorithm unset to use the CA's %s" % ("ECDSA" if family == "EC" else "RSA", ca_algorithm),
        )
    return chosen


def check_validity(validity):
    """Validate the validity dict (value, type) the way IssueCertificate will."""
    value = validity.get("value")
    kind = validity.get("type")
    if kind not in VALIDITY_TYPES:
        raise ConfigurationError("validity.type %r is not one of %s" % (kind, ", ".join(VALIDITY_TYPES)))
    if value is None or int(value) <= 0:
        raise ConfigurationError("validity.value must be a positive integer", "For example value: 30, type: DAYS")
    return {"Value": int(value), "Type": kind}


def idempotency_token(*parts):
    """Token derived from the request, so a retried task within AWS's 5 minute window issues nothing new.

    AWS allows 1..36 characters; a truncated SHA-256 hex digest fits and stays stable for the same input.
    """
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return digest[:36]


def check_idempotency_token(token):
    if not token or len(token) > 36 or not re.match(r"^[\w+=,.@-]+$", token):
        raise ConfigurationError("idempotency_token must be 1 to 36 characters of letters, digits and +=,.@_-")
    return token


def serial_value(serial, option="certificate_serial", hint="Give it as hex (aa:bb:cc or aabbcc), or pass the certificate instead"):
    """The serial as an int, from hex with or without colons (or 0x), or an int; ConfigurationError names ``option``."""
    if isinstance(serial, int):
        value = serial
    else:
        text = str(serial).strip().replace(":", "").replace(" ", "")
        if not _HEX_SERIAL.match(text):
            raise ConfigurationError("%s %r is not a hexadecimal serial number" % (option, serial), hint)
        value = int(text, 16)
    if value <= 0:
        raise ConfigurationError("%s must be a positive number" % option)
    return value


def normalise_serial(serial):
    """Colon-separated lowercase hex (AWS's form for RevokeCertificate) from hex with or without colons, or an int."""
    return format_serial(serial_value(serial))


def certificate_summary(certificate_pem):
    """Non-secret facts of an issued certificate for the module result."""
    require_cryptography()
    blocks = [block.der for block in pem.pem_blocks(certificate_pem) if block.label == "CERTIFICATE" and block.der]
    if not blocks:
        raise MaterialError("the certificate returned by ACM Private CA is not PEM", "Check the certificate authority")
    cert = pem.certificate_from_der(blocks[0], "the certificate returned by ACM Private CA")
    not_after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
    not_before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before
    return {
        "serial_number": cert.serial_number,
        "serial_number_hex": format_serial(cert.serial_number),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": not_before.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def serial_of_certificate(certificate_pem):
    """Serial (colon hex) of a PEM certificate, for revocation by certificate."""
    return certificate_summary(certificate_pem)["serial_number_hex"]


def serial_to_int(serial_hex):
    """Integer value of a colon-separated hex serial."""
    return int(serial_hex.replace(":", ""), 16)


def _crl_configuration(authority):
    crl = (authority.get("RevocationConfiguration") or {}).get("CrlConfiguration") or {}
    return crl if crl.get("Enabled") and crl.get("S3BucketName") else None


def crl_location(authority, certificate_pem=None):
    """(bucket, key) of the S3 object holding the CRL that covers a certificate, or None when unknown.

    AWS documents clients to use the certificate's CRL distribution point (CDP) URI (privateca user guide,
    crl-planning.html#crl-url): with a certificate that has one, the key is the CDP URI's path (less the bucket
    in path-style S3 URIs). Otherwise, for complete CRLs only, the documented layout: ``crl/<CA id>.crl``, or
    ``<CustomPath>/<CA id>.crl`` with a CustomPath. Partitioned CRLs (CrlType PARTITIONED) "have a random GUID
    appended to them" (same page; CustomPath doc: ``<CustomPath>/<CrlPartition_GUID>.crl``): without the
    certificate's CDP their key is unknown, and None is returned.
    """
    crl = _crl_configuration(authority)
    if crl is None:
        return None
    bucket = crl["S3BucketName"]
    if certificate_pem:
        key = crl_key_of_certificate(certificate_pem, bucket)
        if key:
            return bucket, key
    if crl.get("CrlType") == "PARTITIONED":
        return None
    ca_id = parse_acm_pca_arn(authority["Arn"], "CertificateAuthorityArn")["ca_id"]
    prefix = (crl.get("CustomPath") or "").strip("/")
    key = "%s/%s.crl" % (prefix, ca_id) if prefix else "crl/%s.crl" % ca_id
    return bucket, key


def crl_partition(authority, key):
    """The partition a CRL object holds (its file name less ``.crl``: AWS's ``<CrlPartition_GUID>.crl``), or None
    for a CA whose CRL is complete (one CRL lists every revoked certificate; acm-pca CrlConfiguration.CrlType)."""
    crl = _crl_configuration(authority)
    if crl is None or crl.get("CrlType") != "PARTITIONED":
        return None
    name = key.rsplit("/", 1)[-1]
    return name[:-len(".crl")] if name.endswith(".crl") else name


def crl_key_of_certificate(certificate_pem, bucket):
    """The S3 key named by the first http CRL distribution point of a PEM certificate, or None."""
    require_cryptography()
    try:
        certificate = pem.parse_certificates(pem.as_bytes(certificate_pem), "the issued certificate")[0]
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (MaterialError, x509.ExtensionNotFound):
        return None
    for point in points:
        for name in point.full_name or []:
            if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith("http://"):
                parts = urlsplit(name.value)
                path = unquote(parts.path).lstrip("/")
                # Path-style S3 URI (http://s3.<region>.amazonaws.com/<bucket>/crl/...): the bucket is not in the key.
                if parts.hostname and parts.hostname.startswith("s3.") and path.startswith(bucket + "/"):
                    path = path[len(bucket) + 1:]
                return path or None
    return None


def crl_location_error(authority):
    """Why wait_for_crl cannot find the CRL of this CA."""
    crl = _crl_configuration(authority)
    if crl is None:
        return ConfigurationError(
            "certificate authority %s publishes no CRL, so wait_for_crl cannot succeed" % authority["Arn"],
            "Enable RevocationConfiguration.CrlConfiguration on the CA, or set wait_for_crl=false",
        )
    return ConfigurationError(
        "certificate authority %s publishes partitioned CRLs, and which partition lists a certificate is named only in"
        " the certificate's CRL distribution point" % authority["Arn"],
        "Revoke by certificate (the PEM, with its CRL distribution point) rather than by serial, or set wait_for_crl=false",
    )


def crl_lists_serials(crl_bytes, serials):
    """(listed, pem): whether a published CRL (DER or PEM) lists every serial (ints), and the CRL as PEM."""
    try:
        crl = pem.load_crl(crl_bytes, "the CRL published by ACM Private CA")
    except MaterialError:
        raise MaterialError("the CRL published by ACM Private CA cannot be read", "Check the CA's CRL configuration") from None
    listed = all(crl.get_revoked_certificate_by_serial_number(serial) is not None for serial in serials)
    return listed, crl.public_bytes(serialization.Encoding.PEM).decode("ascii")
