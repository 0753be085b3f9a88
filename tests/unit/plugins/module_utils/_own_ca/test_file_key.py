# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The own CA's key file: a missing or wrong passphrase names the variable and changes nothing; a plain key is
encrypted in place (same key); no message holds the passphrase."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._own_ca.file_key import check_key, encrypt_key, is_encrypted

PASSPHRASE = "unit-ca-passphrase-71c3"


def write_key(path, passphrase=None, traditional=False):
    key = ec.generate_private_key(ec.SECP384R1())
    encryption = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    form = serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    with open(path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, form, encryption))
    os.chmod(path, 0o600)
    return key


def content(path):
    with open(path, "rb") as handle:
        return handle.read()


def test_absent_key_is_reported_not_refused(tmp_path):
    assert check_key(str(tmp_path / "ca-key.pem"), PASSPHRASE) == {"exists": False, "encrypted": False, "in_token": False}


@pytest.mark.parametrize("traditional", [False, True])
def test_encrypted_key_opens_with_its_passphrase(tmp_path, traditional):
    path = str(tmp_path / "ca-key.pem")
    write_key(path, PASSPHRASE, traditional)
    assert check_key(path, PASSPHRASE) == {"exists": True, "encrypted": True, "in_token": False}


@pytest.mark.parametrize("given, expected", [
    ("", "is encrypted and enroll_own_ca_private_key_passphrase is empty"),
    ("wrong-passphrase-0000", "does not open with the passphrase in enroll_own_ca_private_key_passphrase"),
])
def test_missing_or_wrong_passphrase_names_the_variable_and_changes_nothing(tmp_path, given, expected):
    path = str(tmp_path / "ca-key.pem")
    write_key(path, PASSPHRASE)
    before = content(path)
    for call in (lambda: check_key(path, given, "enroll_own_ca_private_key_passphrase"),
                 lambda: encrypt_key(path, given, "enroll_own_ca_private_key_passphrase")):
        with pytest.raises(MaterialError) as caught:
            call()
        assert expected in str(caught.value) and "nothing was changed" in str(caught.value)
        assert PASSPHRASE not in str(caught.value) and (not given or given not in str(caught.value))
    assert content(path) == before


def test_plain_key_opens_with_or_without_a_passphrase(tmp_path):
    path = str(tmp_path / "ca-key.pem")
    write_key(path)
    assert check_key(path, "") == {"exists": True, "encrypted": False, "in_token": False}
    assert check_key(path, PASSPHRASE) == {"exists": True, "encrypted": False, "in_token": False}


def test_plain_key_is_encrypted_in_place_with_the_same_key(tmp_path):
    path = str(tmp_path / "ca-key.pem")
    key = write_key(path)
    before = content(path)
    assert encrypt_key(path, PASSPHRASE, check_mode=True) is True
    assert content(path) == before  # check mode changes nothing
    assert encrypt_key(path, PASSPHRASE) is True
    pem = content(path)
    assert is_encrypted(pem) and os.stat(path).st_mode & 0o777 == 0o600
    reopened = serialization.load_pem_private_key(pem, password=PASSPHRASE.encode())
    assert reopened.private_numbers() == key.private_numbers()
    assert encrypt_key(path, PASSPHRASE) is False  # idempotent


def test_no_passphrase_leaves_a_plain_key_plain(tmp_path):
    path = str(tmp_path / "ca-key.pem")
    write_key(path)
    before = content(path)
    assert encrypt_key(path, "") is False
    assert content(path) == before


@pytest.mark.parametrize("data, expected", [(b"not a key", "is not a PEM private key"), (None, "cannot be read")])
def test_unreadable_or_foreign_file(tmp_path, data, expected):
    path = tmp_path / "ca-key.pem"
    if data is None:
        path.mkdir()
    else:
        path.write_bytes(data)
    with pytest.raises(MaterialError, match=expected):
        check_key(str(path), "")


def test_a_key_reference_is_reported_in_token_and_never_encrypted(tmp_path):
    path = tmp_path / "ca-key.pkcs11"
    path.write_text("pkcs11:token=fleet-ca;object=fleet-ca?module-path=/usr/lib/softhsm/libsofthsm2.so\n")
    before = path.read_bytes()
    assert check_key(str(path), PASSPHRASE) == {"exists": True, "encrypted": False, "in_token": True}
    assert encrypt_key(str(path), PASSPHRASE) is False
    assert path.read_bytes() == before
