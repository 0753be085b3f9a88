# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the trust policy a role in another account needs so that a fleet's Roles Anywhere role may assume it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: cross_account_trust_policy
short_description: The trust policy of a role that a fleet's Roles Anywhere sessions may assume (role chaining)
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - Given the ARN of the fleet's Roles Anywhere role, returns the trust policy document for a role in another account
    (or the same one) that hosts reach through C(enroll_chained_profiles) or the lookup's C(assume_role_arn).
  - The statement allows C(sts:AssumeRole) and C(sts:SetSourceIdentity) to that role. Roles Anywhere sets the source
    identity of each session to the certificate's common name, and the source identity persists through role chaining
    (IAM User Guide, "Monitor and control actions taken with assumed roles"), so O(source_identities) can admit hosts
    by their certificate's name.
options:
  _input:
    description: ARN of the fleet's Roles Anywhere role (C(enroll_role_arn)).
    type: str
    required: true
  external_id:
    description: An external ID the caller must pass (C(sts:ExternalId)); none when empty.
    type: str
    default: ""
  source_identities:
    description: Patterns (C(*) and C(?) wildcards) of the certificate common names admitted (C(sts:SourceIdentity)); all when empty.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Write the trust policy the production account needs
  ansible.builtin.copy:
    dest: prod-deploy-trust-policy.json
    content: "{{ enroll_role_arn | rolesanywhere.fleet.cross_account_trust_policy(source_identities=['*.web.example.com']) | to_nice_json }}"
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The trust policy document (a dictionary, for C(to_json)).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import trust_policy


def cross_account_trust_policy(role_arn, external_id="", source_identities=()):
    """The policy document; AnsibleFilterError naming the bad input."""
    try:
        identifiers.parse_role_arn(role_arn, "cross_account_trust_policy: the input (the Roles Anywhere role ARN)")
        identifiers.validate_external_id(external_id or None, "cross_account_trust_policy: external_id")
    except ConfigurationError as error:
        raise AnsibleFilterError(str(error)) from None
    if isinstance(source_identities, str) or not all(isinstance(item, str) and item for item in source_identities or ()):
        raise AnsibleFilterError("cross_account_trust_policy: source_identities must be a list of non-empty name patterns")
    return trust_policy.cross_account_trust_policy(role_arn, external_id, source_identities)


class FilterModule:
    """The collection's Jinja filters."""

    def filters(self):
        return {"cross_account_trust_policy": cross_account_trust_policy}
