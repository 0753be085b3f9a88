# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading certificates, keys and chains in every format; refusing what Roles Anywhere cannot use."""

from __future__ import annotations

import datetime
import hashlib
import os
import random

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as material_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError
from tests.support import pki

PASSPHRASE = "correct horse battery staple"
WRONG = "Tr0ub4dor&3-wrong"


@pytest.fixture(scope="module")
def pkis():
    root = pki.make_ca("RSA", cn="Loader Root")
    intermediate = pki.make_intermediate(root, key_type="EC", cn="Loader Intermediate")
    return {
        "root": root,
        "intermediate": intermediate,
        "RSA": pki.make_leaf(intermediate, key_type="RSA", cn="rsa.example.com", sans=["rsa.example.com", "IP:10.0.0.7"]),
        "EC": pki.make_leaf(intermediate, key_type="EC", cn="ec.example.com"),
        "P-384": pki.make_leaf(root, key_type="EC", curve="P-384", cn="p384.example.com"),
    }


def check_material(material, leaf, chain_length):
    assert material.serial == leaf.serial
    assert material.certificate_der == leaf.cert_der
    assert material.fingerprint_sha256 == hashlib.sha256(leaf.cert_der).hexdigest()
    assert material_x509.key_matches_certificate(material.private_key, leaf.certificate)
    assert material.key_type == ("RSA" if leaf.key_type == "RSA" else "EC")
    assert material.algorithm == ("AWS4-X509-RSA-SHA256" if leaf.key_type == "RSA" else "AWS4-X509-ECDSA-SHA256")
    assert len(material.chain) == len(material.chain_der) == chain_length
    assert material.not_after.tzinfo is not None


KEY_FORMATS = [
    ("RSA", "pkcs8", None), ("RSA", "pkcs8-encrypted", PASSPHRASE), ("RSA", "pkcs1", None), ("RSA", "pkcs1", PASSPHRASE),
    ("RSA", "der", None), ("RSA", "der-encrypted", PASSPHRASE),
    ("EC", "pkcs8", None), ("EC", "pkcs8-encrypted", PASSPHRASE), ("EC", "sec1", None), ("EC", "sec1", PASSPHRASE),
    ("EC", "der", None), ("P-384", "pkcs8", None), ("P-384", "sec1", None),
]


@pytest.mark.parametrize("leaf_name, key_format, passphrase", KEY_FORMATS)
def test_key_formats_load_from_files(pkis, tmp_path, leaf_name, key_format, passphrase):
    leaf = pkis[leaf_name]
    paths = leaf.write(tmp_path, "host", key_format=key_format, passphrase=passphrase)
    chain = os.path.join(tmp_path, "chain.pem")
    pki.write_cert_pem(chain, *leaf.chain)
    material = material_x509.load_signing_material(paths.certificate, paths.private_key, chain, passphrase=passphrase)
    check_material(material, leaf, len(leaf.chain))
    assert material.source == paths.certificate


