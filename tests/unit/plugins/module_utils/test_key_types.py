# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML-DSA-44/65/87 and EC P-521 keys: loading, algorithm names, signatures, and the emulator's verifier.

AWS's rules (aws/rolesanywhere-credential-helper v1.8.0): signer.go:121-123 names the algorithms
AWS4-X509-RSA-SHA256 / AWS4-X509-ECDSA-SHA256 / AWS4-X509-MLDSA; file_system_signer.go:110-122 picks one by key
type; signer.go:509 signs every EC curve over SHA-256; mldsa_utils.go signs ML-DSA over the raw string to sign
with an empty context, and reads ML-DSA keys as PKCS#8 holding SEQUENCE { seed, expandedKey }.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import mldsa_keys, signing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as material_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError
from tests.emulator import verify
from tests.support import pki

MLDSA = signing.mldsa_key_classes()
needs_mldsa = pytest.mark.skipif(len(MLDSA) != 3, reason="the installed cryptography has no ML-DSA")
EXPANDED_SIZES = {"ML-DSA-44": 2560, "ML-DSA-65": 4032, "ML-DSA-87": 4896}  # FIPS 204 table 2
SIGNATURE_SIZES = {"ML-DSA-44": 2420, "ML-DSA-65": 3309, "ML-DSA-87": 4627}  # FIPS 204 table 2
OIDS = {"ML-DSA-44": b"\x60\x86\x48\x01\x65\x03\x04\x03\x11", "ML-DSA-65": b"\x60\x86\x48\x01\x65\x03\x04\x03\x12",
        "ML-DSA-87": b"\x60\x86\x48\x01\x65\x03\x04\x03\x13"}
TEXT = "AWS4-X509-MLDSA\n20260101T000000Z\n20260101/us-east-1/rolesanywhere/aws4_request\n" + "0" * 64


def _der(tag, content):
    length = len(content)
    encoded = bytes([length]) if length < 0x80 else bytes([0x80 | 2]) + length.to_bytes(2, "big")
    return bytes([tag]) + encoded + content


def aws_layout_pkcs8(key, name, tamper=False):
    """PKCS#8 as AWS's helper reads it: privateKey = SEQUENCE { OCTET STRING seed, OCTET STRING expandedKey }.

    The expanded key's rho (pk[0:32]) and tr (SHAKE256(pk, 64)) are the real ones, the rest (K, s1, s2, t0) is
    filler of the right size: AWS's helper and ours rebuild the key from the seed and never use those bytes.
    """
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    tr = hashlib.shake_256(public).digest(64)
    if tamper:
        tr = bytes(64)
    expanded = public[:32] + b"\x01" * 32 + tr
    expanded += b"\x00" * (EXPANDED_SIZES[name] - len(expanded))
    private_key = _der(0x30, _der(0x04, seed) + _der(0x04, expanded))
    return _der(0x30, _der(0x02, b"\x00") + _der(0x30, _der(0x06, OIDS[name])) + _der(0x04, private_key))


def pem(der, label="PRIVATE KEY"):
    import base64  # pylint: disable=import-outside-toplevel
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)).encode("ascii")


@needs_mldsa
@pytest.mark.parametrize("name", sorted(MLDSA))
def test_mldsa_signs_the_raw_string_to_sign_and_the_emulator_verifies_it(name):
    key = MLDSA[name][0].generate()
    assert signing.algorithm_for_key(key) == "AWS4-X509-MLDSA"
    signature = signing.sign_string(key, TEXT)
    assert len(signature) == SIGNATURE_SIZES[name]
    # Pure ML-DSA, empty context, over the text itself (not a SHA-256 digest of it).
    key.public_key().verify(signature, TEXT.encode("utf-8"))
    key.public_key().verify(signature, TEXT.encode("utf-8"), b"")
    assert verify.verify_signature(key.public_key(), "AWS4-X509-MLDSA", TEXT, signature)
    assert not verify.verify_signature(key.public_key(), "AWS4-X509-MLDSA", TEXT + "x", signature)
    assert not verify.verify_signature(key.public_key(), "AWS4-X509-ECDSA-SHA256", TEXT, signature)
    digest_signed = key.sign(hashlib.sha256(TEXT.encode("utf-8")).digest())
    assert not verify.verify_signature(key.public_key(), "AWS4-X509-MLDSA", TEXT, digest_signed)
    with_context = key.sign(TEXT.encode("utf-8"), b"rolesanywhere")
    assert not verify.verify_signature(key.public_key(), "AWS4-X509-MLDSA", TEXT, with_context)


