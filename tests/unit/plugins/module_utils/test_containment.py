# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containment decisions (plugins/module_utils/_control_plane/containment.py).

Whether a planned policy denies a session is judged by the independent evaluator in tests/emulator/iam_policy.py
(checked against AWS's documented examples in tests/unit/emulator/test_iam_policy.py), not by reading the JSON back.
"""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import containment
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from tests.emulator.iam_policy import ALLOW, EXPLICIT_DENY, evaluate, role_session_request

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 6, 23, 40, 0, 250000, tzinfo=UTC)
ROLE_ID = "AROAEXAMPLEROLEID1234"
ROLE_ARN = "arn:aws:iam::123456789012:role/rolesanywhere-web"
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def decision(document, session_name, issued_at, action="s3:ListBuckets"):
    request = role_session_request(action, ROLE_ID, session_name, issued_at, ROLE_ARN)
    return evaluate([ALLOW_ALL] + ([document] if document else []), request)


def test_session_names_for_serial():
    assert containment.session_names_for_serial("5c:0e:1a") == ["5c0e1a"]
    assert containment.session_names_for_serial("0x0ABC") == ["abc", "0abc"]
    assert containment.session_names_for_serial(0x1F) == ["1f"]
    for bad in ("zz", "0", "", -3):
        with pytest.raises(ConfigurationError):
            containment.session_names_for_serial(bad)
    with pytest.raises(ConfigurationError, match="not a valid session name"):
        containment.sessions_to_contain(role_session_names=["a b"])
    assert containment.sessions_to_contain(["5c0e1a", "5C:0E:1A"], ["web3"]) == [["5c0e1a"], ["web3"]]


def test_contain_denies_only_the_host_and_only_older_sessions():
    plan = containment.plan_role_policy(None, ROLE_ID, contain=[["5c0e1a"], ["abc", "0abc"]], now=NOW)
    assert plan["changed"] and plan["added"] == ["5c0e1a", "abc"]
    document = plan["document"]
    before = NOW - datetime.timedelta(hours=3)
    assert decision(document, "5c0e1a", before) == EXPLICIT_DENY
    assert decision(document, "5C0E1A", before) == EXPLICIT_DENY  # hex case does not matter
    assert decision(document, "0abc", before) == EXPLICIT_DENY and decision(document, "abc", before) == EXPLICIT_DENY
    # a session issued within the same second as the containment is older than the cut-off (rounded up)
    assert decision(document, "5c0e1a", NOW) == EXPLICIT_DENY
    assert decision(document, "5c0e1a", NOW + datetime.timedelta(seconds=1)) == ALLOW
    assert decision(document, "77aa01", before) == ALLOW  # another host of the same role
    other_role = role_session_request("s3:ListBuckets", "AROAOTHERROLE", "5c0e1a", before, ROLE_ARN)
    assert evaluate([ALLOW_ALL, document], other_role) == ALLOW
    statement = plan["statements"][0]
    assert statement["issued_before"] == "2026-12-06T23:40:01Z"
    assert statement["until"] == "2026-12-07T11:40:01Z"  # + 43200 s
    assert containment.policy_size(document) < 1000


def test_rerun_changes_nothing_and_keeps_the_cut_off():
    first = containment.plan_role_policy(None, ROLE_ID, contain=[["5c0e1a"]], now=NOW)
    later = NOW + datetime.timedelta(hours=1)
    again = containment.plan_role_policy(first["document"], ROLE_ID, contain=[["5c0e1a"]], now=later)
    assert not again["changed"] and again["added"] == [] and again["document"] == first["document"]
    # a new host joins the policy; the first keeps its statement
    more = containment.plan_role_policy(first["document"], ROLE_ID, contain=[["5c0e1a"], ["77aa01"]], now=later)
    assert more["changed"] and more["added"] == ["77aa01"] and len(more["statements"]) == 2
    assert first["document"]["Statement"][0] in more["document"]["Statement"]


def test_cleanup_removes_expired_statements_and_the_empty_policy():
    foreign = {"Sid": "KeepMe", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    first = containment.plan_role_policy(None, ROLE_ID, contain=[["5c0e1a"]], now=NOW, max_session_duration=3600)
    second = containment.plan_role_policy(first["document"], ROLE_ID, contain=[["77aa01"]],
                                          now=NOW + datetime.timedelta(minutes=30), max_session_duration=3600)
    at_expiry = NOW + datetime.timedelta(seconds=3601)
    plan = containment.plan_role_policy(second["document"], ROLE_ID, now=at_expiry)
    assert plan["changed"] and [item["session_names"] for item in plan["expired"]] == [["5c0e1a"]]
    assert [item["session_names"] for item in plan["statements"]] == [["77aa01"]]
    assert not containment.plan_role_policy(second["document"], ROLE_ID, now=at_expiry, cleanup=False)["changed"]
    gone = containment.plan_role_policy(plan["document"], ROLE_ID, now=at_expiry + datetime.timedelta(hours=1))
    assert gone["changed"] and gone["document"] is None
    with_foreign = dict(second["document"], Statement=second["document"]["Statement"] + [foreign])
    kept = containment.plan_role_policy(with_foreign, ROLE_ID, now=at_expiry + datetime.timedelta(hours=1))
    assert kept["document"]["Statement"] == [foreign]
    assert not containment.plan_role_policy(None, ROLE_ID, now=NOW)["changed"]


def test_lift_removes_the_host_statement_now():
    first = containment.plan_role_policy(None, ROLE_ID, contain=[["5c0e1a"], ["77aa01"]], now=NOW)
    plan = containment.plan_role_policy(first["document"], ROLE_ID, lift=[["5C0E1A"]], now=NOW)
    assert plan["changed"] and [item["session_names"] for item in plan["removed"]] == [["5c0e1a"]]
    assert decision(plan["document"], "5c0e1a", NOW - datetime.timedelta(hours=1)) == ALLOW
    assert decision(plan["document"], "77aa01", NOW - datetime.timedelta(hours=1)) == EXPLICIT_DENY


def test_policy_as_text_and_size_limit():
    first = containment.plan_role_policy(None, ROLE_ID, contain=[["5c0e1a"]], now=NOW)
    import json
    assert not containment.plan_role_policy(json.dumps(first["document"]), ROLE_ID, contain=[["5c0e1a"]], now=NOW)["changed"]
    with pytest.raises(ConfigurationError, match="not a JSON policy document"):
        containment.plan_role_policy("not json", ROLE_ID, now=NOW)
    hosts = [["%012x" % number] for number in range(1, 60)]
    with pytest.raises(ConfigurationError, match="over IAM's 10240 .*rolesanywhere_contain_cleanup"):
        containment.plan_role_policy(None, ROLE_ID, contain=hosts, now=NOW, role_label="role web")


def test_option_checks():
    with pytest.raises(ConfigurationError, match="outside 900..43200"):
        containment.check_max_session_duration(60)
    with pytest.raises(ConfigurationError, match="not a valid IAM policy name"):
        containment.check_policy_name("bad name")
    with pytest.raises(ConfigurationError, match="with a zone"):
        containment.parse_time("2026-12-06 23:40", "now")
    assert containment.parse_time("2026-12-06T23:40:00Z", "now") == datetime.datetime(2026, 12, 6, 23, 40, tzinfo=UTC)
