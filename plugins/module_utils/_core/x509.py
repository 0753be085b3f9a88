# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load the signing material (leaf certificate, private key, intermediates) and describe certificates.

Accepted inputs, each given as a path, PEM/DER text or bytes:
  certificates: PEM (one or many), DER, a combined PEM (key + certificate [+ chain]), PKCS#12;
  private keys: PKCS#8 (plain or encrypted), SEC1 ("EC PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY"),
                legacy OpenSSL-encrypted PEM, DER.
Roles Anywhere signs with RSA, EC (P-256, P-384, P-521) and ML-DSA keys only; anything else is refused here, naming
the file.
Error messages name files, never key material or passphrases.
"""

from __future__ import annotations

import datetime
import hashlib

from .errors import MaterialError, UntrustedCertificateError
from .pem import (  # noqa: F401  pylint: disable=unused-import
    CERTIFICATE_LABELS, DER_BYTES, PEM_TEXT, PRIVATE_KEY_LABELS, NamedData, backend as _backend, load_certificates,
    parse_certificates, pem_blocks, read_source, require_cryptography)
from .mldsa_keys import mldsa_key_from_pkcs8, mldsa_key_name
from .pkcs11_uri import is_pkcs11_uri
from .records import Record
from .tpm import TSS2_PEM_LABEL, is_tpm_handle
from .signing import KeySigner, algorithm_for_key

try:
    import cryptography
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    pass

ALGORITHM_RSA = "AWS4-X509-RSA-SHA256"
ALGORITHM_ECDSA = "AWS4-X509-ECDSA-SHA256"
SUPPORTED_CURVES = ("secp256r1", "secp384r1", "secp521r1")
CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_IGNORED_LABELS = ("EC PARAMETERS",)  # `openssl ecparam -genkey` writes it before the key
INTERMEDIATES_HINT = "Point intermediates (--intermediates) to a PEM bundle of the intermediate CA certificates"


def _rsa_load_options():
    """OpenSSL's RSA key check tests p and q for primality, about 30 ms for RSA-2048 at every load; cryptography
    39+ can skip it (``unsafe_skip_rsa_key_validation``). The key is then checked as AWS's helper checks it:
    ``check_rsa_private_key`` (Go's crypto/rsa PrivateKey.Validate, which tests no primality either)."""
    try:
        return {"unsafe_skip_rsa_key_validation": True} if int(cryptography.__version__.split(".")[0]) >= 39 else {}
    except (NameError, ValueError):
        return {}


def check_rsa_private_key(key, description):
    """Go's rsa.PrivateKey.Validate: n = p * q, d * e = 1 mod p-1 and q-1, and consistent CRT values
    (a wrong CRT value would make OpenSSL sign without CRT or sign wrongly; either way, refuse the key)."""
    if not isinstance(key, rsa.RSAPrivateKey):
        return key
    numbers = key.private_numbers()
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    if (p < 2 or q < 2 or p * q != n or (d * e) % (p - 1) != 1 or (d * e) % (q - 1) != 1 or numbers.dmp1 != d % (p - 1)
            or numbers.dmq1 != d % (q - 1) or (numbers.iqmp * q) % p != 1):
        raise _key_error(description, "is not a consistent RSA key (its numbers do not belong together)",
                         "Restore the key from a backup, or make a new key and certificate")
    return key


class SigningMaterial(Record):
    """Everything CreateSession needs from the host's PKI files."""

    # certificate: x509.Certificate; *_der: bytes; chain: tuple of certificates; private_key: a key or KeySigner;
    # serial: int; not_after: datetime (aware); the rest str
    __slots__ = ("certificate", "certificate_der", "chain", "chain_der", "private_key", "key_type", "serial", "algorithm",
                 "fingerprint_sha256", "not_after", "source")
    _hidden = frozenset(("certificate_der", "chain_der", "private_key"))


def _passphrase_bytes(passphrase):
    if passphrase is None or isinstance(passphrase, bytes):
        return passphrase
    return str(passphrase).encode("utf-8")


# --- certificates ----------------------------------------------------------------------------------

# --- private keys ----------------------------------------------------------------------------------

def _key_error(description, problem, hint):
    return MaterialError("private key %s %s" % (description, problem), hint, source=description)


def _load_pem_key(block, passphrase, description):
    return _load_key(serialization.load_pem_private_key, block, passphrase, description)


def _load_der_key(data, passphrase, description):
    return _load_key(serialization.load_der_private_key, data, passphrase, description)


def _load_key(load, data, passphrase, description):
    """``load`` (cryptography's PEM or DER private-key loader) with one clear error per way it fails."""
    pem = load is serialization.load_pem_private_key
    password = _passphrase_bytes(passphrase)
    try:
        return load(data, password=password, backend=_backend(), **_rsa_load_options())
    except TypeError as error:
        if "not encrypted" in str(error):
            return load(data, password=None, backend=_backend(), **_rsa_load_options())
        raise _key_error(description, "is encrypted and no passphrase was given", "Pass the key's passphrase") from None
    except ValueError as error:
        if pem and password is not None and (b"ENCRYPTED" in data or b"Proc-Type: 4,ENCRYPTED" in data):
            if "ASN.1 parsing error" in str(error):  # decrypted, but what it holds cannot be read
                raise _key_error(description, "was decrypted but holds a key in a form cryptography cannot read",
                                 "An encrypted ML-DSA key must hold the seed-only form; AWS's seed-and-expanded form "
                                 "is read unencrypted only (keep it 0600)") from None
            raise _key_error(description, "could not be decrypted: the passphrase is wrong", "Check the passphrase") from None
        if not pem and password is not None:  # DER says nothing about encryption: either may be wrong
            raise _key_error(description, "could not be decrypted or parsed: wrong passphrase or not a key",
                             "Check the passphrase and the file") from None
        key = mldsa_key_from_pkcs8(data, description)
        if key is not None:
            return key
        if pem:
            raise _key_error(description, "could not be parsed", "Use PKCS#8, SEC1 or PKCS#1 PEM, or DER") from None
        raise _key_error(description, "is not a PEM or DER private key", "Use PKCS#8, SEC1 or PKCS#1 (PEM or DER)") from None
    except Exception as error:  # unsupported algorithms surface as UnsupportedAlgorithm
        if mldsa_key_from_pkcs8(data, description) is not None:  # raises the clear error without ML-DSA
            raise AssertionError("unreachable")
        raise _key_error(description, "uses an unsupported format (%s)" % type(error).__name__,
                         "Use an RSA, EC or ML-DSA key in PKCS#8, SEC1 or PKCS#1") from None


def key_type_name(key):
    """Human name of a key's type: "RSA 2048", "EC P-256", "Ed25519", ..."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RSA %d" % key.key_size
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "EC %s" % CURVE_NAMES.get(key.curve.name, key.curve.name)
    if mldsa_key_name(key):
        return mldsa_key_name(key)
    name = type(key).__name__
    for suffix in ("PrivateKey", "PublicKey"):
        name = name.replace(suffix, "")
    return name.lstrip("_") or "unknown"


def check_key_supported(key, description):
    """Return "RSA", "EC" or "ML-DSA"; refuse keys Roles Anywhere cannot use (Ed25519, P-192, DSA, ...).

    The key types of AWS's aws_signing_helper 1.8 (file_system_signer.go:110-122): RSA, EC (P-256, P-384,
    P-521) and ML-DSA-44/65/87.
    """
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RSA"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and key.curve.name in SUPPORTED_CURVES:
        return "EC"
    if mldsa_key_name(key):
        return "ML-DSA"
    raise MaterialError(
        "%s holds a %s key, which IAM Roles Anywhere cannot use" % (description, key_type_name(key)),
        "Use an RSA key, an EC key on P-256, P-384 or P-521, or an ML-DSA key", source=description,
    )


def _key_from_data(data, description, passphrase):
    return check_rsa_private_key(_parse_key(data, description, passphrase), description)


def _parse_key(data, description, passphrase):
    blocks = pem_blocks(data)
    if not blocks:
        if b"-----BEGIN" in data:
            raise _key_error(description, "has a PEM header but no complete PEM block", "Check the file for truncation")
        return _load_der_key(data, passphrase, description)
    key_blocks = [block.text for block in blocks if block.label in PRIVATE_KEY_LABELS]
    if not key_blocks:
        labels = sorted({block.label for block in blocks if block.label not in _IGNORED_LABELS})
        raise _key_error(description, "holds no private key (found: %s)" % ", ".join(labels),
                         "Point to the key file (PKCS#8, SEC1 or PKCS#1 PEM)")
    if len(key_blocks) > 1:
        raise _key_error(description, "holds %d private keys" % len(key_blocks), "Keep exactly one private key in the file")
    return _load_pem_key(key_blocks[0], passphrase, description)


def load_private_key(source, passphrase=None, tpm=None):
    """The private key in a PEM (PKCS#8 plain/encrypted, SEC1, PKCS#1) or DER file/text; a TPM key (``handle:0x81...``
    or a TSS2 key file) is a tpm.TpmSigner, with ``tpm`` (tpm.TpmKeyOptions) its password options."""
    require_cryptography()
    return _load_private_key(source, passphrase, tpm)[0]


def _load_private_key(source, passphrase, tpm=None):
    if is_tpm_handle(source):  # AWS's signer.go GetSigner: "handle:" selects TPMv2Signer
        from .tpm import tpm_handle_signer  # pylint: disable=import-outside-toplevel
        return tpm_handle_signer(source, tpm), source
    data, description = read_source(source, "private key")
    if TSS2_PEM_LABEL in data:  # a TSS2 PRIVATE KEY file: the key is wrapped by a TPM and signs there
        from .tpm import tpm_key_signer  # pylint: disable=import-outside-toplevel
        key = tpm_key_signer(data, description, tpm)
        check_key_supported(key.public_key(), description)
        return key, description
    key = _key_from_data(data, description, passphrase)
    check_key_supported(key, description)
    return key, description


# --- PKCS#12 -----------------------------------------------------------------------------------------

def _load_pkcs12(data, description, passphrase):
    """(key, certificate, additional certificates) or None when data is not PKCS#12."""
    password = _passphrase_bytes(passphrase)
    attempts = [password] if password is not None else [None, b""]
    for candidate in attempts:
        try:
            return pkcs12.load_key_and_certificates(data, candidate, _backend())
        except ValueError:
            continue
        except Exception:  # pylint: disable=broad-except  # unsupported PBE algorithms and the like
            return None
    if _is_der_sequence(data):
        if password is None:
            raise MaterialError(
                "%s is not a DER certificate, and as PKCS#12 it needs a password" % description,
                "Pass the PKCS#12 password as the passphrase", source=description,
            )
        raise MaterialError(
            "%s could not be opened as PKCS#12: the password is wrong or the file is damaged" % description,
            "Check the passphrase and the file", source=description,
        )
    return None


