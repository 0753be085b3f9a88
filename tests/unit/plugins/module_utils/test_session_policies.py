# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile session policies (_control_plane/session_policies.py)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import session_policies as r
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}


@pytest.mark.parametrize(
    "same",
    [
        json.dumps(POLICY),
        json.dumps(POLICY, indent=4, sort_keys=True),
        {"Statement": list(reversed(POLICY["Statement"])), "Version": "2012-10-17"},
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Resource": ["*"], "Action": ["s3:ListBucket", "s3:GetObject"], "Effect": "Allow"},
                {"Effect": "Deny", "Action": ["iam:*"], "Resource": "*"},
            ],
        },
    ],
)
def test_equivalent_policies_do_not_differ(same):
    assert not r.policies_differ(json.dumps(POLICY), same)


@pytest.mark.parametrize(
    "other",
    [
        {"Version": "2012-10-17", "Statement": [POLICY["Statement"][0]]},
        {"Version": "2012-10-17", "Statement": [dict(POLICY["Statement"][0], Effect="Deny"), POLICY["Statement"][1]]},
        {"Version": "2008-10-17", "Statement": POLICY["Statement"]},
    ],
)
def test_different_policies_differ(other):
    assert r.policies_differ(json.dumps(POLICY), other)


def test_policy_against_none_or_unreadable_current():
    assert r.policies_differ(None, POLICY)
    assert r.policies_differ("", POLICY)
    assert r.policies_differ("{not json", POLICY)
    assert not r.policies_differ(None, None)


def test_policy_json_is_stable():
    assert r.policy_json(POLICY) == r.policy_json(json.loads(json.dumps(POLICY, indent=2)))


@pytest.mark.parametrize(
    "bad, message",
    [("{not json", "not valid JSON"), ("[1, 2]", "not a JSON object"), ('{"Version": "2012-10-17"}', "no Statement")],
)
def test_bad_session_policies(bad, message):
    with pytest.raises(ConfigurationError, match=message):
        r.check_session_policy(bad)
