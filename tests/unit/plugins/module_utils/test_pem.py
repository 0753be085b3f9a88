# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pem.py, the one PKI reader, and the material-side messages: the option and the source are named."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import acmpca
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import pem
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as material_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError
from tests.support import pki


@pytest.fixture(scope="module")
def chain():
    root = pki.make_ca("EC", cn="Pem Root CA")
    sub = pki.make_intermediate(root, key_type="EC", cn="Pem Intermediate CA")
    other = pki.make_ca("EC", cn="Unrelated CA")
    leaf = pki.make_leaf(sub, key_type="EC", cn="pem.example.com")
    return root, sub, other, leaf


def test_pem_blocks_crlf_headers_and_text_around():
    root = pki.make_ca("EC", cn="Blocks CA")
    text = b"Bag Attributes: x\r\n" + pki.cert_pem(root.certificate).replace(b"\n", b"\r\n") + b"trailing"
    blocks = pem.pem_blocks(text)
    assert [(block.label, block.der) for block in blocks] == [("CERTIFICATE", pki.cert_der(root.certificate))]
    legacy = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"
    assert pem.pem_blocks(legacy)[0].der is None  # RFC 1421 headers: no plain DER inside
    assert pem.split_pem_certificates(text.decode()) == [pem.pem_encode(pki.cert_der(root.certificate), "CERTIFICATE")]


def test_standard_input_is_named_and_empty_input_says_so(chain):
    _root, sub, _other, leaf = chain
    with pytest.raises(MaterialError, match="^standard input was empty: no certificate in it"):
        material_x509.load_signing_material(pem.NamedData(b"", pem.STANDARD_INPUT))
    with pytest.raises(MaterialError, match="standard input holds no certificate"):
        material_x509.load_certificates(pem.NamedData(b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", pem.STANDARD_INPUT))
    data = pki.cert_pem(leaf.certificate, sub.certificate) + pki.key_bytes(leaf.private_key)
    material = material_x509.load_signing_material(pem.NamedData(data, pem.STANDARD_INPUT))
    assert material.source == "standard input" and material.chain[0].subject == sub.certificate.subject


def test_missing_intermediate_is_named_before_any_request(chain, tmp_path):
    _root, sub, other, leaf = chain
    certificate = pki.write_cert_pem(tmp_path / "leaf.pem", leaf.certificate)
    key = pki.write_key(tmp_path / "leaf.key", leaf.private_key)
    wrong = pki.write_cert_pem(tmp_path / "wrong.pem", other.certificate)
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(certificate, key, wrong)
    text = str(caught.value)
    assert "issuer of certificate %s (%s) is not among the certificates given (%s)" % (
        certificate, sub.certificate.subject.rfc4514_string(), other.certificate.subject.rfc4514_string()) in text
    assert "--intermediates" in text
    # The right intermediate, or none at all (the trust anchor's CA may have issued the leaf): fine.
    right = pki.write_cert_pem(tmp_path / "right.pem", sub.certificate)
    assert material_x509.load_signing_material(certificate, key, right).chain[0].subject == sub.certificate.subject
    assert material_x509.load_signing_material(certificate, key).chain == ()


def test_intermediates_that_are_no_certificates_get_intermediates_advice(chain, tmp_path):
    _root, _sub, _other, leaf = chain
    certificate = pki.write_cert_pem(tmp_path / "leaf.pem", leaf.certificate)
    key = pki.write_key(tmp_path / "leaf.key", leaf.private_key)
    bogus = tmp_path / "chain.pem"
    bogus.write_bytes(pki.key_bytes(leaf.private_key))
    with pytest.raises(MaterialError) as caught:
        material_x509.load_signing_material(certificate, key, str(bogus))
    text = str(caught.value)
    assert "holds no certificate" in text and "--intermediates" in text and "PKCS#12" not in text
    assert "PRIVATE KEY-----\n" not in text
    missing = tmp_path / "missing.pem"
    with pytest.raises(MaterialError, match="intermediates file .*missing.pem could not be read: it does not exist"):
        material_x509.load_signing_material(certificate, key, str(missing))


def test_crl_pem_and_der(chain):
    root = chain[0]
    crl = pki.make_crl(root, [5])
    assert pem.crl_der(crl.pem, "crl_data") == crl.der == pem.crl_der(crl.der, "crl_data")
    assert pem.load_crl(crl.pem, "x").get_revoked_certificate_by_serial_number(5) is not None
    with pytest.raises(MaterialError, match="^crl_path could not be read as a certificate revocation list"):
        pem.load_crl(b"garbage", "crl_path")
    assert pem.crl_der_or_none(b"") is None and pem.crl_der_or_none(crl.pem) == crl.der


def _csr(key):
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "csr")]))
    algorithm = None if type(key).__name__.startswith("Ed") else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)


def test_load_csr_checks_the_key_family():
    """acmpca.load_csr runs csr_key_family: the 'csr holds a <type> key' refusal is reachable."""
    assert acmpca.load_csr(_csr(pki.generate_key("EC")).decode()).subject.rfc4514_string() == "CN=csr"
    with pytest.raises(MaterialError, match="csr holds a .*Ed25519.* key"):
        acmpca.load_csr(_csr(pki.generate_key("Ed25519")))
    with pytest.raises(MaterialError, match="^csr is not a PEM certificate signing request"):
        acmpca.load_csr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")


def test_one_cryptography_check(monkeypatch):
    monkeypatch.setattr(pem, "HAS_CRYPTOGRAPHY", False)
    monkeypatch.setattr(pem, "CRYPTOGRAPHY_IMPORT_ERROR", ImportError("No module named 'cryptography'"))
    for call in (lambda: material_x509.load_private_key("x"), lambda: acmpca.load_csr("x"), lambda: pem.load_crl(b"x", "crl")):
        with pytest.raises(MaterialError, match="the Python library cryptography is needed to .* but cannot be imported"):
            call()


@pytest.mark.parametrize("version, needed", [("2.8", True), ("3.0.4", True), ("3.1", False), ("50.0.2", False), ("3.1.dev1", False)])
def test_the_backend_argument_only_for_cryptography_before_3_1(monkeypatch, version, needed):
    """cryptography < 3.1 (Ubuntu 20.04: 2.8) requires backend=; newer ignore it, and the helper's cold start saves
    importing it (about 3 ms)."""
    monkeypatch.setattr(pem, "_CRYPTOGRAPHY_VERSION", version)
    assert (pem.backend() is not None) is needed