def _is_der_sequence(data):
    return len(data) > 4 and data[0:1] == b"\x30"


# --- the whole set -----------------------------------------------------------------------------------

def _public_der(key):
    public_key = key.public_key() if hasattr(key, "private_bytes") or isinstance(key, KeySigner) else key
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches_certificate(private_key, certificate):
    return _public_der(private_key) == _public_der(certificate.public_key())


def _certificate_bundle(data, description, passphrase):
    """(certificates, embedded key or None) from a PEM / combined PEM / DER / PKCS#12 certificate source."""
    blocks = pem_blocks(data)
    if not data.strip():
        raise MaterialError("certificate %s is empty" % description, "Point to the certificate file", source=description)
    if blocks or b"-----BEGIN" in data:
        certificates = parse_certificates(data, description)
        key_blocks = [block.text for block in blocks if block.label in PRIVATE_KEY_LABELS]
        if len(key_blocks) > 1:
            raise _key_error(description, "holds %d private keys" % len(key_blocks), "Keep exactly one private key in the file")
        key = check_rsa_private_key(_load_pem_key(key_blocks[0], passphrase, description), description) if key_blocks else None
        return certificates, key
    try:
        return [x509.load_der_x509_certificate(data, _backend())], None
    except ValueError:
        pass
    bundle = _load_pkcs12(data, description, passphrase)
    if bundle is None:
        raise MaterialError(
            "%s is not a PEM, DER or PKCS#12 certificate" % description,
            "Use a PEM or DER certificate, a combined PEM (key + certificate) or a PKCS#12 file", source=description,
        )
    key, certificate, additional = bundle
    if certificate is None:
        raise MaterialError("PKCS#12 file %s holds no certificate" % description, "Export the certificate with its key", source=description)
    return [certificate] + list(additional or []), key


