#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: profile_info
version_added: 0.1.0
short_description: List IAM Roles Anywhere profiles
description:
  - Return one profile by ID or ARN, the profiles with a given name, or all profiles of the account and
    region, each with its tags and attribute mappings.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  profile_id:
    description:
      - ID of the profile to return.
    type: str
    aliases: [id]
  profile_arn:
    description:
      - ARN or alias ARN of the profile to return. It must be in the region the module connects to.
    type: str
    aliases: [arn]
notes:
  - Without any of O(profile_id), O(profile_arn) and O(name), every profile is returned.
seealso:
  - module: rolesanywhere.fleet.profile
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes.info_module
  - rolesanywhere.fleet.resource.named_info
"""

EXAMPLES = r"""
- name: All profiles
  rolesanywhere.fleet.profile_info:
  register: profiles

- name: The ARN of the profile named web-fleet
  rolesanywhere.fleet.profile_info:
    name: web-fleet
  register: web_fleet

- name: Show it
  ansible.builtin.debug:
    msg: "{{ web_fleet.profiles[0].profile_arn }}"
"""

RETURN = r"""
profiles:
  description: The profiles found, with the same keys as the C(profile) result of M(rolesanywhere.fleet.profile).
  returned: always
  type: list
  elements: dict
  sample:
    - profile_id: 6a1f5e0c-5d8b-4f4e-9d7a-2b3c4d5e6f70
      profile_arn: arn:aws:rolesanywhere:eu-west-1:123456789012:profile/6a1f5e0c-5d8b-4f4e-9d7a-2b3c4d5e6f70
      name: web-fleet
      enabled: true
      role_arns: ["arn:aws:iam::123456789012:role/web-fleet"]
      managed_policy_arns: []
      duration_seconds: 3600
      accept_role_session_name: false
      require_instance_properties: false
      attribute_mappings:
        - certificate_field: x509Subject
          mapping_rules: [{"specifier": "CN"}]
      created_by: arn:aws:iam::123456789012:root
      created_at: "2024-07-06T12:38:59.123000+00:00"
      updated_at: "2024-07-06T12:38:59.123000+00:00"
      tags: {}
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import PROFILE
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import run_info_module


def main():
    run_info_module(PROFILE, "profile", "profiles")


if __name__ == "__main__":
    main()
