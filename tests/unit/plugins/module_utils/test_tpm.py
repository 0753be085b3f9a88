# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_core/tpm.py and tpm_protocol.py without a TPM: key references, TSS2 key files, TPMT_PUBLIC, TCTI strings, password rules.

Signing in a real (software) TPM: tests/functional/helper/test_tpm.py, with keys that tpm2-tools made.
"""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import tpm
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import tpm_protocol as wire
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError, MaterialError


def der(tag, body):
    length = bytes([len(body)]) if len(body) < 0x80 else b"\x82" + struct.pack(">H", len(body))
    return bytes([tag]) + length + body


def tpm2b(data):
    return struct.pack(">H", len(data)) + data


def public_area(key, attributes=wire.ATTRIBUTE_SIGN | 0x60072):
    """TPM2B_PUBLIC of a cryptography public key, as tpm2_create writes one (scheme NULL, no symmetric)."""
    numbers = key.public_numbers()
    if isinstance(key, rsa.RSAPublicKey):
        body = struct.pack(">HHI", wire.ALG_RSA, wire.ALG_SHA256, attributes) + tpm2b(b"")
        body += struct.pack(">HHHI", wire.ALG_NULL, wire.ALG_NULL, key.key_size, 0)
        body += tpm2b(numbers.n.to_bytes(key.key_size // 8, "big"))
    else:
        size = (key.curve.key_size + 7) // 8
        curve = {"secp256r1": 3, "secp384r1": 4, "secp521r1": 5}.get(key.curve.name, 0x20)
        body = struct.pack(">HHI", wire.ALG_ECC, wire.ALG_SHA256, attributes) + tpm2b(b"")
        body += struct.pack(">HHHHH", wire.ALG_NULL, wire.ALG_ECDSA, wire.ALG_SHA256, curve, wire.ALG_NULL)
        body += tpm2b(numbers.x.to_bytes(size, "big")) + tpm2b(numbers.y.to_bytes(size, "big"))
    return tpm2b(body)


def key_file_der(empty_auth=b"\x01\x01\xff", parent=wire.RH_OWNER, public=None, private=tpm2b(b"\x01" * 20), extra=b""):
    public = public if public is not None else public_area(ec.generate_private_key(ec.SECP256R1()).public_key())
    fields = der(0x06, tpm.LOADABLE_KEY_OID)
    if empty_auth is not None:
        fields += der(0xA0, empty_auth)
    fields += extra + der(0x02, parent.to_bytes(4, "big").lstrip(b"\0") if parent >> 31 == 0 else b"\0" + parent.to_bytes(4, "big"))
    return der(0x30, fields + der(0x04, public) + der(0x04, private))


@pytest.mark.parametrize("value, handle", [("handle:0x81000001", 0x81000001), ("handle:81000002", 0x81000002),
                                           ("handle:0X8100ABCD", 0x8100ABCD)])
def test_persistent_handles(value, handle):
    assert tpm.is_tpm_handle(value) and tpm.parse_handle(value) == handle


@pytest.mark.parametrize("value", ["handle:", "handle:0x80000001", "handle:0x40000001", "handle:xyz", "handle:0x1810000001"])
def test_handles_that_are_not_persistent(value):
    with pytest.raises(ConfigurationError, match="is not a TPM persistent handle"):
        tpm.parse_handle(value)


@pytest.mark.parametrize("environ, expected", [
    ({}, None),
    ({"TPM2TOOLS_TCTI": "device:/dev/tpm0"}, ("device", "/dev/tpm0")),
    ({"TPM2TOOLS_TCTI": "device"}, ("device", "/dev/tpmrm0")),
    ({"TSS2_TCTI": "swtpm:host=localhost,port=2400"}, ("tcp", ("localhost", 2400))),
    ({"TPM2TOOLS_TCTI": "swtpm"}, ("tcp", ("127.0.0.1", 2321))),
    ({"TPM2TOOLS_TCTI": "swtpm:path=/run/tpm.sock", "TSS2_TCTI": "device:/x"}, ("unix", "/run/tpm.sock")),
    ({"TPM_DEVICE": "/dev/tpm1"}, ("device", "/dev/tpm1")),  # AWS's helper's variable
])
def test_tcti_configuration(environ, expected):
    assert wire.tcti_configuration(environ) == expected


@pytest.mark.parametrize("text", ["tabrmd:bus_type=session", "mssim:host=localhost", "swtpm:port=x"])
def test_tctis_not_spoken(text):
    with pytest.raises(ConfigurationError, match="is not a TCTI this helper speaks"):
        wire.tcti_configuration({"TPM2TOOLS_TCTI": text})


@pytest.mark.parametrize("boolean, empty", [(b"\x01\x01\xff", True), (b"\x01\x01\x01", True), (b"\x01\x01\x00", False), (None, False)])
def test_empty_auth_as_written_by_every_tool(boolean, empty):
    """0x01 is not DER but OpenSSL engines and tpm2-tools 5.4 write it; AWS's fixupEmptyAuth accepts it."""
    key = tpm.parse_tss2_key(key_file_der(empty_auth=boolean), "k.pem")
    assert key.empty_auth is empty and key.parent == wire.RH_OWNER


