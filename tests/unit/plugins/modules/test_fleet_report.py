# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.fleet_report against the emulator: reads only, writes only what changed, fails cleanly."""

from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as ra_x509
from tests.support.scenario import make_trust

from tests.emulator.client import EmulatorProcess
from .conftest import unique


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """An account of its own: the report reads the whole account (subjects, anchors, profiles), so another test's
    session in the shared emulator between two runs would make the re-run change, as it should."""
    process = EmulatorProcess.start(log_path=str(tmp_path_factory.mktemp("report-emulator") / "emulator.log"))
    yield process
    process.stop()


def test_report_rhythm_and_content(modules, emulator, tmp_path):
    cn = "%s.example.com" % unique("report")
    trust = make_trust(emulator, tmp_path, cn=cn)
    material = ra_x509.load_signing_material(trust.leaf.certificate, trust.leaf.private_key, trust.leaf.intermediates)
    transport.create_session(material, trust.trust_anchor_arn, trust.profile_arn, trust.role_arn, endpoint=emulator.endpoint, max_attempts=1)
    with open(trust.leaf.certificate, encoding="ascii") as handle:
        pem = handle.read()
    dest = str(tmp_path / "reports")
    params = dict(dest=dest, inventory_hosts=["host1", "host2"], host_certificates={"host1": {"certificate": pem, "enrollment": ""}})

    rhythm = modules.rhythm("fleet_report", **params)  # check mode, write, check mode, re-run: True, True, False, False
    assert len(rhythm.predicted["written"]) == 3  # check mode wrote nothing, or the next run would change nothing
    assert sorted(os.listdir(dest)) == ["fleet-report.csv", "fleet-report.html", "fleet-report.json"]
    assert rhythm.predicted["written"] == rhythm.applied["written"] and rhythm.again["written"] == []
    with open(dest + "/fleet-report.json", encoding="utf-8") as handle:
        report = json.load(handle)
    assert report == rhythm.again["report"]
    assert (report["account"], report["region"]) == (emulator.account, emulator.region)
    host1, host2 = report["hosts"]
    assert host1["serial"] == str(trust.leaf.serial) and host1["last_seen_at"] and not host1["not_seen"]
    assert host2["problem"].startswith("no answer from the host")
    assert trust.trust_anchor_arn in [anchor["trust_anchor_arn"] for anchor in report["trust_anchors"]]
    assert trust.role_arn in [arn for profile in report["profiles"] for arn in profile["role_arns"]]
    assert oct(os.stat(dest + "/fleet-report.html").st_mode & 0o777) == "0o644"

    # a new authentication is news: the report changes, and the diff shows the JSON before and after. The service's
    # lastSeenAt has whole seconds: the new one must fall in a later second than the first to be news.
    time.sleep(1.1)
    transport.create_session(material, trust.trust_anchor_arn, trust.profile_arn, trust.role_arn, endpoint=emulator.endpoint, max_attempts=1)
    changed = modules.run_ok("fleet_report", **params)
    assert changed["changed"] and changed["diff"]["before"] != changed["diff"]["after"]


def test_bad_options_fail_without_writing(modules, tmp_path):
    dest = str(tmp_path / "reports")
    for params, message in ((dict(not_seen_days=-1), "not_seen_days must be a whole number of days"),
                            (dict(mode="rw-"), "is not a file mode"),
                            (dict(report_time="yesterday"), "is not an ISO 8601 time"),
                            (dict(host_certificates={"h": "pem"}), "must be a dict with certificate")):
        result = modules.run("fleet_report", dest=dest, **params)
        assert result["failed"] and message in result["msg"] and "exception" not in result, result
    assert not os.path.exists(dest)


def test_an_unwritable_destination_is_named(modules, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = modules.run("fleet_report", dest=str(blocker / "reports"), formats=["json"])
    assert result["failed"] and result["msg"].startswith("cannot write the fleet report in %s" % (blocker / "reports"))
    assert "exception" not in result
