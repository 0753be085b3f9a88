# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_tpm_persistent_handle: the decisions (the variable's form, each slot's handle, which handles may be used, when
a key is renewed, the helper's --private-key) and, against a software TPM (swtpm, skipped without it), the slot's life:
the key made persistent at its slot's handle, signing through it, the previous slot's key evicted at the swap, a
failed renewal's key evicted, another key at a handle refused (TPM2_EvictControl itself: test_tpm_key.py). The role
end to end: tests/functional/role/test_key_store_tpm.py."""

from __future__ import annotations

import datetime
import json
import os
import pwd
import shutil

import pytest
from cryptography import x509

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import tpm
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import tpm_protocol as wire
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll import tpm_handle, tpm_key
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.command import HelperSettings, helper_argv
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import EnrollSettings, helper_for
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import read_material
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.renewal import CertificateView, Wanted, renewal_reasons
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import discard, make_current, make_key_and_request, prepare

ME = pwd.getpwuid(os.getuid()).pw_name
EC = {"type": "ECC", "curve": "secp256r1", "size": 256}
PASSWORD = "tpm-9d1f-secret"
HANDLE = "0x81000100"


# --- the variable and each slot's handle ------------------------------------------------------------------------

@pytest.mark.parametrize("text, slot_a, slot_b", [
    ("0x81000100", 0x81000100, 0x81000101), ("81000100", 0x81000100, 0x81000101), (" 0X8100ABCD ", 0x8100ABCD, 0x8100ABCE),
    ("0x81000000", 0x81000000, 0x81000001), ("0x817ffffe", 0x817FFFFE, 0x817FFFFF),
])
def test_slot_a_takes_the_handle_and_slot_b_the_next(text, slot_a, slot_b):
    assert tpm_handle.handle_refusal(text) is None
    assert (tpm_handle.slot_handle(text, "slot-a"), tpm_handle.slot_handle(text, "slot-b")) == (slot_a, slot_b)


@pytest.mark.parametrize("text", ["0x817fffff", "0x81800000", "0x40000001", "0x01000100", "owner", "handle:0x81000100", "0x"])
def test_a_handle_the_owner_cannot_take_with_the_next_is_refused(text):
    message = tpm_handle.handle_refusal(text)
    assert message.startswith("enroll_tpm_persistent_handle=%s is not a persistent handle" % text)
    assert "0x81000000 to 0x817ffffe" in message and tpm_handle.slot_handle(text, "slot-a") is None


def test_no_handle_is_the_key_file():
    assert tpm_handle.handle_refusal("") is None and tpm_handle.slot_handle("", "slot-a") is None


def params(**changes):
    values = dict(key_store="tpm", key_spec=EC, key_passphrase="", helper="rolesanywhere", tpm_device="",
                  tpm_parent_handle="", tpm_key_password="", tpm_persistent_handle=HANDLE)
    values.update(changes)
    return values


def test_the_roles_check_names_the_variable_and_reaches_no_tpm():
    assert tpm_key.check_settings(params()) == []
    problems = tpm_key.check_settings(params(tpm_persistent_handle="0x40000001"))
    assert len(problems) == 1 and "enroll_tpm_persistent_handle=0x40000001" in problems[0]
    assert "enroll_tpm_persistent_handle=0x40000001" in tpm_key.key_store_refusal(
        params(tpm_persistent_handle="0x40000001", tpm_device="swtpm:path=/nonexistent.sock"))


def test_settings_show_the_handle_never_the_password():
    settings = tpm_key.TpmSettings("", "", PASSWORD, HANDLE)
    assert PASSWORD not in repr(settings) and HANDLE in repr(settings)


# --- which handles may be used ------------------------------------------------------------------------------------

OURS_A, OURS_B, OTHER = b"\0\2aa", b"\0\2bb", b"\0\2zz"


@pytest.mark.parametrize("occupants, keys, staging, words", [
    ({}, {}, "slot-a", []),  # first enrolment, both free
    ({"slot-a": OURS_A}, {"slot-a": OURS_A}, "slot-b", []),  # the key in use at its handle; slot-b's free
    ({"slot-a": OURS_A, "slot-b": OURS_B}, {"slot-a": OURS_A, "slot-b": OURS_B}, "slot-b", []),  # a leftover: evicted first
    ({"slot-b": OTHER}, {}, "slot-a", ["holds a key that is not this enrolment's at 0x81000101 (the handle of slot-b's key)",
                                       "tpm2_evictcontrol -C o -c 0x81000101"]),
    ({"slot-a": OTHER}, {"slot-b": OURS_B}, "slot-a", ["at 0x81000100 (the handle of slot-a's key)"]),
    ({"slot-a": OURS_B}, {"slot-b": OURS_B}, "slot-a", ["would put the new key at 0x81000100, where the key in use is"]),
])
def test_handles_must_be_free_or_this_enrolments(occupants, keys, staging, words):
    problems = tpm_handle.handle_problems(HANDLE, occupants, keys, staging, "swtpm:path=/t")
    assert len(problems) == (1 if words else 0), problems
    assert all(word in problems[0] for word in words)
    assert all(problem.startswith("enroll_tpm_persistent_handle=0x81000100") and "nothing was changed" in problem
               for problem in problems)


# --- when the key is renewed ------------------------------------------------------------------------------------

def material(tmp_path, slot, recorded, key_store="tpm"):
    (tmp_path / slot).mkdir()
    (tmp_path / "current").symlink_to(slot)
    (tmp_path / slot / "enrollment.json").write_text(json.dumps({"signer_id": "s", "key_store": key_store}))
    if recorded:
        (tmp_path / slot / "tpm-key.handle").write_text(recorded + "\n")
    found = read_material(str(tmp_path / "current"))
    found.certificate = CertificateView(subject={"commonName": "h1"}, subject_alt_names=[], key_type="ECC",
                                        key_curve="secp256r1", key_size=256, serial_number=1,
                                        not_after=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=300))
    return found


@pytest.mark.parametrize("slot, recorded, wanted, reasons", [
    ("slot-a", None, "", []), ("slot-a", "0x81000100", HANDLE, []), ("slot-b", "0x81000101", HANDLE, []),
    ("slot-a", None, HANDLE, ["tpm_persistent_handle"]),  # set: the key file's key goes to a handle
    ("slot-a", "0x81000100", "", ["tpm_persistent_handle"]),  # emptied
    ("slot-b", "0x81000101", "0x81000200", ["tpm_persistent_handle"]),  # changed
    ("slot-b", "0x81000100", HANDLE, ["tpm_persistent_handle"]),  # not where the rule puts slot-b's key
])
def test_a_handle_set_changed_or_emptied_renews_the_key(tmp_path, slot, recorded, wanted, reasons):
    found = material(tmp_path, slot, recorded)
    wanted = Wanted(key_spec=EC, common_name="h1", signer_id="s", renew_before_days=10, key_store="tpm",
                    tpm_persistent_handle=wanted)
    assert renewal_reasons(found, wanted) == reasons


def test_a_key_from_another_store_is_renewed_for_its_store(tmp_path):
    wanted = Wanted(key_spec=EC, common_name="h1", signer_id="s", renew_before_days=10, key_store="tpm",
                    tpm_persistent_handle=HANDLE)
    assert renewal_reasons(material(tmp_path, "slot-a", None, key_store="file"), wanted) == ["key_store"]


# --- the helper's command line ------------------------------------------------------------------------------------

def enroll_settings(handle, password="", key_store="tpm"):
    values = dict(helper="rolesanywhere", helper_file="/usr/local/bin/h", trust_anchor_arn="arn:ta", profile_arn="arn:p",
                  role_arn="arn:r")
    values.update(tpm_key.tpm_helper_settings(params(key_store=key_store, tpm_key_password=password)))
    wanted = Wanted(key_spec=EC, common_name="h1", signer_id="s", renew_before_days=10, key_store=key_store,
                    tpm_persistent_handle=handle)
    return EnrollSettings(helper=HelperSettings(**values), wanted=wanted)


@pytest.mark.parametrize("password", ["", PASSWORD])
def test_each_slot_names_its_handle_as_awss_helper_takes_it(password):
    settings = enroll_settings(HANDLE, password)
    for slot, handle in (("slot-a", "handle:0x81000100"), ("slot-b", "handle:0x81000101")):
        argv = helper_argv(helper_for(settings, slot), "/etc/rolesanywhere/current", False)
        assert argv[argv.index("--private-key") + 1] == handle
        # a handle carries no emptyAuth: AWS's helper needs --no-tpm-key-password (cmd/credentials.go) or the password
        assert ("--tpm-key-password" in argv) == bool(password) and ("--no-tpm-key-password" in argv) != bool(password)
    argv = helper_argv(helper_for(enroll_settings(""), "slot-b"), "/m", False)
    assert argv[argv.index("--private-key") + 1] == "/m/tpm-key.pem"


# --- against a software TPM -----------------------------------------------------------------------------------------

# soft_tpm: conftest.py (skipped without swtpm)

def make_slot(base, slot, settings):
    prepare(base, slot, ME, token=settings)
    csr = make_key_and_request(base, slot, ME, {"key_spec": EC, "common_name": "h1"}, token=settings)
    return x509.load_pem_x509_csr(csr.encode("ascii"))


def handle_public_key(settings, handle):
    options = tpm.TpmKeyOptions(password=settings.password or None, no_password=not settings.password, environ=settings.environ)
    return tpm.tpm_handle_signer("handle:0x%08x" % handle, options).public_key().public_numbers()


@pytest.mark.parametrize("password", ["", PASSWORD])
def test_the_slots_keys_live_at_their_handles_and_go_with_their_slots(soft_tpm, tmp_path, password):
    base = str(tmp_path / "etc/rolesanywhere")
    settings = tpm_key.TpmSettings(soft_tpm.tcti, "", password, HANDLE)
    params_here = params(tpm_device=soft_tpm.tcti, tpm_key_password=password, root=str(tmp_path), directory="/etc/rolesanywhere")
    assert tpm_key.key_store_refusal(params_here) is None

    # enrol: slot-a's key at the handle, recorded beside its key file; the CSR signed through the handle
    first = make_slot(base, "slot-a", settings)
    assert first.is_signature_valid and soft_tpm.persistent_handles() == [0x81000100]
    with open(os.path.join(base, "slot-a", "tpm-key.handle"), encoding="ascii") as handle:
        assert handle.read() == "0x81000100\n"
    assert sorted(os.listdir(os.path.join(base, "slot-a"))) == ["tpm-key.handle", "tpm-key.pem"]
    assert handle_public_key(settings, 0x81000100) == first.public_key().public_numbers()
    make_current(base, "slot-a", ME, token=settings)
    assert tpm_key.key_store_refusal(params_here) is None

    # a failed renewal: slot-b's key at the next handle, evicted with its slot; the key in use stays
    make_slot(base, "slot-b", settings)
    assert soft_tpm.persistent_handles() == [0x81000100, 0x81000101]
    assert discard(base, "slot-b", token=settings) == (True, None)
    assert soft_tpm.persistent_handles() == [0x81000100] and not os.path.lexists(os.path.join(base, "slot-b"))

    # an interrupted renewal's key is this enrolment's: passed, then evicted by the next prepared
    make_slot(base, "slot-b", settings)
    assert tpm_key.key_store_refusal(params_here) is None
    second = make_slot(base, "slot-b", settings)
    assert soft_tpm.persistent_handles() == [0x81000100, 0x81000101]
    assert handle_public_key(settings, 0x81000101) == second.public_key().public_numbers()

    # the swap evicts the previous slot's key
    assert make_current(base, "slot-b", ME, token=settings)
    assert soft_tpm.persistent_handles() == [0x81000101] and sorted(os.listdir(base)) == ["current", "slot-b"]

    # the handle moved by one: the new key would go where the key in use is
    message = tpm_key.key_store_refusal(dict(params_here, tpm_persistent_handle="0x81000101"))
    assert message.startswith("enroll_tpm_persistent_handle=0x81000101 would put the new key at 0x81000101")

    # enroll_key_store moved away from tpm: the swap to the new (file) slot evicts the last persistent key
    os.makedirs(os.path.join(base, "slot-a"), mode=0o700)
    assert make_current(base, "slot-a", ME, token=None, tpm_device=settings.device)
    assert soft_tpm.persistent_handles() == [] and sorted(os.listdir(base)) == ["current", "slot-a"]

    # an interrupted renewal's leftover at a handle, then the key store moved away from tpm: prepared evicts it too
    make_slot(base, "slot-b", settings)
    assert soft_tpm.persistent_handles() == [0x81000101]
    assert prepare(base, "slot-b", ME, token=None, tpm_device=settings.device)
    assert soft_tpm.persistent_handles() == [] and os.listdir(os.path.join(base, "slot-b")) == []


def test_another_key_at_a_handle_is_refused_and_never_evicted(soft_tpm, tmp_path):
    base = str(tmp_path / "etc/rolesanywhere")
    other = soft_tpm.make_key("other", "ecc256", persistent=0x81000101)
    assert other.handle == "handle:0x81000101"
    message = tpm_key.key_store_refusal(params(tpm_device=soft_tpm.tcti, root=str(tmp_path), directory="/etc/rolesanywhere"))
    assert message.startswith("enroll_tpm_persistent_handle=0x81000100: the TPM swtpm:path=")
    assert "holds a key that is not this enrolment's at 0x81000101" in message and "\n" not in message
    assert not os.path.lexists(base)
    # a slot whose record names that handle but whose key is another: the other key stays
    os.makedirs(os.path.join(base, "slot-b"))
    with open(os.path.join(base, "slot-b", "tpm-key.handle"), "w", encoding="ascii") as handle:
        handle.write("0x81000101\n")
    shutil.copyfile(soft_tpm.make_key("mine", "ecc256").pem, os.path.join(base, "slot-b", "tpm-key.pem"))
    assert discard(base, "slot-b", token=tpm_key.TpmSettings(soft_tpm.tcti, "", "", HANDLE)) == (True, None)
    assert soft_tpm.persistent_handles() == [0x81000101]


def test_a_tpm_out_of_reach_at_discard_is_a_warning_and_keeps_the_slot(tmp_path):
    base = str(tmp_path)
    os.makedirs(os.path.join(base, "slot-b"))
    with open(os.path.join(base, "slot-b", "tpm-key.handle"), "w", encoding="ascii") as handle:
        handle.write("0x81000101\n")
    with open(os.path.join(base, "slot-b", "tpm-key.pem"), "wb") as handle:
        handle.write(tpm.tss2_pem(tpm.TssKey(True, wire.RH_OWNER, b"\0\1p", b"\0\1q")))
    changed, warning = discard(base, "slot-b", token=tpm_key.TpmSettings("swtpm:path=%s" % (tmp_path / "none.sock"), "", "", HANDLE))
    assert not changed and warning.startswith("the staging key at its persistent handle was not evicted")
    assert os.path.isdir(os.path.join(base, "slot-b"))  # the next renewal finds the key by the slot's files
