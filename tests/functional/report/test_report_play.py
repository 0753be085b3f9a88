# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report playbook against the emulator: a fleet of four hosts (three enrolled), one revoked whose CRL is
then disabled so that it authenticates again, which the report must find.

Checks the JSON against docs/fleet-report.schema.json and against the hosts' own certificate files and the
emulator's subjects; the HTML in headless Chromium (rows, numbers and chart; screenshot kept in
.build/test-artifacts/fleet-report-play.png); the CSV; and that a second run changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import json
import os

import jsonschema
import pytest

from tests.emulator.client import EmulatorProcess
from tests.support.browser import Dom, dump_dom, screenshot
from tests.support.fleet import Fleet

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "fleet-report.schema.json")


@pytest.fixture(scope="module")
def own_emulator(tmp_path_factory):
    """An emulator of this module's own: the report counts every subject of the account."""
    log = tmp_path_factory.mktemp("report-emulator") / "emulator.log"
    process = EmulatorProcess.start(log_path=str(log))
    try:
        yield process
    finally:
        process.stop()


def _ok(run):
    assert run.rc == 0, run.tail()
    return run


def test_report_playbook_against_the_emulator(own_emulator, tmp_path):
    fleet = Fleet(str(tmp_path), own_emulator.endpoint, own_emulator.region, size=4, name="report")
    _ok(fleet.trust())
    _ok(fleet.playbook("enroll", "--limit", "h01,h02,h03"))  # h04 stays without a certificate
    serials = {host: fleet.certificate(host).serial_number for host in ("h01", "h02", "h03")}
    # h03 revoked, then its CRL disabled: it authenticates again, a revoked serial still authenticating
    _ok(fleet.playbook("revoke", vars_file=fleet.vars_file(), extra_vars={"rolesanywhere_revoke_hosts": "h03"}))
    rolesanywhere = fleet.boto3("rolesanywhere")
    [crl] = rolesanywhere.list_crls()["crls"]
    rolesanywhere.disable_crl(crlId=crl["crlId"])
    fleet.forget_cached_credentials()
    identity = fleet.helper_identity("h03")
    assert identity.rc == 0, identity.stderr

    reports = os.path.join(str(tmp_path), "reports")
    extra = {"rolesanywhere_report_dir": reports, "rolesanywhere_report_expiring_days": 400}
    first = _ok(fleet.playbook("report", vars_file=fleet.vars_file(), extra_vars=extra))
    assert first.recap()["localhost"]["changed"] == 1, first.tail()

    with open(os.path.join(reports, "fleet-report.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    with open(SCHEMA, encoding="utf-8") as handle:
        jsonschema.validate(report, json.load(handle))

    assert (report["account"], report["region"]) == (own_emulator.account, own_emulator.region)
    hosts = {row["host"]: row for row in report["hosts"]}
    assert sorted(hosts) == fleet.hosts
    subjects = {item["x509Subject"]: item for item in rolesanywhere.list_subjects()["subjects"]}
    for host, serial in serials.items():
        row = hosts[host]
        certificate = fleet.certificate(host)
        assert row["serial"] == str(serial) and row["subject"] == certificate.subject.rfc4514_string()
        assert row["not_after"] == certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["key_type"] == "EC" and row["key_store"] == "file" and row["expiring"]  # within 400 days
        subject = subjects[row["subject"]]
        assert row["subject_arn"] == subject["subjectArn"] and row["last_seen_at"] is not None and not row["not_seen"]
        seen = datetime.datetime.fromisoformat(row["last_seen_at"].replace("Z", "+00:00"))
        assert abs((seen - subject["lastSeenAt"]).total_seconds()) < 1
    assert not hosts["h04"]["enrolled"] and hosts["h04"]["problem"] is None
    assert hosts["h03"]["revoked"] is False  # its CRL is disabled: nothing revokes it now...
    [finding] = report["revoked_still_authenticating"]  # ...and that is the finding
    assert finding["host"] == "h03" and finding["serial"] == str(serials["h03"]) and finding["crl_enabled"] is False
    summary = report["summary"]
    assert (summary["hosts"], summary["hosts_enrolled"], summary["hosts_not_enrolled"], summary["subjects"]) == (4, 3, 1, 3)
    assert summary["revoked_still_authenticating"] == 1 and summary["certificates_expiring"] == 3
    [anchor] = report["trust_anchors"]
    assert anchor["source_type"] == "CERTIFICATE_BUNDLE" and anchor["ca_not_after"] and anchor["crls"] == [crl["name"]]
    assert {item["event"] for item in anchor["notification_settings"]} == {"CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY"}
    [profile] = report["profiles"]
    assert profile["role_arns"] == [fleet.group_vars["enroll_role_arn"]] and profile["duration_seconds"] >= 900

    with open(os.path.join(reports, "fleet-report.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["host"] for row in rows] == fleet.hosts and rows[2]["revoked"] == "false" and rows[3]["enrolled"] == "false"

    page = os.path.join(reports, "fleet-report.html")
    dom = Dom(dump_dom(page))
    [body] = dom.find("body")
    assert body.get("data-ready") == "yes" and int(body["data-chart-width"]) > 500
    assert sorted(row["data-host"] for row in dom.find("tr", "data-host")) == fleet.hosts
    assert dom.summary == summary
    assert len(dom.find("circle", "data-label")) == 3 + 1  # three host certificates and the CA
    screenshot(page, "fleet-report-play.png")

    # a second run finds nothing new: no file is written, changed=0
    before = {name: os.stat(os.path.join(reports, name)).st_mtime_ns for name in os.listdir(reports)}
    second = _ok(fleet.playbook("report", vars_file=fleet.vars_file(), extra_vars=extra))
    assert all(counts["changed"] == 0 for counts in second.recap().values()), second.changed_tasks()
    assert {name: os.stat(os.path.join(reports, name)).st_mtime_ns for name in os.listdir(reports)} == before
