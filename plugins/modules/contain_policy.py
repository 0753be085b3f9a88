#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: contain_policy
version_added: 0.1.0
short_description: Deny the live IAM Roles Anywhere sessions of named hosts at once
description:
  - Revoking a certificate stops new sessions, but credentials already issued stay valid until they expire
    (up to 12 hours). This module denies those sessions now, on each role they can use, with an inline policy
    whose Deny statements match the host's role session name (C(aws:userid)) and credentials issued before
    the cut-off (C(aws:TokenIssueTime)). Other hosts of the same role keep working, and the host itself can
    use the role again with credentials issued after the cut-off (its revoked certificate prevents that).
  - This is AWS's "revoke active sessions" (the C(AWSRevokeOlderSessions) policy) narrowed to one host's
    sessions.
  - Roles Anywhere names a session after the certificate's serial number in hexadecimal, unless the profile
    accepts a role session name and the host sends one; give O(certificate_serials), O(role_session_names) or both.
  - Each statement records when every session it covers has expired (the cut-off plus O(max_session_duration)).
    With O(cleanup=true), any run removes the statements past that time, and the policy itself when it is empty,
    so roles do not collect statements.
  - The module runs where the task runs and reads the AWS settings (credentials, region, endpoint) there. It
    needs C(iam:GetRole), C(iam:GetRolePolicy), C(iam:PutRolePolicy), C(iam:DeleteRolePolicy), and
    C(rolesanywhere:GetProfile) with O(profiles).
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  certificate_serials:
    description:
      - Serial numbers of the hosts' certificates, in hexadecimal (V(5c0e1a), V(5c:0e:1a)) as
        C(community.crypto.x509_certificate_info) gives them after C('%x' % serial_number).
      - Their sessions carry the serial in hexadecimal as their role session name. A serial with an odd number of
        hex digits is matched both with and without a leading zero; the comparison ignores case.
    type: list
    elements: str
    default: []
  role_session_names:
    description:
      - Role session names the hosts use, for profiles that accept a role session name (C(acceptRoleSessionName))
        and hosts that send one (the enroll role's C(enroll_role_session_name)).
    type: list
    elements: str
    default: []
  role_arns:
    description:
      - The roles whose sessions to deny, as ARNs or role names.
    type: list
    elements: str
    default: []
  profiles:
    description:
      - Roles Anywhere profiles (IDs, ARNs or alias ARNs); every role they list is added to O(role_arns).
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) adds a Deny statement for each host that has none yet on each role. A host already contained
        keeps its statement and cut-off, so a re-run changes nothing.
      - V(absent) removes the hosts' statements now (lift the containment early).
    type: str
    choices: [present, absent]
    default: present
  cleanup:
    description:
      - Whether to remove the statements whose sessions have all expired (their time has passed), of any host.
      - Run the module with no host and O(cleanup=true) to clean up only.
    type: bool
    default: true
  issued_before:
    description:
      - The cut-off, ISO 8601 with a zone; sessions issued before it are denied. Default the current time.
      - Contain after the certificate is revoked, so that no session can be issued after the cut-off.
    type: str
  max_session_duration:
    description:
      - The longest session, in seconds, any profile can have given these hosts. A statement is removed by the
        cleanup once this long has passed since its cut-off.
      - The default is the longest session CreateSession grants (12 hours). A shorter value, such as the
        profiles' C(durationSeconds), lets statements go sooner; too short a value would lift the deny while a
        session still lives.
    type: int
    default: 43200
  policy_name:
    description:
      - Name of the inline policy on each role. Statements of that policy that this module did not write are kept.
    type: str
    default: rolesanywhere-fleet-contain
  now:
    description:
      - The time to decide at (ISO 8601 with a zone); default the current time. Statements whose time is not
        after it are expired. With check mode, it previews what a later cleanup removes.
    type: str
notes:
  - IAM policy changes take effect within seconds to minutes (eventual consistency), not at once.
  - IAM allows 10,240 characters for all inline policies of a role; a statement takes about 300, so one policy
    holds some 30 contained hosts of one role at a time.
  - C(sts:GetCallerIdentity) is never denied by a policy, so it does not show whether a session is contained.
