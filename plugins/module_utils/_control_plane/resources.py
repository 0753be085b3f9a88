# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names, identifiers and ARNs of IAM Roles Anywhere resources; certificate bundles and CRLs.

Everything here works on plain data and never calls AWS, so the control-plane modules can check every
option before they make any request. Bad input raises ConfigurationError (or MaterialError for
certificates and CRLs) with a message naming the option and a hint saying what to do. Tags, trust
anchor notification settings, profile attribute mappings and session policies have their own files.
"""

from __future__ import annotations

import base64
import binascii
import re

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

from .._core.errors import ConfigurationError
from .._core.errors import MaterialError

# ---------------------------------------------------------------------------------------------------
# Service facts (botocore model "rolesanywhere" 2018-05-10 and the service documentation)
# ---------------------------------------------------------------------------------------------------

DURATION_RANGE = (900, 43200)
MAX_ROLE_ARNS = 250
MAX_MANAGED_POLICY_ARNS = 50
MAX_CRL_BYTES = 300000

RESOURCE_TYPES = ("trust-anchor", "profile", "crl", "subject")

_NAME_RE = re.compile(r"^[ a-zA-Z0-9_-]{1,255}$")
_ALIAS_RE = re.compile(r"^(?!.*//)[A-Za-z]([A-Za-z0-9_/-]*[A-Za-z0-9_-])?$")
_UUID_RE = re.compile(r"^[a-f0-9]{8}-(?:[a-z0-9]{4}-){3}[a-z0-9]{12}$")
_RESOURCE_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):rolesanywhere:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<type>trust-anchor|profile|crl|subject)/(?P<id>[^/]+)$"
)
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_POLICY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(?:\d{12}|aws):policy/[\w+=,.@/-]{1,512}$")
_ACM_PCA_ARN_RE = re.compile(
    r"^arn:aws[a-z-]*:acm-pca:(?P<region>[a-z0-9-]+):\d{12}:certificate-authority/[0-9a-f-]{36}$"
)
_PEM_BLOCK_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)


# ---------------------------------------------------------------------------------------------------
# Names, identifiers and ARNs
# ---------------------------------------------------------------------------------------------------


def check_name(name, option="name"):
    """Refuse a resource name the service would refuse (1..255 letters, digits, spaces, - and _)."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigurationError(
            "%s %r is not a valid Roles Anywhere name" % (option, name),
            "Use 1 to 255 characters: letters, digits, spaces, hyphens (-) and underscores (_)",
        )
    return name


def check_alias_name(alias_name, option="alias_name"):
    """An alias: empty (remove it) or 1..256 characters starting with a letter, no '//', not 'aws/...'."""
    if alias_name == "":
        return alias_name
    if len(alias_name) > 256 or not _ALIAS_RE.match(alias_name) or alias_name.lower().startswith("aws/"):
        raise ConfigurationError(
            "%s %r is not a valid alias" % (option, alias_name),
            "An alias has 1 to 256 characters, starts with a letter, contains only letters, digits, _, - and /, "
            "has no '//', does not end with '/' and does not start with 'aws/'; use an empty string to remove it",
        )
    return alias_name


def is_resource_id(value):
    """True when value looks like a Roles Anywhere resource ID (a 36-character UUID)."""
    return isinstance(value, str) and bool(_UUID_RE.match(value))


def check_resource_id(value, option="id"):
    if not is_resource_id(value):
        raise ConfigurationError(
            "%s %r is not a Roles Anywhere resource ID" % (option, value),
            "IDs are 36-character lower-case UUIDs such as 0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41",
        )
    return value


def parse_resource_arn(arn, resource_type, option="arn"):
    """Split a Roles Anywhere ARN of the given type into partition, region, account and id."""
    match = _RESOURCE_ARN_RE.match(arn or "")
    if not match or match.group("type") != resource_type or not is_resource_id(match.group("id")):
        raise ConfigurationError(
            "%s %r is not a Roles Anywhere %s ARN" % (option, arn, resource_type),
            "Expected arn:aws:rolesanywhere:<region>:<account>:%s/<36-character id>" % resource_type,
        )
    return match.groupdict()


def check_arn_region(arn_parts, region, option="arn"):
    """A resource ARN names its region: it must be the region the module talks to."""
    if region and arn_parts["region"] != region:
        raise ConfigurationError(
            "%s is in region %s but the module connects to region %s" % (option, arn_parts["region"], region),
            "Set region to %s, or give the ARN of a resource in %s" % (arn_parts["region"], region),
        )


