# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates and CRLs signed by a key that cryptography cannot hold (a ``KeySigner``: a key in a PKCS#11 token).

cryptography signs only with its own private keys. So the certificate (or CRL) is built and signed by a throwaway
key of the same kind, whose signature algorithm (ecdsa-with-SHA256, or sha256WithRSAEncryption: what the token
signer makes, _core/pkcs11.py) is therefore the one written in the TBSCertificate / TBSCertList. Those to-be-signed
bytes are then signed by the real key, and the signatureValue BIT STRING is replaced (RFC 5280 sections 4.1 and
5.1: Certificate and CertificateList are SEQUENCE { tbs, signatureAlgorithm, signatureValue }). Every result is
verified against the CA's public key before it is returned, so a key that does not match cannot slip through.
A CA key file's key (host_certificate.FileKeySigner) signs the same profile directly.
"""

from __future__ import annotations

import datetime

from .._core.errors import MaterialError

UTC = datetime.timezone.utc
REASONS = ("unspecified", "key_compromise", "ca_compromise", "affiliation_changed", "superseded",
           "cessation_of_operation", "certificate_hold", "privilege_withdrawn", "aa_compromise", "remove_from_crl")


def _der_length(length):
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(data, offset):
    """(end of the header, end of the element) of the DER element at ``offset``."""
    first = data[offset + 1]
    if first < 0x80:
        return offset + 2, offset + 2 + first
    count = first & 0x7F
    length = int.from_bytes(data[offset + 2:offset + 2 + count], "big")
    return offset + 2 + count, offset + 2 + count + length


def replace_signature(der, signature):
    """``der`` (a signed Certificate or CertificateList) with its signatureValue replaced by ``signature``."""
    body, end = _tlv(der, 0)
    _tbs_body, tbs_end = _tlv(der, body)
    _algorithm_body, algorithm_end = _tlv(der, tbs_end)
    if der[0] != 0x30 or end != len(der):
        raise ValueError("not a DER SEQUENCE")
    bit_string = b"\x00" + signature  # no unused bits
    content = der[body:algorithm_end] + b"\x03" + _der_length(len(bit_string)) + bit_string
    return b"\x30" + _der_length(len(content)) + content


def _throwaway_key(signer):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel
    if signer.key_type == "EC":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign_with(builder, signer):
    """The DER of ``builder`` (CertificateBuilder or CertificateRevocationListBuilder) signed by ``signer``: with its
    ``private_key`` when it has one (a CA key file), else over the TBS bytes by ``signer.sign`` (a key in a token)."""
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    if getattr(signer, "private_key", None) is not None:
        return builder.sign(signer.private_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    made = builder.sign(_throwaway_key(signer), hashes.SHA256())
    tbs = made.tbs_certificate_bytes if hasattr(made, "tbs_certificate_bytes") else made.tbs_certlist_bytes
    return replace_signature(made.public_bytes(serialization.Encoding.DER), signer.sign(tbs))


def _serial():
    import os  # pylint: disable=import-outside-toplevel
    return int.from_bytes(os.urandom(16), "big") >> 1  # positive, at most 127 bits (RFC 5280 4.1.2.2: <= 20 octets)


def _key_identifiers(builder, subject_key, issuer_key):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    return (builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key), critical=False))


def _verified(certificate, issuer, what):
    try:
        certificate.verify_directly_issued_by(issuer)
    except Exception as exc:  # pylint: disable=broad-except  # InvalidSignature, ValueError, TypeError
        raise MaterialError("the %s signed in the token does not verify with the CA certificate (%s)" % (what, type(exc).__name__),
                            "The token key is not the CA certificate's key: check the key reference's object and id") from None
    return certificate


def self_signed_ca(signer, public_key, common_name, validity_days, now=None):
    """The CA certificate (cryptography object): CA:TRUE pathlen 0, keyCertSign and cRLSign, critical (as trust.yml's
    file CA), self-signed in the token."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel
    now = now or datetime.datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public_key)
               .serial_number(_serial()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=validity_days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                            encipher_only=False, decipher_only=False), critical=True))
    certificate = x509.load_der_x509_certificate(sign_with(_key_identifiers(builder, public_key, public_key), signer))
    return _verified(certificate, certificate, "CA certificate")


def sign_csr(signer, ca_certificate, csr_pem, validity_days, not_before_minutes=5, now=None):
    """The host certificate (cryptography object) for a CSR: its subject and extensions (as community.crypto's ownca
    provider copies them), key identifiers, issued by the CA certificate and signed in the token."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("utf-8") if isinstance(csr_pem, str) else csr_pem)
        valid = csr.is_signature_valid
    except ValueError:
        valid = False
    if not valid:
        raise MaterialError("the CSR to sign is not a valid PEM certificate signing request", "Pass the CSR the host made")
    now = now or datetime.datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_certificate.subject)
               .public_key(csr.public_key()).serial_number(_serial())
               .not_valid_before(now - datetime.timedelta(minutes=not_before_minutes))
               .not_valid_after(now + datetime.timedelta(days=validity_days)))
    for extension in csr.extensions:
        if not isinstance(extension.value, (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)):
            builder = builder.add_extension(extension.value, critical=extension.critical)
    builder = _key_identifiers(builder, csr.public_key(), ca_certificate.public_key())
    return _verified(x509.load_der_x509_certificate(sign_with(builder, signer)), ca_certificate, "certificate")


def crl_entries(existing):
    """{serial: (revocation date, reason or None)} of an existing CRL (cryptography object) or None."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    found = {}
    for entry in existing or []:
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        found[entry.serial_number] = (getattr(entry, "revocation_date_utc", None) or entry.revocation_date.replace(tzinfo=UTC), reason)
    return found


def sign_crl(signer, ca_certificate, entries, next_update_days, now=None):
    """The CRL (cryptography object) listing ``entries`` ({serial: (date, x509.ReasonFlags or None)}), signed in the
    token, with the CA's key identifier and a CRL number (RFC 5280 5.2.1, 5.2.3: what Roles Anywhere's ImportCrl and
    openssl verify -crl_check read)."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    now = now or datetime.datetime.now(UTC)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_certificate.subject).last_update(now)
               .next_update(now + datetime.timedelta(days=next_update_days))
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_certificate.public_key()), critical=False)
               .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False))
    for serial, (date, reason) in sorted(entries.items()):
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(date)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    crl = x509.load_der_x509_crl(sign_with(builder, signer))
    if not crl.is_signature_valid(ca_certificate.public_key()):
        raise MaterialError("the CRL signed in the token does not verify with the CA certificate",
                            "The token key is not the CA certificate's key: check the key reference's object and id")
    return crl
