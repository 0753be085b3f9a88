# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The new key and its certificate signing request, made on the host in the staging slot (one module call).

What the role used to make with community.crypto's openssl_privatekey (PKCS#8 PEM, encrypted with the best
available cipher when there is a passphrase, as its ``cipher: auto``) and openssl_csr_pipe (SHA-256, the
extensions below). The CSR's extensions are what AWS requires of an end-entity certificate for Roles Anywhere:
basicConstraints CA:FALSE, keyUsage digitalSignature (critical), extendedKeyUsage clientAuth
(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html, "Signing certificate
requirements").
"""

from __future__ import annotations

import ipaddress

from .host import LONG_NAMES

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
except ImportError:  # pragma: no cover - the module reports it
    x509 = None

_OIDS = dict((name, oid) for oid, name in LONG_NAMES.items())
_CURVES = {"secp256r1": "SECP256R1", "secp384r1": "SECP384R1", "secp521r1": "SECP521R1"}


class RequestError(ValueError):
    """A subject attribute, SAN or key spec that cannot go into the request: the user's to fix."""


def make_key(key_spec):
    """A new private key for the role's key spec ({type: ECC, curve} or {type: RSA, size})."""
    if key_spec.get("type") == "ECC" and key_spec.get("curve") in _CURVES:
        return ec.generate_private_key(getattr(ec, _CURVES[key_spec["curve"]])())
    if key_spec.get("type") == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_spec.get("size") or 2048))
    raise RequestError("key spec %r is neither ECC with a curve of %s nor RSA" % (key_spec, ", ".join(sorted(_CURVES))))


def key_pem(key, passphrase=""):
    """PKCS#8 PEM, encrypted with the best available cipher when there is a passphrase."""
    encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def subject_name(common_name, subject):
    """The subject: the common name, then enroll_subject's attributes (OpenSSL long names, as enroll_state reads
    them back: a short name would never compare equal and would renew on every run)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    for name, value in (subject or {}).items():
        if name not in _OIDS:
            raise RequestError("enroll_subject key '%s' is not an OpenSSL long name; use one of %s"
                               % (name, ", ".join(sorted(n for n in _OIDS if n != "commonName"))))
        attributes.append(x509.NameAttribute(ObjectIdentifier(_OIDS[name]), str(value)))
    return x509.Name(attributes)


def general_name(text):
    """One subject alternative name from its prefixed text (DNS:, IP:, URI:, email:, RID:, dirName:)."""
    kind, value = text.split(":", 1) if ":" in text else (text, "")
    try:
        if kind == "DNS":
            return x509.DNSName(value)
        if kind == "IP":
            return x509.IPAddress(ipaddress.ip_address(value))
        if kind == "URI":
            return x509.UniformResourceIdentifier(value)
        if kind == "email":
            return x509.RFC822Name(value)
        if kind == "RID":
            return x509.RegisteredID(ObjectIdentifier(value))
        if kind == "dirName":
            return x509.DirectoryName(x509.Name.from_rfc4514_string(value))
    except ValueError as error:
        raise RequestError("subject alternative name '%s' is not valid: %s" % (text, error)) from None
    raise RequestError("subject alternative name '%s' needs a type prefix DNS:, IP:, URI:, email:, RID: or dirName:" % text)


def _request_builder(common_name, subject, subject_alt_names):
    builder = (x509.CertificateSigningRequestBuilder()
               .subject_name(subject_name(common_name, subject))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
    if subject_alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([general_name(name) for name in subject_alt_names]),
                                        critical=False)
    return builder


def make_request(key, common_name, subject=None, subject_alt_names=()):
    """The CSR (PEM text) for key, signed with SHA-256."""
    builder = _request_builder(common_name, subject, subject_alt_names)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii")


def _element(der, offset):
    """(start, end) of the DER element at ``offset`` (its header included)."""
    first = der[offset + 1]
    if first < 0x80:
        return offset, offset + 2 + first
    count = first & 0x7F
    return offset, offset + 2 + count + int.from_bytes(der[offset + 2:offset + 2 + count], "big")


def _header_end(der, offset):
    return offset + 2 + (der[offset + 1] & 0x7F if der[offset + 1] >= 0x80 else 0)


def _sequence(content, tag=b"\x30"):
    length = len(content)
    if length < 0x80:
        return tag + bytes([length]) + content
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return tag + bytes([0x80 | len(body)]) + body + content


def make_token_request(signer, public_key, common_name, subject=None, subject_alt_names=()):
    """The CSR (PEM text) of a key cryptography cannot hold (a KeySigner: in a PKCS#11 token), signed by it.

    cryptography signs requests only with its own keys: the request is built and signed by a throwaway key of the
    same kind (so the signatureAlgorithm is the signer's: ecdsa-with-SHA256 or sha256WithRSAEncryption), then its
    subjectPKInfo is replaced by the token key's and the CertificationRequestInfo signed by the token (RFC 2986
    section 4: CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature },
    CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] }), as the own CA's
    certificates are (_own_ca/x509_signing.py). The result is verified before it is returned."""
    throwaway = (ec.generate_private_key(ec.SECP256R1()) if signer.key_type == "EC"
                 else rsa.generate_private_key(public_exponent=65537, key_size=2048))
    der = _request_builder(common_name, subject, subject_alt_names).sign(throwaway, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)
    info_start, info_end = _element(der, _header_end(der, 0))
    _version_start, version_end = _element(der, _header_end(der, info_start))
    _subject_start, subject_end = _element(der, version_end)
    _key_start, key_end = _element(der, subject_end)
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    info = _sequence(der[_header_end(der, info_start):subject_end] + spki + der[key_end:info_end])
    _algorithm_start, algorithm_end = _element(der, info_end)
    signature = signer.sign(info)
    request = x509.load_der_x509_csr(_sequence(info + der[info_end:algorithm_end] + _sequence(b"\x00" + signature, b"\x03")))
    if not request.is_signature_valid or request.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != spki:
        raise RequestError("the request signed in the token does not verify with the key made there")
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")
