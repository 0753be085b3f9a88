# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's trust policy evaluation and attribute mapping, table by table (no server needed)."""

from __future__ import annotations

import pytest

from tests.emulator import policy
from tests.support import pki

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/11111111-2222-3333-4444-555555555555"
TAGS = {"x509Subject/CN": "web-01.example.com", "x509Subject/OU": "Web", "x509SAN/DNS": "web-01.example.com"}


def context():
    return policy.build_context(ANCHOR, "123456789012", TAGS, "web-01.example.com", "abc123")


def allow(condition=None, actions=("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"), principal=None):
    statement = {"Effect": "Allow", "Principal": principal or {"Service": "rolesanywhere.amazonaws.com"}, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize("condition, allowed", [
    ({"ArnEquals": {"aws:SourceArn": ANCHOR}}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/*"}}, True),
    ({"ArnEquals": {"aws:SourceArn": ANCHOR + "0"}}, False),
    ({"StringEquals": {"aws:PrincipalTag/x509Subject/CN": ["db.example.com", "web-01.example.com"]}}, True),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/x509Subject/OU": "web"}}, True),
    ({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "web-??.example.com"}}, True),
    ({"StringNotLike": {"aws:PrincipalTag/x509Subject/CN": "web-*"}}, False),
    ({"StringEquals": {"aws:PrincipalTag/x509Subject/O": "Acme"}}, False),
    ({"StringEqualsIfExists": {"aws:PrincipalTag/x509Subject/O": "Acme"}}, True),
    ({"StringNotEquals": {"aws:PrincipalTag/x509Subject/O": "Acme"}}, True),
    ({"Null": {"aws:PrincipalTag/x509Subject/O": "true"}}, True),
    ({"Null": {"aws:PrincipalTag/x509Subject/CN": "true"}}, False),
    ({"ForAnyValue:StringLike": {"aws:TagKeys": "x509SAN/*"}}, True),
    ({"ForAllValues:StringLike": {"aws:TagKeys": "x509Subject/*"}}, False),
    ({"StringEquals": {"aws:SourceAccount": "123456789012", "aws:SourceIdentity": "web-01.example.com"}}, True),
    ({"StringEquals": {"aws:SourceAccount": "123456789012"}, "ArnEquals": {"aws:SourceArn": "arn:aws:x"}}, False),
])
def test_conditions(condition, allowed):
    if allowed:
        policy.evaluate_trust_policy(allow(condition), context(), "arn:aws:iam::123456789012:role/r")
    else:
        with pytest.raises(policy.PolicyDenied) as caught:
            policy.evaluate_trust_policy(allow(condition), context(), "arn:aws:iam::123456789012:role/r")
        assert "condition" in caught.value.reason


@pytest.mark.parametrize("document, reason", [
    (allow(actions=["sts:AssumeRole"]), "sts:TagSession, sts:SetSourceIdentity"),
    (allow(principal={"Service": "ec2.amazonaws.com"}), "does not allow"),
    ({"Statement": [allow()["Statement"][0], {"Effect": "Deny", "Principal": "*", "Action": "sts:*"}]}, "explicit Deny"),
    ("not json", "not a JSON policy document"),
])
def test_refusals(document, reason):
    with pytest.raises(policy.PolicyDenied) as caught:
        policy.evaluate_trust_policy(document, context(), "arn:aws:iam::123456789012:role/r")
    assert reason in caught.value.reason


def test_wildcard_actions_and_url_encoded_documents():
    policy.evaluate_trust_policy(allow(actions=["sts:*"]), context(), "r")
    policy.evaluate_trust_policy("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%22%2A%22%2C"
                                 "%22Action%22%3A%22sts%3A%2A%22%7D%5D%7D", context(), "r")


def test_default_mappings_become_tags():
    ca = pki.make_ca("EC", cn="Tag CA", organization="Acme")
    leaf = pki.make_leaf(ca, cn="web-01.example.com", organization="Acme", sans=["web-01.example.com", "URI:spiffe://acme/web"])
    mappings = [{"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}]},
                {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "CN"}]},
                {"certificateField": "x509SAN", "mappingRules": [{"specifier": "DNS"}, {"specifier": "URI"}]}]
    assert policy.session_tags(leaf.certificate, mappings) == {
        "x509Subject/O": "Acme", "x509Subject/CN": "web-01.example.com", "x509Issuer/CN": "Tag CA",
        "x509SAN/DNS": "web-01.example.com", "x509SAN/URI": "spiffe://acme/web"}


def test_unmappable_values_are_refused():
    leaf = pki.make_leaf(pki.make_ca("EC"), cn="R&D")
    with pytest.raises(policy.MappingFailed):
        policy.session_tags(leaf.certificate, [{"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]}])
