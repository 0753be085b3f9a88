# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_state's decision: every renewal reason from real files on a scratch "host", and the steps due."""

from __future__ import annotations

import datetime
import json
import os
import pwd
import shlex
import subprocess
import sys

import pytest
import yaml

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.certificate_text import format_serial
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.command import HelperSettings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import EnrollSettings, decide
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.renewal import REASONS, Wanted
from tests.support import pki

ME = pwd.getpwuid(os.getuid()).pw_name
HOME = pwd.getpwuid(os.getuid()).pw_dir
ANCHOR = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/2b7f4f0e-1c3d-4f7a-9c1e-6d5a4b3c2d1e"
PROFILE = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/7c3e2a1b-4d5f-4a6b-8c7d-9e0f1a2b3c4d"
ROLE = "arn:aws:iam::123456789012:role/fleet"
HELPER = b"#!/usr/bin/python3\n# a helper\n"


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca()


ROLE_VARS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "roles", "enroll", "vars", "main.yml")
with open(ROLE_VARS, encoding="utf-8") as vars_file:
    KEY_TYPES = yaml.safe_load(vars_file)["__enroll_key_types"]


def settings_for(root, key_type="ec-p256", **wanted):
    values = dict(key_spec=KEY_TYPES[key_type], common_name="h01.fleet.test", signer_id="own_ca:abc", renew_before_days=10)
    values.update(wanted)
    helper = HelperSettings(helper="rolesanywhere", helper_file=str(root) + "/usr/local/bin/rolesanywhere-credential-helper",
                            trust_anchor_arn=ANCHOR, profile_arn=PROFILE, role_arn=ROLE,
                            key_passphrase=values.get("key_passphrase", ""))
    return EnrollSettings(helper=helper, wanted=Wanted(**values), root=str(root), user=ME, helper_content=HELPER)


def enrol(root, ca, slot="slot-a", signer_id="own_ca:abc", passphrase=None, with_chain=False, **leaf):
    """What a finished renewal leaves: slot with certificate, enrollment.json (and passphrase file), 'current' link."""
    base = os.path.join(str(root), "etc/rolesanywhere")
    os.makedirs(os.path.join(base, slot), mode=0o700, exist_ok=True)
    os.chmod(base, 0o700)
    leaf.setdefault("cn", "h01.fleet.test")
    leaf.setdefault("organization", None)
    pki.write_cert_pem(os.path.join(base, slot, "certificate.pem"), pki.make_leaf(ca, **leaf).certificate)
    with open(os.path.join(base, slot, "enrollment.json"), "w", encoding="utf-8") as handle:
        json.dump({"signer_id": signer_id, "key_type": "ec-p256", "with_chain": with_chain}, handle)
    if passphrase is not None:
        with open(os.path.join(base, slot, "private-key.passphrase"), "w", encoding="utf-8") as handle:
            handle.write(passphrase)
    if os.path.lexists(os.path.join(base, "current")):
        os.unlink(os.path.join(base, "current"))
    os.symlink(slot, os.path.join(base, "current"))
    return base


def install_rest(root, settings, decision):
    """Install helper and profile as the role would, so that nothing but the material is due."""
    helper = settings.helper.helper_file
    os.makedirs(os.path.dirname(helper), exist_ok=True)
    with open(helper, "wb") as handle:
        handle.write(HELPER)
    os.chmod(helper, 0o755)
    profile = decision["profiles"][0]
    os.makedirs(profile["aws_dir"], mode=0o700, exist_ok=True)
    os.chmod(profile["aws_dir"], 0o700)
    block = decision["profile_block"]["chain" if decision["with_chain"] else "plain"]
    with open(profile["config"], "w", encoding="utf-8") as handle:
        handle.write("[default]\nregion = us-east-1\n# BEGIN rolesanywhere.fleet profile rolesanywhere\n%s"
                     "# END rolesanywhere.fleet profile rolesanywhere\n" % block)
    os.chmod(profile["config"], 0o600)


