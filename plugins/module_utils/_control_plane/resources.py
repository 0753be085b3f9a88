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

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    UnsupportedAlgorithm = ValueError

from .._core.errors import ConfigurationError
from .._core.errors import MaterialError
# The modules import these rules from here: they live in identifiers.py.
from .._core.identifiers import (  # noqa: F401  pylint: disable=unused-import
    MAX_MANAGED_POLICY_ARNS, MAX_ROLE_ARNS, RESOURCE_TYPES, check_alias_name, check_arn_region, check_managed_policy_arns,
    check_name, check_resource_id, check_role_arns, classify_reference, is_resource_id, parse_rolesanywhere_arn)
from .._core.identifiers import parse_acm_pca_arn
from .._core.identifiers import validate_duration as check_duration_seconds  # noqa: F401  pylint: disable=unused-import
from .._core.pem import certificate_ders
from .._core.pem import crl_der
from .._core.pem import crl_der_or_none as crl_der_from_service  # the service returns what was imported: PEM or DER
from .._core.pem import pem_blocks
from .._core.pem import pem_encode
from .._core.pem import read_file as read_input_file  # noqa: F401  pylint: disable=unused-import
from .._core.pem import require_cryptography

# ---------------------------------------------------------------------------------------------------
# Service facts (botocore model "rolesanywhere" 2018-05-10 and the service documentation)
# ---------------------------------------------------------------------------------------------------

MAX_CRL_BYTES = 300000


# ---------------------------------------------------------------------------------------------------
# Names, identifiers and ARNs
# ---------------------------------------------------------------------------------------------------


def parse_resource_arn(arn, resource_type, option="arn"):
    """A canonical or alias ARN of resource_type, split (see identifiers.parse_rolesanywhere_arn)."""
    return parse_rolesanywhere_arn(arn, resource_type, option)


def check_acm_pca_arn(arn, region=None, option="acm_pca_arn"):
    """An ACM Private CA ARN of the trust anchor's own region."""
    parts = parse_acm_pca_arn(arn, option)
    if region and parts["region"] != region:
        raise ConfigurationError(
            "%s is in region %s but the trust anchor is created in region %s" % (option, parts["region"], region),
            "A trust anchor can only use a private CA of its own region",
        )
    return arn


def unique_in_order(values):
    """The values without duplicates, first occurrence first."""
    return list(dict.fromkeys(values))


def lists_differ(current, desired):
    """Compare ARN lists as sets: their order carries no meaning to the service."""
    return set(current or ()) != set(desired or ())


# ---------------------------------------------------------------------------------------------------
# PEM / DER: certificate bundles and CRLs
# ---------------------------------------------------------------------------------------------------


def load_certificate_bundle(data, source="certificate_bundle"):
    """DER bytes of every CA certificate in a PEM bundle (or one DER certificate), in order.

    Refuses other PEM blocks (private keys above all: their content never appears in a message),
    unreadable certificates and certificates that are not CA certificates.
    """
    require_cryptography()
    ders = certificate_ders(
        data, source, "A trust anchor holds CA certificates only; remove the other blocks (never put a private key there)")
    if not ders:
        raise MaterialError("%s holds no certificate" % source, "Give one or more PEM certificates (-----BEGIN CERTIFICATE-----)", source=source)
    for position, der in enumerate(ders, 1):
        _check_ca_certificate(der, position, source)
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
    return [block.der for block in pem_blocks(pem_text) if block.label == "CERTIFICATE" and block.der is not None]


def certificate_bundles_differ(current_pem_text, desired_ders):
    """Compare bundles as sets of certificates: line wrapping, comments and order do not matter."""
    return set(certificate_bundle_ders(current_pem_text)) != set(desired_ders)


def certificate_subjects(ders):
    require_cryptography()
    return [x509.load_der_x509_certificate(der).subject.rfc4514_string() for der in ders]


def load_crl(data, source="crl_data"):
    """DER bytes of a CRL given as PEM (-----BEGIN X509 CRL-----) or DER."""
    der = crl_der(data, source)
    if len(crl_pem(der)) > MAX_CRL_BYTES:
        raise MaterialError("%s is larger than the %d bytes the service accepts" % (source, MAX_CRL_BYTES), "Split the CA or shorten the CRL", source=source)
    return der


def crl_pem(der):
    return pem_encode(der, "X509 CRL")


def crls_differ(current_data, desired_der):
    return crl_der_from_service(current_data) != desired_der


def crl_text(data):
    """The CRL as PEM text for module results (the service's blob is bytes)."""
    der = crl_der_from_service(data)
    return crl_pem(der) if der else None


def crl_issuer_problem(crl_der, bundle_ders):
    """None when a certificate of the bundle issued (and signed) the CRL, else a message saying why not."""
    require_cryptography()
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
