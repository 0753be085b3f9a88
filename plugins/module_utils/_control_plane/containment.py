# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containment: deny the live sessions of one host at once, on plain data (no AWS call).

A CRL stops new sessions; credentials already issued stay valid until they expire (up to 12 hours). AWS's own
answer for a role is an inline policy that denies everything to sessions issued before a point in time
("Revoke IAM role temporary security credentials", AWSRevokeOlderSessions:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html). That denies every session of
the role; here each statement also names the host's sessions, so the rest of the fleet keeps working:

- ``aws:userid`` of a role session is ``role-id:caller-specified-role-name`` (principal key values,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#principaltable; the same
  ``AROA...:name`` is STS's AssumedRoleUser.AssumedRoleId, "the role ID and the role session name").
- Roles Anywhere names the session after the certificate: "IAM Roles Anywhere sets this automatically, using the
  hex-encoded serial number of the authenticating certificate" (trust model,
  https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html), unless the profile accepts a
  role session name (acceptRoleSessionName, ProfileDetail) and the host sends one.
- ``aws:TokenIssueTime`` is "the date and time that temporary security credentials were issued", present only
  in requests signed with temporary credentials, used with date operators
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime).
- An explicit Deny overrides every Allow (policy evaluation logic,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#AccessPolicyLanguage_Interplay),
  and conditions of one statement are ANDed, values of one key ORed
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html).

One statement per contained host and role::

    {"Sid": "RolesAnywhereContain<12 hex>Until<YYYYMMDDTHHMMSSZ>", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"StringEqualsIgnoreCase": {"aws:userid": ["AROA...:5c0e1a", ...]},
                   "DateLessThan": {"aws:TokenIssueTime": "2026-12-06T23:40:00Z"}}}

The Sid carries when the statement may go: no session it covers outlives ``issued before + the longest session``
(43200 s, CreateSession's maximum, unless told less), so a later run removes it and roles do not collect
statements forever. Statements of the same policy that are not ours are kept as they are.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re

from .._core.errors import ConfigurationError
from .._core.identifiers import MAX_DURATION_SECONDS
from .acmpca import serial_value
from .._core.identifiers import MIN_DURATION_SECONDS
from .._core.identifiers import is_policy_name
from .._core.identifiers import validate_role_session_name

POLICY_VERSION = "2012-10-17"
DEFAULT_POLICY_NAME = "rolesanywhere-fleet-contain"
SID_PREFIX = "RolesAnywhereContain"
SID_RE = re.compile(r"^%s([0-9a-f]{12})Until(\d{8}T\d{6}Z)$" % SID_PREFIX)
SID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
# CreateSession's durationSeconds range, 900..43200 (identifiers.py keeps it)
MIN_SESSION_SECONDS = MIN_DURATION_SECONDS
MAX_SESSION_SECONDS = MAX_DURATION_SECONDS
# "The size of each inline policy ... role policy size cannot exceed 10,240 characters" (IAM and STS quotas,
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); IAM does not count white space.
ROLE_POLICY_SIZE_LIMIT = 10240
USERID_KEY = "aws:userid"
ISSUE_TIME_KEY = "aws:TokenIssueTime"
USERID_OPERATOR = "StringEqualsIgnoreCase"
ISSUE_TIME_OPERATOR = "DateLessThan"


def utc(moment):
    """An aware UTC datetime, whole seconds (IAM dates in policies are compared to the second here)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0)


def next_second(moment):
    """The first whole second not before ``moment`` (aware UTC)."""
    whole = utc(moment)
    return whole if moment.microsecond == 0 else whole + datetime.timedelta(seconds=1)


def iso(moment):
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text, option):
    """ISO 8601 with a zone (``2026-12-06T23:40:00Z``); a clear error for anything else."""
    value = str(text).strip()
    try:
        parsed = datetime.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ConfigurationError(
            "%s %r is not a date and time with a zone" % (option, text),
            "Give it in ISO 8601 with a zone, for example 2026-12-06T23:40:00Z",
        )
    return utc(parsed)


# ---------------------------------------------------------------------------------------------------
# Whose sessions
# ---------------------------------------------------------------------------------------------------


def session_names_for_serial(serial):
    """The role session names Roles Anywhere gives a certificate's sessions: its serial in hex.

    AWS documents "hex-encoded serial number" without saying whether a leading zero is kept; both spellings are
    listed when they differ (odd digit count), and the statement compares ignoring case.
    """
    value = serial_value(serial, "certificate_serials entry",
                         "Give it as hex (aa:bb:cc or aabbcc), as '%x' % x509_certificate_info's serial_number")
    digits = format(value, "x")
    names = [digits]
    if len(digits) % 2:
        names.append("0" + digits)
    return names


def sessions_to_contain(certificate_serials=None, role_session_names=None):
    """One entry per host identity: the list of session names its sessions may carry (first = its name)."""
    sessions = [session_names_for_serial(serial) for serial in certificate_serials or []]
    sessions += [[validate_role_session_name(name, "role session name")] for name in role_session_names or []]
    unique, seen = [], set()
    for names in sessions:
        key = names[0].lower()
        if key not in seen:
            seen.add(key)
            unique.append(names)
    return unique


def check_policy_name(name):
    if not is_policy_name(name):
        raise ConfigurationError(
            "policy_name %r is not a valid IAM policy name" % (name,),
            "Use 1 to 128 characters from letters, digits and + = , . @ _ - (IAM policyNameType)",
        )
    return name


def check_max_session_duration(seconds):
    if not MIN_SESSION_SECONDS <= seconds <= MAX_SESSION_SECONDS:
        raise ConfigurationError(
            "max_session_duration %d is outside %d..%d" % (seconds, MIN_SESSION_SECONDS, MAX_SESSION_SECONDS),
            "Give the longest session any profile of these roles grants (CreateSession allows 900 to 43200 seconds)",
        )
    return seconds


# ---------------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------------


def statement_sid(session_name, until):
    digest = hashlib.sha256(session_name.lower().encode("utf-8")).hexdigest()[:12]
    return "%s%sUntil%s" % (SID_PREFIX, digest, utc(until).strftime(SID_TIME_FORMAT))


def deny_statement(role_id, session_names, issued_before, until):
    """The Deny statement for one host's sessions of one role issued before ``issued_before``."""
    return {
        "Sid": statement_sid(session_names[0], until),
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {
            USERID_OPERATOR: {USERID_KEY: ["%s:%s" % (role_id, name) for name in session_names]},
            ISSUE_TIME_OPERATOR: {ISSUE_TIME_KEY: iso(issued_before)},
        },
    }


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def read_contain_statement(statement):
    """``{"sid", "until", "issued_before", "session_names"}`` for a statement this module wrote, else None."""
    if not isinstance(statement, dict):
        return None
    match = SID_RE.match(str(statement.get("Sid", "")))
    if match is None:
        return None
    until = utc(datetime.datetime.strptime(match.group(2), SID_TIME_FORMAT))
    condition = statement.get("Condition") or {}
    userids = _as_list((condition.get(USERID_OPERATOR) or {}).get(USERID_KEY))
    issued_before = (condition.get(ISSUE_TIME_OPERATOR) or {}).get(ISSUE_TIME_KEY)
    return {
        "sid": match.group(0),
        "until": iso(until),
        "issued_before": issued_before,
        "session_names": [str(userid).split(":", 1)[-1] for userid in userids],
    }


