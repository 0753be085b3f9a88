# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's decisions on plain data: who is seen, what expires, which revoked serial authenticated."""

from __future__ import annotations

import collections
import copy
import datetime
import json
import os

import jsonschema
import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import build_report
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import same_report
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import serial_from_text
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import whole_days
from tests.support import pki
from tests.support.report_scenario import NOW, scenario

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "docs", "fleet-report.schema.json")


Built = collections.namedtuple("Built", ["kwargs", "leaves", "report"])


@pytest.fixture(scope="module")
def built():
    kwargs, leaves = scenario()
    return Built(kwargs, leaves, build_report(**copy.deepcopy(kwargs)))


def hosts_of(report):
    return {row["host"]: row for row in report["hosts"]}


def test_summary_counts_every_finding(built):
    report = built.report
    assert report["summary"] == {
        "hosts": 6, "hosts_enrolled": 4, "hosts_not_enrolled": 2, "hosts_never_seen": 1, "hosts_not_seen": 2,
        "certificates_expiring": 1, "certificates_expired": 0, "hosts_revoked": 1, "revoked_still_authenticating": 1,
        "subjects": 4, "subjects_outside_inventory": 1, "trust_anchors": 2, "trust_anchors_ca_expiring": 1,
        "trust_anchors_without_notifications": 1, "profiles": 1, "crls": 1}


def test_each_host_has_its_certificate_and_last_authentication(built):
    leaves, report = built.leaves, built.report
    hosts = hosts_of(report)
    web1, web2 = hosts["web1"], hosts["web2"]
    assert web1["serial"] == str(leaves["web1"].serial) and web1["serial_hex"] == "%x" % leaves["web1"].serial
    assert (web1["subject"], web1["key_type"], web1["key_size"], web1["key_curve"]) == ("CN=web1.example.com", "EC", 256, "P-256")
    assert (web2["key_type"], web2["key_size"], web2["key_curve"]) == ("RSA", 2048, None)
    assert web1["key_store"] == "file" and web1["signer"] == "own_ca"
    assert web1["last_seen_at"] == "2026-06-01T11:00:00Z" and web1["days_since_seen"] == 0 and not web1["not_seen"]
    assert web2["last_seen_at"] == "2026-04-17T12:00:00Z" and web2["days_since_seen"] == 45 and web2["not_seen"]
    assert web2["expiring"] and web2["days_left"] == 10 and not web1["expiring"]
    assert hosts["db1"]["last_seen_at"] is None and hosts["db1"]["not_seen"]
    assert web1["subject_arn"].endswith("subject/33333331-3333-4333-8333-333333333333")


def test_hosts_without_a_certificate_say_why(built):
    report = built.report
    hosts = hosts_of(report)
    assert not hosts["web4"]["enrolled"] and hosts["web4"]["problem"] is None and not hosts["web4"]["not_seen"]
    assert not hosts["web5"]["enrolled"] and "no answer" in hosts["web5"]["problem"]


def test_a_revoked_serial_that_authenticated_after_its_revocation_is_a_finding(built):
    leaves, report = built.leaves, built.report
    [finding] = report["revoked_still_authenticating"]
    assert finding["host"] == "web3" and finding["serial"] == str(leaves["web3"].serial)
    assert finding["revoked_at"] == "2026-05-30T12:00:00Z" and finding["seen_at"] == "2026-05-31T12:00:00Z"
    assert finding["crl_name"] == "fleet-crl" and finding["crl_enabled"] is True
    assert hosts_of(report)["web3"]["revoked"]


def _rebuilt(change):
    kwargs, leaves = scenario()
    change(kwargs, leaves)
    return build_report(**kwargs)


def test_authentication_before_the_revocation_or_refused_is_no_finding():
    def before(kwargs, _leaves):
        kwargs["subjects"][2]["credentials"][0]["seenAt"] = NOW - datetime.timedelta(days=3)
    assert _rebuilt(before)["revoked_still_authenticating"] == []

    def refused(kwargs, _leaves):
        kwargs["subjects"][2]["credentials"][0]["failed"] = True
    report = _rebuilt(refused)
    assert report["revoked_still_authenticating"] == [] and hosts_of(report)["web3"]["last_seen_at"] is None


def test_a_disabled_crl_still_shows_the_finding_but_revokes_nothing():
    def disabled(kwargs, _leaves):
        kwargs["crls"][0]["enabled"] = False
    report = _rebuilt(disabled)
    assert [item["crl_enabled"] for item in report["revoked_still_authenticating"]] == [False]
    assert not hosts_of(report)["web3"]["revoked"]


def test_the_same_serial_from_another_ca_is_not_revoked():
    def other_ca(kwargs, leaves):
        other = pki.make_ca(cn="Other CA")
        kwargs["crls"][0]["crlData"] = pki.make_crl(other, [leaves["web3"].serial], revocation_date=NOW - datetime.timedelta(days=2)).der
    assert _rebuilt(other_ca)["revoked_still_authenticating"] == []


def test_without_subject_details_hosts_match_by_name_and_last_seen():
    def summaries(kwargs, _leaves):
        for subject in kwargs["subjects"]:
            del subject["credentials"]
    report = _rebuilt(summaries)
    web1 = hosts_of(report)["web1"]
    assert web1["last_seen_at"] == "2026-06-01T11:00:00Z" and web1["certificate_last_seen_at"] is None
    assert report["revoked_still_authenticating"] == []


def test_trust_anchors_carry_ca_expiry_and_notification_settings(built):
    report = built.report
    fleet, pca = report["trust_anchors"]
    assert fleet["ca_not_after"] == "2026-06-21T12:00:00Z" and fleet["ca_expiring"] and fleet["crls"] == ["fleet-crl"]
    assert [(item["event"], item["enabled"], item["threshold"]) for item in fleet["notification_settings"]] == [
        ("CA_CERTIFICATE_EXPIRY", True, 45), ("END_ENTITY_CERTIFICATE_EXPIRY", False, 45)]
    assert pca["ca_certificates"] == [] and "AccessDenied" in pca["ca_problem"]
    [profile] = report["profiles"]
    assert profile["role_arns"] == ["arn:aws:iam::123456789012:role/fleet"] and profile["duration_seconds"] == 3600


def test_the_report_follows_its_schema(built):
    report = built.report
    with open(SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.validate(json.loads(json.dumps(report)), schema)
    broken = json.loads(json.dumps(report))
    del broken["hosts"][0]["not_after"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("text, value", [("1234", 1234), ("0a:ff", 0xaff), ("0x1F", 31), ("ab12", 0xab12), ("", None), ("zz", None)])
def test_serial_text_in_either_notation(text, value):
    assert serial_from_text(text) == value


def test_days_round_down_so_the_report_changes_at_most_daily():
    assert whole_days(NOW + datetime.timedelta(days=2, hours=23), NOW) == 2
    assert whole_days(NOW - datetime.timedelta(hours=1), NOW) == -1


@pytest.mark.parametrize("option", ["not_seen_days", "expiring_days"])
def test_thresholds_must_be_days(option):
    kwargs = scenario()[0]
    kwargs[option] = -1
    with pytest.raises(ConfigurationError, match=option):
        build_report(**kwargs)


def test_reports_that_differ_only_in_their_time_are_the_same(built):
    report = built.report
    assert same_report(report, dict(report, generated_at="2030-01-01T00:00:00Z"))
    assert not same_report(report, dict(report, summary=dict(report["summary"], hosts=7)))
    assert not same_report(None, report)
