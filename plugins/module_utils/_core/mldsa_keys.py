# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML-DSA private keys in AWS's PKCS#8 layout (seed and expanded key), which cryptography does not read itself."""

from __future__ import annotations

import hashlib

from .errors import MaterialError
from .pem import pem_blocks
from .signing import mldsa_key_classes

try:
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    pass

# id-ml-dsa-44/65/87 (FIPS 204; the OIDs of aws/rolesanywhere-credential-helper mldsa_utils.go) and the size
# of each one's expanded private key (FIPS 204 table 2).
_MLDSA_OIDS = {
    b"\x60\x86\x48\x01\x65\x03\x04\x03\x11": ("ML-DSA-44", 2560),
    b"\x60\x86\x48\x01\x65\x03\x04\x03\x12": ("ML-DSA-65", 4032),
    b"\x60\x86\x48\x01\x65\x03\x04\x03\x13": ("ML-DSA-87", 4896),
}


def _der_items(data):
    """(tag, content) of each DER element in data, in order; ValueError when data is not DER."""
    items, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError()
        tag, length, offset = data[offset], data[offset + 1], offset + 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4 or offset + count > len(data):
                raise ValueError()
            length, offset = int.from_bytes(data[offset:offset + count], "big"), offset + count
        if offset + length > len(data):
            raise ValueError()
        items.append((tag, data[offset:offset + length]))
        offset += length
    return items


def mldsa_key_from_pkcs8(data, description):
    """The ML-DSA key of a PKCS#8 PEM block or DER that cryptography did not load, or None when it is no ML-DSA key.

    AWS's helper keeps ML-DSA keys as PKCS#8 whose privateKey is SEQUENCE { seed OCTET STRING (32 bytes),
    expandedKey OCTET STRING } and reads nothing else (mldsa_utils.go ParseMLDSAFromPKCS8), while cryptography
    reads only the seed-only form. This reads AWS's form: the key is rebuilt from the seed, as AWS's helper
    does, after checking that the expanded key belongs to it (its rho and tr, FIPS 204 algorithm 24).
    Without ML-DSA in the installed cryptography, a MaterialError says what to install.
    """
    der = data
    if data.lstrip().startswith(b"-----BEGIN"):
        blocks = pem_blocks(data)
        der = (blocks[0].der or b"") if blocks else b""
    try:
        version, algorithm, private_key = _der_items(_der_items(der)[0][1])[:3]
        oid = _der_items(algorithm[1])[0][1]
    except (ValueError, IndexError):
        return None
    if version[0] != 0x02 or oid not in _MLDSA_OIDS:
        return None
    name, expanded_size = _MLDSA_OIDS[oid]
    key_class = mldsa_key_classes().get(name, (None,))[0]
    if key_class is None or not _backend_has_mldsa():
        import cryptography  # pylint: disable=import-outside-toplevel
        raise MaterialError(
            "private key %s is an %s key, which the installed cryptography %s cannot use" % (description, name, cryptography.__version__),
            "Install cryptography 47 or newer built with ML-DSA (the PyPI wheels of cryptography 50 are), or use an RSA or EC key",
            source=description,
        )
    try:
        inner = _der_items(private_key[1])
        (seed_tag, seed), (expanded_tag, expanded) = _der_items(inner[0][1]) if inner[0][0] == 0x30 else ((0, b""), (0, b""))
    except (ValueError, IndexError):
        return None
    if (seed_tag, expanded_tag, len(seed), len(expanded)) != (0x04, 0x04, 32, expanded_size):
        return None
    key = key_class.from_seed_bytes(seed)
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if expanded[:32] != public[:32] or expanded[64:128] != hashlib.shake_256(public).digest(64):
        raise MaterialError("private key %s holds an %s seed and an expanded key that do not belong together" % (description, name),
                            "Export the key again from its source", source=description)
    return key


def mldsa_key_name(key):
    """"ML-DSA-44", "ML-DSA-65" or "ML-DSA-87" for an ML-DSA private or public key, else None."""
    for name, classes in mldsa_key_classes().items():
        if isinstance(key, classes):
            return name
    return None


def mldsa_certificate_variant(certificate_der):
    """"ML-DSA-44", "ML-DSA-65" or "ML-DSA-87" when the certificate's public key is ML-DSA, else None.

    Read from the SubjectPublicKeyInfo's algorithm OID, as AWS's helper does (mldsa_utils.go IsMLDSACertificate),
    so that it works where the installed cryptography cannot load ML-DSA public keys.
    """
    try:
        certificate = _der_items(certificate_der)[0][1]
        tbs_items = _der_items(_der_items(certificate)[0][1])
        spki = tbs_items[6 if tbs_items[0][0] == 0xA0 else 5][1]
        oid = _der_items(_der_items(spki)[0][1])[0][1]
    except (IndexError, ValueError):
        return None
    return _MLDSA_OIDS.get(oid, (None,))[0]


def _backend_has_mldsa():
    try:
        from cryptography.hazmat.backends.openssl.backend import backend  # pylint: disable=import-outside-toplevel
        return bool(backend.mldsa_supported())
    except (ImportError, AttributeError):
        return False