def test_a_new_host_is_missing_everything(tmp_path):
    decision = decide(settings_for(tmp_path))
    assert decision["renew_reasons"] == ["missing"]
    assert decision["todo"] == ["renew", "helper", "profile"]  # the staging slot makes the directory
    assert decision["slot"] == "" and decision["staging_slot"] == "slot-a" and not decision["staging_exists"]
    assert decision["profiles"][0]["config"] == str(tmp_path) + HOME + "/.aws/config"
    assert not os.listdir(str(tmp_path)), "the decision changed the host"


def test_a_host_in_order_has_nothing_to_do(tmp_path, ca):
    settings = settings_for(tmp_path)
    enrol(tmp_path, ca)
    install_rest(tmp_path, settings, decide(settings))
    decision = decide(settings)
    assert decision["renew_reasons"] == [] and decision["todo"] == [] and not decision["prove_installed"]
    assert decision["slot"] == "slot-a" and decision["staging_slot"] == "slot-b"
    assert decision["certificate"]["not_after"].endswith("Z") and decision["certificate"]["serial_number"] > 0
    assert not decision["changes_files"]


def test_the_serial_in_colon_hex_as_the_role_publishes_it(tmp_path, ca):
    enrol(tmp_path, ca)
    summary = decide(settings_for(tmp_path))["certificate"]
    digits = "%x" % summary["serial_number"]
    digits = "0" + digits if len(digits) % 2 else digits  # what the role's Jinja made of it before (enroll_serial_hex)
    assert summary["serial_number_hex"] == ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    assert summary["serial_number_hex"] == summary["serial_number_hex"].lower()


@pytest.mark.parametrize("serial, text", [(1, "01"), (0xABC, "0a:bc"), (0x1234, "12:34"), (0x1F2E3D4C5B6A, "1f:2e:3d:4c:5b:6a")])
def test_format_serial(serial, text):
    assert format_serial(serial) == text


def test_a_step_due_changes_files(tmp_path, ca):
    enrol(tmp_path, ca)
    decision = decide(settings_for(tmp_path))
    assert decision["todo"] == ["helper", "profile"] and decision["changes_files"]


def test_an_incomplete_slot_is_missing(tmp_path, ca):
    base = enrol(tmp_path, ca)
    os.unlink(os.path.join(base, "slot-a", "enrollment.json"))
    assert decide(settings_for(tmp_path))["renew_reasons"] == ["missing"]


def test_a_plain_directory_instead_of_the_link_is_missing(tmp_path, ca):
    base = enrol(tmp_path, ca)
    os.unlink(os.path.join(base, "current"))
    os.rename(os.path.join(base, "slot-a"), os.path.join(base, "current"))
    assert decide(settings_for(tmp_path))["renew_reasons"] == ["missing"]


def test_forced_renews_material_in_use_only(tmp_path, ca):
    assert decide(settings_for(tmp_path, force_renew=True))["renew_reasons"] == ["missing"]
    enrol(tmp_path, ca)
    assert decide(settings_for(tmp_path, force_renew=True))["renew_reasons"] == ["forced"]


@pytest.mark.parametrize("days_left, due", [(9, True), (11, False)])
def test_expiring_within_renew_before_days(tmp_path, ca, days_left, due):
    enrol(tmp_path, ca, not_after=datetime.timedelta(days=days_left))
    assert decide(settings_for(tmp_path))["renew_reasons"] == (["expiring"] if due else [])


def test_expiring_also_when_already_expired(tmp_path, ca):
    enrol(tmp_path, ca, not_before=datetime.timedelta(days=-30), not_after=datetime.timedelta(days=-1))
    assert decide(settings_for(tmp_path))["renew_reasons"] == ["expiring"]


@pytest.mark.parametrize("key_type, leaf", [("ec-p384", {}), ("ec-p521", {}), ("rsa-2048", {}),
                                            ("rsa-3072", {"key_type": "RSA"}), ("ec-p256", {"key_type": "EC", "curve": "P-384"})])