def _pick_leaf(certificates, key):
    """The certificate whose public key is key's (any order in a combined file), else the first one."""
    if key is not None:
        for certificate in certificates:
            if key_matches_certificate(key, certificate):
                return certificate
    return certificates[0]


def _der(certificate):
    return certificate.public_bytes(serialization.Encoding.DER)


def _order_chain(leaf, candidates):
    """Intermediates in issuer order starting at the leaf's issuer; leftovers after, duplicates dropped."""
    leaf_der = _der(leaf)
    unique = []
    seen = {leaf_der}
    for certificate in candidates:
        der = _der(certificate)
        if der not in seen:
            seen.add(der)
            unique.append(certificate)
    ordered = []
    current = leaf
    while True:
        issuer = next((c for c in unique if c not in ordered and c.subject == current.issuer and c.subject != current.subject), None)
        if issuer is None:
            break
        ordered.append(issuer)
        current = issuer
    return ordered + [c for c in unique if c not in ordered]


def _intermediate_sources(intermediates):
    if intermediates is None:
        return []
    if isinstance(intermediates, (list, tuple)):
        return list(intermediates)
    return [intermediates]


def _check_issuer_given(leaf, chain, description):
    """When other certificates came with the leaf, one of them must be its issuer (unless it is self-signed).

    Without any, the leaf may be issued by the trust anchor's CA itself; with some that do not include its
    issuer, an intermediate is missing and CreateSession would answer "Untrusted Signing Certificate".
    """
    if not chain or leaf.issuer == leaf.subject or chain[0].subject == leaf.issuer:
        return
    raise MaterialError(
        "the issuer of certificate %s (%s) is not among the certificates given (%s)"
        % (description, leaf.issuer.rfc4514_string(), "; ".join(c.subject.rfc4514_string() for c in chain)),
        "Add the certificate of %s to the intermediates bundle (--intermediates)" % leaf.issuer.rfc4514_string(),
        source=description,
    )


