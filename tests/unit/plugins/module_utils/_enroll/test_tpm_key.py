# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_key_store=tpm, the decisions (what is refused before the TPM is touched, the helper's command line, the key's
template and its TSS2 file) and, against a software TPM (swtpm, skipped without it), the new TPM commands: TPM2_Create
under AWS's primary or a persistent parent, TPM2_EvictControl, the key file the helper's own signer loads, the CSR
signed in the TPM, and the preflight's refusals. The role end to end: tests/functional/role/test_key_store_tpm.py."""

from __future__ import annotations

import datetime
import json
import shlex
import struct
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import tpm
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import tpm_protocol as wire
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll import tpm_key
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.command import HelperSettings, helper_argv
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import read_material
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.renewal import CertificateView, Wanted, renewal_reasons

ANCHOR = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/2b7f4f0e-1c3d-4f7a-9c1e-6d5a4b3c2d1e"
PROFILE = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/7c3e2a1b-4d5f-4a6b-8c7d-9e0f1a2b3c4d"
ROLE = "arn:aws:iam::123456789012:role/fleet"
EC = {"type": "ECC", "curve": "secp256r1", "size": 256}
RSA = {"type": "RSA", "size": 2048}
PASSWORD = "tpm-4c2e-secret"


def params(**changes):
    values = dict(key_store="tpm", key_spec=EC, key_passphrase="", helper="rolesanywhere", tpm_device="",
                  tpm_parent_handle="", tpm_key_password="")
    values.update(changes)
    return values


# --- refused before the TPM is touched ----------------------------------------------------------------------------

def test_good_variables_pass():
    assert tpm_key.check_settings(params()) == []
    assert tpm_key.check_settings(params(key_spec=RSA, tpm_device="/dev/tpmrm0", tpm_parent_handle="0x81000001")) == []


@pytest.mark.parametrize("changes, words", [
    ({"key_spec": {"type": "ECC", "curve": "secp384r1", "size": 384}}, ["enroll_key_type", "ec-p256"]),
    ({"key_spec": {"type": "RSA", "size": 4096}}, ["enroll_key_type", "rsa-2048"]),
    ({"key_passphrase": "secret"}, ["enroll_key_passphrase", "enroll_tpm_key_password"]),
    ({"tpm_parent_handle": "0x40000001"}, ["enroll_tpm_parent_handle=0x40000001", "0x81xxxxxx"]),
    ({"tpm_parent_handle": "owner"}, ["enroll_tpm_parent_handle=owner"]),
    ({"tpm_device": "tabrmd:"}, ["enroll_tpm_device=tabrmd:", "device path"]),
    ({"tpm_device": "swtpm:path=/run/t.sock", "helper": "aws_signing_helper"}, ["AWS's helper", "TPM_DEVICE"]),
])
def test_refusals_name_the_variable(changes, words):
    problems = tpm_key.check_settings(params(**changes))
    assert len(problems) == 1, problems
    assert all(word in problems[0] for word in words), problems[0]
    assert "secret" not in problems[0]


def test_other_key_stores_are_the_tokens_to_check():
    assert tpm_key.key_store_refusal(params(key_store="file", pkcs11_module="", pkcs11_token_label="", pkcs11_pin="")) is None


def test_settings_hide_the_password_and_name_the_tpm():
    settings = tpm_key.TpmSettings("/dev/tpm0", "", PASSWORD)
    assert PASSWORD not in repr(settings)
    assert settings.environ == {"TPM2TOOLS_TCTI": "device:/dev/tpm0"}
    assert tpm_key.TpmSettings("swtpm:path=/s").environ == {"TPM2TOOLS_TCTI": "swtpm:path=/s"}
    assert tpm_key.TpmSettings().environ == {}  # the helpers' default: /dev/tpmrm0, then /dev/tpm0


@pytest.mark.parametrize("device, helper, words", [
    ("", "rolesanywhere", []), ("", "aws_signing_helper", []),
    ("/dev/tpm0", "rolesanywhere", ["TPM2TOOLS_TCTI=device:/dev/tpm0"]),
    ("swtpm:host=127.0.0.1,port=2321", "rolesanywhere", ["TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=2321"]),
    ("device:/dev/tpm0", "aws_signing_helper", ["TPM_DEVICE=/dev/tpm0"]),  # AWS's OpenTPM (tpm_signer_helper_other.go) reads TPM_DEVICE
])
def test_helper_environment(device, helper, words):
    assert tpm_key.helper_environment(tpm_key.TpmSettings(device), helper) == words


