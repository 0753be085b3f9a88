# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolesanywhere_arn filter: identifiers' ARN rule for templates (demo.yml's region)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.filter.rolesanywhere_arn import FilterModule, rolesanywhere_arn

ANCHOR = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/11111111-2222-3333-4444-555555555555"
ALIAS = "arn:aws-us-gov:rolesanywhere:us-gov-west-1:123456789012:alias/profile/fleet-web"


def test_canonical_and_alias_arns():
    parts = rolesanywhere_arn(ANCHOR, resource_type="trust-anchor")
    assert (parts["region"], parts["account"], parts["resource_type"], parts["alias_name"]) == (
        "eu-west-1", "123456789012", "trust-anchor", None)
    alias = rolesanywhere_arn(ALIAS)
    assert (alias["partition"], alias["region"], alias["resource_type"], alias["alias_name"], alias["resource_id"]) == (
        "aws-us-gov", "us-gov-west-1", "profile", "fleet-web", None)
    assert FilterModule().filters()["rolesanywhere_arn"] is rolesanywhere_arn


@pytest.mark.parametrize("arn, resource_type, problem", [
    ("arn:aws:rolesanywhere:eu-west-1:12345:trust-anchor/x", "", "rolesanywhere_arn: the input"),
    (ANCHOR, "profile", "profile"),
    (None, "", "rolesanywhere_arn: the input"),
    (ANCHOR, "anchor", "resource_type must be one of"),
])
def test_what_is_not_such_an_arn_fails_naming_it(arn, resource_type, problem):
    with pytest.raises(AnsibleFilterError, match=problem):
        rolesanywhere_arn(arn, resource_type=resource_type)
