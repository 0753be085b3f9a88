# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust policy documents the collection writes: the Roles Anywhere role's (source trust anchor, certificate subject
fields) and, for role chaining, the one a role in another account needs.

The Roles Anywhere role's statement lets ``rolesanywhere.amazonaws.com`` perform sts:AssumeRole, sts:TagSession and
sts:SetSourceIdentity (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html, "Role trusts").
Subject restrictions are conditions on ``aws:PrincipalTag/x509Subject/<field>``, the session tags Roles Anywhere
maps from the certificate; the profile must map those fields
(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/attribute-mapping-and-trust-policy.html: "the specifiers
used in mapping rules for authorization need to be mapped accordingly").
"""

from __future__ import annotations

from .._core import identifiers
from .._core.subject_tags import WILDCARDS, check_require_subject
from .attribute_mappings import DEFAULT_ATTRIBUTE_MAPPINGS

ROLES_ANYWHERE_PRINCIPAL = "rolesanywhere.amazonaws.com"
ROLES_ANYWHERE_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
CHAINING_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity"]


def policy_document(principal, actions, condition):
    """One Allow statement; no Condition element when there is no condition."""
    statement = {"Effect": "Allow", "Principal": principal, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def subject_condition(require_subject, option="require_subject"):
    """{operator: {aws:PrincipalTag/x509Subject/<field>: values}}: StringEquals, or StringLike for a field with a
    pattern (all that field's values, since operators are ANDed and one field's values ORed)."""
    condition = {}
    for field, values in sorted(check_require_subject(require_subject, option).items()):
        operator = "StringLike" if any(wildcard in value for value in values for wildcard in WILDCARDS) else "StringEquals"
        condition.setdefault(operator, {})["aws:PrincipalTag/x509Subject/%s" % field] = values if len(values) > 1 else values[0]
    return condition


def roles_anywhere_trust_policy(trust_anchor_arns=(), require_subject=None, option="require_subject"):
    """The Roles Anywhere role's trust policy: only these trust anchors (aws:SourceArn; any when none) and only
    certificates whose subject fields match require_subject."""
    anchors = [trust_anchor_arns] if isinstance(trust_anchor_arns, str) else list(trust_anchor_arns or ())
    for arn in anchors:
        identifiers.parse_rolesanywhere_arn(arn, "trust-anchor", "trust_anchor_arns", allow_alias=False)
    condition = subject_condition(require_subject or {}, option)
    if anchors:
        condition["ArnEquals"] = {"aws:SourceArn": anchors[0] if len(anchors) == 1 else anchors}
    return policy_document({"Service": ROLES_ANYWHERE_PRINCIPAL}, ROLES_ANYWHERE_ACTIONS, condition)


DEFAULT_SUBJECT_SPECIFIERS = dict(DEFAULT_ATTRIBUTE_MAPPINGS)["x509Subject"]  # ("*",): every subject field


def subject_attribute_mappings(require_subject=None, subject_specifiers=DEFAULT_SUBJECT_SPECIFIERS, option="require_subject"):
    """The profile's attribute_mappings item for x509Subject (the profile module's shape): subject_specifiers plus
    every field require_subject names, unless '*' (every field, AWS's default) already maps them."""
    fields = check_require_subject(require_subject or {}, option)
    specifiers = list(subject_specifiers)
    if "*" not in specifiers:
        specifiers += [field for field in sorted(fields) if field not in specifiers]
    return [{"certificate_field": "x509Subject", "specifiers": specifiers}]


def cross_account_trust_policy(role_arn, external_id="", source_identities=()):
    """The trust policy of a role that the fleet's Roles Anywhere sessions assume (role chaining)."""
    condition = {}
    if external_id:
        condition["StringEquals"] = {"sts:ExternalId": external_id}
    if source_identities:
        condition["StringLike"] = {"sts:SourceIdentity": list(source_identities)}
    return policy_document({"AWS": role_arn}, CHAINING_ACTIONS, condition)
