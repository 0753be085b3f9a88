# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit report's decisions, on plain data (no AWS call): build_report() -> the report (a dict).

Inputs are what the fleet_report module read: each inventory host's certificate in use (the files the enroll
role keeps in ``current/``: certificate.pem and enrollment.json), and the account's trust anchors, profiles,
CRLs and subjects in the service's own shapes (botocore rolesanywhere 2018-05-10 service-2.json:
TrustAnchorDetail, ProfileDetail, CrlDetail, SubjectDetail with CredentialSummary), timestamps as ISO 8601 text.

The report's layout is docs/fleet-report.schema.json (SCHEMA_VERSION); change both together.
"""

from __future__ import annotations

import datetime
import json

from .._core.certificate_facts import certificate_facts
from .._core.errors import ConfigurationError, MaterialError
from .._core.pem import certificate_from_der, crl_der_or_none, load_crl, pem_blocks
from .._core.x509 import not_valid_after

SCHEMA_VERSION = 1
DAY = datetime.timedelta(days=1)
# Where the enroll role keeps the key today; PKCS#11 and TPM stores would record theirs in enrollment.json.
DEFAULT_KEY_STORE = "file"


def parse_time(value):
    """An aware datetime from ISO 8601 text (botocore's timestamps as amazon.aws results carry them), or None."""
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):  # fromisoformat takes "Z" only from Python 3.11
            text = text[:-1] + "+00:00"
        moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def iso(moment):
    """The report's one time format: UTC to the second, ``YYYY-MM-DDTHH:MM:SSZ``; None stays None."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def whole_days(later, earlier):
    """Whole days from earlier to later, rounded down (negative once past): a report changes at most daily."""
    return (later - earlier) // DAY


def _certificates(pem_text, what):
    """The certificates of PEM text (cryptography objects), in order; [] when there are none."""
    found = []
    for index, block in enumerate(pem_blocks(pem_text or "")):
        if block.label == "CERTIFICATE" and block.der:
            found.append(certificate_from_der(block.der, what, index))
    return found


def serial_from_text(text):
    """A certificate serial from a CredentialSummary's ``serialNumber`` (a String in the model): decimal digits,
    or hex (with colons, an ``0x`` prefix or a-f digits). None when it is neither."""
    value = str(text or "").strip().lower().replace(":", "")
    if value.startswith("0x"):
        value = value[2:]
    try:
        return int(value, 10) if value.isdigit() else int(value, 16)
    except ValueError:
        return None


# --- hosts ----------------------------------------------------------------------------------------------------

def enrollment_record(value):
    """enrollment.json as a dict (the playbook passes its text; a damaged file reads as {})."""
    if isinstance(value, dict):
        return value
    try:
        record = json.loads(value) if value else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def host_certificate(entry):
    """(facts, problem) for one host's answer: certificate_facts of its certificate in use, or why there is none.

    certificate_error is what reading the file said: a missing file means "not enrolled", anything else (no
    permission, an unreachable host) is the host's problem, reported as such.
    """
    if entry.get("problem"):
        return None, entry["problem"]
    error = str(entry.get("certificate_error") or "")
    if error and not entry.get("certificate"):
        return None, None if "not found" in error.lower() else error
    try:
        certificates = _certificates(entry.get("certificate"), "the certificate of %s" % entry.get("name"))
    except MaterialError as error:  # one host's damaged file is that host's finding, not the report's failure
        return None, error.message
    if not certificates:
        return None, None
    return dict(certificate_facts(certificates[0]), _name=certificates[0].subject), None


def _host_row(name, facts, problem, enrollment, thresholds, now):
    row = {"host": name, "enrolled": facts is not None, "problem": problem, "subject": None, "issuer": None,
           "serial": None, "serial_hex": None, "key_type": None, "key_size": None, "key_curve": None,
           "key_store": None, "signer": None, "not_after": None, "days_left": None, "expiring": False,
           "expired": False, "subject_arn": None, "last_seen_at": None, "days_since_seen": None,
           "certificate_last_seen_at": None, "not_seen": False, "revoked": False}
    if facts is None:
        return row
    row["not_seen"] = True  # until a subject shows it authenticated within not_seen_days
    after = parse_time(facts["not_after"])
    row.update(subject=facts["subject"], issuer=facts["issuer"], serial=str(facts["serial"]), serial_hex=facts["serial_hex"],
               key_type=facts["key_type"], key_size=facts["key_size"], key_curve=facts["curve"],
               key_store=enrollment.get("key_store") or DEFAULT_KEY_STORE, signer=enrollment.get("signer_id") or None,
               not_after=iso(after), days_left=whole_days(after, now))
    row["expired"] = after <= now
    row["expiring"] = not row["expired"] and after - now <= thresholds["expiring_days"] * DAY
    return row


# --- subjects -------------------------------------------------------------------------------------------------

def _credential(credential):
    """One CredentialSummary as the report keeps it, with the certificate it names (when the data is there)."""
    certificates = _certificates(credential.get("x509CertificateData") or credential.get("x509_certificate_data"),
                                 "a certificate of a subject")
    certificate = certificates[0] if certificates else None
    serial = certificate.serial_number if certificate is not None else serial_from_text(
        credential.get("serialNumber") or credential.get("serial_number"))
    return {"serial": str(serial) if serial is not None else None, "serial_hex": "%x" % serial if serial is not None else None,
            "issuer": credential.get("issuer"), "seen_at": iso(parse_time(credential.get("seenAt") or credential.get("seen_at"))),
            "failed": bool(credential.get("failed")), "enabled": credential.get("enabled", True) is not False,
            "_certificate": certificate}


def _subject_row(subject):
    get = subject.get
    return {"subject_arn": get("subjectArn") or get("subject_arn"), "x509_subject": get("x509Subject") or get("x509_subject"),
            "enabled": get("enabled", True) is not False,
            "last_seen_at": iso(parse_time(get("lastSeenAt") or get("last_seen_at"))),
            "created_at": iso(parse_time(get("createdAt") or get("created_at"))),
            "credentials": [_credential(item) for item in get("credentials") or []], "hosts": []}


def _find_subject(row, certificate_subject, subjects):
    """The subject of a host: one that presented the host's serial, else one with the host's distinguished name."""
    for subject in subjects:
        if any(credential["serial"] == row["serial"] for credential in subject["credentials"]):
            return subject
    for subject in subjects:
        names = [credential["_certificate"].subject for credential in subject["credentials"] if credential["_certificate"] is not None]
        if certificate_subject in names or subject["x509_subject"] == row["subject"]:
            return subject
    return None


def _attach_subject(row, certificate_subject, subjects, thresholds, now):
    subject = _find_subject(row, certificate_subject, subjects)
    if subject is None:
        return
    subject["hosts"].append(row["host"])
    row["subject_arn"] = subject["subject_arn"]
    successes = [parse_time(credential["seen_at"]) for credential in subject["credentials"]
                 if not credential["failed"] and credential["seen_at"]]
    # Without GetSubject's details (credentials) the subject's lastSeenAt is all there is.
    last = max(successes) if successes else parse_time(subject["last_seen_at"]) if not subject["credentials"] else None
    row["last_seen_at"] = iso(last)
    if last is not None:
        row["days_since_seen"] = whole_days(now, last)
        row["not_seen"] = now - last > thresholds["not_seen_days"] * DAY
    own = [credential for credential in subject["credentials"] if credential["serial"] == row["serial"] and not credential["failed"]]
    row["certificate_last_seen_at"] = max((credential["seen_at"] for credential in own), default=None)


# --- CRLs, trust anchors, profiles ----------------------------------------------------------------------------

def _crl_row(crl):
    der = crl_der_or_none(crl.get("crlData") or crl.get("crl_data"))
    entry = {"name": crl.get("name"), "crl_arn": crl.get("crlArn") or crl.get("crl_arn"), "enabled": crl.get("enabled") is True,
             "trust_anchor_arn": crl.get("trustAnchorArn") or crl.get("trust_anchor_arn"), "issuer": None,
             "revoked_count": 0, "next_update": None, "_revoked": {}, "_issuer": None}
    if der is None:
        return entry
    parsed = load_crl(der, "the CRL %s" % entry["name"])
    revoked = {item.serial_number: getattr(item, "revocation_date_utc", None) or item.revocation_date.replace(tzinfo=datetime.timezone.utc)
               for item in parsed}
    next_update = getattr(parsed, "next_update_utc", None) or (parsed.next_update.replace(tzinfo=datetime.timezone.utc) if parsed.next_update else None)
    entry.update(issuer=parsed.issuer.rfc4514_string(), revoked_count=len(revoked), next_update=iso(next_update),
                 _revoked=revoked, _issuer=parsed.issuer)
    return entry


def revoked_still_authenticating(crls, subjects, hosts_by_serial):
    """Successful authentications with a certificate after a CRL of the account revoked it (should be none).

    Listed whether or not the CRL is enabled: a disabled CRL revokes nothing (ImportCrl's ``enabled``), which is
    the finding. A credential's certificate, when GetSubject returns it, must also have the CRL's issuer.
    """
    findings = []
    for crl in crls:
        for subject in subjects:
            for credential in subject["credentials"]:
                serial = int(credential["serial"]) if credential["serial"] else None
                if serial not in crl["_revoked"] or credential["failed"] or not credential["seen_at"]:
                    continue
                certificate = credential["_certificate"]
                if certificate is not None and crl["_issuer"] is not None and certificate.issuer != crl["_issuer"]:
                    continue
                revoked_at = crl["_revoked"][serial]
                seen = parse_time(credential["seen_at"])
                if seen > revoked_at:
                    findings.append({"serial": credential["serial"], "serial_hex": credential["serial_hex"],
                                     "host": hosts_by_serial.get(credential["serial"]), "x509_subject": subject["x509_subject"],
                                     "subject_arn": subject["subject_arn"], "seen_at": credential["seen_at"],
                                     "revoked_at": iso(revoked_at), "crl_name": crl["name"], "crl_arn": crl["crl_arn"],
                                     "crl_enabled": crl["enabled"], "trust_anchor_arn": crl["trust_anchor_arn"]})
    return sorted(findings, key=lambda item: (item["seen_at"], item["serial"]))


def _ca_rows(certificates, thresholds, now):
    rows = []
    for certificate in certificates:
        after = not_valid_after(certificate)
        rows.append({"subject": certificate.subject.rfc4514_string(), "serial_hex": "%x" % certificate.serial_number,
                     "not_after": iso(after), "days_left": whole_days(after, now),
                     "expiring": after - now <= thresholds["expiring_days"] * DAY})
    return rows


def trust_anchor_row(anchor, ca_pem, ca_problem, crls, thresholds, now):
    """One trust anchor: its CA certificates' expiry (from the bundle, or ACM PCA's ca_pem) and notification settings."""
    source = anchor.get("source") or {}
    data = source.get("sourceData") or source.get("source_data") or {}
    source_type = source.get("sourceType") or source.get("source_type")
    pem_text = data.get("x509CertificateData") or data.get("x509_certificate_data") or ca_pem
    arn = anchor.get("trustAnchorArn") or anchor.get("trust_anchor_arn")
    ca = _ca_rows(_certificates(pem_text, "the CA certificates of trust anchor %s" % anchor.get("name")), thresholds, now)
    settings = [{"event": item.get("event"), "enabled": item.get("enabled") is True, "threshold": item.get("threshold"),
                 "channel": item.get("channel") or "ALL", "configured_by": item.get("configuredBy") or item.get("configured_by")}
                for item in anchor.get("notificationSettings") or anchor.get("notification_settings") or []]
    return {"name": anchor.get("name"), "trust_anchor_arn": arn, "enabled": anchor.get("enabled") is True,
            "source_type": source_type, "acm_pca_arn": data.get("acmPcaArn") or data.get("acm_pca_arn"),
            "ca_problem": ca_problem if not ca else None,
            "ca_certificates": ca, "ca_not_after": min((row["not_after"] for row in ca), default=None),
            "ca_expiring": any(row["expiring"] for row in ca),
            "notification_settings": sorted(settings, key=lambda item: (item["event"] or "", item["channel"])),
            "crls": sorted(crl["name"] or "" for crl in crls if crl["trust_anchor_arn"] == arn)}


def profile_row(profile):
    get = profile.get
    return {"name": get("name"), "profile_arn": get("profileArn") or get("profile_arn"), "enabled": get("enabled") is True,
            "role_arns": sorted(get("roleArns") or get("role_arns") or []),
            "duration_seconds": get("durationSeconds") or get("duration_seconds") or 3600,  # the model's default: 3600
            "managed_policy_arns": sorted(get("managedPolicyArns") or get("managed_policy_arns") or []),
            "session_policy": bool(get("sessionPolicy") or get("session_policy")),
            "accept_role_session_name": bool(get("acceptRoleSessionName") or get("accept_role_session_name")),
            "require_instance_properties": bool(get("requireInstanceProperties") or get("require_instance_properties"))}


# --- the report -----------------------------------------------------------------------------------------------

def check_thresholds(not_seen_days, expiring_days):
    for option, value in (("not_seen_days", not_seen_days), ("expiring_days", expiring_days)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigurationError("%s must be a whole number of days, 0 or more (got %r)" % (option, value),
                                     "Set %s to a number of days such as 30" % option)
    return {"not_seen_days": not_seen_days, "expiring_days": expiring_days}


def _public(row):
    return {key: value for key, value in row.items() if not key.startswith("_")}


def build_report(inventory_hosts, host_answers, trust_anchors, profiles, crls, subjects, now,
                 not_seen_days=30, expiring_days=30, region=None, account=None, ca_certificates=None):
    """The report (a JSON-friendly dict, docs/fleet-report.schema.json).

    inventory_hosts: names the report covers; host_answers: {name: {"certificate": PEM, "enrollment": dict,
    "problem": text}} of the hosts that answered (a host without an answer is reported as such);
    ca_certificates: {acm_pca_arn: (pem or None, problem or None)} for AWS_ACM_PCA trust anchors.
    """
    thresholds = check_thresholds(not_seen_days, expiring_days)
    now = parse_time(now)
    subject_rows = sorted((_subject_row(item) for item in subjects), key=lambda item: (item["x509_subject"] or "", item["subject_arn"] or ""))
    hosts = []
    for name in sorted(set(inventory_hosts)):
        answer = host_answers.get(name) or {"problem": "no answer from the host (unreachable, or its task failed)"}
        facts, problem = host_certificate(dict(answer, name=name))
        row = _host_row(name, facts, problem, enrollment_record(answer.get("enrollment")), thresholds, now)
        if facts is not None:
            _attach_subject(row, facts["_name"], subject_rows, thresholds, now)
        hosts.append(row)
    crl_rows = sorted((_crl_row(item) for item in crls), key=lambda item: (item["name"] or "", item["crl_arn"] or ""))
    by_serial = {row["serial"]: row["host"] for row in hosts if row["serial"]}
    for row in hosts:
        row["revoked"] = any(row["serial"] and int(row["serial"]) in crl["_revoked"] for crl in crl_rows if crl["enabled"])
    revoked = revoked_still_authenticating(crl_rows, subject_rows, by_serial)
    anchors = []
    for anchor in trust_anchors:
        pca_arn = ((anchor.get("source") or {}).get("sourceData") or {}).get("acmPcaArn")
        ca_pem, ca_problem = (ca_certificates or {}).get(pca_arn, (None, None)) if pca_arn else (None, None)
        anchors.append(trust_anchor_row(anchor, ca_pem, ca_problem, crl_rows, thresholds, now))
    anchors.sort(key=lambda item: (item["name"] or "", item["trust_anchor_arn"] or ""))
    profile_rows = sorted((profile_row(item) for item in profiles), key=lambda item: (item["name"] or "", item["profile_arn"] or ""))
    enrolled = [row for row in hosts if row["enrolled"]]
    summary = {
        "hosts": len(hosts),
        "hosts_enrolled": len(enrolled),
        "hosts_not_enrolled": len(hosts) - len(enrolled),
        "hosts_never_seen": sum(1 for row in enrolled if row["last_seen_at"] is None),
        "hosts_not_seen": sum(1 for row in enrolled if row["not_seen"]),
        "certificates_expiring": sum(1 for row in enrolled if row["expiring"]),
        "certificates_expired": sum(1 for row in enrolled if row["expired"]),
        "hosts_revoked": sum(1 for row in enrolled if row["revoked"]),
        "revoked_still_authenticating": len(revoked),
        "subjects": len(subject_rows),
        "subjects_outside_inventory": sum(1 for row in subject_rows if not row["hosts"]),
        "trust_anchors": len(anchors),
        "trust_anchors_ca_expiring": sum(1 for row in anchors if row["ca_expiring"]),
        "trust_anchors_without_notifications": sum(1 for row in anchors if not any(item["enabled"] for item in row["notification_settings"])),
        "profiles": len(profile_rows),
        "crls": len(crl_rows),
    }
    for row in subject_rows:
        row["credentials"] = [_public(item) for item in row["credentials"]]
    return {"schema_version": SCHEMA_VERSION, "generated_at": iso(now), "region": region, "account": account,
            "thresholds": thresholds, "summary": summary, "hosts": hosts, "revoked_still_authenticating": revoked,
            "trust_anchors": anchors, "profiles": profile_rows, "crls": [_public(item) for item in crl_rows],
            "subjects": subject_rows}


def same_report(first, second):
    """True when two reports differ at most in generated_at (the write is then no change)."""
    if not isinstance(first, dict) or not isinstance(second, dict):
        return False
    return json.dumps(dict(first, generated_at=None), sort_keys=True) == json.dumps(dict(second, generated_at=None), sort_keys=True)