def test_key_type(tmp_path, ca, key_type, leaf):
    enrol(tmp_path, ca, **leaf)
    assert decide(settings_for(tmp_path, key_type=key_type))["renew_reasons"] == ["key_type"]


def test_rsa_of_the_wanted_size_is_kept(tmp_path, ca):
    enrol(tmp_path, ca, key_type="RSA", key_size=2048)
    assert decide(settings_for(tmp_path, key_type="rsa-2048"))["renew_reasons"] == []


def test_subject_common_name_and_extra_attributes(tmp_path, ca):
    enrol(tmp_path, ca, organization="Fleet Ltd")
    assert decide(settings_for(tmp_path))["renew_reasons"] == ["subject"]
    assert decide(settings_for(tmp_path, subject={"organizationName": "Fleet Ltd"}))["renew_reasons"] == []
    assert decide(settings_for(tmp_path, common_name="h02.fleet.test",
                               subject={"organizationName": "Fleet Ltd"}))["renew_reasons"] == ["subject"]


def test_subject_alt_names_in_any_order(tmp_path, ca):
    enrol(tmp_path, ca, sans=["h01.fleet.test", "10.0.0.1"])
    assert decide(settings_for(tmp_path, subject_alt_names=["IP:10.0.0.1", "DNS:h01.fleet.test"]))["renew_reasons"] == []
    assert decide(settings_for(tmp_path, subject_alt_names=["DNS:h01.fleet.test"]))["renew_reasons"] == ["subject_alt_names"]
    assert decide(settings_for(tmp_path))["renew_reasons"] == ["subject_alt_names"]


def test_signer(tmp_path, ca):
    enrol(tmp_path, ca, signer_id="acm_pca:arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/x")
    assert decide(settings_for(tmp_path))["renew_reasons"] == ["signer"]


@pytest.mark.parametrize("on_host, wanted, due", [
    (None, "", False), ("s3cret", "s3cret", False),
    ("s3cret", "other", True),  # changed
    (None, "s3cret", True),  # added
    ("s3cret", "", True),  # removed
    ("", "", True),  # an empty file is a passphrase file all the same
])
def test_key_passphrase(tmp_path, ca, on_host, wanted, due):
    enrol(tmp_path, ca, passphrase=on_host)
    assert decide(settings_for(tmp_path, key_passphrase=wanted))["renew_reasons"] == (["key_passphrase"] if due else [])


@pytest.mark.parametrize("on_host", ["line\r\nend", "caf\u00e9"])
def test_a_passphrase_file_is_read_as_written(tmp_path, ca, on_host):
    """The renewal writes the passphrase's UTF-8 bytes; reading them back translates no line end."""
    enrol(tmp_path, ca, passphrase=None)
    with open(os.path.join(str(tmp_path), "etc/rolesanywhere/slot-a/private-key.passphrase"), "wb") as handle:
        handle.write(on_host.encode("utf-8"))
    assert decide(settings_for(tmp_path, key_passphrase=on_host))["renew_reasons"] == []


def test_an_unreadable_passphrase_file_counts_as_another_passphrase(tmp_path, ca):
    enrol(tmp_path, ca, passphrase=None)
    with open(os.path.join(str(tmp_path), "etc/rolesanywhere/slot-a/private-key.passphrase"), "wb") as handle:
        handle.write(b"\xff\xfe")  # not UTF-8
    assert decide(settings_for(tmp_path, key_passphrase="p"))["renew_reasons"] == ["key_passphrase"]


def test_reasons_come_in_their_order(tmp_path, ca):
    enrol(tmp_path, ca, signer_id="other", not_after=datetime.timedelta(days=1), organization="X", sans=["a.test"])
    reasons = decide(settings_for(tmp_path, force_renew=True, key_type="rsa-2048", key_passphrase="p", key_store="pkcs11",
                                  pkcs11_pin="4711"))["renew_reasons"]
    # pkcs11_pin and the TPM's reasons belong to different key stores: never both (tpm's: test_tpm_key.py, test_tpm_handle.py)
    assert reasons == [reason for reason in REASONS[1:] if reason not in ("tpm_key_password", "tpm_persistent_handle")]


