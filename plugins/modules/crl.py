#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: crl
version_added: 0.1.0
short_description: Import and manage IAM Roles Anywhere certificate revocation lists
description:
  - Import, update and delete the certificate revocation lists (CRLs) that IAM Roles Anywhere checks.
  - Roles Anywhere does not fetch CRLs from distribution points and has no OCSP; it only checks the CRLs
    imported here. Import the new CRL before the current one's next update time.
  - Options that are not set are never changed on an existing CRL.
  - The module runs on the managed host and reads the AWS settings (credentials, region, endpoint) there.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  state:
    description:
      - V(present) imports or updates the CRL, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the CRL (1 to 255 letters, digits, spaces, V(-) and V(_)).
      - Without O(crl_id) or O(crl_arn), the CRL is found by this name. Names are not unique in Roles
        Anywhere; when several CRLs have this name the module fails and asks for the id or ARN.
      - With O(crl_id) or O(crl_arn), the CRL is renamed to this name.
      - Required to import a CRL.
    type: str
  crl_id:
    description:
      - ID of the CRL (a 36-character UUID).
    type: str
    aliases: [id]
  crl_arn:
    description:
      - ARN of the CRL, or its alias ARN (C(arn:aws:rolesanywhere:REGION:ACCOUNT:alias/crl/NAME)).
        It must be in the region the module connects to.
    type: str
    aliases: [arn]
  crl_data:
    description:
      - The CRL as PEM text (C(-----BEGIN X509 CRL-----)).
      - Compared with the imported CRL by content (DER), so line wrapping makes no difference; a
        different CRL replaces the imported one in place.
      - Mutually exclusive with O(crl_path). One of the two is required to import a CRL.
    type: str
  crl_path:
    description:
      - Path, on the managed host, of a CRL file in PEM or DER form (DER is converted to PEM).
    type: path
  trust_anchor:
    description:
      - The trust anchor the CRL belongs to, by name, ID, ARN or alias ARN. An alias ARN is resolved with
        GetTrustAnchor first, because AWS's ImportCrl does not accept alias ARNs.
      - Required to import a CRL. It cannot be changed afterwards; when it differs from an existing CRL's,
        the module fails and changes nothing.
      - When the trust anchor is a certificate bundle, the CRL must be issued and signed by one of the
        bundle's certificates, or the module fails before importing it.
    type: str
  enabled:
    description:
      - Whether the CRL is enabled (checked by Roles Anywhere).
      - When not set, an existing CRL keeps its state and a new one gets the service's default.
    type: bool
notes:
  - The issuer check needs the Python library C(cryptography) on the host that runs the module. For an
    ACM Private CA trust anchor the issuer is not checked.
seealso:
  - module: rolesanywhere.fleet.crl_info
  - module: rolesanywhere.fleet.trust_anchor
  - module: community.crypto.x509_crl
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes
  - rolesanywhere.fleet.resource
"""

EXAMPLES = r"""
- name: Import the fleet CA's CRL and enable it
  rolesanywhere.fleet.crl:
    name: fleet-ca-crl
    crl_path: /etc/pki/fleet/crl.pem
    trust_anchor: fleet-ca
    enabled: true

- name: Replace it with a newer CRL made by community.crypto.x509_crl
  rolesanywhere.fleet.crl:
    name: fleet-ca-crl
    crl_data: "{{ new_crl.crl }}"

- name: Delete the CRL
  rolesanywhere.fleet.crl:
    name: fleet-ca-crl
    state: absent
"""

RETURN = r"""
crl:
  description: The CRL (predicted in check mode); empty when O(state=absent).
  returned: always
  type: dict
  contains:
    crl_id:
      description: ID of the CRL.
      returned: when the CRL exists
      type: str
      sample: 2b7e1516-28ae-4d2a-a6ab-f7158809cf4f
    crl_arn:
      description: ARN of the CRL.
      returned: when the CRL exists
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:crl/2b7e1516-28ae-4d2a-a6ab-f7158809cf4f
    name:
      description: Name of the CRL.
      returned: success
      type: str
      sample: fleet-ca-crl
    enabled:
      description: Whether the CRL is enabled.
      returned: when known
      type: bool
      sample: true
    crl_data:
      description: The imported CRL as PEM text.
      returned: success
      type: str
      sample: "-----BEGIN X509 CRL-----\n..."
    trust_anchor_arn:
      description: ARN of the trust anchor the CRL belongs to.
      returned: success
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41
    alias_name:
      description: Alias of the CRL.
      returned: when the CRL has an alias
      type: str
      sample: fleet-ca-crl
    alias_arn:
      description: Alias ARN of the CRL.
      returned: when the CRL has an alias
      type: str
      sample: arn:aws:rolesanywhere:eu-west-1:123456789012:alias/crl/fleet-ca-crl
    created_at:
      description: When the CRL was imported (ISO 8601).
      returned: when the CRL exists
      type: str
      sample: "2024-07-06T12:38:59.123000+00:00"
    updated_at:
      description: When the CRL was last changed (ISO 8601).
      returned: when the CRL exists
      type: str
      sample: "2024-07-06T12:38:59.123000+00:00"
    tags:
      description: Tags of the CRL.
      returned: success
      type: dict
      sample: {"team": "platform"}
