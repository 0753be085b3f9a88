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
      - ARN of the profile. It must be in the region the module connects to.
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
  alias_name:
    description:
      - Alias of the profile; its alias ARN can then be used instead of its ARN.
      - An empty string removes the alias.
      - Needs a botocore release that knows the C(aliasName) field.
    type: str
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
notes:
  - The Roles Anywhere control plane allows about 1 request per second per family of calls; the module
    retries throttled calls with jittered backoff.
  - A re-run with the same options makes no changing API call.
seealso:
  - module: rolesanywhere.fleet.profile_info
  - module: rolesanywhere.fleet.trust_anchor
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes
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

from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import PROFILE
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import AnsibleRolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import connect
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import create_profile
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import delete_attribute_mapping
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import put_attribute_mapping
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import request_supports
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import update_profile
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import AnsibleRolesAnywhereModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import ensure_absent
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import ensure_enabled
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import ensure_tags
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import exit_with_resource
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import fail_missing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import find_resource
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import keep_tags
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import reread
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.modules import resource_id_from_params
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_alias_name
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_duration_seconds
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_managed_policy_arns
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_name
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_role_arns
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_session_policy
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_tags
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import default_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import dict_to_tags
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import lists_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import plan_attribute_mappings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import policies_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import policy_json

DEFAULT_DURATION_SECONDS = 3600


def validate_params(module):
    """Check every option before any request; returns the session policy as JSON text (or None)."""
    params = module.params
    if params["name"] is not None:
        module.validated(check_name, params["name"])
    if params["alias_name"] is not None:
        module.validated(check_alias_name, params["alias_name"])
    if params["role_arns"] is not None:
        params["role_arns"] = module.validated(check_role_arns, params["role_arns"])
    if params["managed_policy_arns"] is not None:
        params["managed_policy_arns"] = module.validated(check_managed_policy_arns, params["managed_policy_arns"])
    if params["duration_seconds"] is not None:
        module.validated(check_duration_seconds, params["duration_seconds"])
    params["tags"] = module.validated(check_tags, params["tags"])
    module.validated(check_attribute_mappings, params["attribute_mappings"])
    if params["session_policy"] is None:
        return None
    if params["session_policy"] == "":
        module.fail_json(
            msg="session_policy is empty. The Roles Anywhere API cannot remove a session policy from a profile: "
            "give a policy, or leave session_policy unset"
        )
    return policy_json(module.validated(check_session_policy, params["session_policy"]))


def check_botocore_fields(module, client):
    if module.params["alias_name"] is not None and not request_supports(client, "UpdateProfile", "aliasName"):
        module.fail_json(msg="alias_name needs a botocore release that knows the aliasName field: upgrade botocore and boto3")
    if module.params["accept_role_session_name"] is not None and not request_supports(client, "UpdateProfile", "acceptRoleSessionName"):
        module.fail_json(msg="accept_role_session_name needs botocore 1.35 or later: upgrade botocore and boto3")


def check_create_only(module, current):
    wanted = module.params["require_instance_properties"]
    have = bool(current.get("requireInstanceProperties"))
    if wanted is not None and wanted != have:
        module.fail_json(
            msg="require_instance_properties is %s on profile %r and can only be set when a profile is created "
            "(asked: %s). Nothing was changed. Delete the profile and create it again, or drop the option"
            % (str(have).lower(), current.get("name"), str(wanted).lower())
        )


def create_request(module, session_policy):
    params = module.params
    request = {"name": params["name"], "roleArns": params["role_arns"] or []}
    optional = (
        ("managedPolicyArns", params["managed_policy_arns"]),
        ("sessionPolicy", session_policy),
        ("durationSeconds", params["duration_seconds"]),
        ("enabled", params["enabled"]),
        ("acceptRoleSessionName", params["accept_role_session_name"]),
        ("requireInstanceProperties", params["require_instance_properties"]),
        ("aliasName", params["alias_name"] or None),
    )
    request.update({key: value for key, value in optional if value is not None})
    if params["tags"]:
        request["tags"] = dict_to_tags(params["tags"])
    return request


def create(module, client, session_policy):
    params = module.params
    if not params["name"]:
        module.fail_json(msg="name is required to create a profile")
    request = create_request(module, session_policy)
    if module.check_mode:
        predicted = {key: value for key, value in request.items() if key != "tags"}
        predicted.setdefault("durationSeconds", DEFAULT_DURATION_SECONDS)
        predicted.update(attributeMappings=default_attribute_mappings(), tags=params["tags"] or {})
        return predicted
    created = create_profile(client, **request)
    return dict(created, tags=params["tags"] or {})


