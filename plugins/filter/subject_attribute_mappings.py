# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the profile attribute mapping that maps the certificate subject fields a trust policy relies on."""

from __future__ import annotations

DOCUMENTATION = r"""
name: subject_attribute_mappings
short_description: The profile's x509Subject attribute mapping for the subject fields a trust policy relies on
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - Returns the O(rolesanywhere.fleet.profile#module:attribute_mappings) list item for C(x509Subject) that maps the
    subject fields given (the P(rolesanywhere.fleet.trust_policy#filter) filter's O(require_subject)) as session
    tags, so that the trust policy's conditions can see them.
  - The IAM Roles Anywhere User Guide ("Attribute mapping and trust policy") asks that the specifiers a trust policy
    relies on be mapped; a condition on a field that is not mapped never holds.
  - C(*) maps every subject field (AWS's default for a new profile); then nothing needs adding. Any other list
    gets the relied-on fields added. A narrow list keeps a field AWS cannot carry (see C(docs/abac.md)) from making
    every CreateSession fail.
options:
  _input:
    description: The subject fields a trust policy relies on, as the P(rolesanywhere.fleet.trust_policy#filter) filter's O(require_subject).
    type: dict
    required: true
  subject_specifiers:
    description: The specifiers the profile maps from the subject besides those (C(*) for all, or for example C([CN])).
    type: list
    elements: str
    default: ['*']
"""

EXAMPLES = r"""
- name: Make the profile, mapping the subject fields the trust policy relies on
  rolesanywhere.fleet.profile:
    name: web
    role_arns: ["{{ role_arn }}"]
    attribute_mappings: "{{ {'OU': ['web']} | rolesanywhere.fleet.subject_attribute_mappings(subject_specifiers=['CN']) }}"
"""

RETURN = r"""
_value:
  description: A one-item list for the profile module's O(rolesanywhere.fleet.profile#module:attribute_mappings).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import trust_policy as policies


def subject_attribute_mappings(require_subject, subject_specifiers=policies.DEFAULT_SUBJECT_SPECIFIERS):
    """The attribute_mappings list; AnsibleFilterError naming the bad input."""
    if isinstance(subject_specifiers, str) or not all(isinstance(item, str) and item for item in subject_specifiers or ()):
        raise AnsibleFilterError("subject_attribute_mappings: subject_specifiers must be a list of specifiers such as '*', CN or OU")
    try:
        return policies.subject_attribute_mappings(require_subject or {}, subject_specifiers, "subject_attribute_mappings: the input")
    except ConfigurationError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    """The collection's Jinja filters."""

    def filters(self):
        return {"subject_attribute_mappings": subject_attribute_mappings}