def untrusted_without_chain_hint(material):
    """What to check when CreateSession answered "Untrusted Signing Certificate" for a leaf sent without a chain;
    None when a chain was sent or the leaf is self-signed.

    Before sending, a leaf without intermediates cannot be judged: "The signing certificate MUST have a valid trust
    chain to a Certificate Authority (CA) certificate configured in the customer account" (userguide
    authentication.html), so a leaf the trust anchor's CA signed needs nothing more, and one an intermediate CA
    signed needs that CA in X-Amz-X509-Chain (authentication-sign-process.html; AWS's helper sends --intermediates
    there). Only the service knows which CAs the trust anchor holds; after its refusal, the leaf's issuer is the
    first thing to name.
    """
    leaf = material.certificate
    if material.chain_der or leaf.issuer == leaf.subject:
        return None
    return (
        "The certificate was sent without intermediates: if its issuer (%s) is an intermediate CA rather than a "
        "certificate of the trust anchor, give that CA's certificate as intermediates (--intermediates for the "
        "helper, intermediates for the lookup, the signer's chain for the enroll role). Otherwise: %s"
        % (leaf.issuer.rfc4514_string(), UntrustedCertificateError.default_hint[0].lower() + UntrustedCertificateError.default_hint[1:])
    )


def utc_datetime(value):
    """cryptography's naive-UTC datetimes made aware."""
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value


