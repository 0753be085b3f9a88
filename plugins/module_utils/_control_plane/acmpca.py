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

    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without the library
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

from .._core.errors import ConfigurationError, MaterialError

CA_ARN_PATTERN = re.compile(r"^arn:(aws[a-z-]*):acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority/[0-9a-fA-F-]{36}$")
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
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")
_HEX_SERIAL = re.compile(r"^(0x)?[0-9a-fA-F]+$")


def require_cryptography():
    """Raise a clear error when the cryptography library is missing on the node running the module."""
    if not HAS_CRYPTOGRAPHY:
        raise ConfigurationError(
            "The Python library 'cryptography' is not installed for the interpreter running this module",
            "Install it (pip install cryptography, or the OS package python3-cryptography)",
        )


def parse_ca_arn(arn):
    """Return (partition, region, account) of an ACM PCA certificate authority ARN."""
    match = CA_ARN_PATTERN.match(arn or "")
    if not match:
        raise ConfigurationError(
            "certificate_authority_arn %r is not an ACM Private CA ARN" % (arn,),
            "Use the form arn:aws:acm-pca:<region>:<account>:certificate-authority/<36-character id>",
        )
    return match.group(1), match.group(2), match.group(3)


def default_template_arn(partition):
    """AWS's own default template for IssueCertificate, in the CA's partition."""
    return "arn:%s:acm-pca:::template/%s" % (partition, DEFAULT_TEMPLATE_NAME)


def load_csr(csr_pem):
    """Parse and check a PEM CSR; return the cryptography object."""
    require_cryptography()
    data = csr_pem.encode("utf-8") if isinstance(csr_pem, str) else csr_pem
    try:
        csr = x509.load_pem_x509_csr(data.strip() + b"\n")
    except ValueError:
        raise MaterialError("csr is not a PEM certificate signing request", "Pass the csr_pipe result's 'csr' value (-----BEGIN CERTIFICATE REQUEST-----)")
    if not csr.is_signature_valid:
        raise MaterialError("csr has an invalid signature", "Create the CSR again with the private key it names")
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


def normalise_serial(serial):
    """Colon-separated lowercase hex (AWS's form for RevokeCertificate) from hex with or without colons, or an int."""
    if isinstance(serial, int):
        value = serial
    else:
        text = str(serial).strip().replace(":", "").replace(" ", "")
        if not _HEX_SERIAL.match(text):
            raise ConfigurationError(
                "certificate_serial %r is not a hexadecimal serial number" % (serial,),
                "Give it as hex (aa:bb:cc or aabbcc), or pass the certificate instead",
            )
        value = int(text, 16)
    if value <= 0:
        raise ConfigurationError("certificate_serial must be a positive number")
    return format_serial(value)


def format_serial(value):
    """Colon-separated lowercase hex with an even number of digits."""
    digits = format(value, "x")
    if len(digits) % 2:
        digits = "0" + digits
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def split_pem_certificates(text):
    """Each PEM certificate block of text, normalised with a trailing newline."""
    return [block.strip() + "\n" for block in _PEM_CERTIFICATE.findall(text or "")]


def certificate_summary(certificate_pem):
    """Non-secret facts of an issued certificate for the module result."""
    require_cryptography()
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode("utf-8"))
    except ValueError:
        raise MaterialError("the certificate returned by ACM Private CA is not PEM", "Check the certificate authority")
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
    ca_id = authority["Arn"].rsplit("/", 1)[-1]
    prefix = (crl.get("CustomPath") or "").strip("/")
    key = "%s/%s.crl" % (prefix, ca_id) if prefix else "crl/%s.crl" % ca_id
    return bucket, key


def crl_key_of_certificate(certificate_pem, bucket):
    """The S3 key named by the first http CRL distribution point of a PEM certificate, or None."""
    require_cryptography()
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode("utf-8"))
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (ValueError, x509.ExtensionNotFound):
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
    require_cryptography()
    try:
        if crl_bytes.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(crl_bytes.strip() + b"\n")
        else:
            crl = x509.load_der_x509_crl(crl_bytes)
    except ValueError:
        raise MaterialError("the CRL published by ACM Private CA cannot be read", "Check the CA's CRL configuration")
    listed = all(crl.get_revoked_certificate_by_serial_number(serial) is not None for serial in serials)
    return listed, crl.public_bytes(serialization.Encoding.PEM).decode("ascii")