def classify_reference(value, resource_type, option):
    """Tell what a reference to another resource is: ('arn', parts), ('id', id) or ('name', name)."""
    if value.startswith("arn:"):
        return "arn", parse_resource_arn(value, resource_type, option)
    if is_resource_id(value):
        return "id", value
    return "name", check_name(value, option)


def check_role_arns(role_arns, option="role_arns"):
    return _check_arn_list(role_arns, option, _ROLE_ARN_RE, MAX_ROLE_ARNS, "arn:aws:iam::123456789012:role/NAME")


def check_managed_policy_arns(policy_arns, option="managed_policy_arns"):
    return _check_arn_list(
        policy_arns, option, _POLICY_ARN_RE, MAX_MANAGED_POLICY_ARNS, "arn:aws:iam::aws:policy/NAME or arn:aws:iam::123456789012:policy/NAME"
    )


def _check_arn_list(values, option, pattern, maximum, example):
    unique = unique_in_order(values)
    bad = [value for value in unique if not pattern.match(value)]
    if bad:
        raise ConfigurationError("%s holds values that are not valid ARNs: %s" % (option, ", ".join(repr(v) for v in bad)), "Expected %s" % example)
    if len(unique) > maximum:
        raise ConfigurationError("%s holds %d ARNs but the service allows at most %d" % (option, len(unique), maximum), "Remove some")
    return unique


def check_acm_pca_arn(arn, region=None, option="acm_pca_arn"):
    match = _ACM_PCA_ARN_RE.match(arn or "")
    if not match:
        raise ConfigurationError(
            "%s %r is not an ACM Private CA ARN" % (option, arn),
            "Expected arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>",
        )
    if region and match.group("region") != region:
        raise ConfigurationError(
            "%s is in region %s but the trust anchor is created in region %s" % (option, match.group("region"), region),
            "A trust anchor can only use a private CA of its own region",
        )
    return arn


def check_duration_seconds(duration, option="duration_seconds"):
    low, high = DURATION_RANGE
    if not low <= duration <= high:
        raise ConfigurationError("%s=%d is out of range" % (option, duration), "Use %d to %d seconds (15 minutes to 12 hours)" % (low, high))
    return duration


def unique_in_order(values):
    """The values without duplicates, first occurrence first."""
    return list(dict.fromkeys(values))


def lists_differ(current, desired):
    """Compare ARN lists as sets: their order carries no meaning to the service."""
    return set(current or ()) != set(desired or ())


# ---------------------------------------------------------------------------------------------------
# PEM / DER: certificate bundles and CRLs
# ---------------------------------------------------------------------------------------------------