def settings_for(**changes):
    values = dict(helper="rolesanywhere", helper_file="/usr/local/bin/h", trust_anchor_arn=ANCHOR, profile_arn=PROFILE,
                  role_arn=ROLE)
    values.update(tpm_key.tpm_helper_settings(params(**changes)))
    return HelperSettings(**values)


def test_command_line_names_the_key_file_the_tpm_and_the_password_flag():
    argv = helper_argv(settings_for(tpm_device="/dev/tpm0"), "/etc/rolesanywhere/current", False)
    assert argv[:3] == ["/usr/bin/env", "TPM2TOOLS_TCTI=device:/dev/tpm0", "/usr/local/bin/h"]
    assert argv[argv.index("--private-key") + 1] == "/etc/rolesanywhere/current/tpm-key.pem"
    assert "--no-tpm-key-password" in argv and "--tpm-key-password" not in argv
    argv = helper_argv(settings_for(tpm_key_password=PASSWORD), "/m", False)
    assert argv[0] == "/usr/local/bin/h"  # no env(1) for the default device
    assert argv[argv.index("--tpm-key-password") + 1] == PASSWORD and "--no-tpm-key-password" not in argv


def test_command_line_with_a_ca_bundle_sets_both_in_one_env():
    settings = settings_for(tpm_device="swtpm:path=/s")
    settings.ca_bundle_file = "/etc/rolesanywhere/ca-bundle.pem"
    line = " ".join(shlex.quote(a) for a in helper_argv(settings, "/m", False))
    assert line.startswith("/usr/bin/env AWS_CA_BUNDLE=/etc/rolesanywhere/ca-bundle.pem TPM2TOOLS_TCTI=swtpm:path=/s /usr/local/bin/h ")


def test_file_and_token_keys_get_no_tpm_flags():
    argv = helper_argv(settings_for(key_store="file"), "/m", False)
    assert not [a for a in argv if "tpm" in a] and "/m/private-key.pem" in argv


# --- when a key in the TPM is renewed ------------------------------------------------------------------------------

def material(tmp_path, key_store, key_has_password):
    view = CertificateView(subject={"commonName": "h1"}, subject_alt_names=[], key_type="ECC", key_curve="secp256r1",
                           key_size=256, serial_number=1,
                           not_after=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=300))
    slot = tmp_path / "slot-a"
    slot.mkdir()
    (tmp_path / "current").symlink_to("slot-a")
    (slot / "enrollment.json").write_text(json.dumps({"signer_id": "s", "key_store": key_store}))
    if key_has_password is not None:
        (slot / "tpm-key.pem").write_bytes(tpm.tss2_pem(tpm.TssKey(not key_has_password, wire.RH_OWNER, b"\0\1p", b"\0\1q")))
    found = read_material(str(tmp_path / "current"))
    found.certificate = view
    return found


@pytest.mark.parametrize("key_has_password, wanted_password, reasons", [
    (False, False, []), (True, True, []), (False, True, ["tpm_key_password"]), (True, False, ["tpm_key_password"]),
])
def test_a_password_set_or_emptied_renews_the_key(tmp_path, key_has_password, wanted_password, reasons):
    found = material(tmp_path, "tpm", key_has_password)
    assert found.tpm_key_password is key_has_password
    wanted = Wanted(key_spec=EC, common_name="h1", signer_id="s", renew_before_days=10, key_store="tpm",
                    tpm_key_password=wanted_password)
    assert renewal_reasons(found, wanted) == reasons


def test_a_file_key_has_no_tpm_reasons(tmp_path):
    found = material(tmp_path, "file", None)
    assert found.tpm_key_password is None
    wanted = Wanted(key_spec=EC, common_name="h1", signer_id="s", renew_before_days=10, key_store="tpm", tpm_key_password=True)
    assert renewal_reasons(found, wanted) == ["key_store"]
    assert tpm_key.key_file_has_password(b"-----BEGIN TSS2 PRIVATE KEY-----\nnot base64\n") is None


