#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: own_ca_token
version_added: 0.2.0
short_description: The own CA with its key inside a PKCS#11 token on the controller
description:
  - Makes the own CA's key inside a PKCS#11 token (a YubiKey, an HSM, SoftHSM2), sensitive and never extractable,
    and its self-signed CA certificate (O(what=ca_certificate)); signs a host's CSR (O(what=certificate)) and the
    CRL (O(what=crl)) inside the token. The key never leaves the token.
  - Where a file key would be, the key is named by a I(key reference), a file holding the key's RFC 7512 C(pkcs11)
    URI and its module (never a PIN), written by O(what=ca_certificate) and read by the other two.
  - Needs the Python module PyKCS11 on the controller and the token's PKCS#11 module.
  - Runs on the controller (C(delegate_to) C(localhost)). Used by the trust and revoke playbooks and the enroll role.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  what:
    description: What to make.
    type: str
    required: true
    choices: [ca_certificate, certificate, crl]
  key_reference:
    description: Path of the key reference file (written with O(what=ca_certificate), read otherwise).
    type: path
    required: true
  pin:
    description: The token's user PIN, from Ansible Vault. Empty to use the reference's C(pin-source) file.
    type: str
    default: ""
  pkcs11_module:
    description: Path of the token's PKCS#11 module (O(what=ca_certificate)).
    type: path
  token_label:
    description: Label of the token (O(what=ca_certificate)).
    type: str
  key_label:
    description: Label (CKA_LABEL) of the CA key in the token (O(what=ca_certificate)).
    type: str
  key_id:
    description: ID (CKA_ID, hexadecimal) of the CA key in the token (O(what=ca_certificate)); empty for none.
    type: str
    default: ""
  key_type:
    description: Kind of key made in the token when there is none yet (O(what=ca_certificate)).
    type: str
    default: ec-p384
    choices: [ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096]
  ca_certificate:
    description: Path of the CA certificate (PEM); written with O(what=ca_certificate), read otherwise.
    type: path
    required: true
  common_name:
    description: Common name of the CA certificate (O(what=ca_certificate)).
    type: str
    default: Roles Anywhere CA
  validity_days:
    description: Days the CA certificate (O(what=ca_certificate)) or the host certificate (O(what=certificate)) is valid.
    type: int
    default: 365
  not_before_minutes:
    description: How many minutes before now a host certificate becomes valid (clock skew).
    type: int
    default: 5
  csr:
    description: The host's certificate signing request, PEM (O(what=certificate)).
    type: str
  crl_path:
    description: Path of the CRL (PEM) to update (O(what=crl)); the certificates it lists stay listed.
    type: path
  revoked_certificates:
    description: Certificates to add to the CRL (O(what=crl)).
    type: list
    elements: dict
    default: []
    suboptions:
      serial_number:
        description: Serial number of the certificate.
        type: int
        required: true
      reason:
        description: Revocation reason (RFC 5280 CRLReason, as community.crypto.x509_crl names them).
        type: str
        default: unspecified
  next_update_days:
    description: Days until the CRL's next update (O(what=crl)).
    type: int
    default: 7
  force:
    description: Sign the CRL afresh even when it already lists every certificate.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reports what would be made; nothing is made, generated or written.
    support: full
  diff_mode:
    description: No diff.
    support: none
  idempotent:
    description:
      - The key and the CA certificate are made once; a CRL that lists every certificate is left as it is.
      - Each O(what=certificate) run issues a new certificate.
    support: partial
"""

EXAMPLES = r"""
- name: The CA key in a YubiKey-like token, and its certificate
  rolesanywhere.fleet.own_ca_token:
    what: ca_certificate
    key_reference: ~/.rolesanywhere/fleet/ca-key.pkcs11
    ca_certificate: ~/.rolesanywhere/fleet/ca.pem
    pkcs11_module: /usr/lib/softhsm/libsofthsm2.so
    token_label: fleet-ca
    key_label: fleet-ca
    pin: "{{ rolesanywhere_trust_ca_pkcs11_pin }}"
  delegate_to: localhost
"""

RETURN = r"""
certificate:
  description: The CA certificate (O(what=ca_certificate)) or the host certificate (O(what=certificate)), PEM.
  returned: when O(what) is C(ca_certificate) or C(certificate), outside check mode
  type: str
crl:
  description: The CRL, PEM.
  returned: when O(what=crl), outside check mode
  type: str
key_made:
  description: Whether the CA key was generated in the token by this run.
  returned: when O(what=ca_certificate)
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._own_ca import own_ca_token


def main():
    module = AnsibleModule(
        argument_spec=dict(
            what=dict(type="str", required=True, choices=["ca_certificate", "certificate", "crl"]),
            key_reference=dict(type="path", required=True),
            pin=dict(type="str", default="", no_log=True),
            pkcs11_module=dict(type="path"),
            token_label=dict(type="str", no_log=False),
            key_label=dict(type="str", no_log=False),
            key_id=dict(type="str", default=""),
            key_type=dict(type="str", default="ec-p384", choices=["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]),
            ca_certificate=dict(type="path", required=True),
            common_name=dict(type="str", default="Roles Anywhere CA"),
            validity_days=dict(type="int", default=365),
            not_before_minutes=dict(type="int", default=5),
            csr=dict(type="str"),
            crl_path=dict(type="path"),
            revoked_certificates=dict(type="list", elements="dict", default=[], options=dict(
                serial_number=dict(type="int", required=True), reason=dict(type="str", default="unspecified"))),
            next_update_days=dict(type="int", default=7),
            force=dict(type="bool", default=False),
        ),
        required_if=[("what", "ca_certificate", ["pkcs11_module", "token_label", "key_label"]),
                     ("what", "certificate", ["csr"]), ("what", "crl", ["crl_path"])],
        supports_check_mode=True,
    )
    refusal = None
    try:
        result = own_ca_token.run(module.params, module.check_mode)
    except RolesAnywhereError as error:
        refusal = str(error)
    if refusal is not None:
        module.fail_json(msg=refusal)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
