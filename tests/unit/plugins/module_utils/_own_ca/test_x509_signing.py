# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates and CRLs signed through a KeySigner (the seam a token key sits behind), without a token.

The signer here holds a software key, so the results can be checked against it; SoftHSM2 is in
tests/functional/fleet/test_ca_in_token.py. A signer whose key is not the CA certificate's is caught before any
result is returned.
"""

from __future__ import annotations

import datetime
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.signing import KeySigner
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._own_ca import x509_signing

UTC = datetime.timezone.utc


class SoftwareSigner(KeySigner):
    """A KeySigner over a cryptography key, signing as the token signer does (ECDSA or PKCS#1 v1.5, SHA-256)."""

    def __init__(self, key):
        self.key = key
        self.key_type = "EC" if isinstance(key, ec.EllipticCurvePrivateKey) else "RSA"
        self.signed = []

    def public_key(self):
        return self.key.public_key()

    def sign(self, data):
        self.signed.append(data)
        if self.key_type == "EC":
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


@pytest.fixture(params=["ec-p384", "rsa-2048"])
def signer(request):
    key = ec.generate_private_key(ec.SECP384R1()) if request.param == "ec-p384" else rsa.generate_private_key(65537, 2048)
    return SoftwareSigner(key)


def host_csr(common_name="h1.example.com"):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())


def test_ca_certificate_host_certificate_and_crl_verify(signer, tmp_path):
    ca = x509_signing.self_signed_ca(signer, signer.public_key(), "Unit CA", 30)
    ca.verify_directly_issued_by(ca)
    assert signer.signed[0] == ca.tbs_certificate_bytes  # what the signer signed is the certificate's TBS
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value == x509.BasicConstraints(ca=True, path_length=0)
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).critical

    leaf = x509_signing.sign_csr(signer, ca, host_csr(), 7)
    leaf.verify_directly_issued_by(ca)
    assert leaf.issuer == ca.subject
    assert leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == \
        ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc if hasattr(leaf, "not_valid_after_utc") \
        else leaf.not_valid_after - leaf.not_valid_before
    assert lifetime == datetime.timedelta(days=7, minutes=5)

    now = datetime.datetime.now(UTC)
    crl = x509_signing.sign_crl(signer, ca, {leaf.serial_number: (now, x509.ReasonFlags.key_compromise)}, 7)
    assert crl.is_signature_valid(ca.public_key())
    entry = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert x509_signing.crl_entries(crl)[leaf.serial_number][1] == x509.ReasonFlags.key_compromise

    # openssl agrees: the leaf verifies, and is revoked by the CRL
    paths = {}
    for name, obj in (("ca", ca), ("leaf", leaf), ("crl", crl)):
        paths[name] = str(tmp_path / ("%s.pem" % name))
        with open(paths[name], "wb") as handle:
            handle.write(obj.public_bytes(serialization.Encoding.PEM))
    assert subprocess.run(["openssl", "verify", "-CAfile", paths["ca"], paths["leaf"]], capture_output=True, check=False).returncode == 0
    revoked = subprocess.run(["openssl", "verify", "-crl_check", "-CAfile", paths["ca"], "-CRLfile", paths["crl"], paths["leaf"]],
                             capture_output=True, text=True, check=False)
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr


def test_a_signer_that_is_not_the_ca_key_is_caught(signer):
    ca = x509_signing.self_signed_ca(signer, signer.public_key(), "Unit CA", 30)
    other = SoftwareSigner(ec.generate_private_key(ec.SECP384R1()) if signer.key_type == "EC" else rsa.generate_private_key(65537, 2048))
    with pytest.raises(MaterialError, match="does not verify with the CA certificate"):
        x509_signing.sign_csr(other, ca, host_csr(), 7)
    with pytest.raises(MaterialError, match="CRL signed in the token does not verify"):
        x509_signing.sign_crl(other, ca, {}, 7)
    with pytest.raises(MaterialError, match="CA certificate signed in the token does not verify"):
        x509_signing.self_signed_ca(other, signer.public_key(), "Unit CA", 30)


def test_a_csr_with_a_broken_signature_is_refused(signer):
    ca = x509_signing.self_signed_ca(signer, signer.public_key(), "Unit CA", 30)
    with pytest.raises(MaterialError, match="not a valid PEM certificate signing request"):
        x509_signing.sign_csr(signer, ca, "not a CSR", 7)


@pytest.mark.parametrize("size", [10, 200, 70000])
def test_replace_signature_keeps_tbs_and_algorithm(size):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x" * 10)])
    now = datetime.datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    der = certificate.public_bytes(serialization.Encoding.DER)
    replaced = x509.load_der_x509_certificate(x509_signing.replace_signature(der, b"\x5a" * size))
    assert replaced.tbs_certificate_bytes == certificate.tbs_certificate_bytes
    assert replaced.signature_algorithm_oid == certificate.signature_algorithm_oid
    assert replaced.signature == b"\x5a" * size
