#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: enroll_slot
version_added: 0.2.0
short_description: Prepare, fill and swap in the enroll role's staging slot
description:
  - The M(rolesanywhere.fleet.enroll) role makes new material in a staging slot (C(slot-a) or C(slot-b)) beside
    the one in use, and swaps the C(current) link to it once it is proven. This module takes the slot through
    those steps, each in one call.
  - V(prepared) makes the enrolment directory and an empty staging slot (0700, owned by O(user); leftovers of an
    interrupted run are removed) with the key's passphrase file (0600) when O(key_passphrase) is set. With
    O(request), it also makes the new key there (C(private-key.pem), 0600, PKCS#8, encrypted with O(key_passphrase)
    when set) and returns its certificate signing request (RV(csr)). With O(helper_file), it also installs this
    collection's credential helper there (owned by root, 0755), as M(rolesanywhere.fleet.credential_helper) does.
  - V(installed) writes C(certificate.pem), C(chain.pem) (when O(chain) is not empty) and C(enrollment.json) into
    the slot (0644).
  - V(current) points C(current) at the slot in one rename and removes the other slot; with O(profiles), it then
    writes the AWS config profiles as V(profiles) does.
  - V(discarded) removes the slot after a failed renewal and, with O(key_store=pkcs11), the key pair made for it in
    the token (the slot's own C(CKA_ID); the key in use is never touched), with O(key_store=tpm) the persistent key
    its C(tpm-key.handle) records (evicted only when it is the slot's key). A slot that C(current) points at is in use
    and left alone. When the token or TPM cannot be reached, the key stays (the next renewal replaces or evicts it)
    with a warning.
  - V(profiles) writes, for each of O(profiles), the C(.aws) directory (0700) and the O(profile_block) between the
    markers C(# BEGIN/END rolesanywhere.fleet profile) O(aws_profile) in its C(config) (0600), both owned by the
    profile's user; a block already there is replaced in place, every other line stays.
  - Files are written to a temporary name and renamed into place; links in the way are replaced, never followed.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  base:
    description: The enrolment directory on the host (root prefix included).
    type: path
    required: true
  slot:
    description: The staging slot.
    type: str
    choices: [slot-a, slot-b]
    required: true
  user:
    description: The user who owns the directories and files.
    type: str
    required: true
  state:
    description: The step to take.
    type: str
    choices: [prepared, installed, current, profiles, discarded]
    required: true
  key_passphrase:
    description: With V(prepared), the passphrase of the new key, written to C(private-key.passphrase); empty for none.
    type: str
    default: ""
  request:
    description:
      - With V(prepared), the key and certificate signing request to make in the slot; none when omitted.
      - The CSR carries basicConstraints C(CA:FALSE) and keyUsage C(digitalSignature) (both critical) and
        extendedKeyUsage C(clientAuth), and is signed with SHA-256.
    type: dict
    suboptions:
      key_spec:
        description: The key, C(type) V(ECC) with C(curve) (V(secp256r1), V(secp384r1), V(secp521r1)) or V(RSA) with C(size).
        type: dict
        required: true
      common_name:
        description: The subject's common name.
        type: str
        required: true
      subject:
        description: More subject attributes, OpenSSL long names as keys (C(organizationName)).
        type: dict
        default: {}
      subject_alt_names:
        description: Subject alternative names with their type prefix (C(DNS:), C(IP:), C(URI:), C(email:), C(RID:), C(dirName:)).
        type: list
        elements: str
        default: []
  key_store:
    description:
      - Where the key is made. V(file) makes C(private-key.pem) in the slot.
      - V(pkcs11) makes the key pair inside the token O(pkcs11_token_label) (private half sensitive, never
        extractable), under a label of O(base) and an id of O(slot), so the new key lives beside the one in use; a
        leftover of an interrupted run under that id is destroyed first. The CSR is signed in the token and verified;
        only it leaves the token. V(prepared) writes the PIN to C(pkcs11.pin) (0600) in the slot, the helper's
        pin-source file; V(current) destroys the other slot's key once the swap is done.
      - V(tpm) makes the key inside the host's TPM (sign-only, fixedTPM and fixedParent, so it cannot be duplicated) under
        the owner hierarchy's primary or O(tpm_parent_handle), and writes it as the TSS2 key file C(tpm-key.pem) (0600)
        in the slot; the CSR is signed in the TPM and verified. The old key file goes with the old slot at V(current).
      - With O(key_store=tpm) and O(tpm_persistent_handle), V(prepared) first evicts the persistent key a leftover
        slot records, then also makes the new key persistent at the slot's handle (C(TPM2_EvictControl)) after
        writing that handle to C(tpm-key.handle) in the slot, and signs the CSR through the handle; V(current) evicts
        the other slot's persistent key before removing that slot.
    type: str
    choices: [file, pkcs11, tpm]
    default: file
  helper_file:
    description: With V(prepared), where to install this collection's credential helper; none when empty.
    type: str
    default: ""
  helper_interpreter:
    description: With O(helper_file), the helper's C(#!) command; empty for the Python running this module.
    type: str
    default: ""
  profiles:
    description: With V(current) and V(profiles), the AWS config profiles to write (enroll_state's RV(rolesanywhere.fleet.enroll_state#module:profiles)).
    type: list
    elements: dict
    default: []
  aws_profile:
    description: With O(profiles), the profile's name (in the block's markers).
    type: str
    default: rolesanywhere
  profile_block:
    description:
      - With O(profiles), the profile's lines (enroll_state's RV(rolesanywhere.fleet.enroll_state#module:profile_block)).
      - With AWS's helper and a key passphrase they hold the passphrase, so they are never shown.
    type: str
    default: ""
  certificate:
    description: With V(installed), the certificate (PEM).
    type: str
    default: ""
  chain:
    description: With V(installed), the intermediates (PEM); empty for none.
    type: str
    default: ""
  record:
    description: With V(installed), the content of C(enrollment.json) (C(signer_id), C(key_type), C(with_chain)).
    type: dict
    default: {}
extends_documentation_fragment:
  - rolesanywhere.fleet.key_store
attributes:
  check_mode:
    description: Reports the change and makes none.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
  idempotent:
    description: V(prepared) and V(installed) always make the slot anew; V(current) and V(profiles) change nothing when done.
    support: partial
"""

EXAMPLES = r"""
- name: Prepare the staging slot
  rolesanywhere.fleet.enroll_slot:
    base: /etc/rolesanywhere
    slot: slot-b
    user: root
    state: prepared

- name: Swap it in
  rolesanywhere.fleet.enroll_slot:
    base: /etc/rolesanywhere
    slot: slot-b
    user: root
    state: current
"""

RETURN = r"""
path:
  description: The slot's path.
  returned: always
  type: str
  sample: /etc/rolesanywhere/slot-b
certificate:
  description: With V(installed), C(serial_number), C(serial_number_hex) (colon hex) and C(not_after) (C(YYYYMMDDHHMMSSZ)) of O(certificate).
  returned: with V(installed)
  type: dict
csr:
  description: With V(prepared) and O(request), the certificate signing request of the new key (PEM).
  returned: when made
  type: str
profiles_changed:
  description: The users whose AWS config profile was (or in check mode would be) written.
  returned: always
  type: list
  elements: str
  sample: [root]
"""

import os
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import BUILD_REFUSAL
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import certificate_summary
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import certificate_view
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.profiles import ProfileError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.profiles import write_profiles
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.request import RequestError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import discard
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import install
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import install_helper
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import make_current
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import make_key_and_request
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import prepare
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slots import SLOTS
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.token import TokenSettings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.token import unmask_pin
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.tpm_key import TpmSettings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.tpm_key import unmask_password
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import build_helper


def value_refusal(state, error):
    """The message of a ValueError: a subject or SAN that cannot go into the CSR, a certificate that cannot be
    read, or a helper that cannot be built for the interpreter."""
    if isinstance(error, RequestError):
        return "cannot make the certificate signing request: %s" % error
    if state == "installed":
        return "the signed certificate cannot be read: %s. Check what the signer returned" % error
    return BUILD_REFUSAL % error


def main():
    module = AnsibleModule(
        argument_spec=dict(
            base=dict(type="path", required=True),
            slot=dict(type="str", choices=list(SLOTS), required=True),
            user=dict(type="str", required=True),
            state=dict(type="str", choices=["prepared", "installed", "current", "profiles", "discarded"], required=True),
            key_passphrase=dict(type="str", default="", no_log=True),
            request=dict(type="dict", options=dict(
                key_spec=dict(type="dict", required=True, no_log=False),  # the key's algorithm and size, no key material
                common_name=dict(type="str", required=True),
                subject=dict(type="dict", default={}),
                subject_alt_names=dict(type="list", elements="str", default=[]),
            )),
            key_store=dict(type="str", choices=["file", "pkcs11", "tpm"], default="file"),
            pkcs11_module=dict(type="str", default=""),
            pkcs11_token_label=dict(type="str", default="", no_log=False),  # a label, not a secret
            pkcs11_pin=dict(type="str", default="", no_log=True),
            tpm_device=dict(type="str", default=""),
            tpm_parent_handle=dict(type="str", default=""),
            tpm_key_password=dict(type="str", default="", no_log=True),
            tpm_persistent_handle=dict(type="str", default=""),
            pkcs11_so_pin=dict(type="str", default="", no_log=True),
            helper_file=dict(type="str", default=""),
            helper_interpreter=dict(type="str", default=""),
            profiles=dict(type="list", elements="dict", default=[]),
            aws_profile=dict(type="str", default="rolesanywhere"),
            profile_block=dict(type="str", default="", no_log=True),
            certificate=dict(type="str", default=""),
            chain=dict(type="str", default=""),
            record=dict(type="dict", default={}),
        ),
        required_if=[("state", "installed", ["certificate"]),
                     ("key_store", "pkcs11", ["pkcs11_module", "pkcs11_token_label", "pkcs11_pin"])],
        supports_check_mode=True,
    )
    params = module.params
    base, slot, user = params["base"], params["slot"], params["user"]
    refusal, result = None, {"path": os.path.join(base, slot), "profiles_changed": []}
    token = (TokenSettings(params["pkcs11_module"], params["pkcs11_token_label"], params["pkcs11_pin"], params["pkcs11_so_pin"])
             if params["key_store"] == "pkcs11" else None)
    if params["key_store"] == "tpm":
        token = TpmSettings(params["tpm_device"], params["tpm_parent_handle"], params["tpm_key_password"],
                            params["tpm_persistent_handle"])
    unmask_pin(module)
    unmask_password(module)
    try:
        changed = False
        if params["state"] == "prepared":
            changed = prepare(base, slot, user, params["key_passphrase"], module.check_mode, token, params["tpm_device"])
            if params["helper_file"]:
                content = build_helper(module.run_command, params["helper_interpreter"] or sys.executable)
                changed = install_helper(params["helper_file"], content, module.check_mode) or changed
            if params["request"] and not module.check_mode:
                result["csr"] = make_key_and_request(base, slot, user, params["request"], params["key_passphrase"], token)
        elif params["state"] == "installed":
            changed = install(base, slot, user, params["certificate"], params["chain"], params["record"], module.check_mode)
            result["certificate"] = certificate_summary(certificate_view(params["certificate"].strip().encode("ascii")))
        elif params["state"] == "current":
            changed = make_current(base, slot, user, module.check_mode, token, params["tpm_device"])
        elif params["state"] == "discarded":
            changed, warning = discard(base, slot, module.check_mode, token)
            if warning:
                module.warn(warning)
        if params["state"] in ("current", "profiles"):
            result["profiles_changed"] = write_profiles(params["profiles"], params["aws_profile"], params["profile_block"],
                                                        module.check_mode)
            changed = changed or bool(result["profiles_changed"])
    except ValueError as error:
        refusal = value_refusal(params["state"], error)
    except (ProfileError, RolesAnywhereError) as error:
        refusal = str(error)
    except LookupError as error:
        refusal = "%s: create it first, or fix enroll_user" % error
    except OSError as error:
        refusal = "cannot write the %s slot %s: %s. Check the path and run with become" % (
            params["state"], os.path.join(base, slot), error.strerror)
    if refusal is not None:
        # Outside the except block, so that no traceback is attached to a user error.
        module.fail_json(msg=refusal)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