seealso:
  - module: rolesanywhere.fleet.crl
  - module: rolesanywhere.fleet.acmpca_certificate
  - name: Revoke IAM role temporary security credentials
    description: AWS's user guide on denying a role's older sessions.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes
"""

EXAMPLES = r"""
- name: Deny web3's live sessions on every role of the fleet's profile
  rolesanywhere.fleet.contain_policy:
    certificate_serials: ["5c0e1a2b3c4d"]
    profiles: ["{{ enroll_profile_arn }}"]

- name: Later, in any run, remove the statements whose sessions have all expired
  rolesanywhere.fleet.contain_policy:
    profiles: ["{{ enroll_profile_arn }}"]
    cleanup: true

- name: Lift web3's containment now
  rolesanywhere.fleet.contain_policy:
    certificate_serials: ["5c0e1a2b3c4d"]
    role_arns: [arn:aws:iam::123456789012:role/rolesanywhere-web]
    state: absent
"""

RETURN = r"""
roles:
  description: One entry per role, with the statements the policy holds after the run (predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    role_name:
      description: Name of the role.
      type: str
      returned: always
      sample: rolesanywhere-web
    role_arn:
      description: ARN of the role.
      type: str
      returned: always
      sample: arn:aws:iam::123456789012:role/rolesanywhere-web
    policy_name:
      description: Name of the inline policy.
      type: str
      returned: always
      sample: rolesanywhere-fleet-contain
    changed:
      description: Whether the role's policy changed (or would, in check mode).
      type: bool
      returned: always
      sample: true
    added:
      description: Role session names newly denied on this role.
      type: list
      elements: str
      returned: always
      sample: ["5c0e1a2b3c4d"]
    removed:
      description: Statements removed because O(state=absent) named their hosts.
      type: list
      elements: dict
      returned: always
      sample: []
    expired:
      description: Statements removed by the cleanup because every session they covered has expired.
      type: list
      elements: dict
      returned: always
      sample: []
    statements:
      description: The containment statements the policy holds after the run.
      type: list
      elements: dict
      returned: always
      contains:
        sid:
          description: The statement's Sid (it carries the time after which it can go).
          type: str
          returned: always
          sample: RolesAnywhereContain3f2a9c1b7d4eUntil20261207T114000Z
        session_names:
          description: The role session names it denies.
          type: list
          elements: str
          returned: always
          sample: ["5c0e1a2b3c4d"]
        issued_before:
          description: The cut-off; sessions issued before it are denied.
          type: str
          returned: always
          sample: "2026-12-06T23:40:00Z"
        until:
          description: When every session it covers has expired; a cleanup after this time removes it.
          type: str
          returned: always
          sample: "2026-12-07T11:40:00Z"
diff:
  description: The policy documents before and after, one key per role name (null when there is no policy).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The documents before.
      type: dict
      returned: always
    after:
      description: The documents after (predicted in check mode).
      type: dict
      returned: always
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.iam import IAMErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.iam import get_iam_role
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import PROFILE
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import connect
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import get_resource
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import DEFAULT_POLICY_NAME
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import MAX_SESSION_SECONDS
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import check_max_session_duration
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import check_policy_name
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import parse_time
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import plan_role_policy
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.containment import sessions_to_contain
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import AnsibleRolesAnywhereModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import classify_reference
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import parse_role_arn


@IAMErrorHandler.list_error_handler("get role policy")
@AWSRetry.jittered_backoff()
def get_role_policy(client, role_name, policy_name):
    return client.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]


@IAMErrorHandler.common_error_handler("put role policy")
@AWSRetry.jittered_backoff()
def put_role_policy(client, role_name, policy_name, document):
    client.put_role_policy(RoleName=role_name, PolicyName=policy_name, PolicyDocument=document)


@IAMErrorHandler.deletion_error_handler("delete role policy")
@AWSRetry.jittered_backoff()
def delete_role_policy(client, role_name, policy_name):
    client.delete_role_policy(RoleName=role_name, PolicyName=policy_name)


