#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: trust_anchor_info
version_added: 0.1.0
short_description: List IAM Roles Anywhere trust anchors
description:
  - Return one trust anchor by ID or ARN, the trust anchors with a given name, or all trust anchors of the
    account and region, each with its tags.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  trust_anchor_id:
    description:
      - ID of the trust anchor to return.
    type: str
    aliases: [id]
  trust_anchor_arn:
    description:
      - ARN or alias ARN of the trust anchor to return. It must be in the region the module connects to.
    type: str
    aliases: [arn]
notes:
  - Without any of O(trust_anchor_id), O(trust_anchor_arn) and O(name), every trust anchor is returned.
seealso:
  - module: rolesanywhere.fleet.trust_anchor
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes.info_module
  - rolesanywhere.fleet.resource.named_info
"""

EXAMPLES = r"""
- name: All trust anchors
  rolesanywhere.fleet.trust_anchor_info:
  register: anchors

- name: The trust anchor named fleet-ca
  rolesanywhere.fleet.trust_anchor_info:
    name: fleet-ca
  register: fleet_ca

- name: Fail when the fleet CA trust anchor is disabled
  ansible.builtin.assert:
    that: fleet_ca.trust_anchors | map(attribute='enabled') | list == [true]
"""

RETURN = r"""
trust_anchors:
  description: The trust anchors found, with the same keys as the C(trust_anchor) result of M(rolesanywhere.fleet.trust_anchor).
  returned: always
  type: list
  elements: dict
  sample:
    - trust_anchor_id: 0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
      trust_anchor_arn: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
      name: fleet-ca
      enabled: true
      source:
        source_type: CERTIFICATE_BUNDLE
        source_data:
          x509_certificate_data: "-----BEGIN CERTIFICATE-----\n..."
      notification_settings:
        - event: CA_CERTIFICATE_EXPIRY
          enabled: true
          threshold: 45
          channel: ALL
          configured_by: rolesanywhere.amazonaws.com
      created_at: "2024-07-06T12:38:59.123000+00:00"
      updated_at: "2024-07-06T12:38:59.123000+00:00"
      tags:
        team: platform
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import TRUST_ANCHOR
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import run_info_module


def main():
    run_info_module(TRUST_ANCHOR, "trust_anchor", "trust_anchors")


if __name__ == "__main__":
    main()