def test_p521_signs_sha256_as_ecdsa():
    key = ec.generate_private_key(ec.SECP521R1())
    assert signing.algorithm_for_key(key) == "AWS4-X509-ECDSA-SHA256"
    signature = signing.sign_string(key, TEXT)
    key.public_key().verify(signature, TEXT.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    assert verify.verify_signature(key.public_key(), "AWS4-X509-ECDSA-SHA256", TEXT, signature)
    with pytest.raises(Exception):
        key.public_key().verify(signature, TEXT.encode("utf-8"), ec.ECDSA(hashes.SHA512()))


def test_p521_material_loads(tmp_path):
    root = pki.make_ca("EC")
    paths = pki.make_leaf(root, key_type="EC", curve="P-521").write(tmp_path, "p521")
    material = material_x509.load_signing_material(paths.certificate, paths.private_key)
    assert (material.key_type, material.algorithm) == ("EC", "AWS4-X509-ECDSA-SHA256")
    assert material_x509.key_type_name(material.private_key) == "EC P-521"


@needs_mldsa
@pytest.mark.parametrize("name", sorted(MLDSA))
def test_mldsa_material_in_both_pkcs8_forms(tmp_path, name):
    root = pki.make_ca("EC")
    key = MLDSA[name][0].generate()
    issued = pki.make_leaf(root, private_key=key)
    seed_form = issued.write(tmp_path, "seed-" + name)  # cryptography writes the seed-only form
    material = material_x509.load_signing_material(seed_form.certificate, seed_form.private_key)
    assert (material.key_type, material.algorithm) == ("ML-DSA", "AWS4-X509-MLDSA")
    assert material_x509.certificate_facts(material)["key_type"] == name
    aws_der = aws_layout_pkcs8(key, name)
    for index, data in enumerate((pem(aws_der), aws_der)):
        path = tmp_path / ("aws-%s-%d.key" % (name, index))
        path.write_bytes(data)
        material = material_x509.load_signing_material(seed_form.certificate, str(path))
        assert material.algorithm == "AWS4-X509-MLDSA"
        assert verify.verify_signature(issued.certificate.public_key(), "AWS4-X509-MLDSA", TEXT,
                                       signing.sign_string(material.private_key, TEXT))


@needs_mldsa
def test_mldsa_expanded_key_of_another_seed_is_refused(tmp_path):
    key = MLDSA["ML-DSA-65"][0].generate()
    path = tmp_path / "tampered.key"
    path.write_bytes(pem(aws_layout_pkcs8(key, "ML-DSA-65", tamper=True)))
    with pytest.raises(MaterialError) as caught:
        material_x509.load_private_key(str(path))
    assert str(path) in str(caught.value) and "do not belong together" in str(caught.value)


def test_mldsa_without_support_in_cryptography_names_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(mldsa_keys, "mldsa_key_classes", lambda: {})
    key = MLDSA["ML-DSA-65"][0].generate() if MLDSA else None
    der = aws_layout_pkcs8(key, "ML-DSA-65") if key is not None else (
        _der(0x30, _der(0x02, b"\x00") + _der(0x30, _der(0x06, OIDS["ML-DSA-65"])) + _der(0x04, _der(0x80, b"\x00" * 32))))
    with pytest.raises(MaterialError) as caught:
        mldsa_keys.mldsa_key_from_pkcs8(pem(der), "/etc/pki/host.key")
    message = str(caught.value)
    assert "ML-DSA-65" in message and "/etc/pki/host.key" in message and "cryptography 47" in message
    assert mldsa_keys.mldsa_key_from_pkcs8(b"not a key", "x") is None


@needs_mldsa
def test_public_and_private_mldsa_keys_pass_the_key_type_check():
    key = MLDSA["ML-DSA-87"][0].generate()
    assert material_x509.check_key_supported(key, "k") == "ML-DSA"
    assert material_x509.check_key_supported(key.public_key(), "k") == "ML-DSA"
    assert material_x509.key_type_name(key.public_key()) == "ML-DSA-87"


def test_unusable_curve_is_still_refused(tmp_path):
    paths = pki.make_leaf(pki.make_ca("EC"), key_type="EC", curve="secp256k1").write(tmp_path, "k1")
    with pytest.raises(MaterialError, match="P-521"):
        material_x509.load_private_key(paths.private_key)


@needs_mldsa
def test_emulator_path_validation_takes_an_all_mldsa_chain_and_its_crl():
    import datetime  # pylint: disable=import-outside-toplevel
    from tests.emulator import awserrors, pathvalidation  # pylint: disable=import-outside-toplevel
    ca = pki.make_ca(private_key=MLDSA["ML-DSA-87"][0].generate(), hash_algorithm=None)  # ML-DSA signs without a hash
    leaf = pki.make_leaf(ca, private_key=MLDSA["ML-DSA-65"][0].generate(), hash_algorithm=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    path = pathvalidation.PathValidator().validate(leaf.certificate, [], [ca.certificate], [], now)
    assert path.certificates == (leaf.certificate, ca.certificate)
    revoked = pki.make_crl(ca, [leaf.serial], hash_algorithm=None)
    with pytest.raises(awserrors.ServiceError, match="revoked"):
        pathvalidation.PathValidator().validate(leaf.certificate, [], [ca.certificate], [revoked.pem], now)
    other_ca = pki.make_ca(private_key=MLDSA["ML-DSA-87"][0].generate(), hash_algorithm=None, cn=ca.certificate.subject.rfc4514_string())
    with pytest.raises(awserrors.ServiceError, match="Untrusted"):
        pathvalidation.PathValidator().validate(leaf.certificate, [], [other_ca.certificate], [], now)
