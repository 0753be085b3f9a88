# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the trust policy of the fleet's Roles Anywhere role (source trust anchors, certificate subject fields)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: trust_policy
short_description: The trust policy of a role that IAM Roles Anywhere assumes, restricted by trust anchor and certificate subject
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - Returns the trust policy document of the fleet's IAM role. It lets C(rolesanywhere.amazonaws.com) perform
    C(sts:AssumeRole), C(sts:TagSession) and C(sts:SetSourceIdentity), as the IAM Roles Anywhere User Guide's
    "Trust model" page requires.
  - With trust anchor ARNs as input, only sessions through those trust anchors are allowed (C(ArnEquals) on C(aws:SourceArn)).
  - With O(require_subject), only certificates whose subject fields match are allowed; each field becomes a condition on
    C(aws:PrincipalTag/x509Subject/<field>), the session tag Roles Anywhere maps from the certificate. The profile must
    map those fields (see the P(rolesanywhere.fleet.subject_attribute_mappings#filter) filter).
  - See the collection's C(docs/abac.md).
options:
  _input:
    description:
      - The ARN of the trust anchor, or a list of them (one per region), that sessions must come through.
      - An empty string or list allows any trust anchor of the account.
    type: raw
    required: true
  require_subject:
    description:
      - Subject fields the certificate must hold, each field mapped to a value or a list of values (for example
        C(OU) to V([web, db]) and C(CN) to V(web-*)). Fields by short name (C(CN), C(O),
        C(OU), C(C), C(ST), C(L), C(DC), C(UID)) or OpenSSL long name (C(organizationalUnitName)).
      - Several values of one field are alternatives; several fields must all match.
      - A value with C(*) or C(?) is a pattern (C(StringLike)); that field's other values are then matched as patterns
        too. Without wildcards the match is exact (C(StringEquals)).
      - "A value holding characters AWS cannot carry as a session tag (anything but letters, digits, spaces and
        C(_ . : / = + - @)) is refused, since no certificate could ever match it."
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Only certificates of the web or db OU, with a CN under web-
  amazon.aws.iam_role:
    name: rolesanywhere-web
    assume_role_policy_document: >-
      {{ trust_anchor_arn | rolesanywhere.fleet.trust_policy(require_subject={'OU': ['web', 'db'], 'CN': 'web-*'}) | to_json }}
"""

RETURN = r"""
_value:
  description: The trust policy document (a dictionary, for C(to_json)).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import trust_policy as policies


def trust_policy(trust_anchor_arns, require_subject=None):
    """The policy document; AnsibleFilterError naming the bad input."""
    try:
        return policies.roles_anywhere_trust_policy(trust_anchor_arns or (), require_subject or {}, "trust_policy: require_subject")
    except ConfigurationError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    """The collection's Jinja filters."""

    def filters(self):
        return {"trust_policy": trust_policy}
