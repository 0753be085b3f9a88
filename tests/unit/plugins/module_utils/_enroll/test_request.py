# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key and CSR enroll_slot makes: every key type of the role, PKCS#8 (encrypted with a passphrase), the
extensions AWS requires of an end-entity certificate, and a subject and SANs that enroll_state reads back as wanted
(else every run would renew)."""

from __future__ import annotations

import datetime
import os

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import certificate_view
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.renewal import Material, Wanted, renewal_reasons
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.request import RequestError, key_pem, make_key, make_request
from tests.support import pki

ROLE_VARS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "enroll", "vars", "main.yml")
with open(ROLE_VARS, encoding="utf-8") as vars_file:
    KEY_TYPES = yaml.safe_load(vars_file)["__enroll_key_types"]


def sign(ca, csr_pem, days=30):
    """What the own-CA signer does with the CSR: its subject, public key and extensions into a certificate."""
    csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.certificate.subject)
               .public_key(csr.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=days)))
    for extension in csr.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(ca.private_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("name", sorted(KEY_TYPES))
def test_every_key_type_of_the_role_is_made_as_enroll_state_wants_it(name):
    ca = pki.make_ca()
    key = make_key(KEY_TYPES[name])
    csr = make_request(key, "h01.fleet.test")
    view = certificate_view(sign(ca, csr))
    wanted = Wanted(key_spec=KEY_TYPES[name], common_name="h01.fleet.test", signer_id="s", renew_before_days=10)
    material = Material(slot="slot-a", state={"signer_id": "s"}, certificate=view)
    assert renewal_reasons(material, wanted) == []


def test_the_csr_has_the_extensions_aws_requires_and_a_valid_signature():
    csr = x509.load_pem_x509_csr(make_request(make_key(KEY_TYPES["ec-p256"]), "h01").encode("ascii"))
    assert csr.is_signature_valid and isinstance(csr.signature_hash_algorithm, hashes.SHA256)
    constraints = csr.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = csr.extensions.get_extension_for_class(x509.KeyUsage)
    extended = csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert constraints.critical and constraints.value.ca is False
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert not extended.critical and list(extended.value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(x509.ExtensionNotFound):
        csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_subject_and_sans_read_back_as_wanted():
    ca = pki.make_ca()
    subject = {"organizationName": "Example", "organizationalUnitName": "Fleet", "countryName": "DE"}
    sans = ["DNS:h01.fleet.test", "IP:192.0.2.7", "IP:2001:db8::7", "URI:spiffe://fleet/h01", "email:ops@fleet.test"]
    view = certificate_view(sign(ca, make_request(make_key(KEY_TYPES["ec-p384"]), "h01", subject, sans)))
    wanted = Wanted(key_spec=KEY_TYPES["ec-p384"], common_name="h01", signer_id="s", renew_before_days=10,
                    subject=subject, subject_alt_names=sans)
    assert renewal_reasons(Material(slot="slot-a", state={"signer_id": "s"}, certificate=view), wanted) == []


def test_a_short_subject_name_or_an_unknown_san_is_refused_with_what_to_use():
    key = make_key(KEY_TYPES["ec-p256"])
    with pytest.raises(RequestError, match="enroll_subject key 'O' is not an OpenSSL long name; use one of .*organizationName"):
        make_request(key, "h01", {"O": "Example"})
    with pytest.raises(RequestError, match="'IP:not-an-address' is not valid"):
        make_request(key, "h01", subject_alt_names=["IP:not-an-address"])
    with pytest.raises(RequestError, match="'h01.fleet.test' needs a type prefix"):
        make_request(key, "h01", subject_alt_names=["h01.fleet.test"])
    with pytest.raises(RequestError, match="neither ECC"):
        make_key({"type": "DSA", "size": 2048})


def test_the_key_is_pkcs8_and_encrypted_only_with_a_passphrase():
    key = make_key(KEY_TYPES["rsa-2048"])
    plain, encrypted = key_pem(key), key_pem(key, "p w")
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") and b"p w" not in encrypted
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(encrypted, None)
    loaded = serialization.load_pem_private_key(encrypted, b"p w")
    assert loaded.public_key().public_numbers() == key.public_key().public_numbers()