def read_input_file(path, option):
    """The bytes of a file the user named (a certificate bundle or CRL: public data)."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise MaterialError(
            "%s %s could not be read: %s" % (option, path, error.strerror or error),
            "Check the path and its permissions on the host that runs the module",
            source=path,
        ) from None


def _require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise MaterialError(
            "The Python library 'cryptography' is needed to read certificates and CRLs but is not installed",
            "Install it on the host that runs the module (pip install cryptography, or python3-cryptography)",
        )


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


def pem_blocks(data):
    """[(label, der bytes)] of every PEM block in data; whitespace and CRLF line ends are tolerated."""
    blocks = []
    for match in _PEM_BLOCK_RE.finditer(_as_bytes(data)):
        label = match.group(1).decode("ascii")
        body = b"".join(line for line in match.group(2).split() if b":" not in line)
        try:
            blocks.append((label, base64.b64decode(body, validate=True)))
        except (binascii.Error, ValueError):
            blocks.append((label, None))
    return blocks


def pem_encode(der, label):
    text = base64.b64encode(der).decode("ascii")
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def _looks_like_pem(data):
    return b"-----BEGIN " in data


def load_certificate_bundle(data, source="certificate_bundle"):
    """DER bytes of every CA certificate in a PEM bundle (or one DER certificate), in order.

    Refuses other PEM blocks (private keys above all: their content never appears in a message),
    unreadable certificates and certificates that are not CA certificates.
    """
    _require_cryptography()
    raw = _as_bytes(data)
    if _looks_like_pem(raw):
        ders = _certificate_ders_from_pem(raw, source)
    else:
        ders = [raw]
    if not ders:
        raise MaterialError("%s holds no certificate" % source, "Give one or more PEM certificates (-----BEGIN CERTIFICATE-----)", source=source)
    for position, der in enumerate(ders, 1):
        _check_ca_certificate(der, position, source)
    return ders


def _certificate_ders_from_pem(raw, source):
    ders = []
    for position, (label, der) in enumerate(pem_blocks(raw), 1):
        if label != "CERTIFICATE":
            raise MaterialError(
                "%s block %d is a %s, not a CERTIFICATE" % (source, position, label),
                "A trust anchor holds CA certificates only; remove the other blocks (never put a private key there)",
                source=source,
            )
        if der is None:
            raise MaterialError("%s block %d is not valid base64" % (source, position), "Check that the PEM text is complete", source=source)
        ders.append(der)
    return ders


def _check_ca_certificate(der, position, source):
    try:
        certificate = x509.load_der_x509_certificate(der)
    except (ValueError, UnsupportedAlgorithm):
        raise MaterialError(
            "%s certificate %d could not be read as an X.509 certificate" % (source, position),
            "Give PEM certificates (-----BEGIN CERTIFICATE-----) or one DER certificate",
            source=source,
        ) from None
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise MaterialError(
            "%s certificate %d (%s) is not a CA certificate" % (source, position, certificate.subject.rfc4514_string()),
            "A trust anchor holds CA certificates (basicConstraints CA:true, keyUsage keyCertSign): give the issuing CA, not a host certificate",
            source=source,
        )
    return certificate


def certificate_bundle_pem(ders):
    return "".join(pem_encode(der, "CERTIFICATE") for der in ders)


def certificate_bundle_ders(pem_text):
    """DER of each certificate in a bundle the service returned; [] when it cannot be read."""
    if not pem_text:
        return []
    return [der for label, der in pem_blocks(pem_text) if label == "CERTIFICATE" and der is not None]


def certificate_bundles_differ(current_pem_text, desired_ders):
    """Compare bundles as sets of certificates: line wrapping, comments and order do not matter."""
    return set(certificate_bundle_ders(current_pem_text)) != set(desired_ders)


def certificate_subjects(ders):
    _require_cryptography()
    return [x509.load_der_x509_certificate(der).subject.rfc4514_string() for der in ders]


def load_crl(data, source="crl_data"):
    """DER bytes of a CRL given as PEM (-----BEGIN X509 CRL-----) or DER."""
    _require_cryptography()
    raw = _as_bytes(data)
    der = raw
    if _looks_like_pem(raw):
        crls = [block for block in pem_blocks(raw) if block[0] == "X509 CRL"]
        if len(crls) != 1 or crls[0][1] is None:
            raise MaterialError(
                "%s holds %s" % (source, "no readable X509 CRL block" if not crls or crls[0][1] is None else "more than one CRL"),
                "Give exactly one CRL, PEM (-----BEGIN X509 CRL-----) or DER",
                source=source,
            )
        der = crls[0][1]
    try:
        x509.load_der_x509_crl(der)
    except (ValueError, UnsupportedAlgorithm):
        raise MaterialError("%s could not be read as a certificate revocation list" % source, "Give one CRL, PEM or DER", source=source) from None
    if len(crl_pem(der)) > MAX_CRL_BYTES:
        raise MaterialError("%s is larger than the %d bytes the service accepts" % (source, MAX_CRL_BYTES), "Split the CA or shorten the CRL", source=source)
    return der


def crl_pem(der):
    return pem_encode(der, "X509 CRL")


def crl_der_from_service(data):
    """DER of the CRL the service holds (it returns what was imported: PEM or DER bytes); None when unreadable."""
    if not data:
        return None
    raw = _as_bytes(data)
    if _looks_like_pem(raw):
        blocks = [der for label, der in pem_blocks(raw) if label == "X509 CRL"]
        return blocks[0] if blocks else None
    return raw


def crls_differ(current_data, desired_der):
    return crl_der_from_service(current_data) != desired_der


def crl_text(data):
    """The CRL as PEM text for module results (the service's blob is bytes)."""
    der = crl_der_from_service(data)
    return crl_pem(der) if der else None


def crl_issuer_problem(crl_der, bundle_ders):
    """None when a certificate of the bundle issued (and signed) the CRL, else a message saying why not."""
    _require_cryptography()
    crl = x509.load_der_x509_crl(crl_der)
    certificates = [x509.load_der_x509_certificate(der) for der in bundle_ders]
    same_name = [cert for cert in certificates if cert.subject == crl.issuer]
    subjects = ", ".join(repr(cert.subject.rfc4514_string()) for cert in certificates) or "none"
    if not same_name:
        return "the CRL is issued by %r but the trust anchor's certificates are %s" % (crl.issuer.rfc4514_string(), subjects)
    if not any(_crl_signed_by(crl, cert) for cert in same_name):
        return "the CRL names %r as issuer but is not signed by that certificate of the trust anchor" % crl.issuer.rfc4514_string()
    return None


def _crl_signed_by(crl, certificate):
    try:
        return crl.is_signature_valid(certificate.public_key())
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
