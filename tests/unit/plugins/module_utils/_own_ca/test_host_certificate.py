# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The own CA's signer of host certificates (the action own_ca_sign) with a CA key file.

The certificate must be what community.crypto's ownca provider made before (the role used
community.crypto.x509_certificate_pipe): the same CSR is signed by both, and every field but the serial, the
validity instants and the signature must be equal. A key in a token: tests/functional/fleet/test_ca_in_token.py.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._own_ca.host_certificate import sign_host_csr

VARIABLE = "rolesanywhere_trust_ca_passphrase"
PASSPHRASE = "Ca-pass-7c1e-never-shown"


def write_ca(directory, key, passphrase=""):
    """A CA as trust.yml makes it (CA:TRUE pathlen 0, keyCertSign/cRLSign, SKI), its key file and certificate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Unit Fleet CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .sign(key, hashes.SHA256()))
    encryption = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    paths = {"certificate": str(directory / "ca.pem"), "key": str(directory / "ca-key.pem")}
    with open(paths["certificate"], "wb") as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(paths["key"], "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    return certificate, paths


def host_csr():
    """A CSR as enroll_slot makes it: CN, CA:FALSE, digitalSignature, clientAuth, a SAN."""
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h1.example.com"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Fleet")]))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("h1.example.com")]), critical=False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())


def sign(paths, csr, passphrase="", days=7):
    pem = sign_host_csr(csr, paths["certificate"], paths["key"], passphrase, VARIABLE, "", days)
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def lifetime(certificate):
    """not_valid_after - not_valid_before (the _utc properties are cryptography 42's; the floor has an older one)."""
    if hasattr(certificate, "not_valid_after_utc"):
        return certificate.not_valid_after_utc - certificate.not_valid_before_utc
    return certificate.not_valid_after - certificate.not_valid_before


def shape(certificate):
    """Everything community.crypto and we both decide: not the serial, the instants or the signature's bytes."""
    return {
        "version": certificate.version,
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "public_key": certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo),
        "signature_algorithm": certificate.signature_algorithm_oid.dotted_string,
        "lifetime": lifetime(certificate).total_seconds(),
        "extensions": sorted((e.oid.dotted_string, e.critical, e.value.public_bytes()) for e in certificate.extensions),
    }


@pytest.mark.parametrize("kind", ["ec", "rsa-encrypted"])
def test_the_certificate_is_issued_by_the_ca_with_the_csr_extensions(tmp_path, kind):
    key = ec.generate_private_key(ec.SECP384R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    ca, paths = write_ca(tmp_path, key, PASSPHRASE if kind == "rsa-encrypted" else "")
    certificate = sign(paths, host_csr(), PASSPHRASE if kind == "rsa-encrypted" else "")
    certificate.verify_directly_issued_by(ca)
    assert certificate.issuer == ca.subject
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == \
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    assert certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == \
        ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert lifetime(certificate) == datetime.timedelta(days=7, minutes=5)


def test_a_missing_or_wrong_passphrase_names_the_variable_and_never_the_passphrase(tmp_path):
    _ca, paths = write_ca(tmp_path, ec.generate_private_key(ec.SECP256R1()), PASSPHRASE)
    with pytest.raises(MaterialError, match="is encrypted and %s is empty" % VARIABLE):
        sign(paths, host_csr())
    with pytest.raises(MaterialError, match="does not open with the passphrase in %s" % VARIABLE) as caught:
        sign(paths, host_csr(), "wrong-" + PASSPHRASE)
    assert PASSPHRASE not in str(caught.value)


def test_a_key_of_another_ca_is_refused(tmp_path):
    _ca, paths = write_ca(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    os.makedirs(str(tmp_path / "other"))
    _other, other_paths = write_ca(tmp_path / "other", ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(MaterialError, match="is not the key of the CA certificate"):
        sign(dict(paths, key=other_paths["key"]), host_csr())


def test_a_key_roles_anywhere_cannot_use_is_refused(tmp_path):
    _ca, paths = write_ca(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    with open(paths["key"], "wb") as handle:
        handle.write(ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(MaterialError, match="is neither an RSA nor an EC key"):
        sign(paths, host_csr())


def test_missing_files_are_named(tmp_path):
    _ca, paths = write_ca(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(MaterialError, match="own CA key .*absent.pem cannot be read"):
        sign(dict(paths, key=str(tmp_path / "absent.pem")), host_csr())
    with pytest.raises(MaterialError, match="CA certificate .*absent.pem cannot be read"):
        sign(dict(paths, certificate=str(tmp_path / "absent.pem")), host_csr())


@pytest.mark.skipif(shutil.which("ansible") is None, reason="needs ansible on PATH (the venv)")
@pytest.mark.parametrize("kind", ["ec", "rsa-encrypted"])
def test_the_same_certificate_as_community_crypto_ownca(tmp_path, kind):
    """community.crypto.x509_certificate_pipe (provider ownca, as the role called it) and own_ca_sign sign one CSR:
    the certificates differ only in serial, instants and signature bytes."""
    key = ec.generate_private_key(ec.SECP384R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    passphrase = PASSPHRASE if kind == "rsa-encrypted" else ""
    _ca, paths = write_ca(tmp_path, key, passphrase)
    csr = host_csr()
    arguments = {"provider": "ownca", "csr_content": csr, "ownca_path": paths["certificate"],
                 "ownca_privatekey_path": paths["key"], "ownca_not_before": "-5m", "ownca_not_after": "+7d",
                 "ownca_digest": "sha256"}
    if passphrase:
        arguments["ownca_privatekey_passphrase"] = passphrase
    run = subprocess.run(["ansible", "localhost", "-c", "local", "-i", "localhost,", "-e",
                          "ansible_python_interpreter=%s" % sys.executable, "-m",
                          "community.crypto.x509_certificate_pipe", "-a", json.dumps(arguments)],
                         capture_output=True, text=True, check=False, timeout=120,
                         env=dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json"))
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    theirs = x509.load_pem_x509_certificate(result["certificate"].encode("ascii"))
    ours = sign(paths, csr, passphrase)
    assert shape(ours) == shape(theirs)
