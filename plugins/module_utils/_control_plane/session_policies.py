# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile session policies: parse, check and compare them.

The comparison is amazon.aws's (module_utils/policy.py compare_policies), so that session policies compare
exactly as amazon.aws compares every other IAM policy.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from .._core.errors import ConfigurationError

# botocore model rolesanywhere 2018-05-10: UpdateProfileRequestSessionPolicyString, 1..100000 characters
# (CreateProfileRequest.sessionPolicy is a plain String there; the same limit is applied to both).
MAX_SESSION_POLICY_CHARS = 100000


def parse_policy(policy, option="session_policy"):
    """A policy document (JSON text or dict) as a dict; refuse anything that is not a JSON object."""
    if isinstance(policy, dict):
        return policy
    try:
        parsed = json.loads(policy)
    except (TypeError, ValueError) as error:
        raise ConfigurationError("%s is not valid JSON (%s)" % (option, error), "Give the policy as a YAML mapping or as a JSON object text") from None
    if not isinstance(parsed, dict):
        raise ConfigurationError("%s is not a JSON object" % option, 'A policy looks like {"Version": "2012-10-17", "Statement": [...]}')
    return parsed


def check_session_policy(policy, option="session_policy"):
    parsed = parse_policy(policy, option)
    text = policy_json(parsed)
    if len(text) > MAX_SESSION_POLICY_CHARS:
        raise ConfigurationError("%s has %d characters; the service allows %d" % (option, len(text), MAX_SESSION_POLICY_CHARS), "Shorten the policy")
    if not isinstance(parsed.get("Statement"), (list, dict)):
        raise ConfigurationError("%s has no Statement" % option, 'A policy looks like {"Version": "2012-10-17", "Statement": [...]}')
    return parsed


def policy_json(policy):
    """The text sent to the service: compact JSON with sorted keys, so that it is stable between runs."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def policies_differ(current, desired):
    """Semantic comparison (order of statements and of list items, single value vs one-item list)."""
    if current in (None, ""):
        return desired not in (None, "")
    try:
        current = parse_policy(current)
    except ConfigurationError:
        return True
    return compare_policies(current, parse_policy(desired))