def planned_update(module, current, session_policy, identified_by_name):
    """UpdateProfile's fields that differ (only options the user set)."""
    params = module.params
    update = {}
    if params["name"] and not identified_by_name and params["name"] != current.get("name"):
        update["name"] = params["name"]
    for option, field in (("role_arns", "roleArns"), ("managed_policy_arns", "managedPolicyArns")):
        if params[option] is not None and lists_differ(current.get(field), params[option]):
            update[field] = params[option]
    if session_policy is not None and policies_differ(current.get("sessionPolicy"), session_policy):
        update["sessionPolicy"] = session_policy
    duration = params["duration_seconds"]
    if duration is not None and duration != current.get("durationSeconds", DEFAULT_DURATION_SECONDS):
        update["durationSeconds"] = duration
    accept = params["accept_role_session_name"]
    if accept is not None and accept != bool(current.get("acceptRoleSessionName")):
        update["acceptRoleSessionName"] = accept
    if params["alias_name"] is not None and params["alias_name"] != (current.get("aliasName") or ""):
        update["aliasName"] = params["alias_name"]
    return update


def ensure_fields(module, client, current, update):
    if not update:
        return False, current
    if module.check_mode:
        predicted = dict(current, **update)
        if "aliasName" in update:
            predicted.pop("aliasArn", None)
            if not update["aliasName"]:
                predicted.pop("aliasName")
        return True, predicted
    return True, keep_tags(current, update_profile(client, current["profileId"], **update))


def ensure_attribute_mappings(module, client, current):
    items = module.params["attribute_mappings"]
    if items is None:
        return False, current
    plan = plan_attribute_mappings(current.get("attributeMappings"), items, module.params["purge_attribute_mappings"])
    if not plan.operations:
        return False, current
    if not module.check_mode:
        for operation in plan.operations:
            if operation.action == "put":
                put_attribute_mapping(client, current["profileId"], operation.certificate_field, operation.specifiers)
            else:
                delete_attribute_mapping(client, current["profileId"], operation.certificate_field, operation.specifiers)
    return True, dict(current, attributeMappings=plan.predicted)


def ensure_present(module, client, current, session_policy, identified_by_name):
    params = module.params
    changed = False
    if current is None:
        current, changed = create(module, client, session_policy), True
        if module.check_mode:
            # A new profile has AWS's default mappings: apply the requested ones to the prediction.
            return True, ensure_attribute_mappings(module, client, current)[1]
        identified_by_name = True
    else:
        check_create_only(module, current)
    update_changed, resource = ensure_fields(module, client, current, planned_update(module, current, session_policy, identified_by_name))
    changed |= update_changed
    for step in (
        lambda res: ensure_attribute_mappings(module, client, res),
        lambda res: ensure_enabled(client, PROFILE, res, params["enabled"], module.check_mode),
        lambda res: ensure_tags(client, PROFILE, res, params["tags"], params["purge_tags"], module.check_mode),
    ):
        step_changed, resource = step(resource)
        changed |= step_changed
    return changed, resource


def argument_spec():
    mapping = dict(
        certificate_field=dict(type="str", required=True, choices=["x509Subject", "x509Issuer", "x509SAN"]),
        specifiers=dict(type="list", elements="str", required=True),
    )
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        profile_id=dict(type="str", aliases=["id"]),
        profile_arn=dict(type="str", aliases=["arn"]),
        role_arns=dict(type="list", elements="str"),
        managed_policy_arns=dict(type="list", elements="str"),
        session_policy=dict(type="json"),
        duration_seconds=dict(type="int"),
        accept_role_session_name=dict(type="bool"),
        require_instance_properties=dict(type="bool"),
        enabled=dict(type="bool"),
        alias_name=dict(type="str"),
        attribute_mappings=dict(type="list", elements="dict", options=mapping),
        purge_attribute_mappings=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def main():
    module = AnsibleRolesAnywhereModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[["profile_id", "profile_arn"]],
        required_one_of=[["name", "profile_id", "profile_arn"]],
    )
    session_policy = validate_params(module)
    resource_id = resource_id_from_params(module, PROFILE, "profile_id", "profile_arn")
    client = connect(module)
    check_botocore_fields(module, client)

    changed, current, after = False, None, None
    try:
        current = find_resource(module, client, PROFILE, resource_id, module.params["name"])
        if module.params["state"] == "absent":
            changed = ensure_absent(client, PROFILE, current, module.check_mode)
        else:
            if current is None and resource_id:
                fail_missing(module, PROFILE, resource_id)
            changed, after = ensure_present(module, client, current, session_policy, resource_id is None)
            if changed and not module.check_mode:
                after = reread(client, PROFILE, after)
    except AnsibleRolesAnywhereError as error:
        module.fail_json_aws_error(error)

    exit_with_resource(module, PROFILE, changed, current, after)


if __name__ == "__main__":
    main()
