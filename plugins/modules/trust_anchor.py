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
      - ARN of the trust anchor, or its alias ARN (C(arn:aws:rolesanywhere:REGION:ACCOUNT:alias/trust-anchor/NAME)).
        It must be in the region the module connects to.
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
      - Whether the trust anchor checks revocation against the CRL distribution points of the certificates
        (the API's C(crlDpRevocationEnabled)). CreateSession then refuses a certificate that the CRL named in its
        CRL distribution point extension lists. Imported CRLs (M(rolesanywhere.fleet.crl)) count either way.
      - When not set, an existing trust anchor keeps its value and a new one gets the service's default.
      - Needs a botocore release that knows the C(crlDpRevocationEnabled) field.
    type: bool
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
  - rolesanywhere.fleet.resource
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

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import TRUST_ANCHOR
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import put_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import reset_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import ResourceFlow
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.notifications import check_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.notifications import notification_settings_for_create
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.notifications import plan_notification_settings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import certificate_bundle_pem
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import certificate_bundles_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import check_acm_pca_arn
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import load_certificate_bundle
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import read_input_file

SOURCE_OPTIONS = ("acm_pca_arn", "certificate_bundle", "certificate_bundle_path")


def source_differs(current, source, ders):
    current_source = current.get("source") or {}
    if current_source.get("sourceType") != source["sourceType"]:
        return True
    current_data = current_source.get("sourceData") or {}
    if ders is None:
        return current_data.get("acmPcaArn") != source["sourceData"]["acmPcaArn"]
    return certificate_bundles_differ(current_data.get("x509CertificateData"), ders)


class TrustAnchorFlow(ResourceFlow):
    kind = TRUST_ANCHOR
    update_operation = "UpdateTrustAnchor"
    own_mutually_exclusive = (SOURCE_OPTIONS,)
    # Request fields newer than the oldest botocore we support: option -> (API field, what it needs).
    newer_fields = {"crl_dp_revocation_enabled": ("crlDpRevocationEnabled", None), "alias_name": ("aliasName", None)}

    def __init__(self, module):
        super().__init__(module)
        self.source = None  # in the API's shape, or None when no source option is set
        self.ders = None  # DER certificates of a bundle source

    @classmethod
    def own_options(cls):
        notification = dict(
            event=dict(type="str", required=True, choices=["CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY"]),
            enabled=dict(type="bool"),
            threshold=dict(type="int"),
            channel=dict(type="str", choices=["ALL"], default="ALL"),
        )
        return dict(
            acm_pca_arn=dict(type="str"),
            certificate_bundle=dict(type="str"),
            certificate_bundle_path=dict(type="path"),
            crl_dp_revocation_enabled=dict(type="bool"),
            notification_settings=dict(type="list", elements="dict", options=notification),
            purge_notification_settings=dict(type="bool", default=False),
        )

    def validate_own(self):
        self.module.validated(check_notification_settings, self.params["notification_settings"])
        self.source, self.ders = self.desired_source()

    def desired_source(self):
        """(source in the API's shape, DER list of a bundle or None), or (None, None) when no source option is set."""
        params, validated = self.params, self.module.validated
        if params["acm_pca_arn"] is not None:
            arn = validated(check_acm_pca_arn, params["acm_pca_arn"], self.module.region)
            return {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": arn}}, None
        if params["certificate_bundle"] is not None:
            ders = validated(load_certificate_bundle, params["certificate_bundle"], "certificate_bundle")
        elif params["certificate_bundle_path"] is not None:
            data = validated(read_input_file, params["certificate_bundle_path"], "certificate_bundle_path")
            ders = validated(load_certificate_bundle, data, params["certificate_bundle_path"])
        else:
            return None, None
        return {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": certificate_bundle_pem(ders)}}, ders

    def create_request(self):
        params = self.params
        self.require_name()
        if self.source is None:
            self.module.fail_user_error(
                "No trust anchor named %r exists; to create it, give one of %s" % (params["name"], ", ".join(SOURCE_OPTIONS))
            )
        request = {"name": params["name"], "source": self.source}
        if params["crl_dp_revocation_enabled"] is not None:
            request["crlDpRevocationEnabled"] = params["crl_dp_revocation_enabled"]
        if params["notification_settings"]:
            request["notificationSettings"] = notification_settings_for_create(params["notification_settings"])
        return request

    def predict_created(self, predicted, request):
        predicted.pop("notificationSettings", None)
        predicted["notificationSettings"] = plan_notification_settings([], self.params["notification_settings"], False).predicted
        return predicted

    def planned_fields(self, current):
        params = self.params
        update = {}
        if self.source is not None and source_differs(current, self.source, self.ders):
            update["source"] = self.source
        wanted = params["crl_dp_revocation_enabled"]
        if wanted is not None and wanted != bool(current.get("crlDpRevocationEnabled")):
            update["crlDpRevocationEnabled"] = wanted
        return update

    def own_steps(self):
        return [self.ensure_notification_settings]

    def ensure_notification_settings(self, current):
        items = self.params["notification_settings"]
        if items is None:
            return False, current
        plan = plan_notification_settings(current.get("notificationSettings"), items, self.params["purge_notification_settings"])
        if not plan.to_put and not plan.to_reset:
            return False, current
        if not self.check_mode:
            if plan.to_put:
                put_notification_settings(self.client, current["trustAnchorId"], plan.to_put)
            if plan.to_reset:
                reset_notification_settings(self.client, current["trustAnchorId"], plan.to_reset)
        return True, dict(current, notificationSettings=plan.predicted)


def main():
    TrustAnchorFlow.run()


if __name__ == "__main__":
    main()