def parse_policy_document(document):
    """A policy document as a dict (IAM answers a dict through boto3, or URL-decoded JSON text)."""
    if document is None:
        return None
    if isinstance(document, dict):
        return document
    try:
        parsed = json.loads(document)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ConfigurationError("the existing containment policy is not a JSON policy document",
                                 "Delete it, or give another policy_name")
    return parsed


def policy_size(document):
    """Characters IAM counts for an inline policy (white space excluded)."""
    return len(re.sub(r"\s", "", json.dumps(document, sort_keys=True)))


def same_document(left, right):
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


# ---------------------------------------------------------------------------------------------------
# The plan for one role
# ---------------------------------------------------------------------------------------------------


def plan_role_policy(document, role_id, contain=(), lift=(), issued_before=None, max_session_duration=MAX_SESSION_SECONDS,
                     now=None, cleanup=True, role_label="the role"):
    """What the role's containment policy becomes.

    ``document``: the current inline policy (dict, text or None); ``contain``: lists of session names (one list
    per host) to deny; ``lift``: lists of session names whose statements go now; ``issued_before``: the cut-off
    (default ``now``); a host already contained keeps its statement (its cut-off does not move, so a re-run
    changes nothing); ``cleanup``: remove statements whose sessions have all expired (``until <= now``).

    Returns ``{"before": the current document parsed, "document": new document or None (delete the policy), "changed", "added", "removed", "expired",
    "statements"}``: ``added`` the session names newly denied; the others statements as ``read_contain_statement``
    gives them (``statements``: every statement of ours the policy keeps).
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    # Rounded up to the second: a session issued earlier within the same second is older than the cut-off.
    issued_before = next_second(issued_before or now)
    now = utc(now)
    until = issued_before + datetime.timedelta(seconds=max_session_duration)
    current = parse_policy_document(document)
    statements = _as_list((current or {}).get("Statement"))
    lifted = {name.lower() for names in lift for name in names}
    kept, others, removed, expired = [], [], [], []
    for statement in statements:
        ours = read_contain_statement(statement)
        if ours is None:
            others.append(statement)
        elif lifted & {name.lower() for name in ours["session_names"]}:
            removed.append(ours)
        elif cleanup and parse_time(ours["until"], "until") <= now:
            expired.append(ours)
        else:
            kept.append((ours, statement))
    covered = {name.lower() for ours, _statement in kept for name in ours["session_names"]}
    added = []
    for names in contain:
        if {name.lower() for name in names} & lifted:
            continue
        if not {name.lower() for name in names} & covered:
            statement = deny_statement(role_id, names, issued_before, until)
            kept.append((read_contain_statement(statement), statement))
            covered.update(name.lower() for name in names)
            added.append(names[0])
    ours_sorted = [statement for _ours, statement in sorted(kept, key=lambda item: item[0]["sid"])]
    new_statements = ours_sorted + others
    after = None
    if new_statements:
        after = dict(current or {})
        after["Version"] = (current or {}).get("Version", POLICY_VERSION)
        after["Statement"] = new_statements
        size = policy_size(after)
        if size > ROLE_POLICY_SIZE_LIMIT:
            raise ConfigurationError(
                "the containment policy of %s would be %d characters, over IAM's %d for a role's inline policies"
                % (role_label, size, ROLE_POLICY_SIZE_LIMIT),
                "Contain fewer hosts per run on this role, run the cleanup (rolesanywhere_contain_cleanup) to drop "
                "expired statements, or give a shorter max_session_duration so statements expire sooner",
            )
    changed = not same_document(current, after) if current is not None else after is not None
    return {
        "before": current,
        "document": after,
        "changed": changed,
        "added": added,
        "removed": removed,
        "expired": expired,
        "statements": sorted((ours for ours, _statement in kept), key=lambda ours: ours["sid"]),
    }