def test_openssl_ecparam_output_with_parameters_block_loads(pkis, tmp_path):
    leaf = pkis["EC"]
    key = tmp_path / "ecparam.key"
    key.write_bytes(b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" + pki.key_bytes(leaf.private_key, "sec1"))
    check_material(material_x509.load_signing_material(leaf.cert_pem, str(key)), leaf, 0)


@pytest.mark.parametrize("as_type", [str, bytes])
def test_pem_text_and_bytes_load(pkis, as_type):
    leaf = pkis["EC"]

    def convert(data):
        return data.decode() if as_type is str else data

    material = material_x509.load_signing_material(convert(leaf.cert_pem), convert(leaf.key_pem), convert(leaf.chain_pem))
    check_material(material, leaf, 1)
    assert material.source == "<PEM text>"


def test_der_certificate_and_pathlike(pkis, tmp_path):
    leaf = pkis["RSA"]
    certificate = pki.write_cert_der(tmp_path / "leaf.der", leaf.certificate)
    key = pki.write_key(tmp_path / "leaf.key", leaf.private_key, "der")
    check_material(material_x509.load_signing_material(tmp_path / "leaf.der", key), leaf, 0)
    check_material(material_x509.load_signing_material(leaf.cert_der, open(key, "rb").read()), leaf, 0)
    assert certificate.endswith("leaf.der")


@pytest.mark.parametrize("key_first", [True, False])
@pytest.mark.parametrize("key_format", ["pkcs8", "sec1"])
def test_combined_pem_with_key_and_chain(pkis, tmp_path, key_first, key_format):
    leaf = pkis["EC"]
    path = pki.write_combined_pem(tmp_path / "combined.pem", leaf, key_format=key_format, key_first=key_first)
    material = material_x509.load_signing_material(path)
    check_material(material, leaf, 1)
    assert material.chain[0].subject == pkis["intermediate"].certificate.subject


def test_combined_pem_with_chain_before_leaf_still_picks_the_leaf(pkis, tmp_path):
    leaf = pkis["RSA"]
    path = tmp_path / "odd-order.pem"
    path.write_bytes(leaf.chain_pem + leaf.key_pem + leaf.cert_pem)
    check_material(material_x509.load_signing_material(str(path)), leaf, 1)


@pytest.mark.parametrize("password", [None, PASSPHRASE])
@pytest.mark.parametrize("leaf_name", ["RSA", "EC"])
def test_pkcs12_with_and_without_password(pkis, tmp_path, password, leaf_name):
    leaf = pkis[leaf_name]
    path = pki.write_pkcs12(tmp_path / "bundle.p12", leaf, password=password)
    material = material_x509.load_signing_material(path, passphrase=password)
    check_material(material, leaf, 1)


def test_pkcs12_wrong_or_missing_password(pkis, tmp_path):
    path = pki.write_pkcs12(tmp_path / "bundle.p12", pkis["EC"], password=PASSPHRASE)
    with pytest.raises(MaterialError) as missing:
        material_x509.load_signing_material(path)
    assert "password" in str(missing.value) and path in str(missing.value)
    with pytest.raises(MaterialError) as wrong:
        material_x509.load_signing_material(path, passphrase=WRONG)
    assert "password is wrong" in str(wrong.value) and WRONG not in str(wrong.value) and WRONG not in repr(wrong.value)


def test_chain_is_ordered_from_the_leaf_issuer_and_deduplicated(tmp_path):
    root = pki.make_ca("EC", cn="Order Root")
    level1 = pki.make_intermediate(root, cn="Level 1", path_length=2)
    level2 = pki.make_intermediate(level1, cn="Level 2", path_length=1)
    level3 = pki.make_intermediate(level2, cn="Level 3")
    leaf = pki.make_leaf(level3)
    shuffled = [level1.certificate, level3.certificate, root.certificate, level2.certificate]
    random.Random(7).shuffle(shuffled)
    first = pki.write_cert_pem(tmp_path / "a.pem", *shuffled)
    second = pki.write_cert_pem(tmp_path / "b.pem", level2.certificate, leaf.certificate)
    material = material_x509.load_signing_material(leaf.cert_pem, leaf.key_pem, [first, second])
    names = [c.subject.rfc4514_string() for c in material.chain]
    assert names[:4] == ["CN=Level 3,O=rolesanywhere.fleet tests", "CN=Level 2,O=rolesanywhere.fleet tests",
                         "CN=Level 1,O=rolesanywhere.fleet tests", "CN=Order Root,O=rolesanywhere.fleet tests"]
    assert len(names) == 4


# --- refusals -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key_type, curve, words", [
    ("Ed25519", None, "Ed25519"), ("Ed448", None, "Ed448"), ("DSA", None, "DSA"),
    ("EC", "secp256k1", "secp256k1"),
])
def test_unusable_key_types_are_refused_naming_the_file(pkis, tmp_path, key_type, curve, words):
    leaf = pki.make_leaf(pkis["root"], key_type=key_type, curve=curve or "P-256")
    paths = leaf.write(tmp_path, "bad")
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(paths.certificate, paths.private_key)
    message = str(caught.value)
    assert paths.private_key in message and words in message and "RSA" in message
    assert caught.value.source == paths.private_key
    with pytest.raises(MaterialError):
        material_x509.load_private_key(paths.private_key)


def test_mismatched_key_is_refused_naming_both_files(pkis, tmp_path):
    rsa_paths = pkis["RSA"].write(tmp_path, "rsa")
    ec_paths = pkis["EC"].write(tmp_path, "ec")
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(rsa_paths.certificate, ec_paths.private_key)
    message = str(caught.value)
    assert "does not match" in message and rsa_paths.certificate in message and ec_paths.private_key in message
    assert str(pkis["RSA"].serial) in message


def test_same_type_mismatch_is_refused(pkis, tmp_path):
    other = pki.generate_key("EC")
    key = pki.write_key(tmp_path / "other.key", other)
    with pytest.raises(MaterialError, match="does not match"):
        material_x509.load_signing_material(pkis["EC"].cert_pem, key)


@pytest.mark.parametrize("key_format", ["pkcs8-encrypted", "sec1", "der-encrypted"])
def test_encrypted_key_without_passphrase(pkis, tmp_path, key_format):
    path = pki.write_key(tmp_path / "enc.key", pkis["EC"].private_key, key_format, passphrase=PASSPHRASE)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(pkis["EC"].cert_pem, path)
    assert "encrypted" in str(caught.value) and "passphrase" in str(caught.value) and path in str(caught.value)


