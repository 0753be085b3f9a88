# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.subject_info: who authenticated, when, with which certificates."""

from __future__ import annotations

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as ra_x509
from tests.support.scenario import make_trust

from .conftest import unique


def test_subjects_with_last_seen_time_and_certificates(modules, emulator, tmp_path):
    cn = "%s.example.com" % unique("host")
    trust = make_trust(emulator, tmp_path, cn=cn)
    second = trust.issue(cn=cn)  # the same subject with a renewed certificate
    for leaf in (trust.leaf, second):
        material = ra_x509.load_signing_material(leaf.certificate, leaf.private_key, leaf.intermediates)
        transport.create_session(material, trust.trust_anchor_arn, trust.profile_arn, trust.role_arn, endpoint=emulator.endpoint, max_attempts=1)

    everyone = modules.run("subject_info", check_mode=True)
    assert everyone["changed"] is False
    [subject] = [item for item in everyone["subjects"] if cn in item["x509_subject"]]
    assert subject["last_seen_at"] and subject["subject_arn"].startswith("arn:aws:rolesanywhere:")
    serials = sorted(int(item["serial_number"]) for item in subject["credentials"])
    assert serials == sorted([trust.leaf.serial, second.serial])
    assert all(item["x509_certificate_data"].startswith("-----BEGIN CERTIFICATE-----") for item in subject["credentials"])
    assert all(item["failed"] is False for item in subject["credentials"])
    assert modules.calls.get("GetSubject", 0) >= 1 and not modules.changing_calls

    by_name = modules.run("subject_info", x509_subject=subject["x509_subject"])["subjects"]
    assert by_name == [subject]
    assert modules.run("subject_info", subject_id=subject["subject_id"])["subjects"][0]["subject_id"] == subject["subject_id"]
    assert modules.run("subject_info", subject_arn=subject["subject_arn"])["subjects"][0]["x509_subject"] == subject["x509_subject"]

    quick = modules.run("subject_info", include_certificates=False)
    [summary] = [item for item in quick["subjects"] if item["subject_id"] == subject["subject_id"]]
    assert "credentials" not in summary and summary["last_seen_at"]
    assert "GetSubject" not in modules.calls


def test_unknown_subjects_give_an_empty_list(modules):
    assert modules.run("subject_info", subject_id="0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41")["subjects"] == []
    assert modules.run("subject_info", x509_subject="CN=%s" % unique("nobody"))["subjects"] == []


def test_bad_identifiers_are_refused_before_any_request(modules):
    result = modules.run("subject_info", subject_arn="arn:aws:rolesanywhere:us-east-1:123456789012:profile/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41")
    assert result["failed"] is True and "not a Roles Anywhere subject ARN" in result["msg"]
    assert modules.calls == {}