def test_leftovers_in_the_staging_slot_are_reported(tmp_path, ca):
    base = enrol(tmp_path, ca)
    os.makedirs(os.path.join(base, "slot-b"))
    assert decide(settings_for(tmp_path))["staging_exists"]


def test_a_profile_that_differs_is_due_and_proven(tmp_path, ca):
    settings = settings_for(tmp_path)
    enrol(tmp_path, ca)
    decision = decide(settings)
    install_rest(tmp_path, settings, decision)
    settings.helper.region = "eu-central-1"
    decision = decide(settings)
    assert decision["todo"] == ["profile"] and decision["prove_installed"]
    settings.verify = "never"
    assert not decide(settings)["prove_installed"]


def test_a_changed_helper_or_loose_mode_is_due(tmp_path, ca):
    settings = settings_for(tmp_path)
    enrol(tmp_path, ca)
    install_rest(tmp_path, settings, decide(settings))
    os.chmod(settings.helper.helper_file, 0o775)
    assert decide(settings)["todo"] == ["helper"]
    os.chmod(settings.helper.helper_file, 0o755)
    settings.helper_content = HELPER + b"# newer\n"
    assert decide(settings)["todo"] == ["helper"]


def test_command_lines_follow_the_chain_and_the_passphrase(tmp_path, ca):
    settings = settings_for(tmp_path, key_passphrase="p w")
    base = enrol(tmp_path, ca, with_chain=True, passphrase="p w")
    decision = decide(settings)
    assert decision["with_chain"] and decision["renew_reasons"] == []
    line = decision["profile_block"]["chain"].splitlines()[1]
    argv = shlex.split(line.split(" = ", 1)[1])
    assert argv[argv.index("--intermediates") + 1] == base + "/current/chain.pem"
    assert argv[argv.index("--pkcs8-password-file") + 1] == base + "/current/private-key.passphrase"
    assert argv[-1] == "--cache" and "p w" not in line
    assert "--intermediates" not in decision["profile_block"]["plain"]
    new = decision["proofs"]["new"]["plain"]
    assert new["config"] == base + "/slot-b/proof.config" and new["command"] == ""
    assert "--cache" not in new["config_content"] and base + "/slot-b/certificate.pem" in new["config_content"]


def test_aws_signing_helper_gets_the_passphrase_on_its_command_line(tmp_path):
    settings = settings_for(tmp_path, key_passphrase="p w")
    settings.helper.helper = "aws_signing_helper"
    argv = shlex.split(decide(settings)["profile_block"]["plain"].splitlines()[1].split(" = ", 1)[1])
    assert argv[argv.index("--pkcs8-password") + 1] == "p w" and "--cache" not in argv


def test_a_tpm_key_at_a_persistent_handle_is_named_by_its_slots_handle(tmp_path, ca):
    """enroll_tpm_persistent_handle: slot-a's key at the handle, slot-b's at the next (tpm_handle.py). The profile and
    unit name the handle of the slot that is current after the run: the new one when a renewal is due."""
    base = enrol(tmp_path, ca)
    with open(os.path.join(base, "slot-a", "enrollment.json"), "w", encoding="utf-8") as handle:
        json.dump({"signer_id": "own_ca:abc", "key_type": "ec-p256", "with_chain": False, "key_store": "tpm"}, handle)
    with open(os.path.join(base, "slot-a", "tpm-key.handle"), "w", encoding="ascii") as handle:
        handle.write("0x81000100\n")

    def argv_of(line):
        argv = shlex.split(line.split(" = ", 1)[1])
        return argv[argv.index("--private-key") + 1], "--no-tpm-key-password" in argv

    for force_renew, in_use, new in ((False, "handle:0x81000100", "handle:0x81000101"),
                                     (True, "handle:0x81000101", "handle:0x81000101")):
        settings = settings_for(tmp_path, key_store="tpm", tpm_persistent_handle="0x81000100", force_renew=force_renew)
        settings.helper.tpm_key_name, settings.systemd = "tpm-key.pem", "serve"
        decision = decide(settings)
        assert decision["renew_reasons"] == (["forced"] if force_renew else [])
        assert argv_of(decision["profile_block"]["plain"].splitlines()[1]) == (in_use, True)
        assert '"--private-key" "%s"' % in_use in decision["unit"]["content"]["plain"]
        assert argv_of("proof = " + decision["proofs"]["new"]["plain"]["command"]) == (new, True)