@pytest.mark.parametrize("key_format", ["pkcs8-encrypted", "sec1", "pkcs1", "der-encrypted"])
def test_wrong_passphrase_never_shows_the_passphrase(pkis, tmp_path, key_format):
    leaf = pkis["RSA"] if key_format == "pkcs1" else pkis["EC"]
    path = pki.write_key(tmp_path / "enc.key", leaf.private_key, key_format, passphrase=PASSPHRASE)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(leaf.cert_pem, path, passphrase=WRONG)
    error = caught.value
    assert path in str(error) and "passphrase" in str(error)
    for text in (str(error), repr(error), str(error.to_dict()), str(error.args)):
        assert WRONG not in text and PASSPHRASE not in text


def test_passphrase_for_a_plain_key_is_ignored(pkis):
    check_material(material_x509.load_signing_material(pkis["EC"].cert_pem, pkis["EC"].key_pem, passphrase="unused"), pkis["EC"], 0)


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"),
    (b"  \n", "is empty"),
    (b"garbage that is not a certificate", "is not a PEM, DER or PKCS#12 certificate"),
    (b"-----BEGIN CERTIFICATE-----\nMIIB\n", "no complete PEM block"),
    (b"-----BEGIN CERTIFICATE-----\nnot base64 !!!\n-----END CERTIFICATE-----\n", "not valid base64"),
    (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a valid X.509 certificate"),
])
def test_malformed_certificate_files_name_the_file(pkis, tmp_path, content, words):
    path = tmp_path / "broken.crt"
    path.write_bytes(content)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(str(path), pkis["EC"].key_pem)
    assert words in str(caught.value) and str(path) in str(caught.value)
    assert caught.value.source == str(path)


def test_empty_source_text_is_refused(pkis):
    with pytest.raises(MaterialError, match="no certificate given"):
        material_x509.load_signing_material("", pkis["EC"].key_pem)
    with pytest.raises(MaterialError, match="no private key given"):
        material_x509.load_signing_material(pkis["EC"].cert_pem, b"  ")


def test_empty_intermediates_file_means_none(pkis, tmp_path):
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    check_material(material_x509.load_signing_material(pkis["P-384"].cert_pem, pkis["P-384"].key_pem, str(empty)), pkis["P-384"], 0)


def test_key_only_file_as_certificate(pkis, tmp_path):
    path = pki.write_key(tmp_path / "only.key", pkis["EC"].private_key)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(path, path)
    assert "holds no certificate" in str(caught.value) and "PRIVATE KEY" in str(caught.value) and path in str(caught.value)


@pytest.mark.parametrize("content, words", [
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "could not be parsed"),
    (b"not a key", "is not a PEM or DER private key"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA", "no complete PEM block"),
])
def test_malformed_key_files_name_the_file(pkis, tmp_path, content, words):
    path = tmp_path / "broken.key"
    path.write_bytes(content)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(pkis["EC"].cert_pem, str(path))
    assert words in str(caught.value) and str(path) in str(caught.value)


def test_certificate_file_as_key(pkis, tmp_path):
    path = pki.write_cert_pem(tmp_path / "leaf.crt", pkis["EC"].certificate)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(path, path)
    assert "holds no private key (found: CERTIFICATE)" in str(caught.value)


def test_two_keys_in_one_file(pkis, tmp_path):
    path = tmp_path / "two.key"
    path.write_bytes(pkis["EC"].key_pem + pkis["RSA"].key_pem)
    with pytest.raises(MaterialError, match="holds 2 private keys"):
        material_x509.load_signing_material(pkis["EC"].cert_pem, str(path))


def test_certificate_without_key(pkis):
    with pytest.raises(MaterialError, match="no private key"):
        material_x509.load_signing_material(pkis["EC"].cert_pem)


