#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: trust_anchor
version_added: 0.1.0
short_description: Manage IAM Roles Anywhere trust anchors
description:
  - Create, update and delete IAM Roles Anywhere trust anchors.
  - A trust anchor is the certificate authority that Roles Anywhere trusts, either an ACM Private CA
    (O(acm_pca_arn)) or a bundle of CA certificates (O(certificate_bundle) or O(certificate_bundle_path)).
  - Every writable field of the API can be managed, including notification settings, which are changed in
    place one event at a time.
  - Options that are not set are never changed on an existing trust anchor.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  state:
    description:
      - V(present) creates or updates the trust anchor, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the trust anchor (1 to 255 letters, digits, spaces, V(-) and V(_)).
      - Without O(trust_anchor_id) or O(trust_anchor_arn), the trust anchor is found by this name. Names are
        not unique in Roles Anywhere; when several trust anchors have this name the module fails and asks
        for the id or ARN.
      - With O(trust_anchor_id) or O(trust_anchor_arn), the trust anchor is renamed to this name.
      - Required to create a trust anchor.
    type: str
  trust_anchor_id:
    description:
      - ID of the trust anchor (a 36-character UUID).
    type: str
    aliases: [id]
  trust_anchor_arn:
    description:
      - ARN of the trust anchor. It must be in the region the module connects to.
    type: str
    aliases: [arn]
  acm_pca_arn:
    description:
      - ARN of an ACM Private CA of the same region; the trust anchor trusts the certificates it issues.
      - Mutually exclusive with O(certificate_bundle) and O(certificate_bundle_path).
      - One of the three is required to create a trust anchor. On an existing trust anchor, the source is
        changed in place when it differs.
    type: str
  certificate_bundle:
    description:
      - One or more PEM CA certificates (C(-----BEGIN CERTIFICATE-----)) the trust anchor trusts.
      - Every certificate must be a CA certificate (basicConstraints CA:true). Other PEM blocks, such as
        private keys, are refused.
      - Compared as a set of certificates with the trust anchor's bundle, so line wrapping, comments and
        order make no difference.
    type: str
  certificate_bundle_path:
    description:
      - Path, on the managed host, of a file holding PEM CA certificates or one DER CA certificate.
      - Same rules as O(certificate_bundle).
    type: path
  enabled:
    description:
      - Whether the trust anchor is enabled. Certificates of a disabled trust anchor get no credentials.
      - When not set, an existing trust anchor keeps its state and a new one gets the service's default.
    type: bool
  crl_dp_revocation_enabled:
    description:
      - Whether the trust anchor checks revocation against the CRL distribution points of the certificates.
      - Needs a botocore release that knows the C(crlDpRevocationEnabled) field.
    type: bool
  alias_name:
    description:
      - Alias of the trust anchor; its alias ARN can then be used instead of its ARN.
      - An empty string removes the alias.
      - Needs a botocore release that knows the C(aliasName) field.
    type: str
  notification_settings:
    description:
      - Expiry notifications, set per event. Each listed event is changed in place; keys left unset keep
        their current value.
      - Events that are not listed are left alone, unless O(purge_notification_settings=true).
    type: list
    elements: dict
    suboptions:
      event:
        description: The event the setting applies to.
        type: str
        required: true
        choices: [CA_CERTIFICATE_EXPIRY, END_ENTITY_CERTIFICATE_EXPIRY]
      enabled:
        description: Whether the notification is sent.
        type: bool
      threshold:
        description: How many days before expiry the notification is sent (1 to 360; AWS's default is 45).
        type: int
      channel:
        description: Notification channel. V(ALL) means CloudWatch metrics, EventBridge and the Health Dashboard.
        type: str
        choices: [ALL]
        default: ALL
  purge_notification_settings:
    description:
      - When V(true) and O(notification_settings) is set, every event not listed there is reset to AWS's
        default (enabled, 45 days).
      - When O(notification_settings) is not set, nothing is reset.
    type: bool
    default: false
notes:
  - The Roles Anywhere control plane allows about 1 request per second per family of calls; the module
    retries throttled calls with jittered backoff.
  - A re-run with the same options makes no changing API call.
seealso:
  - module: rolesanywhere.fleet.trust_anchor_info
  - module: rolesanywhere.fleet.crl
  - module: rolesanywhere.fleet.profile
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes
"""

EXAMPLES = r"""
- name: Trust the fleet CA
  rolesanywhere.fleet.trust_anchor:
    name: fleet-ca
    certificate_bundle: "{{ lookup('ansible.builtin.file', 'pki/fleet-ca.pem') }}"
    enabled: true
    tags:
      team: platform

- name: Trust an ACM Private CA, notify 30 days before CA expiry and reset the other notification
  rolesanywhere.fleet.trust_anchor:
    name: pca-anchor
    acm_pca_arn: arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
    enabled: true
    notification_settings:
      - event: CA_CERTIFICATE_EXPIRY
        threshold: 30
    purge_notification_settings: true

- name: Rename a trust anchor found by its ARN, and disable it
  rolesanywhere.fleet.trust_anchor:
    trust_anchor_arn: "{{ anchor_arn }}"
    name: fleet-ca-retired
    enabled: false

- name: Delete a trust anchor
  rolesanywhere.fleet.trust_anchor:
    name: fleet-ca-retired
    state: absent
"""

RETURN = r"""
trust_anchor:
  description: The trust anchor (predicted in check mode); empty when O(state=absent).
  returned: always
  type: dict
  contains:
    trust_anchor_id:
      description: ID of the trust anchor.
      returned: when the trust anchor exists
      type: str
      sample: 0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
    trust_anchor_arn:
      description: ARN of the trust anchor.
      returned: when the trust anchor exists
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
    name:
      description: Name of the trust anchor.
      returned: success
      type: str
      sample: fleet-ca
    enabled:
      description: Whether the trust anchor is enabled.
      returned: when known
      type: bool
      sample: true
    crl_dp_revocation_enabled:
      description: Whether revocation is checked against CRL distribution points.
      returned: when the service reports it
      type: bool
      sample: false
    alias_name:
      description: Alias of the trust anchor.
      returned: when the trust anchor has an alias
      type: str
      sample: fleet-ca
    alias_arn:
      description: Alias ARN of the trust anchor.
      returned: when the trust anchor has an alias
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:alias/trust-anchor/fleet-ca
    source:
      description: Where the trusted CA certificates come from.
      returned: success
      type: dict
      contains:
        source_type:
          description: V(AWS_ACM_PCA) or V(CERTIFICATE_BUNDLE).
          type: str
          returned: success
          sample: CERTIFICATE_BUNDLE
        source_data:
          description: The ACM PCA ARN (C(acm_pca_arn)) or the PEM bundle (C(x509_certificate_data)).
          type: dict
          returned: success
          sample: {"x509_certificate_data": "-----BEGIN CERTIFICATE-----\n..."}
    notification_settings:
      description: Notification settings, one per event and channel.
      returned: success
      type: list
      elements: dict
      contains:
        event:
          description: The event.
          type: str
          returned: success
          sample: CA_CERTIFICATE_EXPIRY
        enabled:
          description: Whether the notification is sent.
          type: bool
          returned: success
          sample: true
        threshold:
          description: Days before expiry.
          type: int
          returned: success
          sample: 45
        channel:
          description: The channel.
          type: str
          returned: success
          sample: ALL
        configured_by:
          description: Who set it; C(rolesanywhere.amazonaws.com) for AWS's default.
          type: str
          returned: when the service reports it
          sample: rolesanywhere.amazonaws.com
    created_at:
      description: When the trust anchor was created (ISO 8601).
      returned: when the trust anchor exists
      type: str
      sample: "2024-07-06T12:38:59.123000+00:00"
    updated_at:
      description: When the trust anchor was last changed (ISO 8601).
      returned: when the trust anchor exists
      type: str
      sample: "2024-07-06T12:38:59.123000+00:00"
    tags:
      description: Tags of the trust anchor.
      returned: success
      type: dict
      sample: {"team": "platform"}
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import TRUST_ANCHOR
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import AnsibleRolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import connect
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import create_trust_anchor
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import put_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import request_supports
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import reset_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.api import update_trust_anchor
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
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import certificate_bundle_pem
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import certificate_bundles_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_acm_pca_arn
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_alias_name
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_name
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import check_tags
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import dict_to_tags
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import load_certificate_bundle
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import notification_settings_for_create
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import plan_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils.resources import read_input_file

SOURCE_OPTIONS = ("acm_pca_arn", "certificate_bundle", "certificate_bundle_path")
# Request fields newer than the oldest botocore we support: option -> API field.
NEWER_FIELDS = {"crl_dp_revocation_enabled": "crlDpRevocationEnabled", "alias_name": "aliasName"}


def desired_source(module):
    """(source in the API's shape, DER list of a bundle or None), or (None, None) when no source option is set."""
    params = module.params
    if params["acm_pca_arn"] is not None:
        arn = module.validated(check_acm_pca_arn, params["acm_pca_arn"], module.region)
        return {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": arn}}, None
    if params["certificate_bundle"] is not None:
        ders = module.validated(load_certificate_bundle, params["certificate_bundle"], "certificate_bundle")
    elif params["certificate_bundle_path"] is not None:
        data = module.validated(read_input_file, params["certificate_bundle_path"], "certificate_bundle_path")
        ders = module.validated(load_certificate_bundle, data, params["certificate_bundle_path"])
    else:
        return None, None
    return {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": certificate_bundle_pem(ders)}}, ders


def validate_params(module):
    """Check every option before any request; returns the desired source and its certificates."""
    params = module.params
    if params["name"] is not None:
        module.validated(check_name, params["name"])
    if params["alias_name"] is not None:
        module.validated(check_alias_name, params["alias_name"])
    params["tags"] = module.validated(check_tags, params["tags"])
    module.validated(check_notification_settings, params["notification_settings"])
    return desired_source(module)


def check_botocore_fields(module, client):
    for option, field in NEWER_FIELDS.items():
        if module.params[option] is not None and not request_supports(client, "UpdateTrustAnchor", field):
            module.fail_json(msg="%s needs a botocore release that knows the %s field: upgrade botocore and boto3" % (option, field))


def source_differs(current, source, ders):
    current_source = current.get("source") or {}
    if current_source.get("sourceType") != source["sourceType"]:
        return True
    current_data = current_source.get("sourceData") or {}
    if ders is None:
        return current_data.get("acmPcaArn") != source["sourceData"]["acmPcaArn"]
    return certificate_bundles_differ(current_data.get("x509CertificateData"), ders)


def create(module, client, source):
    params = module.params
    if not params["name"]:
        module.fail_json(msg="name is required to create a trust anchor")
    if source is None:
        module.fail_json(msg="No trust anchor named %r exists; to create it, give one of %s" % (params["name"], ", ".join(SOURCE_OPTIONS)))
    request = {"name": params["name"], "source": source}
    if params["enabled"] is not None:
        request["enabled"] = params["enabled"]
    if params["crl_dp_revocation_enabled"] is not None:
        request["crlDpRevocationEnabled"] = params["crl_dp_revocation_enabled"]
    if params["alias_name"]:
        request["aliasName"] = params["alias_name"]
    if params["tags"]:
        request["tags"] = dict_to_tags(params["tags"])
    if params["notification_settings"]:
        request["notificationSettings"] = notification_settings_for_create(params["notification_settings"])
    if module.check_mode:
        return True, predicted_new(request, params)
    created = create_trust_anchor(client, **request)
    return True, dict(created, tags=params["tags"] or {})


def predicted_new(request, params):
    predicted = {key: value for key, value in request.items() if key not in ("tags", "notificationSettings")}
    predicted["notificationSettings"] = plan_notification_settings([], params["notification_settings"], False).predicted
    predicted["tags"] = params["tags"] or {}
    return predicted


def planned_update(module, current, source, ders, identified_by_name):
    """UpdateTrustAnchor's fields that differ (only options the user set)."""
    params = module.params
    update = {}
    if params["name"] and not identified_by_name and params["name"] != current.get("name"):
        update["name"] = params["name"]
    if source is not None and source_differs(current, source, ders):
        update["source"] = source
    wanted = params["crl_dp_revocation_enabled"]
    if wanted is not None and wanted != bool(current.get("crlDpRevocationEnabled")):
        update["crlDpRevocationEnabled"] = wanted
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
    return True, keep_tags(current, update_trust_anchor(client, current["trustAnchorId"], **update))


def ensure_notification_settings(module, client, current):
    items = module.params["notification_settings"]
    if items is None:
        return False, current
    plan = plan_notification_settings(current.get("notificationSettings"), items, module.params["purge_notification_settings"])
    if not plan.to_put and not plan.to_reset:
        return False, current
    if not module.check_mode:
        if plan.to_put:
            put_notification_settings(client, current["trustAnchorId"], plan.to_put)
        if plan.to_reset:
            reset_notification_settings(client, current["trustAnchorId"], plan.to_reset)
    return True, dict(current, notificationSettings=plan.predicted)


def ensure_present(module, client, current, source, ders, identified_by_name):
    if current is None:
        return create(module, client, source)
    params = module.params
    changed, resource = ensure_fields(module, client, current, planned_update(module, current, source, ders, identified_by_name))
    for step in (
        lambda res: ensure_notification_settings(module, client, res),
        lambda res: ensure_enabled(client, TRUST_ANCHOR, res, params["enabled"], module.check_mode),
        lambda res: ensure_tags(client, TRUST_ANCHOR, res, params["tags"], params["purge_tags"], module.check_mode),
    ):
        step_changed, resource = step(resource)
        changed |= step_changed
    return changed, resource


def argument_spec():
    notification = dict(
        event=dict(type="str", required=True, choices=["CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY"]),
        enabled=dict(type="bool"),
        threshold=dict(type="int"),
        channel=dict(type="str", choices=["ALL"], default="ALL"),
    )
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        trust_anchor_id=dict(type="str", aliases=["id"]),
        trust_anchor_arn=dict(type="str", aliases=["arn"]),
        acm_pca_arn=dict(type="str"),
        certificate_bundle=dict(type="str"),
        certificate_bundle_path=dict(type="path"),
        enabled=dict(type="bool"),
        crl_dp_revocation_enabled=dict(type="bool"),
        alias_name=dict(type="str"),
        notification_settings=dict(type="list", elements="dict", options=notification),
        purge_notification_settings=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def main():
    module = AnsibleRolesAnywhereModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[list(SOURCE_OPTIONS), ["trust_anchor_id", "trust_anchor_arn"]],
        required_one_of=[["name", "trust_anchor_id", "trust_anchor_arn"]],
    )
    source, ders = validate_params(module)
    resource_id = resource_id_from_params(module, TRUST_ANCHOR, "trust_anchor_id", "trust_anchor_arn")
    client = connect(module)
    check_botocore_fields(module, client)

    changed, current, after = False, None, None
    try:
        current = find_resource(module, client, TRUST_ANCHOR, resource_id, module.params["name"])
        if module.params["state"] == "absent":
            changed = ensure_absent(client, TRUST_ANCHOR, current, module.check_mode)
        else:
            if current is None and resource_id:
                fail_missing(module, TRUST_ANCHOR, resource_id)
            changed, after = ensure_present(module, client, current, source, ders, resource_id is None)
            if changed and not module.check_mode:
                after = reread(client, TRUST_ANCHOR, after)
    except AnsibleRolesAnywhereError as error:
        module.fail_json_aws_error(error)

    exit_with_resource(module, TRUST_ANCHOR, changed, current, after)


if __name__ == "__main__":
    main()