def role_names(module, rolesanywhere):
    """Role names from role_arns (ARNs or names) and the profiles' roleArns, in order, once each."""
    references = list(module.params["role_arns"])
    for profile_id in module.params["profiles"]:
        # The ID where the ARN has one: botocore before Roles Anywhere's aliases (1.35) takes only IDs for profileId.
        kind, value = classify_reference(profile_id, "profile", "profiles")
        if kind == "name":
            raise ConfigurationError("profiles entry %r is not a profile ID, ARN or alias ARN" % profile_id,
                                     "Give the profile ID, ARN or alias ARN (names are not unique)")
        profile = get_resource(rolesanywhere, PROFILE, (value["resource_id"] or value["arn"]) if kind == "arn" else value)
        if profile is None:
            raise ConfigurationError("profile %s was not found" % profile_id,
                                     "Give the profile ID, ARN or alias ARN of a profile in this account and region")
        references.extend(profile.get("roleArns") or [])
    names = []
    for reference in references:
        name = parse_role_arn(reference, "role_arns")["role_name"] if reference.startswith("arn:") else reference
        if name not in names:
            names.append(name)
    if not names:
        raise ConfigurationError("no role to contain sessions on",
                                 "Give role_arns, or profiles that list at least one role")
    return names


def contain_role(module, iam, role_name, sessions, options):
    role = get_iam_role(iam, role_name)
    if role is None:
        raise ConfigurationError("role %s does not exist" % role_name,
                                 "Give the name or ARN of an existing IAM role (the one the profile lists)")
    policy_name = module.params["policy_name"]
    before = get_role_policy(iam, role_name, policy_name)
    plan = plan_role_policy(before, role["RoleId"], role_label="role %s" % role_name, **dict(options, **sessions))
    if plan["changed"] and not module.check_mode:
        if plan["document"] is None:
            delete_role_policy(iam, role_name, policy_name)
        else:
            put_role_policy(iam, role_name, policy_name, json.dumps(plan["document"]))
    entry = {"role_name": role_name, "role_arn": role["Arn"], "policy_name": policy_name, "changed": plan["changed"],
             "added": plan["added"], "removed": plan["removed"], "expired": plan["expired"],
             "statements": plan["statements"]}
    return entry, plan["before"], plan["document"]


def checked_options(module):
    params = module.params
    hosts = sessions_to_contain(params["certificate_serials"], params["role_session_names"])
    if not hosts and not params["cleanup"]:
        raise ConfigurationError("nothing to do: no host and cleanup=false",
                                 "Give certificate_serials or role_session_names, or cleanup=true")
    options = {
        "issued_before": parse_time(params["issued_before"], "issued_before") if params["issued_before"] else None,
        "max_session_duration": check_max_session_duration(params["max_session_duration"]),
        "now": parse_time(params["now"], "now") if params["now"] else None,
        "cleanup": params["cleanup"],
    }
    check_policy_name(params["policy_name"])
    sessions = {"contain": hosts, "lift": []} if params["state"] == "present" else {"contain": [], "lift": hosts}
    return sessions, options


def main():
    module = AnsibleRolesAnywhereModule(
        argument_spec=dict(
            certificate_serials=dict(type="list", elements="str", default=[]),
            role_session_names=dict(type="list", elements="str", default=[]),
            role_arns=dict(type="list", elements="str", default=[]),
            profiles=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            cleanup=dict(type="bool", default=True),
            issued_before=dict(type="str"),
            max_session_duration=dict(type="int", default=MAX_SESSION_SECONDS),
            policy_name=dict(type="str", default=DEFAULT_POLICY_NAME),
            now=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    sessions, options = module.validated(checked_options, module)
    rolesanywhere = connect(module) if module.params["profiles"] else None
    names = module.guarded(role_names, module, rolesanywhere)
    iam = module.client("iam")
    roles, before, after = [], {}, {}
    for name in names:
        entry, before[name], after[name] = module.guarded(contain_role, module, iam, name, sessions, options)
        roles.append(entry)
    result = {"changed": any(entry["changed"] for entry in roles), "roles": roles}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
