#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: profile
version_added: 0.1.0
short_description: Manage IAM Roles Anywhere profiles
description:
  - Create, update and delete IAM Roles Anywhere profiles.
  - A profile lists the IAM roles a certificate may assume, and limits the sessions (managed policies,
    session policy, duration).
  - Every writable field of the API can be managed, including the certificate attribute mappings (which
    certificate fields become session tags).
  - Options that are not set are never changed on an existing profile.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  state:
    description:
      - V(present) creates or updates the profile, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the profile (1 to 255 letters, digits, spaces, V(-) and V(_)).
      - Without O(profile_id) or O(profile_arn), the profile is found by this name. Names are not unique in
        Roles Anywhere; when several profiles have this name the module fails and asks for the id or ARN.
      - With O(profile_id) or O(profile_arn), the profile is renamed to this name.
      - Required to create a profile.
    type: str
  profile_id:
    description:
      - ID of the profile (a 36-character UUID).
    type: str
    aliases: [id]
  profile_arn:
    description:
      - ARN of the profile, or its alias ARN (C(arn:aws:rolesanywhere:REGION:ACCOUNT:alias/profile/NAME)).
        It must be in the region the module connects to.
    type: str
    aliases: [arn]
  role_arns:
    description:
      - ARNs of the IAM roles that certificates may assume through this profile (at most 250).
      - Compared as a set. An empty list removes every role.
      - Each role's trust policy must allow C(rolesanywhere.amazonaws.com).
    type: list
    elements: str
  managed_policy_arns:
    description:
      - ARNs of managed policies that limit the sessions (at most 50). Compared as a set; an empty list
        removes them all.
    type: list
    elements: str
  session_policy:
    description:
      - An inline session policy that limits the sessions, as a YAML mapping or JSON text.
      - Compared semantically with the profile's policy (statement order, key order, a single value or a
        one-item list make no difference), the way amazon.aws compares IAM policies.
      - The service has no call that removes a session policy from a profile.
    type: json
  duration_seconds:
    description:
      - Lifetime of the sessions, 900 to 43200 seconds. AWS's default is 3600.
    type: int
  accept_role_session_name:
    description:
      - Whether a client may choose the role session name (the helper's C(--role-session-name)).
    type: bool
  require_instance_properties:
    description:
      - Whether instance properties are required in session requests.
      - Set when the profile is created and cannot be changed afterwards. When it differs from an
        existing profile, the module fails and changes nothing; delete and recreate the profile instead.
    type: bool
  enabled:
    description:
      - Whether the profile is enabled. A disabled profile gives no credentials.
      - When not set, an existing profile keeps its state and a new one gets the service's default.
    type: bool
  attribute_mappings:
    description:
      - Which certificate fields become session tags (C(aws:PrincipalTag/x509Subject/CN) and so on).
      - A new profile starts with AWS's defaults, C(x509Subject) V(*), C(x509Issuer) V(*) and C(x509SAN)
        V(DNS), V(URI), V(Name/*).
      - Each listed certificate field gets exactly the listed specifiers; an empty list removes the field's
        mapping. Fields not listed are left alone, unless O(purge_attribute_mappings=true).
      - To fix CreateSession failing with "Some attributes failed to be mapped into session tags" (an issuer
        CN with characters a tag cannot hold), remove the C(x509Issuer) mapping.
    type: list
    elements: dict
    suboptions:
      certificate_field:
        description: The certificate field.
        type: str
        required: true
        choices: [x509Subject, x509Issuer, x509SAN]
      specifiers:
        description:
          - Specifiers of the field, such as V(CN), V(OU), V(UID), V(*) (every supported attribute) for
            subject and issuer, or V(DNS), V(URI), V(Name/*) for the subject alternative name.
        type: list
        elements: str
        required: true
  purge_attribute_mappings:
    description:
      - When V(true) and O(attribute_mappings) is set, the mapping of every certificate field not listed
        there is removed.
      - When O(attribute_mappings) is not set, nothing is removed.
    type: bool
    default: false
seealso:
  - module: rolesanywhere.fleet.profile_info
  - module: rolesanywhere.fleet.trust_anchor
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes
  - rolesanywhere.fleet.resource
"""

EXAMPLES = r"""
- name: Profile for the web fleet
  rolesanywhere.fleet.profile:
    name: web-fleet
    role_arns:
      - arn:aws:iam::123456789012:role/web-fleet
    duration_seconds: 3600
    accept_role_session_name: true
    enabled: true
    session_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource: arn:aws:s3:::fleet-config/*

- name: Keep only the subject CN as a session tag (drops the issuer mapping, which fails for issuer CNs with '&')
  rolesanywhere.fleet.profile:
    name: web-fleet
    attribute_mappings:
      - certificate_field: x509Subject
        specifiers: [CN]
    purge_attribute_mappings: true

- name: Delete a profile
  rolesanywhere.fleet.profile:
    name: web-fleet
    state: absent
"""

RETURN = r"""
profile:
  description: The profile (predicted in check mode); empty when O(state=absent).
  returned: always
  type: dict
  contains:
    profile_id:
      description: ID of the profile.
      returned: when the profile exists
      type: str
      sample: 6a1f5e0c-5d8b-4f4e-9d7a-2b3c4d5e6f70
    profile_arn:
      description: ARN of the profile.
      returned: when the profile exists
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:profile/6a1f5e0c-5d8b-4f4e-9d7a-2b3c4d5e6f70
    name:
      description: Name of the profile.
      returned: success
      type: str
      sample: web-fleet
    enabled:
      description: Whether the profile is enabled.
      returned: when known
      type: bool
      sample: true
    role_arns:
      description: Roles the profile lets certificates assume.
      returned: success
      type: list
      elements: str
      sample: ["arn:aws:iam::123456789012:role/web-fleet"]
    managed_policy_arns:
      description: Managed policies that limit the sessions.
      returned: when known
      type: list
      elements: str
      sample: []
    session_policy:
      description: The inline session policy (JSON text).
      returned: when the profile has one
      type: str
      sample: '{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}'
    duration_seconds:
      description: Lifetime of the sessions in seconds.
      returned: when known
      type: int
      sample: 3600
    accept_role_session_name:
      description: Whether clients may choose the role session name.
      returned: when known
      type: bool
      sample: true
    require_instance_properties:
      description: Whether instance properties are required.
      returned: when known
      type: bool
      sample: false
    attribute_mappings:
      description: Which certificate fields become session tags.
      returned: when known
      type: list
      elements: dict
      contains:
        certificate_field:
          description: The certificate field.
          type: str
          returned: success
          sample: x509Subject
        mapping_rules:
          description: The specifiers, each a dict with the key C(specifier).
          type: list
          elements: dict
          returned: success
          sample: [{"specifier": "CN"}]
    alias_name:
      description: Alias of the profile.
      returned: when the profile has an alias
      type: str
      sample: web-fleet
    alias_arn:
      description: Alias ARN of the profile.
      returned: when the profile has an alias
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:alias/profile/web-fleet
    created_by:
      description: Who created the profile.
      returned: when the profile exists
      type: str
      sample: arn:aws:iam::123456789012:root
    created_at:
      description: When the profile was created (ISO 8601).
      returned: when the profile exists
      type: str
      sample: "2024-07-06T12:38:59.123000+00:00"
    updated_at:
      description: When the profile was last changed (ISO 8601).
      returned: when the profile exists
      type: str
      sample: "2024-07-06T12:38:59.123000+00:00"
    tags:
      description: Tags of the profile.
      returned: success
      type: dict
      sample: {"team": "platform"}
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import PROFILE
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import delete_attribute_mapping
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import put_attribute_mapping
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.attribute_mappings import check_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.attribute_mappings import default_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.attribute_mappings import plan_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import ResourceFlow
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import check_duration_seconds
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import check_managed_policy_arns
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import check_role_arns
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import lists_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.session_policies import check_session_policy
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.session_policies import policies_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.session_policies import policy_json

DEFAULT_DURATION_SECONDS = 3600


class ProfileFlow(ResourceFlow):
    kind = PROFILE
    update_operation = "UpdateProfile"
    newer_fields = {"alias_name": ("aliasName", None), "accept_role_session_name": ("acceptRoleSessionName", "botocore 1.35 or later")}

    def __init__(self, module):
        super().__init__(module)
        self.session_policy = None  # JSON text, or None when session_policy is not set

    @classmethod
    def own_options(cls):
        mapping = dict(
            certificate_field=dict(type="str", required=True, choices=["x509Subject", "x509Issuer", "x509SAN"]),
            specifiers=dict(type="list", elements="str", required=True),
        )
        return dict(
            role_arns=dict(type="list", elements="str"),
            managed_policy_arns=dict(type="list", elements="str"),
            session_policy=dict(type="json"),
            duration_seconds=dict(type="int"),
            accept_role_session_name=dict(type="bool"),
            require_instance_properties=dict(type="bool"),
            attribute_mappings=dict(type="list", elements="dict", options=mapping),
            purge_attribute_mappings=dict(type="bool", default=False),
        )

    def validate_own(self):
        params, validated = self.params, self.module.validated
        if params["role_arns"] is not None:
            params["role_arns"] = validated(check_role_arns, params["role_arns"])
        if params["managed_policy_arns"] is not None:
            params["managed_policy_arns"] = validated(check_managed_policy_arns, params["managed_policy_arns"])
        if params["duration_seconds"] is not None:
            validated(check_duration_seconds, params["duration_seconds"])
        validated(check_attribute_mappings, params["attribute_mappings"])
        if params["session_policy"] == "":
            self.module.fail_user_error(
                "session_policy is empty. The Roles Anywhere API cannot remove a session policy from a profile: "
                "give a policy, or leave session_policy unset"
            )
        if params["session_policy"] is not None:
            self.session_policy = policy_json(validated(check_session_policy, params["session_policy"]))

    def check_existing(self, current):
        wanted = self.params["require_instance_properties"]
        have = bool(current.get("requireInstanceProperties"))
        if wanted is not None and wanted != have:
            self.module.fail_user_error(
                "require_instance_properties is %s on profile %r and can only be set when a profile is created "
                "(asked: %s). Nothing was changed. Delete the profile and create it again, or drop the option"
                % (str(have).lower(), current.get("name"), str(wanted).lower())
            )

    def create_request(self):
        params = self.params
        self.require_name()
        request = {"name": params["name"], "roleArns": params["role_arns"] or []}
        optional = (
            ("managedPolicyArns", params["managed_policy_arns"]),
            ("sessionPolicy", self.session_policy),
            ("durationSeconds", params["duration_seconds"]),
            ("acceptRoleSessionName", params["accept_role_session_name"]),
            ("requireInstanceProperties", params["require_instance_properties"]),
        )
        request.update({key: value for key, value in optional if value is not None})
        return request

    def predict_created(self, predicted, request):
        predicted.setdefault("durationSeconds", DEFAULT_DURATION_SECONDS)
        predicted["attributeMappings"] = default_attribute_mappings()
        return predicted

    def after_create(self, resource):
        # A new profile has AWS's default mappings: apply the requested ones (or predict them).
        return self.ensure_attribute_mappings(resource)[1]

    def planned_fields(self, current):
        params = self.params
        update = {}
        for option, field in (("role_arns", "roleArns"), ("managed_policy_arns", "managedPolicyArns")):
            if params[option] is not None and lists_differ(current.get(field), params[option]):
                update[field] = params[option]
        if self.session_policy is not None and policies_differ(current.get("sessionPolicy"), self.session_policy):
            update["sessionPolicy"] = self.session_policy
        duration = params["duration_seconds"]
        if duration is not None and duration != current.get("durationSeconds", DEFAULT_DURATION_SECONDS):
            update["durationSeconds"] = duration
        accept = params["accept_role_session_name"]
        if accept is not None and accept != bool(current.get("acceptRoleSessionName")):
            update["acceptRoleSessionName"] = accept
        return update

    def own_steps(self):
        return [self.ensure_attribute_mappings]

    def ensure_attribute_mappings(self, current):
        items = self.params["attribute_mappings"]
        if items is None:
            return False, current
        plan = plan_attribute_mappings(current.get("attributeMappings"), items, self.params["purge_attribute_mappings"])
        if not plan.operations:
            return False, current
        if not self.check_mode:
            for operation in plan.operations:
                if operation.action == "put":
                    put_attribute_mapping(self.client, current["profileId"], operation.certificate_field, operation.specifiers)
                else:
                    delete_attribute_mapping(self.client, current["profileId"], operation.certificate_field, operation.specifiers)
        return True, dict(current, attributeMappings=plan.predicted)


def main():
    ProfileFlow.run()


if __name__ == "__main__":
    main()
