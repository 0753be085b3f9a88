#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: own_ca_key
version_added: 0.2.0
short_description: Check, or encrypt, the own CA's private key file on the controller
description:
  - Proves that the own CA's private key opens with the passphrase given (none for a plain key), before the trust
    playbook, the enroll role's own-CA signer or the revoke playbook sign with it. A missing or wrong passphrase is
    one error that names the variable holding it, and nothing is changed.
  - With O(encrypt=true) and a passphrase, a plain key is encrypted in place with it (the same key, so the trust
    anchor and every certificate stay valid).
  - Runs where the key is, on the controller (C(delegate_to) C(localhost)).
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  path:
    description: Path of the CA private key (PEM). A key that does not exist yet is reported as such, not an error.
    type: path
    required: true
  passphrase:
    description: Passphrase of the key; empty for a plain key. Pass it from Ansible Vault; it is never printed.
    type: str
    default: ""
  source_variable:
    description: Name of the variable the passphrase comes from, for the error messages.
    type: str
    default: rolesanywhere_trust_ca_passphrase
  encrypt:
    description: Encrypt a plain key in place with O(passphrase) (PKCS#8, the best encryption available).
    type: bool
    default: false
  check_pin:
    description:
      - When O(path) is a key reference (a CA key in a PKCS#11 token), log in to the token once with O(pin), so that a
        wrong PIN stops the run before anything is signed.
    type: bool
    default: false
  pin:
    description: The token's user PIN (from Ansible Vault), with O(check_pin). Empty to use the reference's C(pin-source).
    type: str
    default: ""
attributes:
  check_mode:
    description: Reports whether the key would be encrypted, and changes nothing.
    support: full
  diff_mode:
    description: The key is secret; no diff.
    support: none
  idempotent:
    description: An encrypted key is left as it is.
    support: full
"""

EXAMPLES = r"""
- name: The CA key opens with the vault's passphrase, and is encrypted with it if it was plain
  rolesanywhere.fleet.own_ca_key:
    path: ~/.rolesanywhere/fleet/ca-key.pem
    passphrase: "{{ rolesanywhere_trust_ca_passphrase }}"
    encrypt: true
  delegate_to: localhost
"""

RETURN = r"""
exists:
  description: Whether the key file exists.
  returned: always
  type: bool
encrypted:
  description: Whether the key file is encrypted (after this run; in check mode, as it is now).
  returned: always
  type: bool
in_token:
  description:
    - Whether the file is a key reference (the C(pkcs11:) URI of a CA key in a token, written by the trust playbook
      with C(rolesanywhere_trust_ca_pkcs11)); then rolesanywhere.fleet.own_ca_token signs, and no passphrase applies.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._own_ca.file_key import check_key, encrypt_key


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            passphrase=dict(type="str", default="", no_log=True),
            source_variable=dict(type="str", default="rolesanywhere_trust_ca_passphrase"),
            encrypt=dict(type="bool", default=False),
            check_pin=dict(type="bool", default=False),
            pin=dict(type="str", default="", no_log=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    refusal, changed = None, False
    try:
        state = check_key(params["path"], params["passphrase"], params["source_variable"],
                          pin=params["pin"] if params["check_pin"] else None)
        if state["exists"] and params["encrypt"] and params["passphrase"]:
            changed = encrypt_key(params["path"], params["passphrase"], params["source_variable"], module.check_mode)
            state["encrypted"] = state["encrypted"] or (changed and not module.check_mode)
    except RolesAnywhereError as error:
        refusal = str(error)
    if refusal is not None:
        module.fail_json(msg=refusal)
    if state["exists"] and params["passphrase"] and not state["encrypted"] and not state["in_token"] and not changed:
        module.warn("the own CA key %s is not encrypted, so %s is not used: run the trust playbook with it to encrypt "
                    "the key" % (params["path"], params["source_variable"]))
    module.exit_json(changed=changed, **state)


if __name__ == "__main__":
    main()
