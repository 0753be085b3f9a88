# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report page in headless Chromium: its script runs (tables sorted, chart laid out), rows and numbers equal
the JSON, hostile values stay text. The screenshot is kept in .build/test-artifacts/fleet-report-scenario.png."""

from __future__ import annotations

import os

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import build_report
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.render import render
from tests.support.browser import Dom, dump_dom, screenshot
from tests.support.report_scenario import scenario


def test_report_page_in_chromium(tmp_path):
    kwargs = scenario()[0]
    report = build_report(**kwargs)
    page = tmp_path / "fleet-report.html"
    page.write_text(render(report, ["html"])["html"], encoding="utf-8")

    dom = Dom(dump_dom(str(page)))
    [body] = dom.find("body")
    assert body.get("data-ready") == "yes", "the page's script did not run"
    assert int(body["data-chart-width"]) > 500, "the expiry chart was not laid out"
    # the script sorted the hosts, soonest expiry first, hosts without a certificate last
    expected = sorted(report["hosts"], key=lambda row: row["days_left"] if row["days_left"] is not None else float("inf"))
    assert [row["data-host"] for row in dom.find("tr", "data-host")] == [row["host"] for row in expected]
    assert dom.summary == report["summary"]
    marks = dom.find("circle", "data-label")
    assert len(marks) == sum(1 for row in report["hosts"] if row["not_after"]) + 1  # + the CA of the bundle anchor
    assert not dom.find("img"), "a value was rendered as markup"

    shot = screenshot(str(page), "fleet-report-scenario.png")
    assert os.path.getsize(shot) > 10000
