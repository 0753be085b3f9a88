#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: crl_info
version_added: 0.1.0
short_description: List IAM Roles Anywhere certificate revocation lists
description:
  - Return one imported CRL by ID or ARN, the CRLs with a given name, or all CRLs of the account and
    region, each with its tags and its data as PEM.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  crl_id:
    description:
      - ID of the CRL to return.
    type: str
    aliases: [id]
  crl_arn:
    description:
      - ARN or alias ARN of the CRL to return. It must be in the region the module connects to.
    type: str
    aliases: [arn]
notes:
  - Without any of O(crl_id), O(crl_arn) and O(name), every CRL is returned.
seealso:
  - module: rolesanywhere.fleet.crl
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes.info_module
  - rolesanywhere.fleet.resource.named_info
"""

EXAMPLES = r"""
- name: All CRLs
  rolesanywhere.fleet.crl_info:
  register: crls

- name: CRLs of one trust anchor
  ansible.builtin.debug:
    msg: "{{ crls.crls | selectattr('trust_anchor_arn', 'equalto', anchor_arn) | map(attribute='name') }}"
"""

RETURN = r"""
crls:
  description: The CRLs found, with the same keys as the C(crl) result of M(rolesanywhere.fleet.crl).
  returned: always
  type: list
  elements: dict
  sample:
    - crl_id: 2b7e1516-28ae-4d2a-a6ab-f7158809cf4f
      crl_arn: arn:aws:rolesanywhere:eu-west-1:123456789012:crl/2b7e1516-28ae-4d2a-a6ab-f7158809cf4f
      name: fleet-ca-crl
      enabled: true
      crl_data: "-----BEGIN X509 CRL-----\n..."
      trust_anchor_arn: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
      created_at: "2024-07-06T12:38:59.123000+00:00"
      updated_at: "2024-07-06T12:38:59.123000+00:00"
      tags: {}
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import CRL
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import run_info_module


def main():
    run_info_module(CRL, "crl", "crls")


if __name__ == "__main__":
    main()