def not_valid_after(certificate):
    value = getattr(certificate, "not_valid_after_utc", None)
    return value if value is not None else utc_datetime(certificate.not_valid_after)


def not_valid_before(certificate):
    value = getattr(certificate, "not_valid_before_utc", None)
    return value if value is not None else utc_datetime(certificate.not_valid_before)


def load_signing_material(certificate, private_key=None, intermediates=None, passphrase=None, pkcs11_module=None,
                          reuse_pin=False, tpm=None):
    """Load and cross-check leaf certificate, private key and intermediates into a SigningMaterial.

    certificate may be a combined PEM (key + certificate [+ chain]) or PKCS#12 (then private_key may be
    None). passphrase opens an encrypted key or a PKCS#12 file. A ``pkcs11:`` URI as certificate or private key
    selects a key in a PKCS#11 token (``pkcs11.load_pkcs11_material``; ``pkcs11_module`` and ``reuse_pin`` are
    for it only). A TPM key (``handle:0x81...`` or a TSS2 key file) signs in the TPM; ``tpm`` (tpm.TpmKeyOptions)
    holds its password options.
    """
    if is_pkcs11_uri(certificate) or is_pkcs11_uri(private_key):
        from .pkcs11 import load_pkcs11_material  # pylint: disable=import-outside-toplevel  # loads the bindings
        return load_pkcs11_material(certificate, private_key, intermediates, pkcs11_module, reuse_pin)
    require_cryptography()
    data, description = read_source(certificate, "certificate")
    certificates, embedded_key = _certificate_bundle(data, description, passphrase)
    if private_key is not None:
        key, key_description = _load_private_key(private_key, passphrase, tpm)
    elif embedded_key is not None:
        key, key_description = embedded_key, description
    else:
        raise MaterialError(
            "no private key: %s holds only certificates" % description,
            "Pass private_key, or use a combined PEM or PKCS#12 file that holds the key", source=description,
        )
    key_type = check_key_supported(key.public_key() if isinstance(key, KeySigner) else key, key_description)
    leaf = _pick_leaf(certificates, key)
    if not key_matches_certificate(key, leaf):
        raise MaterialError(
            "private key %s does not match certificate %s (serial %d)" % (key_description, description, leaf.serial_number),
            "Use the key the certificate was issued for", source=description,
        )
    extra = [c for c in certificates if c is not leaf]
    for source in _intermediate_sources(intermediates):
        extra.extend(load_certificates(source, "intermediates", INTERMEDIATES_HINT))
    chain = tuple(_order_chain(leaf, extra))
    _check_issuer_given(leaf, chain, description)
    leaf_der = _der(leaf)
    return SigningMaterial(
        certificate=leaf,
        certificate_der=leaf_der,
        chain=chain,
        chain_der=tuple(_der(c) for c in chain),
        private_key=key,
        key_type=key_type,
        serial=leaf.serial_number,
        algorithm=algorithm_for_key(key),
        fingerprint_sha256=hashlib.sha256(leaf_der).hexdigest(),
        not_after=not_valid_after(leaf),
        source=description,
    )


_FACTS = ("certificate_facts", "end_entity_problems", "needs_renewal")


def __getattr__(name):
    """Facts and checks about a certificate live in certificate_facts.py; x509.<name> still finds them (lazily:
    certificate_facts imports this module)."""
    if name in _FACTS:
        from . import certificate_facts as facts  # pylint: disable=import-outside-toplevel
        return getattr(facts, name)
    raise AttributeError(name)


__all__ = [
    "SigningMaterial", "load_signing_material", "load_certificates", "load_private_key",
    "check_key_supported", "key_matches_certificate", "key_type_name", "not_valid_after", "not_valid_before",
]  # and, through __getattr__, certificate_facts, needs_renewal, end_entity_problems
