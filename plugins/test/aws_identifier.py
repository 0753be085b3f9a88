# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja test: is a value an AWS identifier of a given kind, by the collection's one set of identifier rules."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_identifier
short_description: Test whether a value is an AWS identifier of a given kind
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - True when the input is an identifier of the given O(kind), checked with the same rules the modules, the
    credential helper, the lookup and the test emulator use (taken from botocore's service models).
  - Trust anchor, profile and CRL ARNs may be alias ARNs
    (C(arn:aws:rolesanywhere:REGION:ACCOUNT:alias/trust-anchor/NAME)) unless O(alias=false).
options:
  _input:
    description: The value to test.
    type: raw
    required: true
  kind:
    description:
      - What the value must be.
      - V(trust-anchor), V(profile), V(crl) a Roles Anywhere ARN or alias ARN of that type; V(subject) a subject ARN;
        V(resource-id) a Roles Anywhere resource ID (a lower-case UUID); V(iam-role) an IAM role ARN; V(acm-pca) an
        ACM Private CA certificate authority ARN; V(region) an AWS region name such as V(us-east-1);
        V(role-session-name) an STS role session name (2 to 64 of letters, digits and V(+=,.@_-));
        V(session-tag-value) a value AWS can carry as a session tag, as Roles Anywhere must for every mapped certificate
        field (0 to 256 Unicode letters, numbers, spaces and V(_.:/=+-@); botocore's sts C(tagValueType)).
    type: str
    required: true
    choices: [trust-anchor, profile, crl, subject, resource-id, iam-role, acm-pca, region, role-session-name, session-tag-value]
  alias:
    description: Whether an alias ARN counts (for O(kind=trust-anchor), O(kind=profile) and O(kind=crl)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Check the trust anchor ARN (an alias ARN is fine)
  ansible.builtin.assert:
    that:
      - enroll_trust_anchor_arn is rolesanywhere.fleet.aws_identifier('trust-anchor')
      - enroll_role_arn is rolesanywhere.fleet.aws_identifier('iam-role')
      - "'eu-west-1' is rolesanywhere.fleet.aws_identifier('region')"
"""

RETURN = r"""
_value:
  description: Whether the input is an identifier of that kind.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


def _arn_of(resource_type):
    def check(value, alias):
        try:
            identifiers.parse_rolesanywhere_arn(value, resource_type, allow_alias=alias)
        except ConfigurationError:
            return False
        return True
    return check


KINDS = {
    "trust-anchor": _arn_of("trust-anchor"),
    "profile": _arn_of("profile"),
    "crl": _arn_of("crl"),
    "subject": _arn_of("subject"),
    "resource-id": lambda value, alias: identifiers.is_resource_id(value),
    "iam-role": lambda value, alias: identifiers.is_role_arn(value),
    "acm-pca": lambda value, alias: _parses(identifiers.parse_acm_pca_arn, value),
    "region": lambda value, alias: identifiers.is_region(value),
    "role-session-name": lambda value, alias: identifiers.is_role_session_name(value),
    "session-tag-value": lambda value, alias: identifiers.is_session_tag_value(value),
}


def _parses(parse, value):
    try:
        parse(value)
    except ConfigurationError:
        return False
    return True


def aws_identifier(value, kind, alias=True):
    """True when value is an identifier of this kind."""
    if kind not in KINDS:
        raise AnsibleFilterError("aws_identifier: kind %r is not one of %s" % (kind, ", ".join(sorted(KINDS))))
    return isinstance(value, str) and KINDS[kind](value, bool(alias))


class TestModule:
    """The collection's Jinja tests."""

    def tests(self):
        return {"aws_identifier": aws_identifier}
