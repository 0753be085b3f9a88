# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_slot's steps: an empty slot with the passphrase file, the issued files, the swap."""

from __future__ import annotations

import json
import os
import pwd
import stat

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import discard, install, install_helper, make_current
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import make_key_and_request, prepare
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.token import TokenSettings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.tpm_key import TpmSettings

ME = pwd.getpwuid(os.getuid()).pw_name


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_prepare_clears_leftovers_and_writes_the_passphrase_file(tmp_path):
    base = str(tmp_path / "etc/rolesanywhere")
    os.makedirs(base + "/slot-b")
    with open(base + "/slot-b/private-key.passphrase", "w", encoding="utf-8") as handle:
        handle.write("left over")
    assert prepare(base, "slot-b", ME, passphrase="new one")
    assert os.listdir(base + "/slot-b") == ["private-key.passphrase"]
    with open(base + "/slot-b/private-key.passphrase", encoding="utf-8") as handle:
        assert handle.read() == "new one"
    assert mode(base) == 0o700 and mode(base + "/slot-b") == 0o700 and mode(base + "/slot-b/private-key.passphrase") == 0o600
    assert prepare(base, "slot-b", ME)
    assert os.listdir(base + "/slot-b") == []


def test_check_mode_changes_nothing(tmp_path):
    base = str(tmp_path / "etc/rolesanywhere")
    assert prepare(base, "slot-a", ME, passphrase="x", check_mode=True)
    assert install(base, "slot-a", ME, "CERT", "", {}, check_mode=True)
    assert make_current(base, "slot-a", ME, check_mode=True)
    assert not os.path.exists(str(tmp_path / "etc"))


def test_install_writes_certificate_chain_and_record(tmp_path):
    base = str(tmp_path)
    prepare(base, "slot-a", ME)
    install(base, "slot-a", ME, "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n\n", "  ",
            {"signer_id": "own_ca:x", "with_chain": False})
    assert sorted(os.listdir(base + "/slot-a")) == ["certificate.pem", "enrollment.json"]
    with open(base + "/slot-a/certificate.pem", encoding="ascii") as handle:
        assert handle.read() == "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n"
    with open(base + "/slot-a/enrollment.json", encoding="utf-8") as handle:
        assert json.load(handle) == {"signer_id": "own_ca:x", "with_chain": False}
    assert mode(base + "/slot-a/certificate.pem") == 0o644
    install(base, "slot-a", ME, "C", "CHAIN", {})
    assert os.path.exists(base + "/slot-a/chain.pem")


def test_make_current_swaps_the_link_and_removes_the_previous_slot(tmp_path):
    base = str(tmp_path)
    prepare(base, "slot-a", ME)
    assert make_current(base, "slot-a", ME)
    assert os.readlink(base + "/current") == "slot-a"
    assert not make_current(base, "slot-a", ME)  # done already
    prepare(base, "slot-b", ME)
    assert make_current(base, "slot-b", ME)
    assert os.readlink(base + "/current") == "slot-b"
    assert sorted(os.listdir(base)) == ["current", "slot-b"]


def test_a_missing_user_and_a_bad_slot_are_refused(tmp_path):
    with pytest.raises(LookupError, match="user no-such-user-x does not exist"):
        prepare(str(tmp_path), "slot-a", "no-such-user-x")
    with pytest.raises(ValueError):
        prepare(str(tmp_path), "../etc", ME)


def test_the_new_key_and_its_csr_are_made_in_the_prepared_slot(tmp_path):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    base = str(tmp_path)
    prepare(base, "slot-b", ME, passphrase="p w")
    request = {"key_spec": {"type": "ECC", "curve": "secp384r1", "size": 384}, "common_name": "h01",
               "subject": {"organizationName": "Example"}, "subject_alt_names": ["DNS:h01.fleet.test"]}
    csr = x509.load_pem_x509_csr(make_key_and_request(base, "slot-b", ME, request, "p w").encode("ascii"))
    assert sorted(os.listdir(base + "/slot-b")) == ["private-key.passphrase", "private-key.pem"]
    assert mode(base + "/slot-b/private-key.pem") == 0o600
    with open(base + "/slot-b/private-key.pem", "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), b"p w")
    assert key.public_key().public_numbers() == csr.public_key().public_numbers()
    assert csr.subject.rfc4514_string() == "O=Example,CN=h01"


def test_the_helper_is_written_only_when_it_differs(tmp_path):
    path = str(tmp_path / "usr/local/bin/helper")
    if os.getuid() != 0:
        pytest.skip("the helper is root's")
    assert install_helper(path, b"#!/usr/bin/python3\n", check_mode=True) and not os.path.exists(path)
    assert install_helper(path, b"#!/usr/bin/python3\n")
    assert mode(path) == 0o755 and not install_helper(path, b"#!/usr/bin/python3\n")
    assert install_helper(path, b"#!/usr/bin/python3\n# newer\n")


def test_discard_removes_the_staging_slot_never_the_one_in_use(tmp_path):
    base = str(tmp_path)
    prepare(base, "slot-a", ME)
    make_current(base, "slot-a", ME)
    prepare(base, "slot-b", ME)
    assert discard(base, "slot-b", check_mode=True) == (True, None)
    assert os.path.isdir(base + "/slot-b")  # check mode: nothing removed
    assert discard(base, "slot-b") == (True, None)
    assert sorted(os.listdir(base)) == ["current", "slot-a"]
    assert discard(base, "slot-b") == (False, None)  # nothing left
    # a failure after the swap: the slot 'current' points at is in use, left alone
    assert discard(base, "slot-a") == (False, None)
    assert sorted(os.listdir(base)) == ["current", "slot-a"]


def test_discard_with_a_tpm_key_removes_its_key_file_with_the_slot(tmp_path):
    base = str(tmp_path)
    prepare(base, "slot-b", ME)
    with open(base + "/slot-b/tpm-key.pem", "w", encoding="ascii") as handle:
        handle.write("-----BEGIN TSS2 PRIVATE KEY-----\n")
    # no token call: the TPM holds nothing apart from the TSS2 key file (a device that does not exist proves it)
    assert discard(base, "slot-b", token=TpmSettings("/nonexistent/tpmrm9")) == (True, None)
    assert not os.path.lexists(base + "/slot-b")


def BrokenToken():  # pylint: disable=invalid-name
    """What token.remove_key is given; the module at this path cannot be loaded."""
    return TokenSettings("/nonexistent/libnothing.so", "fleet", "4711", "")


def test_discard_reports_a_token_it_cannot_reach_as_a_warning(tmp_path):
    pytest.importorskip("PyKCS11")
    base = str(tmp_path)
    prepare(base, "slot-b", ME)
    changed, warning = discard(base, "slot-b", token=BrokenToken())
    assert changed and not os.path.lexists(base + "/slot-b")
    assert warning.startswith("the staging key in the token was not removed (the next renewal replaces it): ")
    assert "enroll_pkcs11_module" in warning and "4711" not in warning
