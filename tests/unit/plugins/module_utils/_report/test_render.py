# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's files: stable JSON, CSV safe for spreadsheets, an HTML page that escapes everything and loads nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import build_report
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.render import CSV_COLUMNS, render, timeline_marks
from tests.support.report_scenario import HOSTILE, scenario


@pytest.fixture(scope="module")
def report():
    kwargs = scenario()[0]
    return build_report(**kwargs)


@pytest.fixture(scope="module")
def files(report):
    return render(report, ["json", "html", "csv"])


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of the page."""

    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(page):
    elements = Elements()
    elements.feed(page)
    return elements


def test_json_is_the_report_and_stable(report, files):
    assert json.loads(files["json"]) == json.loads(json.dumps(report))
    assert render(report, ["json"])["json"] == files["json"] and files["json"].endswith("\n")


def test_csv_has_one_row_per_host_and_no_formula(report, files):
    rows = list(csv.reader(io.StringIO(files["csv"])))
    assert tuple(rows[0]) == CSV_COLUMNS and [row[0] for row in rows[1:]] == [host["host"] for host in report["hosts"]]
    hostile = next(row for row in rows if row[0] == "db1")
    assert hostile[CSV_COLUMNS.index("subject")] == "CN=" + HOSTILE.replace("<", "\\<").replace(">", "\\>").replace('"', '\\"')
    formula = dict(report, hosts=[dict(report["hosts"][0], host="=HYPERLINK(\"http://x\")", days_left=-3)])
    row = list(csv.reader(io.StringIO(render(formula, ["csv"])["csv"])))[1]
    assert row[0].startswith("'=") and row[CSV_COLUMNS.index("days_left")] == "-3"


def test_html_escapes_every_value(files):
    page = files["html"]
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)\\&gt;&amp;\\&quot;&#x27;" in page
    assert [element[0] for element in parsed(page).tags].count("script") == 1  # only the page's own


def test_html_loads_nothing(files):
    page = files["html"]
    elements = parsed(page)
    assert not [attrs for tag, attrs in elements.tags if "src" in attrs or "href" in attrs]
    assert "default-src 'none'" in page and not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)


def test_html_rows_and_summary_equal_the_report(report, files):
    elements = parsed(files["html"])
    rows = [attrs["data-host"] for tag, attrs in elements.tags if tag == "tr" and "data-host" in attrs]
    assert rows == [host["host"] for host in report["hosts"]]
    summary = [attrs["data-summary"] for tag, attrs in elements.tags if "data-summary" in attrs]
    assert summary == list(report["summary"])


def test_timeline_has_a_mark_per_certificate_and_ca(report, files):
    marks = [attrs for tag, attrs in parsed(files["html"]).tags if tag == "circle"]
    expected = [row["host"] for row in report["hosts"] if row["not_after"]] + ["CA fleet"]
    assert sorted(mark["data-label"] for mark in marks) == sorted(expected)
    assert [mark[0] for mark in timeline_marks(report)][:2] == ["web2", "CA fleet"]  # soonest first


def test_an_empty_fleet_renders(report):
    empty = dict(report, hosts=[], trust_anchors=[], profiles=[], crls=[], subjects=[], revoked_still_authenticating=[])
    files = render(empty, ["html", "csv"])
    assert "<svg" in files["html"] and files["csv"].count("\r\n") == 1
