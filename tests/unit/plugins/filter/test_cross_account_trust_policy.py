# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cross_account_trust_policy filter: the trust policy a chained role needs (docs/cross-account.md)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.filter.cross_account_trust_policy import cross_account_trust_policy

ROLE = "arn:aws:iam::123456789012:role/rolesanywhere-web"


def test_plain_policy_names_the_role_and_grants_source_identity():
    assert cross_account_trust_policy(ROLE) == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}]}


def test_conditions_on_external_id_and_certificate_names():
    statement = cross_account_trust_policy(ROLE, "fleet-web", ["*.web.example.com"])["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "fleet-web"},
                                      "StringLike": {"sts:SourceIdentity": ["*.web.example.com"]}}


@pytest.mark.parametrize("arguments, words", [
    (("arn:aws:iam::123456789012:user/x",), "is not an IAM role ARN"),
    ((ROLE, "x"), "external_id is not a valid external ID"),
    ((ROLE, "", "*.example.com"), "source_identities must be a list"),
    ((ROLE, "", [""]), "source_identities must be a list"),
])
def test_bad_input_is_named(arguments, words):
    with pytest.raises(AnsibleFilterError) as raised:
        cross_account_trust_policy(*arguments)
    assert words in str(raised.value)