"""

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import CRL
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import TRUST_ANCHOR
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import get_resource
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import ResourceFlow
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import find_by_name
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import certificate_bundle_ders
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import check_arn_region
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import classify_reference
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import crl_issuer_problem
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import crl_pem
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import crls_differ
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import load_crl
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import parse_resource_arn
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.resources import read_input_file


class CrlFlow(ResourceFlow):
    kind = CRL
    update_operation = "UpdateCrl"
    own_mutually_exclusive = (("crl_data", "crl_path"),)

    def __init__(self, module):
        super().__init__(module)
        self.crl_der = None  # the CRL the user gave (crl_data or crl_path), or None
        self.reference = None  # the trust anchor option as ("name" | "id" | "arn", value), or None
        self.anchor = None  # the trust anchor it designates (looked up for state=present)

    @classmethod
    def own_options(cls):
        return dict(
            crl_data=dict(type="str"),
            crl_path=dict(type="path"),
            trust_anchor=dict(type="str"),
        )

    def validate_own(self):
        params, validated = self.params, self.module.validated
        if params["trust_anchor"]:
            self.reference = validated(classify_reference, params["trust_anchor"], TRUST_ANCHOR.resource_type, "trust_anchor")
            if self.reference[0] == "arn":
                validated(check_arn_region, self.reference[1], self.module.region, "trust_anchor")
        if params["crl_data"] is not None:
            self.crl_der = validated(load_crl, params["crl_data"], "crl_data")
        elif params["crl_path"] is not None:
            data = validated(read_input_file, params["crl_path"], "crl_path")
            self.crl_der = validated(load_crl, data, params["crl_path"])

    def resolve(self):
        """The trust anchor the trust_anchor option (name, id or ARN) designates; fails when there is none."""
        if not self.reference:
            return
        kind, value = self.reference
        if kind == "name":
            anchor = find_by_name(self.module, self.client, TRUST_ANCHOR, value)
        else:
            # An alias ARN resolves through GetTrustAnchor (which takes one); ImportCrl then gets the canonical ARN,
            # since its trustAnchorArn refuses alias ARNs (botocore model, ImportCrlRequest.trustAnchorArn).
            anchor = get_resource(self.client, TRUST_ANCHOR, (value["resource_id"] or value["arn"]) if kind == "arn" else value)
        if anchor is None:
            self.module.fail_user_error("trust_anchor %r does not exist in this account and region" % self.params["trust_anchor"])
        self.anchor = anchor

    def anchor_of(self, current):
        """The trust anchor to check a CRL against: the one given, or the existing CRL's."""
        if self.anchor is not None:
            return self.anchor
        anchor_id = parse_resource_arn(current["trustAnchorArn"], TRUST_ANCHOR.resource_type)["resource_id"]
        return get_resource(self.client, TRUST_ANCHOR, anchor_id)

    def check_issuer(self, anchor):
        """A CRL must come from a CA of a certificate-bundle trust anchor (ACM PCA anchors are not checked)."""
        if not anchor or (anchor.get("source") or {}).get("sourceType") != "CERTIFICATE_BUNDLE":
            return
        bundle = (anchor["source"].get("sourceData") or {}).get("x509CertificateData")
        problem = self.module.validated(crl_issuer_problem, self.crl_der, certificate_bundle_ders(bundle))
        if problem:
            self.module.fail_user_error(
                "The CRL does not belong to trust anchor %r: %s. Nothing was changed. Give the CRL of one of the "
                "trust anchor's CAs, or the trust anchor of the CA that issued this CRL" % (anchor.get("name"), problem)
            )

    def create_request(self):
        params = self.params
        given = (("name", params["name"]), ("crl_data or crl_path", self.crl_der), ("trust_anchor", self.anchor))
        missing = [option for option, value in given if not value]
        if missing:
            self.module.fail_user_error("No CRL named %r exists; to import one, also give %s" % (params["name"], " and ".join(missing)))
        self.check_issuer(self.anchor)
        return {"name": params["name"], "crlData": crl_pem(self.crl_der).encode("ascii"), "trustAnchorArn": self.anchor["trustAnchorArn"]}

    def check_existing(self, current):
        anchor = self.anchor
        if anchor is not None and anchor["trustAnchorArn"] != current.get("trustAnchorArn"):
            self.module.fail_user_error(
                "CRL %r belongs to trust anchor %s; the trust anchor of a CRL is set when it is imported and cannot "
                "be changed (asked: %s). Nothing was changed. Delete the CRL and import it again for the other trust anchor"
                % (current.get("name"), current.get("trustAnchorArn"), anchor["trustAnchorArn"])
            )

    def planned_fields(self, current):
        if self.crl_der is not None and crls_differ(current.get("crlData"), self.crl_der):
            return {"crlData": crl_pem(self.crl_der).encode("ascii")}
        return {}

    def before_update(self, current, update):
        if "crlData" in update:
            self.check_issuer(self.anchor_of(current))


def main():
    CrlFlow.run()


if __name__ == "__main__":
    main()
