# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This fragment is private to the collection: it may change in any release.

from __future__ import annotations


class ModuleDocFragment:
    # The token's and the TPM's options of the enroll role's modules (enroll_state, enroll_slot): the role passes
    # its variables of the same names; what each module does with them is under its own option key_store.
    DOCUMENTATION = r"""
options:
  pkcs11_module:
    description: With O(key_store=pkcs11), the path of the token's PKCS#11 module on the host (C(enroll_pkcs11_module)).
    type: str
    default: ""
  pkcs11_token_label:
    description: With O(key_store=pkcs11), the label of the token (C(enroll_pkcs11_token_label)).
    type: str
    default: ""
  pkcs11_pin:
    description: With O(key_store=pkcs11), the token's user PIN (C(enroll_pkcs11_pin)). It is in no returned value.
    type: str
    default: ""
  pkcs11_so_pin:
    description:
      - With O(key_store=pkcs11), the token's Security Officer PIN (C(enroll_pkcs11_so_pin)). It is in no returned
        value.
      - When no token is labelled O(pkcs11_token_label) but a slot holds an uninitialised token,
        M(rolesanywhere.fleet.enroll_state)'s preflight passes and M(rolesanywhere.fleet.enroll_slot) initialises
        that token when it makes the key (C(C_InitToken) with this PIN and the label, then C(C_InitPIN) with
        O(pkcs11_pin)); never in check mode.
    type: str
    default: ""
  tpm_device:
    description:
      - With O(key_store=tpm), the TPM (C(enroll_tpm_device)) as a device path or a TCTI (C(device:PATH),
        C(swtpm:path=SOCKET), C(swtpm:host=HOST,port=PORT)); empty for C(/dev/tpmrm0), then C(/dev/tpm0).
      - The helper's command lines set C(TPM2TOOLS_TCTI) (C(TPM_DEVICE) for AWS's helper) to it with C(env).
      - M(rolesanywhere.fleet.enroll_slot)'s V(current) uses it with any O(key_store) to evict the previous slot's key
        at a persistent handle (O(key_store) moved away from V(tpm)).
    type: str
    default: ""
  tpm_parent_handle:
    description: With O(key_store=tpm), the persistent storage key (C(0x81...)) the key is under; empty for the owner
      hierarchy's primary made from AWS's template (C(enroll_tpm_parent_handle)).
    type: str
    default: ""
  tpm_key_password:
    description:
      - With O(key_store=tpm), the TPM key's password (C(enroll_tpm_key_password)); empty for none.
      - M(rolesanywhere.fleet.enroll_state) returns it in the helper's command lines (C(--tpm-key-password), as
        AWS's helper takes it), so the caller must hide that task's result (C(no_log)).
    type: str
    default: ""
  tpm_persistent_handle:
    description:
      - With O(key_store=tpm), the persistent handle (C(0x81000000) to C(0x817ffffe)) to keep the key at
        (C(enroll_tpm_persistent_handle)); empty for the TSS2 key file alone.
      - The key of C(slot-a) is kept at this handle, the key of C(slot-b) at the next one, so that a renewal's key is
        made beside the one in use; each slot records its handle in C(tpm-key.handle) beside its key file.
      - The helper's command lines give C(--private-key handle:0x...) (AWS's helper's form) instead of the key file.
        M(rolesanywhere.fleet.enroll_state) refuses, before anything changes, a handle of the two that holds a key
        that is not one of the enrolment's slots' keys, or the new key's handle when it holds the key in use.
    type: str
    default: ""
"""