# --- the key's template and its TSS2 file -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", [("RSA", 2048), ("EC", "secp256r1")])
@pytest.mark.parametrize("has_password", [False, True])
def test_signing_key_template_is_sign_only_and_cannot_leave_the_tpm(kind, has_password):
    template = wire.signing_key_template(kind, has_password)
    assert struct.unpack(">H", template[:2])[0] == len(template) - 2
    algorithm, name_alg, attributes = struct.unpack(">HHI", template[2:10])
    assert algorithm == (wire.ALG_RSA if kind[0] == "RSA" else wire.ALG_ECC) and name_alg == wire.ALG_SHA256
    assert attributes & wire.ATTRIBUTE_SIGN and not attributes & wire.ATTRIBUTE_DECRYPT
    assert not attributes & wire.ATTRIBUTE_RESTRICTED
    assert attributes & (1 << 1) and attributes & (1 << 4), "fixedTPM and fixedParent"
    assert attributes & (1 << 5), "sensitiveDataOrigin: the TPM makes the secret"
    assert bool(attributes & wire.ATTRIBUTE_NO_DA) != has_password


@pytest.mark.parametrize("kind", [("RSA", 4096), ("EC", "secp384r1")])
def test_other_kinds_are_refused(kind):
    with pytest.raises(ValueError):
        wire.signing_key_template(kind, False)


@pytest.mark.parametrize("empty_auth, parent", [(True, wire.RH_OWNER), (False, wire.RH_OWNER), (True, 0x81000001),
                                                (False, 0x810000FF)])
def test_tss2_file_reads_back(tmp_path, empty_auth, parent):
    key = tpm.TssKey(empty_auth, parent, b"\x00\x04pub!", b"\x00\x05priv!")
    pem = tpm.tss2_pem(key)
    assert pem.startswith(b"-----BEGIN TSS2 PRIVATE KEY-----\n") and pem.endswith(b"-----END TSS2 PRIVATE KEY-----\n")
    assert tpm.parse_tss2_key(tpm.tss2_der(pem), "k") == key
    path = tmp_path / "k.pem"
    path.write_bytes(pem)
    listing = subprocess.run(["openssl", "asn1parse", "-in", str(path)], stdout=subprocess.PIPE, check=True).stdout.decode()
    assert ":2.23.133.10.1.3" in listing and ("INTEGER           :%X" % parent) in listing
    assert ("BOOLEAN           :255" in listing) == empty_auth


# --- against a software TPM -----------------------------------------------------------------------------------------

# soft_tpm: conftest.py (skipped without swtpm)

@pytest.mark.parametrize("key_spec, password", [(EC, ""), (RSA, PASSWORD)])
def test_key_made_in_the_tpm_signs_its_request(soft_tpm, key_spec, password):
    settings = tpm_key.TpmSettings(soft_tpm.tcti, "", password)
    tpm_key.check_tpm(settings)
    pem, csr = tpm_key.make_key_and_request(settings, "slot/tpm-key.pem", {"key_spec": key_spec, "common_name": "h1.example"})
    request = x509.load_pem_x509_csr(csr.encode("ascii"))
    assert request.is_signature_valid
    key = tpm.parse_tss2_key(tpm.tss2_der(pem), "k")
    assert key.empty_auth == (not password) and key.parent == wire.RH_OWNER
    public_key, key_type, attributes = wire.public_key_of(key.public)
    assert key_type == ("EC" if key_spec is EC else "RSA") and attributes & wire.ATTRIBUTE_SIGN
    assert public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        request.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # the helper's signer with the wrong password is refused by the TPM itself
    if password:
        signer = tpm.tpm_key_signer(pem, "k", tpm.TpmKeyOptions(password="wrong", environ=settings.environ))
        with pytest.raises(Exception, match="incorrect TPM key password"):
            signer.sign(b"data")


