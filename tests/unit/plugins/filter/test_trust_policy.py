# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust_policy and subject_attribute_mappings filters: the Roles Anywhere role's trust policy with conditions on
certificate subject fields, and the profile mapping those fields (docs/abac.md)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.filter.subject_attribute_mappings import subject_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.filter.trust_policy import trust_policy
from tests.emulator import policy as emulator_policy

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/11111111-2222-3333-4444-555555555555"
ANCHOR_2 = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/66666666-2222-3333-4444-555555555555"
ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def test_source_anchor_only_is_the_policy_trust_yml_always_wrote():
    """The shape of AWS's example (attribute-mapping-and-trust-policy.html) without the tag condition."""
    assert trust_policy(ANCHOR) == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": ACTIONS,
        "Condition": {"ArnEquals": {"aws:SourceArn": ANCHOR}}}]}
    assert "Condition" not in trust_policy([])["Statement"][0]
    assert trust_policy([ANCHOR, ANCHOR_2])["Statement"][0]["Condition"] == {"ArnEquals": {"aws:SourceArn": [ANCHOR, ANCHOR_2]}}


def test_subject_fields_become_principal_tag_conditions():
    condition = trust_policy(ANCHOR, require_subject={"OU": ["web", "db"], "organizationName": "Acme", "CN": "web-*"})["Statement"][0]["Condition"]
    assert condition == {
        "ArnEquals": {"aws:SourceArn": ANCHOR},
        "StringEquals": {"aws:PrincipalTag/x509Subject/O": "Acme", "aws:PrincipalTag/x509Subject/OU": ["web", "db"]},
        "StringLike": {"aws:PrincipalTag/x509Subject/CN": "web-*"},
    }


def test_a_field_with_one_pattern_is_matched_as_patterns_only():
    """Operators are ANDed: an exact value and a pattern of one field must sit under one operator (StringLike)."""
    condition = trust_policy("", require_subject={"CN": ["db.example.com", "web-??.example.com"]})["Statement"][0]["Condition"]
    assert condition == {"StringLike": {"aws:PrincipalTag/x509Subject/CN": ["db.example.com", "web-??.example.com"]}}


@pytest.mark.parametrize("tags, allowed", [
    ({"x509Subject/OU": "web", "x509Subject/CN": "web-01"}, True),
    ({"x509Subject/OU": "db", "x509Subject/CN": "web-01"}, True),
    ({"x509Subject/OU": "mail", "x509Subject/CN": "web-01"}, False),  # wrong OU
    ({"x509Subject/OU": "web", "x509Subject/CN": "db-01"}, False),  # CN outside the pattern
    ({"x509Subject/CN": "web-01"}, False),  # OU not mapped: the condition cannot hold
])
def test_the_policy_admits_exactly_the_matching_subjects(tags, allowed):
    document = trust_policy(ANCHOR, require_subject={"OU": ["web", "db"], "CN": "web-*"})
    context = emulator_policy.build_context(ANCHOR, "123456789012", tags, tags.get("x509Subject/CN"), "1f")
    if allowed:
        emulator_policy.evaluate_trust_policy(document, context, "arn:aws:iam::123456789012:role/r")
    else:
        with pytest.raises(emulator_policy.PolicyDenied, match="condition"):
            emulator_policy.evaluate_trust_policy(document, context, "arn:aws:iam::123456789012:role/r")


@pytest.mark.parametrize("require_subject, words", [
    ({"OU": "R&D"}, "require_subject.OU value 'R&D' can never match a certificate: it holds '&'"),  # terraform-provider-aws#48211
    ({"CN": "John M. Smith (EMP12345)"}, "it holds '(', ')'"),  # rolesanywhere-credential-helper#188
    ({"serialNumber": "1"}, "names the subject field 'serialNumber', which it does not know"),
    ({"OU": []}, "require_subject.OU must be a non-empty value or a list of them"),
    ({"OU": "a", "organizationalUnitName": "b"}, "names the subject field OU twice"),
    (["OU"], "must be a dictionary of subject fields"),
])
def test_bad_subject_restrictions_are_refused(require_subject, words):
    with pytest.raises(AnsibleFilterError) as caught:
        trust_policy(ANCHOR, require_subject=require_subject)
    assert words in str(caught.value)


def test_alias_or_bad_anchor_arns_are_refused():
    with pytest.raises(AnsibleFilterError, match="alias ARN"):
        trust_policy("arn:aws:rolesanywhere:us-east-1:123456789012:alias/trust-anchor/web")
    with pytest.raises(AnsibleFilterError, match="trust_anchor_arns"):
        trust_policy("arn:aws:iam::123456789012:role/r")


def test_attribute_mappings_cover_the_required_fields():
    # '*' (AWS's default for a new profile) maps every field already: the profile is left as it is
    assert subject_attribute_mappings({"OU": "web"}) == [{"certificate_field": "x509Subject", "specifiers": ["*"]}]
    assert subject_attribute_mappings({"OU": "web", "CN": "web-*"}, subject_specifiers=["CN"]) == [
        {"certificate_field": "x509Subject", "specifiers": ["CN", "OU"]}]
    assert subject_attribute_mappings({"organizationalUnitName": "web"}, subject_specifiers=[]) == [
        {"certificate_field": "x509Subject", "specifiers": ["OU"]}]
    assert subject_attribute_mappings({}) == [{"certificate_field": "x509Subject", "specifiers": ["*"]}]
    with pytest.raises(AnsibleFilterError, match="subject_specifiers must be a list"):
        subject_attribute_mappings({}, subject_specifiers="*")
    with pytest.raises(AnsibleFilterError, match="can never match"):
        subject_attribute_mappings({"OU": "a,b"}, subject_specifiers=[])