def test_unit_under_a_root_prefix_is_written_not_started(tmp_path, ca):
    settings = settings_for(tmp_path)
    settings.systemd = "serve"
    enrol(tmp_path, ca)
    unit = decide(settings)["unit"]
    assert unit["name"] == "rolesanywhere-rolesanywhere.service" and not unit["up_to_date"]
    assert unit["not_started_because"] == "enroll_root is set (%s), so the unit is not in the running system" % tmp_path
    assert '"--port" "9911"' in unit["content"]["plain"]


def test_the_helper_is_built_only_when_one_is_installed_to_compare_with(tmp_path, ca):
    built = []
    settings = settings_for(tmp_path)
    settings.helper_content = lambda: built.append(1) or HELPER
    assert "helper" in decide(settings)["todo"] and built == []  # a first run: nothing to compare, nothing built
    enrol(tmp_path, ca)
    install_rest(tmp_path, settings, decide(settings))
    assert decide(settings)["todo"] == [] and built == [1]


def test_an_installed_helper_with_the_builds_stamp_is_not_rebuilt(tmp_path, ca):
    import importlib.util  # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import has_stamp, helper_stamp  # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import build  # pylint: disable=import-outside-toplevel
    from tests.support.commands import run_command  # pylint: disable=import-outside-toplevel

    def stamp(interpreter):
        return helper_stamp(build.shebang_line(interpreter), build.sources_digest(build.helper_sources()),
                            importlib.util.MAGIC_NUMBER.hex())

    built = []
    settings = settings_for(tmp_path)
    settings.helper_content = lambda: built.append(1) or HELPER
    settings.helper_stamp = stamp("/usr/bin/python3")
    enrol(tmp_path, ca)
    install_rest(tmp_path, settings, decide(settings))
    with open(settings.helper.helper_file, "wb") as handle:
        handle.write(build.build_helper(run_command, "/usr/bin/python3"))
    assert has_stamp(settings.helper.helper_file, settings.helper_stamp)
    assert decide(settings)["todo"] == [] and built == []
    # another interpreter, other sources or another Python's bytecode: built and compared
    for other in (stamp("/usr/bin/env python3"), settings.helper_stamp[:1] + (b" sha256:%s " % (b"0" * 64),) + settings.helper_stamp[2:],
                  settings.helper_stamp[:2] + (b'CODE_MAGIC = "00000000"',)):
        assert not has_stamp(settings.helper.helper_file, other)
    settings.helper_stamp = stamp("/usr/bin/env python3")
    assert decide(settings)["todo"] == ["helper"] and built == [1]


def test_enroll_state_reads_a_certificate_without_the_signing_material_code():
    """A no-op host pays for every module enroll_state imports (AnsiballZ compiles them from source on each call):
    reading the certificate in use needs cryptography.x509, not _core/x509.py and the key loaders behind it."""
    code = ("import sys; import ansible_collections.rolesanywhere.fleet.plugins.modules.enroll_state; "
            "print(' '.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    prefix = "ansible_collections.rolesanywhere.fleet.plugins.module_utils._core."
    assert prefix + "certificate_text" in loaded
    assert not {prefix + name for name in ("x509", "certificate_facts", "mldsa_keys")} & set(loaded)