def test_missing_files_and_directories(pkis, tmp_path):
    with pytest.raises(MaterialError) as missing:
        material_x509.load_signing_material(str(tmp_path / "nope.crt"), pkis["EC"].key_pem)
    assert "does not exist" in str(missing.value) and "nope.crt" in str(missing.value)
    with pytest.raises(MaterialError, match="is a directory"):
        material_x509.load_signing_material(pkis["EC"].cert_pem, str(tmp_path))
    with pytest.raises(MaterialError, match="does not exist"):
        material_x509.load_signing_material(pkis["EC"].cert_pem, pkis["EC"].key_pem, str(tmp_path / "chain.pem"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(pkis, tmp_path):
    path = pki.write_key(tmp_path / "locked.key", pkis["EC"].private_key)
    os.chmod(path, 0)
    with pytest.raises(MaterialError, match="permission denied"):
        material_x509.load_signing_material(pkis["EC"].cert_pem, path)


def test_material_repr_shows_no_key(pkis):
    material = material_x509.load_signing_material(pkis["RSA"].cert_pem, pkis["RSA"].key_pem)
    text = repr(material)
    assert "private_key" not in text and "PRIVATE" not in text
    numbers = material.private_key.private_numbers()
    assert str(numbers.d) not in text and "%x" % numbers.d not in text


# --- facts and checks -----------------------------------------------------------------------------------

def test_certificate_facts(pkis):
    facts = material_x509.certificate_facts(pkis["RSA"].certificate)
    leaf = pkis["RSA"]
    assert facts["subject"] == "CN=rsa.example.com" and facts["subject_cn"] == "rsa.example.com"
    assert facts["issuer"] == "CN=Loader Intermediate,O=rolesanywhere.fleet tests"
    assert facts["serial"] == leaf.serial and facts["serial_hex"] == "%x" % leaf.serial
    assert facts["sans"] == ["DNS:rsa.example.com", "IP:10.0.0.7"]
    assert facts["key_type"] == "RSA" and facts["key_size"] == 2048 and facts["curve"] is None
    assert facts["fingerprint_sha256"] == hashlib.sha256(leaf.cert_der).hexdigest()
    assert facts["not_after"].endswith("Z") and facts["is_ca"] is False and facts["version"] == "v3"
    ec_facts = material_x509.certificate_facts(pkis["P-384"].certificate)
    assert ec_facts["key_type"] == "EC" and ec_facts["curve"] == "P-384" and ec_facts["sans"] == []


def test_needs_renewal():
    root = pki.make_ca()
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = pki.make_leaf(root, not_after=now + datetime.timedelta(days=10))
    assert material_x509.needs_renewal(leaf.certificate, 11 * 86400)
    assert not material_x509.needs_renewal(leaf.certificate, 9 * 86400)
    assert material_x509.needs_renewal(leaf.certificate, 0, now=now + datetime.timedelta(days=11))
    assert not material_x509.needs_renewal(leaf.certificate, 86400, now=(now + datetime.timedelta(days=1)).replace(tzinfo=None))


def test_end_entity_problems():
    root = pki.make_ca("RSA")
    assert material_x509.end_entity_problems(pki.make_leaf(root)) == []
    assert "v1" in " ".join(material_x509.end_entity_problems(pki.make_leaf(root, version=pki.V1)))
    assert "CA:true" in " ".join(material_x509.end_entity_problems(pki.make_leaf(root, ca=True)))
    assert "digitalSignature" in " ".join(material_x509.end_entity_problems(pki.make_leaf(root, key_usage_digital_signature=False)))
    assert "SHA1" in " ".join(material_x509.end_entity_problems(pki.make_leaf(root, hash_algorithm=pki.SHA1)))
    assert "Ed25519" in " ".join(material_x509.end_entity_problems(pki.make_leaf(root, key_type="Ed25519")))


def test_load_certificates_keeps_file_order(pkis, tmp_path):
    path = pki.write_cert_pem(tmp_path / "many.pem", pkis["EC"].certificate, pkis["root"].certificate)
    assert [c.serial_number for c in material_x509.load_certificates(path)] == [pkis["EC"].serial, pkis["root"].serial]


def test_untrusted_hint_names_the_issuer_only_for_a_leaf_sent_without_chain(tmp_path):
    ca = pki.make_ca("EC", cn="Hint Root")
    sub = pki.make_intermediate(ca, key_type="EC", cn="Hint Intermediate")
    leaf = pki.make_leaf(sub, key_type="EC")
    paths = leaf.write(tmp_path, "leaf")
    alone = material_x509.load_signing_material(paths.certificate, paths.private_key)
    hint = material_x509.untrusted_without_chain_hint(alone)
    assert "sent without intermediates" in hint and "CN=Hint Intermediate" in hint and "--intermediates" in hint
    chain = pki.write_cert_pem(tmp_path / "chain.pem", sub.certificate)
    with_chain = material_x509.load_signing_material(paths.certificate, paths.private_key, str(chain))
    assert material_x509.untrusted_without_chain_hint(with_chain) is None
    root_paths = pki.make_leaf(ca, key_type="EC").write(tmp_path, "direct")  # the anchor's CA signed it: the hint
    direct = material_x509.load_signing_material(root_paths.certificate, root_paths.private_key)  # still names it
    assert "CN=Hint Root" in material_x509.untrusted_without_chain_hint(direct)
