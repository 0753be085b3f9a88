#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: subject_info
version_added: 0.1.0
short_description: List the subjects that authenticated to IAM Roles Anywhere
description:
  - A subject is a certificate subject (distinguished name) that asked Roles Anywhere for credentials.
    Roles Anywhere records when it was last seen and each certificate it presented.
  - Return one subject by ID or ARN, the subject with a given distinguished name, or all subjects of the
    account and region. Neither Terraform nor CloudFormation exposes subjects.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  subject_id:
    description:
      - ID of the subject to return.
    type: str
    aliases: [id]
  subject_arn:
    description:
      - ARN of the subject to return. It must be in the region the module connects to.
    type: str
    aliases: [arn]
  x509_subject:
    description:
      - Return the subject with this distinguished name, exactly as Roles Anywhere records it (for example
        V(CN=host1.example.com)).
    type: str
    aliases: [name]
  include_certificates:
    description:
      - Whether to read each subject's details (the certificates it presented and its instance properties).
      - That takes one request per subject, at about 1 request per second for the subject API; set
        V(false) for a quick list of large fleets (last-seen times only).
    type: bool
    default: true
notes:
  - Without any of O(subject_id), O(subject_arn) and O(x509_subject), every subject is returned.
seealso:
  - module: rolesanywhere.fleet.trust_anchor_info
  - module: rolesanywhere.fleet.profile_info
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes.info_module
"""

EXAMPLES = r"""
- name: When did host1 last get credentials, and with which certificates?
  rolesanywhere.fleet.subject_info:
    x509_subject: CN=host1.example.com
  register: host1

- name: Every subject, last-seen times only (one request per page, quick for large fleets)
  rolesanywhere.fleet.subject_info:
    include_certificates: false
  register: subjects

- name: Subjects seen before 2024-07-01
  ansible.builtin.debug:
    msg: "{{ subjects.subjects | selectattr('last_seen_at', 'lt', '2024-07-01') | map(attribute='x509_subject') }}"
"""

RETURN = r"""
subjects:
  description: The subjects found (an empty list when none).
  returned: always
  type: list
  elements: dict
  contains:
    subject_id:
      description: ID of the subject.
      type: str
      returned: success
      sample: 9c2d8a5e-0d1b-4f8e-8f3a-6b7c8d9e0f12
    subject_arn:
      description: ARN of the subject.
      type: str
      returned: success
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:subject/9c2d8a5e-0d1b-4f8e-8f3a-6b7c8d9e0f12
    x509_subject:
      description: The distinguished name of the certificates' subject.
      type: str
      returned: success
      sample: CN=host1.example.com
    enabled:
      description: Whether the subject is enabled.
      type: bool
      returned: success
      sample: true
    last_seen_at:
      description: When the subject last asked for credentials (ISO 8601).
      type: str
      returned: success
      sample: "2024-07-06T12:38:59.123000+00:00"
    created_at:
      description: When the subject first asked for credentials (ISO 8601).
      type: str
      returned: success
      sample: "2024-07-01T08:00:00.000000+00:00"
    updated_at:
      description: When the subject was last updated (ISO 8601).
      type: str
      returned: success
      sample: "2024-07-06T12:38:59.123000+00:00"
    credentials:
      description:
        - The certificates the subject presented, one entry per certificate (serial and issuer).
        - Despite the name (AWS's), these are public certificates; no secret is returned.
      type: list
      elements: dict
      returned: when O(include_certificates=true)
      contains:
        serial_number:
          description: Serial number of the certificate (decimal).
          type: str
          returned: success
          sample: "1234567890"
        issuer:
          description: Issuer of the certificate.
          type: str
          returned: success
          sample: CN=Fleet CA
        seen_at:
          description: When the certificate was last used (ISO 8601).
          type: str
          returned: success
          sample: "2024-07-06T12:38:59.123000+00:00"
        failed:
          description: Whether that request failed.
          type: bool
          returned: success
          sample: false
        enabled:
          description: Whether the certificate is enabled.
          type: bool
          returned: success
          sample: true
        x509_certificate_data:
          description: The certificate, PEM.
          type: str
          returned: success
          sample: "-----BEGIN CERTIFICATE-----\n..."
    instance_properties:
      description: Instance properties sent with the latest requests.
      type: list
      elements: dict
      returned: when O(include_certificates=true)
      sample: [{"seen_at": "2024-07-06T12:38:59.123000+00:00", "failed": false, "properties": {"hostname": "host1"}}]
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import SUBJECT
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import connect
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import get_resource
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import list_resources
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import AnsibleRolesAnywhereModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import exit_with_resources
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import resource_id_from_params


def find_subjects(client, subject_id, x509_subject, include_certificates):
    """Subjects (tags do not exist for subjects); with details from GetSubject when asked."""
    if subject_id:
        found = get_resource(client, SUBJECT, subject_id)
        return [found] if found else []
    summaries = [item for item in list_resources(client, SUBJECT) if x509_subject is None or item.get("x509Subject") == x509_subject]
    if not include_certificates:
        return summaries
    details = (get_resource(client, SUBJECT, item["subjectId"]) for item in summaries)
    # A subject can disappear between the list and the get: skip it rather than fail.
    return [item for item in details if item]


def main():
    module = AnsibleRolesAnywhereModule(
        argument_spec=dict(
            subject_id=dict(type="str", aliases=["id"]),
            subject_arn=dict(type="str", aliases=["arn"]),
            x509_subject=dict(type="str", aliases=["name"]),
            include_certificates=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
        mutually_exclusive=[["subject_id", "subject_arn", "x509_subject"]],
    )
    resource_id = resource_id_from_params(module, SUBJECT, "subject_id", "subject_arn")
    client = connect(module)
    subjects = module.guarded(find_subjects, client, resource_id, module.params["x509_subject"], module.params["include_certificates"])
    exit_with_resources(module, "subjects", subjects)


if __name__ == "__main__":
    main()
