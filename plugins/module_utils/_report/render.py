# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as files: JSON (the record), CSV (the hosts, for spreadsheets) and one self-contained HTML page.

The page loads nothing (its Content-Security-Policy allows no fetch at all): inline CSS, a few lines of inline
JavaScript that sort the tables, and the expiry timeline drawn here as inline SVG. Every value goes through
html.escape; CSV cells that a spreadsheet would read as a formula are prefixed with a quote (OWASP CSV injection).
The same report always renders to the same bytes, so a re-run that finds nothing new changes no file.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json

from .audit import parse_time

CSV_COLUMNS = ("host", "enrolled", "subject", "serial_hex", "key_type", "key_size", "key_curve", "key_store", "signer",
               "not_after", "days_left", "expiring", "expired", "revoked", "last_seen_at", "days_since_seen", "not_seen",
               "subject_arn", "problem")
SUMMARY_LABELS = (
    ("hosts", "hosts in the inventory"), ("hosts_enrolled", "enrolled"), ("hosts_not_enrolled", "not enrolled"),
    ("hosts_never_seen", "never authenticated"), ("hosts_not_seen", "not seen for %(not_seen_days)d days"),
    ("certificates_expiring", "certificates expiring within %(expiring_days)d days"),
    ("certificates_expired", "certificates expired"), ("hosts_revoked", "hosts whose certificate is revoked"),
    ("revoked_still_authenticating", "revoked serials still authenticating"), ("subjects", "subjects in the account"),
    ("subjects_outside_inventory", "subjects of no inventory host"), ("trust_anchors", "trust anchors"),
    ("trust_anchors_ca_expiring", "trust anchors whose CA expires within %(expiring_days)d days"),
    ("trust_anchors_without_notifications", "trust anchors without an enabled notification"),
    ("profiles", "profiles"), ("crls", "CRLs"))
# Counts that are findings: a non-zero value is shown as one.
FINDINGS = ("hosts_not_enrolled", "hosts_not_seen", "certificates_expiring", "certificates_expired", "hosts_revoked",
            "revoked_still_authenticating", "trust_anchors_ca_expiring", "trust_anchors_without_notifications")


