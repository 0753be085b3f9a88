# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test PKI factory: CAs, intermediates, leaves, CRLs and every key/certificate file format.

Everything here is for tests only (keys are generated fresh, nothing is protected).

    ca = make_ca("RSA", cn="Fleet Root")
    sub = make_intermediate(ca, key_type="EC")
    leaf = make_leaf(sub, cn="host1.example.com", sans=["host1.example.com", "IP:10.0.0.1"])
    paths = leaf.write(tmp_path, "host1")          # paths.certificate, paths.private_key, paths.chain
    write_key(tmp_path / "k.pem", leaf.private_key, "pkcs8-encrypted", passphrase="s3cret")
    write_pkcs12(tmp_path / "bundle.p12", leaf, password=None)
    crl = make_crl(ca, [leaf.serial])              # crl.pem, crl.der, crl.crl

Public API (stable, other tests build on it):
    generate_key(key_type="EC", key_size=2048, curve="P-256")
    make_ca(key_type="EC", cn=..., not_before=None, not_after=None, key_size=2048, curve="P-256", ...)
    make_intermediate(parent, key_type="EC", cn=..., ...)
    make_leaf(issuer, key_type="EC", cn=..., sans=None, not_before=None, not_after=None, ca=False,
              key_usage_digital_signature=True, hash_algorithm=SHA256, version=V3, serial=None, ...)
    make_server_cert(ca, hostnames=("localhost", "127.0.0.1"))
    make_crl(ca, revoked_serials, next_update=None, last_update=None)
    Issued: .certificate .private_key .issuer .key_type .serial .cert_pem .cert_der .key_pem (PKCS#8)
            .chain (intermediates, issuer first) .chain_pem .write(directory, name, ...) -> IssuedPaths
    cert_pem(*certs) / cert_der(cert) / key_bytes(key, fmt, passphrase=None) / combined_pem(issued, ...)
    pkcs12_bytes(issued, password=None, include_chain=True)
    write_cert_pem(path, *certs) / write_cert_der(path, cert) / write_key(path, key, fmt, passphrase=None)
    write_combined_pem(path, issued, ...) / write_pkcs12(path, issued, password=None, ...)
Key formats (fmt): "pkcs8", "pkcs8-encrypted", "sec1" (EC only), "pkcs1" (RSA only), "der" (PKCS#8 DER),
"openssh".
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, ed448, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SHA256 = hashes.SHA256()
SHA384 = hashes.SHA384()
SHA512 = hashes.SHA512()
SHA1 = hashes.SHA1()  # only to make certificates that must be refused
MD5 = hashes.MD5()  # likewise (RSA issuers only)
V1 = "v1"
V3 = "v3"

CURVES = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
}

TimeSpec = Union[None, datetime.datetime, datetime.timedelta, int]


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _when(spec: TimeSpec, default: datetime.timedelta) -> datetime.datetime:
    """A datetime (naive means UTC), or an offset from now (timedelta or seconds)."""
    if spec is None:
        spec = default
    if isinstance(spec, int):
        spec = datetime.timedelta(seconds=spec)
    if isinstance(spec, datetime.timedelta):
        return utcnow() + spec
    if spec.tzinfo is None:
        return spec.replace(tzinfo=datetime.timezone.utc)
    return spec


def generate_key(key_type: str = "EC", key_size: int = 2048, curve: str = "P-256"):
    """key_type: "EC" | "RSA" | "Ed25519" | "Ed448" | "DSA"."""
    kind = key_type.upper()
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if kind in ("EC", "ECDSA"):
        curve_class = CURVES[curve] if isinstance(curve, str) else type(curve)
        return ec.generate_private_key(curve_class())
    if kind == "ED25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ED448":
        return ed448.Ed448PrivateKey.generate()
    if kind == "DSA":
        return dsa.generate_private_key(key_size=2048)
    raise ValueError("unknown key_type %r" % key_type)


def key_type_of(key) -> str:
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RSA"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "EC"
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "Ed25519"
    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        return "Ed448"
    if isinstance(key, (dsa.DSAPrivateKey, dsa.DSAPublicKey)):
        return "DSA"
    raise ValueError("unknown key %r" % type(key))


def _signing_hash(issuer_key, hash_algorithm):
    """Ed25519/Ed448 issuers sign without a separate hash."""
    if isinstance(issuer_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return None
    return hash_algorithm


def _name(cn: Optional[str], organization: Optional[str] = None, extra: Sequence = ()) -> x509.Name:
    attributes = []
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if cn:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    attributes.extend(extra)
    return x509.Name(attributes)


def _general_name(entry) -> x509.GeneralName:
    """"host", "DNS:host", "IP:1.2.3.4", "URI:spiffe://x", "email:a@b", or a GeneralName."""
    if isinstance(entry, x509.GeneralName):
        return entry
    kind, sep, value = entry.partition(":")
    if not sep or kind.upper() not in ("DNS", "IP", "URI", "EMAIL"):
        try:
            return x509.IPAddress(ipaddress.ip_address(entry))
        except ValueError:
            return x509.DNSName(entry)
    kind = kind.upper()
    if kind == "DNS":
        return x509.DNSName(value)
    if kind == "IP":
        return x509.IPAddress(ipaddress.ip_address(value))
    if kind == "URI":
        return x509.UniformResourceIdentifier(value)
    return x509.RFC822Name(value)


@dataclass
class IssuedPaths:
    certificate: str
    private_key: str
    chain: Optional[str] = None  # intermediates PEM, only when the issued object has any


@dataclass
class Issued:
    """A certificate with its private key and its issuer (None for a self-signed root)."""

    certificate: x509.Certificate
    private_key: object
    issuer: Optional["Issued"] = None
    hash_algorithm: object = field(default_factory=hashes.SHA256, repr=False)

    @property
    def key_type(self) -> str:
        return key_type_of(self.private_key)

    @property
    def serial(self) -> int:
        return self.certificate.serial_number

    @property
    def subject(self) -> x509.Name:
        return self.certificate.subject

    @property
    def is_ca(self) -> bool:
        try:
            return self.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            return False

    @property
    def cert_pem(self) -> bytes:
        return cert_pem(self.certificate)

    @property
    def cert_der(self) -> bytes:
        return cert_der(self.certificate)

    @property
    def key_pem(self) -> bytes:
        """PKCS#8 PEM, unencrypted."""
        return key_bytes(self.private_key, "pkcs8")

    @property
    def root(self) -> "Issued":
        node = self
        while node.issuer is not None:
            node = node.issuer
        return node

    @property
    def chain(self) -> List[x509.Certificate]:
        """Intermediates between this certificate and the root: issuer first, root excluded."""
        result = []
        node = self.issuer
        while node is not None and node.issuer is not None:
            result.append(node.certificate)
            node = node.issuer
        return result

    @property
    def chain_pem(self) -> bytes:
        return cert_pem(*self.chain)

    def write(self, directory, name: str, key_format: str = "pkcs8", passphrase=None) -> IssuedPaths:
        """Write <name>.crt (PEM), <name>.key (key_format) and, with intermediates, <name>-chain.pem."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        certificate_path = os.path.join(directory, name + ".crt")
        key_path = os.path.join(directory, name + ".key")
        write_cert_pem(certificate_path, self.certificate)
        write_key(key_path, self.private_key, key_format, passphrase=passphrase)
        chain_path = None
        if self.chain:
            chain_path = os.path.join(directory, name + "-chain.pem")
            write_cert_pem(chain_path, *self.chain)
        return IssuedPaths(certificate=certificate_path, private_key=key_path, chain=chain_path)


def _ca_extensions(builder, public_key, issuer_certificate, path_length):
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
        ),
        critical=True,
    )
    builder = builder.add_extension(ski, critical=False)
    if issuer_certificate is not None:
        builder = builder.add_extension(_aki(issuer_certificate), critical=False)
    return builder


def _aki(issuer_certificate: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_certificate.public_key())


def make_ca(
    key_type: str = "EC",
    cn: str = "rolesanywhere.fleet Test Root CA",
    not_before: TimeSpec = None,
    not_after: TimeSpec = None,
    key_size: int = 2048,
    curve: str = "P-256",
    hash_algorithm=SHA256,
    path_length: Optional[int] = None,
    organization: Optional[str] = "rolesanywhere.fleet tests",
    private_key=None,
    serial: Optional[int] = None,
) -> Issued:
    """A self-signed root CA (CA:true, keyCertSign, cRLSign)."""
    key = private_key if private_key is not None else generate_key(key_type, key_size, curve)
    name = _name(cn, organization)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(_when(not_before, datetime.timedelta(days=-1)))
        .not_valid_after(_when(not_after, datetime.timedelta(days=3650)))
    )
    builder = _ca_extensions(builder, key.public_key(), None, path_length)
    certificate = builder.sign(key, _signing_hash(key, hash_algorithm))
    return Issued(certificate=certificate, private_key=key, issuer=None, hash_algorithm=hash_algorithm)


def make_intermediate(
    parent: Issued,
    key_type: str = "EC",
    cn: str = "rolesanywhere.fleet Test Intermediate CA",
    not_before: TimeSpec = None,
    not_after: TimeSpec = None,
    key_size: int = 2048,
    curve: str = "P-256",
    hash_algorithm=SHA256,
    path_length: Optional[int] = 0,
    organization: Optional[str] = "rolesanywhere.fleet tests",
    private_key=None,
    serial: Optional[int] = None,
) -> Issued:
    """A CA certificate signed by parent (a root or another intermediate)."""
    key = private_key if private_key is not None else generate_key(key_type, key_size, curve)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, organization))
        .issuer_name(parent.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(_when(not_before, datetime.timedelta(days=-1)))
        .not_valid_after(_when(not_after, datetime.timedelta(days=1825)))
    )
    builder = _ca_extensions(builder, key.public_key(), parent.certificate, path_length)
    certificate = builder.sign(parent.private_key, _signing_hash(parent.private_key, hash_algorithm))
    return Issued(certificate=certificate, private_key=key, issuer=parent, hash_algorithm=hash_algorithm)


def _leaf_key_usage(digital_signature: bool) -> x509.KeyUsage:
    # Without digitalSignature the extension still exists (with keyEncipherment), so that verifiers
    # see a present-but-insufficient keyUsage rather than a missing one.
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=not digital_signature,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def make_leaf(
    issuer: Issued,
    key_type: str = "EC",
    cn: Optional[str] = "host1.example.com",
    sans: Optional[Iterable] = None,
    not_before: TimeSpec = None,
    not_after: TimeSpec = None,
    ca: bool = False,
    key_usage_digital_signature: bool = True,
    hash_algorithm=SHA256,
    version: str = V3,
    serial: Optional[int] = None,
    key_size: int = 2048,
    curve: str = "P-256",
    private_key=None,
    extended_key_usages: Optional[Sequence] = (ExtendedKeyUsageOID.CLIENT_AUTH,),
    organization: Optional[str] = None,
    subject_extra: Sequence = (),
    extra_extensions: Sequence = (),
) -> Issued:
    """An end-entity certificate signed by issuer.

    sans: DNS names / IPs / "URI:..." / "email:..." / GeneralName objects. ca=True makes a leaf that
    wrongly claims CA:true (to test refusal). version=V1 re-encodes the certificate as X.509 v1 (no
    extensions). private_key reuses an existing key (e.g. to renew, or to make a mismatch).
    extra_extensions: (extension, critical) pairs.
    """
    key = private_key if private_key is not None else generate_key(key_type, key_size, curve)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, organization, subject_extra))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(_when(not_before, datetime.timedelta(hours=-1)))
        .not_valid_after(_when(not_after, datetime.timedelta(days=30)))
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    builder = builder.add_extension(_leaf_key_usage(key_usage_digital_signature), critical=True)
    if extended_key_usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usages)), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    builder = builder.add_extension(_aki(issuer.certificate), critical=False)
    for extension, critical in extra_extensions:
        builder = builder.add_extension(extension, critical=critical)
    sign_hash = _signing_hash(issuer.private_key, hash_algorithm)
    weak = _is_weak(sign_hash)
    # cryptography refuses to sign certificates with SHA-1/MD5: sign with SHA-256, then re-sign by hand.
    certificate = builder.sign(issuer.private_key, SHA256 if weak else sign_hash)
    if version == V1 or weak:
        certificate = _resign(certificate, issuer.private_key, sign_hash, version1=(version == V1))
    return Issued(certificate=certificate, private_key=key, issuer=issuer, hash_algorithm=hash_algorithm)


def make_server_cert(ca: Issued, hostnames: Sequence[str] = ("localhost", "127.0.0.1"), key_type: str = "EC") -> Issued:
    """A TLS server certificate for loopback test servers."""
    return make_leaf(
        ca, key_type=key_type, cn=hostnames[0], sans=list(hostnames),
        extended_key_usages=(ExtendedKeyUsageOID.SERVER_AUTH,),
    )


# --- X.509 v1 re-encoding (cryptography's builder only makes v3) ------------------------------------

def _der_read(data: bytes, offset: int):
    """Return (tag, header_length, content_length) of the DER element at offset."""
    tag = data[offset]
    first = data[offset + 1]
    if first < 0x80:
        return tag, 2, first
    count = first & 0x7F
    length = int.from_bytes(data[offset + 2:offset + 2 + count], "big")
    return tag, 2 + count, length


def _der_children(data: bytes) -> List[bytes]:
    children = []
    offset = 0
    while offset < len(data):
        _tag, header, length = _der_read(data, offset)
        children.append(data[offset:offset + header + length])
        offset += header + length
    return children


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_sequence(parts: Sequence[bytes]) -> bytes:
    body = b"".join(parts)
    return b"\x30" + _der_length(len(body)) + body


def _der_content(element: bytes) -> bytes:
    _tag, header, length = _der_read(element, 0)
    return element[header:header + length]


def _sign_raw(key, data: bytes, hash_algorithm) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hash_algorithm)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hash_algorithm))
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, hash_algorithm)
    return key.sign(data)


_WEAK_ALGORITHM_IDS = {
    # (hash name, key kind) -> DER AlgorithmIdentifier
    ("sha1", "RSA"): bytes.fromhex("300d06092a864886f70d0101050500"),
    ("md5", "RSA"): bytes.fromhex("300d06092a864886f70d0101040500"),
    ("sha1", "EC"): bytes.fromhex("300906072a8648ce3d0401"),
}


def _is_weak(hash_algorithm) -> bool:
    return hash_algorithm is not None and hash_algorithm.name in ("sha1", "md5")


def _resign(certificate: x509.Certificate, issuer_key, hash_algorithm, version1: bool) -> x509.Certificate:
    """Re-encode the TBS (v1: drop version [0] and extensions [3]; weak hash: swap the algorithm ids) and re-sign."""
    certificate_parts = _der_children(_der_content(certificate.public_bytes(serialization.Encoding.DER)))
    tbs_parts = _der_children(_der_content(certificate_parts[0]))
    algorithm_id = certificate_parts[1]
    if _is_weak(hash_algorithm):
        algorithm_id = _WEAK_ALGORITHM_IDS[(hash_algorithm.name, key_type_of(issuer_key))]
        index = 2 if tbs_parts[0][0] == 0xA0 else 1  # [version], serial, signature AlgorithmIdentifier
        tbs_parts[index] = algorithm_id
    if version1:
        tbs_parts = [part for part in tbs_parts if part[0] not in (0xA0, 0xA3)]
    tbs = _der_sequence(tbs_parts)
    signature = _sign_raw(issuer_key, tbs, hash_algorithm)
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    return x509.load_der_x509_certificate(_der_sequence([tbs, algorithm_id, bit_string]))


# --- CRLs ------------------------------------------------------------------------------------------

@dataclass
class IssuedCRL:
    crl: x509.CertificateRevocationList

    @property
    def pem(self) -> bytes:
        return self.crl.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.crl.public_bytes(serialization.Encoding.DER)

    def write(self, path, der: bool = False) -> str:
        return _write(path, self.der if der else self.pem)


def make_crl(
    ca: Issued,
    revoked_serials: Iterable[int] = (),
    next_update: TimeSpec = None,
    last_update: TimeSpec = None,
    revocation_date: TimeSpec = None,
    hash_algorithm=SHA256,
    crl_number: int = 1,
) -> IssuedCRL:
    """A CRL signed by ca revoking the given serials (ints or Issued objects)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(_when(last_update, datetime.timedelta(minutes=-5)))
        .next_update(_when(next_update, datetime.timedelta(days=7)))
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(_aki(ca.certificate), critical=False)
    )
    revoked_at = _when(revocation_date, datetime.timedelta(minutes=-10))
    for entry in revoked_serials:
        serial = entry.serial if isinstance(entry, Issued) else int(entry)
        revoked = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(revoked_at).build()
        builder = builder.add_revoked_certificate(revoked)
    return IssuedCRL(crl=builder.sign(ca.private_key, _signing_hash(ca.private_key, hash_algorithm)))


# --- encodings ---------------------------------------------------------------------------------------

def cert_pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def cert_der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _encryption(passphrase):
    if passphrase is None:
        raise ValueError("an encrypted key format needs a passphrase")
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    return serialization.BestAvailableEncryption(passphrase)


def key_bytes(key, fmt: str = "pkcs8", passphrase=None) -> bytes:
    """Serialise a private key: pkcs8 | pkcs8-encrypted | sec1 | pkcs1 | der | der-encrypted | openssh.

    "sec1" and "pkcs1" are the TraditionalOpenSSL PEM forms ("EC PRIVATE KEY" / "RSA PRIVATE KEY");
    with a passphrase they become legacy OpenSSL-encrypted PEM (Proc-Type/DEK-Info headers).
    """
    enc = serialization.Encoding
    fmts = serialization.PrivateFormat
    no_encryption = serialization.NoEncryption()
    if fmt == "pkcs8":
        return key.private_bytes(enc.PEM, fmts.PKCS8, no_encryption)
    if fmt == "pkcs8-encrypted":
        return key.private_bytes(enc.PEM, fmts.PKCS8, _encryption(passphrase))
    if fmt == "der":
        return key.private_bytes(enc.DER, fmts.PKCS8, no_encryption)
    if fmt == "der-encrypted":
        return key.private_bytes(enc.DER, fmts.PKCS8, _encryption(passphrase))
    if fmt in ("sec1", "pkcs1"):
        expected = ec.EllipticCurvePrivateKey if fmt == "sec1" else rsa.RSAPrivateKey
        if not isinstance(key, expected):
            raise ValueError("%s needs %s key" % (fmt, "an EC" if fmt == "sec1" else "an RSA"))
        encryption = _encryption(passphrase) if passphrase is not None else no_encryption
        return key.private_bytes(enc.PEM, fmts.TraditionalOpenSSL, encryption)
    if fmt == "openssh":
        return key.private_bytes(enc.PEM, fmts.OpenSSH, no_encryption)
    raise ValueError("unknown key format %r" % fmt)


def combined_pem(issued: Issued, key_format: str = "pkcs8", include_chain: bool = True, key_first: bool = True) -> bytes:
    """Key + certificate (+ intermediates) in one PEM file."""
    key = key_bytes(issued.private_key, key_format)
    certificates = issued.cert_pem + (issued.chain_pem if include_chain else b"")
    return key + certificates if key_first else certificates + key


def pkcs12_bytes(issued: Issued, password=None, include_chain: bool = True, name: bytes = b"rolesanywhere-test") -> bytes:
    if isinstance(password, str):
        password = password.encode("utf-8")
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    cas = issued.chain if include_chain else None
    return pkcs12.serialize_key_and_certificates(name, issued.private_key, issued.certificate, cas or None, encryption)


# --- writers -----------------------------------------------------------------------------------------

def _write(path, data: bytes, mode: int = 0o644) -> str:
    path = os.fspath(path)
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
    return path


def write_cert_pem(path, *certificates: x509.Certificate) -> str:
    return _write(path, cert_pem(*certificates))


def write_cert_der(path, certificate: x509.Certificate) -> str:
    return _write(path, cert_der(certificate))


def write_key(path, key, fmt: str = "pkcs8", passphrase=None) -> str:
    return _write(path, key_bytes(key, fmt, passphrase), mode=0o600)


def write_combined_pem(path, issued: Issued, key_format: str = "pkcs8", include_chain: bool = True, key_first: bool = True) -> str:
    return _write(path, combined_pem(issued, key_format, include_chain, key_first), mode=0o600)


def write_pkcs12(path, issued: Issued, password=None, include_chain: bool = True) -> str:
    return _write(path, pkcs12_bytes(issued, password, include_chain), mode=0o600)