def test_evict_control_makes_a_key_persistent_and_evicts_it(soft_tpm):
    """TPM2_EvictControl by the owner (enroll_tpm_persistent_handle: tpm_handle.py), checked with tpm2-tools."""
    connection = wire.Connection(wire.tcti_configuration(soft_tpm.env))
    try:
        primary = wire.create_primary(connection, wire.RH_OWNER)
        private, public = wire.create(connection, primary, wire.signing_key_template(("EC", "secp256r1"), False))
        loaded = wire.load(connection, primary, tpm.TssKey(True, wire.RH_OWNER, public, private))
        wire.evict_control(connection, loaded, 0x81000040)
        assert wire.read_public(connection, 0x81000040) == public
        with pytest.raises(wire.TpmError) as taken:  # the handle is taken: the TPM refuses, nothing is replaced
            wire.evict_control(connection, loaded, 0x81000040)
        assert wire.rc_base(taken.value.rc) == wire.RC_NV_DEFINED and "TPM_RC_NV_DEFINED" in str(taken.value)
        wire.flush(connection, loaded)
        wire.flush(connection, primary)
    finally:
        connection.close()  # swtpm serves one connection at a time: tpm2-tools' waits for it
    assert soft_tpm.persistent_handles() == [0x81000040]
    connection = wire.Connection(wire.tcti_configuration(soft_tpm.env))
    try:
        wire.evict_control(connection, 0x81000040, 0x81000040)  # the persistent object itself: evicted
        with pytest.raises(wire.TpmError) as gone:
            wire.read_public(connection, 0x81000040)
        assert wire.rc_base(gone.value.rc) == wire.RC_HANDLE
    finally:
        connection.close()
    assert soft_tpm.persistent_handles() == []


def test_make_key_refuses_other_kinds_before_the_tpm_is_touched():
    with pytest.raises(tpm_key.TpmKeyError, match="enroll_key_type"):
        tpm_key.make_key(tpm_key.TpmSettings("swtpm:path=/nonexistent.sock"), {"type": "RSA", "size": 4096})


def test_key_under_a_persistent_parent(soft_tpm):
    soft_tpm.tool("tpm2_evictcontrol", "-C", "o", "-c", soft_tpm.primary, "0x81000020")
    settings = tpm_key.TpmSettings(soft_tpm.tcti, "0x81000020", "")
    pem, csr = tpm_key.make_key_and_request(settings, "k", {"key_spec": EC, "common_name": "h1"})
    assert tpm.parse_tss2_key(tpm.tss2_der(pem), "k").parent == 0x81000020
    assert x509.load_pem_x509_csr(csr.encode("ascii")).is_signature_valid


def test_preflight_refusals(soft_tpm, tmp_path):
    with pytest.raises(tpm_key.TpmKeyError, match="enroll_tpm_device=swtpm:path=.* cannot be reached"):
        tpm_key.check_tpm(tpm_key.TpmSettings("swtpm:path=%s" % (tmp_path / "none.sock")))
    with pytest.raises(tpm_key.TpmKeyError, match="enroll_tpm_parent_handle=0x81000030: the TPM .* has no key there"):
        tpm_key.check_tpm(tpm_key.TpmSettings(soft_tpm.tcti, "0x81000030"))
    signing = soft_tpm.make_key("signing", "ecc256", persistent=0x81000031)
    assert signing.handle
    with pytest.raises(tpm_key.TpmKeyError, match="0x81000031 is not a storage key"):
        tpm_key.check_tpm(tpm_key.TpmSettings(soft_tpm.tcti, "0x81000031"))
    message = tpm_key.key_store_refusal(params(tpm_device="swtpm:path=%s" % (tmp_path / "none.sock")))
    assert "enroll_tpm_device=" in message and "nothing was changed" in message
    assert tpm_key.key_store_refusal(params(tpm_device=soft_tpm.tcti)) is None


def test_no_key_due_reaches_no_tpm(monkeypatch):
    """A host where no key is to be made (no renewal due): the variables are checked, the TPM is not opened (making
    the owner primary costs a real TPM up to seconds on every run)."""
    def unreachable(settings):
        raise AssertionError("the TPM was reached")
    monkeypatch.setattr(tpm_key, "check_tpm", unreachable)
    assert tpm_key.key_store_refusal(params(tpm_device="swtpm:path=/nonexistent.sock"), key_due=False) is None
    with pytest.raises(AssertionError, match="the TPM was reached"):
        tpm_key.key_store_refusal(params(tpm_device="swtpm:path=/nonexistent.sock"))
    assert "enroll_tpm_parent_handle" in tpm_key.key_store_refusal(params(tpm_parent_handle="0x01"), key_due=False)