def json_text(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not isinstance(value, int) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_text(report):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow(CSV_COLUMNS)
    for row in report["hosts"]:
        writer.writerow([_csv_cell(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


# --- HTML -----------------------------------------------------------------------------------------------------

def _e(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return html.escape(str(value), quote=True)


def _cell(value, sort=None, css=None):
    attributes = ""
    if sort is not None:
        attributes += ' data-sort="%s"' % _e(sort)
    if css:
        attributes += ' class="%s"' % css
    return "<td%s>%s</td>" % (attributes, _e(value))


def _table(table_id, caption, headers, rows, initial_sort=None):
    """headers: (label, "number"|"text"); rows: (row attributes, [cell html]); initial_sort: the label the page's
    script sorts by on load."""
    head = "".join('<th data-type="%s" scope="col"%s>%s</th>' % (kind, ' data-initial-sort=""' if label == initial_sort else "", _e(label))
                   for label, kind in headers)
    body = "".join("<tr%s>%s</tr>" % (attributes, "".join(cells)) for attributes, cells in rows)
    if not rows:
        body = '<tr class="empty"><td colspan="%d">none</td></tr>' % len(headers)
    return ('<table id="%s" class="sortable"><caption>%s</caption><thead><tr>%s</tr></thead><tbody>%s</tbody></table>'
            % (table_id, _e(caption), head, body))


def _host_status(row):
    if not row["enrolled"]:
        return ("unreadable", "bad") if row["problem"] else ("not enrolled", "warn")
    for flag, label in (("revoked", "revoked"), ("expired", "expired"), ("expiring", "expiring"), ("not_seen", "not seen")):
        if row[flag]:
            return label, "bad" if flag in ("revoked", "expired") else "warn"
    return "ok", "ok"


def _hosts_table(report):
    rows = []
    for row in report["hosts"]:
        status, css = _host_status(row)
        key = " ".join(str(part) for part in (row["key_type"], row["key_size"] or "", row["key_curve"] or "") if part)
        rows.append((' data-host="%s" data-status="%s"' % (_e(row["host"]), _e(status)), [
            _cell(row["host"]), _cell(status, css=css), _cell(row["subject"]), _cell(row["serial_hex"]),
            _cell(key), _cell(row["key_store"]), _cell(row["not_after"]),
            _cell(row["days_left"], sort=row["days_left"] if row["days_left"] is not None else ""),
            _cell(row["last_seen_at"] or "never" if row["enrolled"] else ""),
            _cell(row["days_since_seen"], sort=row["days_since_seen"] if row["days_since_seen"] is not None else ""),
            _cell(row["problem"])]))
    headers = (("host", "text"), ("status", "text"), ("subject", "text"), ("serial (hex)", "text"), ("key", "text"),
               ("key store", "text"), ("not after", "text"), ("days left", "number"), ("last authenticated", "text"),
               ("days since", "number"), ("problem", "text"))
    return _table("hosts", "Hosts", headers, rows, initial_sort="days left")


def _revoked_table(report):
    rows = [("", [_cell(item["serial_hex"]), _cell(item["host"]), _cell(item["x509_subject"]), _cell(item["revoked_at"]),
                  _cell(item["seen_at"]), _cell(item["crl_name"]), _cell(item["crl_enabled"])])
            for item in report["revoked_still_authenticating"]]
    headers = (("serial (hex)", "text"), ("host", "text"), ("subject", "text"), ("revoked at", "text"),
               ("authenticated at", "text"), ("CRL", "text"), ("CRL enabled", "text"))
    return _table("revoked", "Revoked serials still authenticating (should be none)", headers, rows)


def _notifications(settings):
    return "; ".join("%s %s (%s days, %s)" % (item["event"], "on" if item["enabled"] else "OFF",
                                              item["threshold"] if item["threshold"] is not None else "-", item["channel"])
                     for item in settings)


def _anchors_table(report):
    rows = [(' data-trust-anchor="%s"' % _e(item["name"]), [
        _cell(item["name"]), _cell(item["enabled"]), _cell(item["source_type"]),
        _cell(", ".join(ca["subject"] for ca in item["ca_certificates"]) or item["ca_problem"]),
        _cell(item["ca_not_after"]), _cell(_notifications(item["notification_settings"]) or "none"),
        _cell(", ".join(item["crls"]))]) for item in report["trust_anchors"]]
    headers = (("name", "text"), ("enabled", "text"), ("source", "text"), ("CA", "text"), ("CA not after", "text"),
               ("notification settings", "text"), ("CRLs", "text"))
    return _table("trust-anchors", "Trust anchors", headers, rows)


def _profiles_table(report):
    rows = [(' data-profile="%s"' % _e(item["name"]), [
        _cell(item["name"]), _cell(item["enabled"]), _cell(", ".join(item["role_arns"])),
        _cell(item["duration_seconds"], sort=item["duration_seconds"]), _cell(", ".join(item["managed_policy_arns"])),
        _cell(item["session_policy"]), _cell(item["accept_role_session_name"])]) for item in report["profiles"]]
    headers = (("name", "text"), ("enabled", "text"), ("roles", "text"), ("duration (s)", "number"),
               ("managed policies", "text"), ("session policy", "text"), ("accepts session name", "text"))
    return _table("profiles", "Profiles", headers, rows)


def _subjects_table(report):
    rows = [("", [_cell(item["x509_subject"]), _cell(item["enabled"]), _cell(item["last_seen_at"]),
                  _cell(", ".join(item["hosts"]) or "none"), _cell(len(item["credentials"]), sort=len(item["credentials"]))])
            for item in report["subjects"]]
    headers = (("subject", "text"), ("enabled", "text"), ("last seen", "text"), ("inventory hosts", "text"),
               ("certificates", "number"))
    return _table("subjects", "Subjects (who authenticated)", headers, rows)


# --- the expiry timeline (inline SVG) -------------------------------------------------------------------------

WIDTH, LEFT, RIGHT, ROW, TOP = 960, 150, 60, 18, 40


def timeline_marks(report):
    """(label, kind, not_after) of every host certificate and trust anchor CA, soonest first."""
    marks = [(row["host"], "host-" + _host_status(row)[1], parse_time(row["not_after"])) for row in report["hosts"] if row["not_after"]]
    for anchor in report["trust_anchors"]:
        for ca in anchor["ca_certificates"]:
            marks.append(("CA %s" % (anchor["name"] or ""), "ca", parse_time(ca["not_after"])))
    return sorted(marks, key=lambda mark: (mark[2], mark[0]))


def timeline_svg(report):
    now = parse_time(report["generated_at"])
    marks = timeline_marks(report)
    warn = now + datetime.timedelta(days=report["thresholds"]["expiring_days"])
    end = max([warn + datetime.timedelta(days=1)] + [mark[2] for mark in marks])
    start = min([now] + [mark[2] for mark in marks])
    span = (end - start).total_seconds() or 1.0
    height = TOP + ROW * max(len(marks), 1) + 20

    def x(moment):
        return LEFT + (WIDTH - LEFT - RIGHT) * (moment - start).total_seconds() / span

    parts = ['<svg id="expiry-timeline" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
             'aria-label="Certificate expiry timeline">' % (WIDTH, height, WIDTH, height),
             '<rect x="%d" y="%d" width="%.1f" height="%d" class="warn-zone"><title>expiring within %d days</title></rect>'
             % (x(now), TOP - 10, max(x(warn) - x(now), 0), height - TOP, report["thresholds"]["expiring_days"])]
    for index in range(6):
        tick = start + datetime.timedelta(seconds=span * index / 5)
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="grid"/><text x="%.1f" y="%d" class="tick">%s</text>'
                     % (x(tick), TOP - 10, x(tick), height - 10, x(tick), TOP - 16, _e(tick.strftime("%Y-%m-%d"))))
    parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="now"><title>now %s</title></line>'
                 % (x(now), TOP - 10, x(now), height - 10, _e(report["generated_at"])))
    for index, (label, kind, after) in enumerate(marks):
        y = TOP + ROW * index + ROW / 2
        parts.append('<text x="%d" y="%.1f" class="label">%s</text>' % (LEFT - 8, y + 4, _e(label)))
        parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="bar"/>' % (x(now), y, x(after), y))
        parts.append('<circle cx="%.1f" cy="%.1f" r="5" class="mark %s" data-label="%s" data-not-after="%s"><title>%s: %s</title></circle>'
                     % (x(after), y, kind, _e(label), _e(after.strftime("%Y-%m-%dT%H:%M:%SZ")), _e(label),
                        _e(after.strftime("%Y-%m-%d %H:%M UTC"))))
    parts.append("</svg>")
    return "".join(parts)


STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.5em}
table{border-collapse:collapse;margin:1em 0 2em;width:100%}caption{text-align:left;font-weight:bold;font-size:1.1em;padding:.3em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;word-break:break-word}
th{background:#eee;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}td.ok{color:#17692b}td.warn{color:#8a5a00;font-weight:bold}
td.bad{color:#b00020;font-weight:bold}#summary td.finding{color:#b00020;font-weight:bold}
svg text{font-size:11px;fill:#333}svg .label{text-anchor:end}svg .tick{text-anchor:middle}svg .grid{stroke:#ddd}
svg .now{stroke:#333;stroke-width:2}svg .bar{stroke:#bbb;stroke-width:2}svg .warn-zone{fill:#fff3cd}
svg .host-ok{fill:#2e7d32}svg .host-warn{fill:#f9a825}svg .host-bad{fill:#c62828}svg .ca{fill:#1565c0}"""

# Sorting by a header click (numbers by data-sort, text otherwise); on load the hosts are sorted soonest expiry
# first, and the page notes that the script ran and the chart's rendered size (the tests read both).
SCRIPT = """(function(){
function key(row,i,num){var c=row.cells[i];var v=c.hasAttribute('data-sort')?c.getAttribute('data-sort'):c.textContent;
if(num){var n=parseFloat(v);return isNaN(n)?Infinity:n;}return v.toLowerCase();}
function sort(table,i,dir){var th=table.tHead.rows[0].cells[i],num=th.getAttribute('data-type')==='number',body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows).filter(function(r){return !r.classList.contains('empty');});
rows.sort(function(a,b){var x=key(a,i,num),y=key(b,i,num);return (x<y?-1:x>y?1:0)*dir;});
rows.forEach(function(r){body.appendChild(r);});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',dir>0?'ascending':'descending');}
Array.prototype.forEach.call(document.querySelectorAll('table.sortable'),function(table){
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){
sort(table,i,th.getAttribute('aria-sort')==='ascending'?-1:1);});});});
Array.prototype.forEach.call(document.querySelectorAll('th[data-initial-sort]'),function(th){
sort(th.closest('table'),th.cellIndex,1);});
var box=document.getElementById('expiry-timeline').getBoundingClientRect();
document.body.setAttribute('data-chart-width',Math.round(box.width));document.body.setAttribute('data-ready','yes');
})();"""


def html_text(report):
    thresholds = report["thresholds"]
    summary = report["summary"]
    items = "".join('<tr><th scope="row">%s</th><td data-summary="%s"%s>%d</td></tr>'
                    % (_e(label % thresholds), _e(key), ' class="finding"' if key in FINDINGS and summary[key] else "", summary[key])
                    for key, label in SUMMARY_LABELS)
    where = ", ".join(part for part in ("account %s" % report["account"] if report["account"] else "",
                                        "region %s" % report["region"] if report["region"] else "") if part)
    return "".join((
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'\">",
        "<title>IAM Roles Anywhere fleet report %s</title><style>%s</style></head>" % (_e(report["generated_at"]), STYLE),
        "<body><h1>IAM Roles Anywhere fleet report</h1>",
        "<p>Generated %s%s. Schema version %d.</p>" % (
            _e(report["generated_at"]), _e(" for " + where if where else ""), report["schema_version"]),
        '<table id="summary"><caption>Summary</caption><tbody>%s</tbody></table>' % items,
        "<h2>Certificate expiry</h2>", timeline_svg(report),
        _hosts_table(report), _revoked_table(report), _anchors_table(report), _profiles_table(report),
        _subjects_table(report),
        "<script>%s</script></body></html>\n" % SCRIPT))


def render(report, formats):
    """{format: text} for the formats asked (json, html, csv)."""
    renderers = {"json": json_text, "html": html_text, "csv": csv_text}
    return {name: renderers[name](report) for name in formats}