@pytest.mark.parametrize("kwargs, problem", [
    (dict(extra=der(0xA1, b"")), "has a TPM policy"),
    (dict(extra=der(0xA2, b"\x04\x00")), "importable key"),
    (dict(parent=0x80000001), "names parent 0x80000001"),
    (dict(private=b"\x00\x05abc"), "private part of the wrong length"),
])
def test_key_files_refused_as_by_aws(kwargs, problem):
    with pytest.raises(MaterialError, match=problem):
        tpm.parse_tss2_key(key_file_der(**kwargs), "k.pem")


def test_other_oid_and_garbage():
    with pytest.raises(MaterialError, match="not a loadable TPM key"):
        tpm.parse_tss2_key(der(0x30, der(0x06, b"\x2a\x03") + der(0x02, b"\x01")), "k.pem")
    with pytest.raises(MaterialError, match="bad DER length"):
        tpm.parse_tss2_key(b"\x30\x82\x01", "k.pem")


@pytest.mark.parametrize("key", [rsa.generate_private_key(65537, 2048).public_key(), ec.generate_private_key(ec.SECP256R1()).public_key(),
                                 ec.generate_private_key(ec.SECP384R1()).public_key(), ec.generate_private_key(ec.SECP521R1()).public_key()])
def test_public_area_round_trip(key):
    public_key, key_type, attributes = wire.public_key_of(public_area(key))
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert public_key.public_bytes(*spki) == key.public_bytes(*spki)
    assert key_type == ("RSA" if isinstance(key, rsa.RSAPublicKey) else "EC") and attributes & wire.ATTRIBUTE_SIGN


def pem(der_bytes):
    import base64
    return b"-----BEGIN TSS2 PRIVATE KEY-----\n" + base64.encodebytes(der_bytes) + b"-----END TSS2 PRIVATE KEY-----\n"


def test_key_without_the_sign_attribute_is_refused_before_the_tpm():
    """AWS's README: the key must have the sign attribute; the helper never signs by a raw RSA decrypt."""
    public = public_area(rsa.generate_private_key(65537, 2048).public_key(), attributes=0x20072)
    with pytest.raises(MaterialError, match="may not sign"):
        tpm.tpm_key_signer(pem(key_file_der(public=public)), "k.pem", None)


def test_password_rules_of_key_files():
    with pytest.raises(ConfigurationError, match="--tpm-key-password is given but TPM key k.pem has no password"):
        tpm.tpm_key_signer(pem(key_file_der()), "k.pem", tpm.TpmKeyOptions(password="pw"))
    with pytest.raises(ConfigurationError, match="TPM key k.pem needs its password"):
        tpm.tpm_key_signer(pem(key_file_der(empty_auth=b"\x01\x01\x00")), "k.pem", tpm.TpmKeyOptions())
    signer = tpm.tpm_key_signer(pem(key_file_der(empty_auth=b"\x01\x01\x00")), "k.pem", tpm.TpmKeyOptions(password="pw"))
    assert "pw" not in repr(signer) and "pw" not in repr(tpm.TpmKeyOptions(password="pw"))
    assert signer.algorithm == "AWS4-X509-ECDSA-SHA256"


@pytest.mark.parametrize("curve, size, hash_alg", [(ec.SECP256R1(), 32, wire.ALG_SHA256), (ec.SECP384R1(), 48, wire.ALG_SHA384),
                                                   (ec.SECP521R1(), 64, wire.ALG_SHA512)])
def test_ec_digest_sized_to_the_curve_as_aws_does(curve, size, hash_alg):
    """TPMv2Signer.Sign: the SHA-256 digest padded with zeros in front to the curve's size (at most 64 bytes)."""
    signer = tpm.TpmSigner(ec.generate_private_key(curve).public_key(), "EC", "k", b"", None, handle=0x81000001)
    digest, algorithm = signer._digest_and_hash(b"data")  # pylint: disable=protected-access
    assert len(digest) == size and digest.endswith(__import__("hashlib").sha256(b"data").digest()) and algorithm == hash_alg


def test_response_code_names():
    assert wire.rc_name(0x98E) == "TPM_RC_AUTH_FAIL (0x98e)"
    assert wire.rc_name(0x9A2) == "TPM_RC_BAD_AUTH (0x9a2)"
    assert wire.rc_name(0x921) == "TPM_RC_LOCKOUT (0x921)"
    assert wire.rc_name(0x18B) == "TPM_RC_HANDLE (0x18b)"


def test_primary_template_is_awss():
    """tpm_signer.go primaryParams: ECC P-256, SHA-256, the seven attributes, AES-128-CFB, no scheme, no KDF."""
    area = wire.primary_template()
    assert area[2:10] == struct.pack(">HHI", wire.ALG_ECC, wire.ALG_SHA256, 0x00030472)
    assert area[12:] == bytes.fromhex("0006 0080 0043 0010 0003 0010 0000 0000".replace(" ", ""))
