# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the parts of a Roles Anywhere ARN or alias ARN, read by the collection's one ARN rule."""

from __future__ import annotations

DOCUMENTATION = r"""
name: rolesanywhere_arn
short_description: The parts of an IAM Roles Anywhere ARN or alias ARN (region, account, resource)
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - Reads a trust anchor, profile, CRL or subject ARN, or an alias ARN of a trust anchor, profile or CRL, with the
    same rule the modules, the role, the lookup and the credential helper use, and returns its parts.
  - Use it instead of splitting the ARN on C(:) in templates. A string that is not such an ARN fails the task with a
    message naming it.
options:
  _input:
    description: The ARN.
    type: str
    required: true
  resource_type:
    description: The resource type the ARN must name (V(trust-anchor), V(profile), V(crl) or V(subject)); any when empty.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Use the trust anchor's region for the play's AWS modules
  ansible.builtin.set_fact:
    fleet_region: "{{ (enroll_trust_anchor_arn | rolesanywhere.fleet.rolesanywhere_arn(resource_type='trust-anchor')).region }}"
"""

RETURN = r"""
_value:
  description: The ARN's parts.
  type: dict
  contains:
    arn:
      description: The ARN as given.
      type: str
    partition:
      description: The partition (V(aws), V(aws-cn), V(aws-us-gov), ...).
      type: str
    region:
      description: The region (for an alias ARN too).
      type: str
    account:
      description: The 12-digit account ID.
      type: str
    resource_type:
      description: V(trust-anchor), V(profile), V(crl) or V(subject).
      type: str
    resource_id:
      description: The resource ID of a canonical ARN; V(None) for an alias ARN.
      type: str
    alias_name:
      description: The alias name of an alias ARN; V(None) for a canonical ARN.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


def rolesanywhere_arn(arn, resource_type=""):
    """identifiers.parse_rolesanywhere_arn for templates; AnsibleFilterError naming the bad input."""
    if resource_type and resource_type not in identifiers.RESOURCE_TYPES:
        raise AnsibleFilterError("rolesanywhere_arn: resource_type must be one of %s, not %r"
                                 % (", ".join(identifiers.RESOURCE_TYPES), resource_type))
    try:
        return identifiers.parse_rolesanywhere_arn(arn, resource_type or None, "rolesanywhere_arn: the input")
    except ConfigurationError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    """The collection's Jinja filters."""

    def filters(self):
        return {"rolesanywhere_arn": rolesanywhere_arn}
