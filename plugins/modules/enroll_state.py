#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: enroll_state
version_added: 0.2.0
short_description: Decide on the host what the enroll role must do
description:
  - Reads, in one call and without changing anything, what the M(rolesanywhere.fleet.enroll) role manages on a
    host (the key and certificate in use, the key's passphrase file, the credential helper, the enrolment
    directory, the CA bundle, the AWS config profile of each user, the systemd unit) and decides what the run
    must do.
  - Returns the renewal reasons, the steps due (RV(todo)), and the helper's command lines for the AWS config
    profile, the systemd unit and the proof. A host whose RV(todo) is empty needs no other task.
  - Internal to the role, which calls it with C(no_log) when a key passphrase is set; its options are the
    role's variables (see C(ansible-doc -t role rolesanywhere.fleet.enroll)).
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  root:
    description: Prefix of every path on the host (the role's C(enroll_root)); empty for none.
    type: str
    default: ""
  directory:
    description: The enrolment directory (C(enroll_dir)).
    type: str
    default: /etc/rolesanywhere
  user:
    description: The user who owns the material and runs the helper (C(enroll_user)).
    type: str
    default: root
  profile_users:
    description: Users who get the AWS config profile (C(enroll_profile_users)); empty for O(user) alone.
    type: list
    elements: str
    default: []
  aws_profile:
    description: Name of the AWS config profile (C(enroll_aws_profile)).
    type: str
    default: rolesanywhere
  key_spec:
    description:
      - The key the certificate must have, the role's entry for C(enroll_key_type) in C(__enroll_key_types)
        (C(type) V(ECC) or V(RSA), C(curve) for V(ECC), C(size) for V(RSA)).
    type: dict
    required: true
  key_passphrase:
    description:
      - Passphrase of the key (C(enroll_key_passphrase)); empty for a plain key. A key whose passphrase file
        differs is renewed.
      - With O(helper=aws_signing_helper) the passphrase is part of the returned command lines (that helper
        takes it only as C(--pkcs8-password)), so the caller must hide the task's result (C(no_log)).
    type: str
    default: ""
  key_store:
    description:
      - Where the key is (C(enroll_key_store)). When a key is to be made (V(renew) in RV(todo)), V(pkcs11) checks the
        token first (module loaded, one token labelled O(pkcs11_token_label), O(pkcs11_pin) logs in) and V(tpm) the
        TPM (it answers at O(tpm_device), the parent key is there, the handles of O(tpm_persistent_handle) are free or
        the enrolment's), and fail with nothing changed when they cannot.
      - The helper's command lines then name the key by a pkcs11 URI, the slot's TSS2 key file C(tpm-key.pem) or its
        handle (C(handle:0x...)). A slot whose pin-source file differs from O(pkcs11_pin) is renewed.
    type: str
    choices: [file, pkcs11, tpm]
    default: file
  install_packages:
    description:
      - With O(key_store=pkcs11), what to do when the host lacks an OS package the key needs (C(python3-pykcs11)
        when the modules' Python cannot import PyKCS11; C(opensc) when O(pkcs11_module) is OpenSC's module and is not
        there) (C(enroll_install_packages)). V(true) reports them in RV(missing_packages) and the step V(packages) in
        RV(todo), and leaves the token's check to the key's step; V(false) fails, naming them, before anything changes.
    type: bool
    default: true
  common_name:
    description: Common name the certificate must have; empty for the host's FQDN (C(socket.getfqdn())).
    type: str
    default: ""
  subject:
    description: More subject attributes, OpenSSL long names as keys (C(enroll_subject)).
    type: dict
    default: {}
  trust_subject_fields:
    description:
      - Subject fields (C(CN), C(OU)... or OpenSSL long names) that the role's trust policy has conditions on
        (C(enroll_trust_subject_fields), which the trust playbook writes from C(rolesanywhere_trust_require_subject)).
      - A subject field whose value AWS cannot carry as a session tag is a warning, and an error when it is one of
        these, or when the subject lacks one of these; the host could never get credentials. See C(docs/abac.md).
    type: list
    elements: str
    default: []
  subject_alt_names:
    description: Subject alternative names with type prefixes (C(enroll_subject_alt_names)).
    type: list
    elements: str
    default: []
  signer_id:
    description: Which signer must have made the certificate (compared with C(enrollment.json)'s C(signer_id)).
    type: str
    required: true
  renew_before_days:
    description: Renew a certificate that ends within this many days (C(enroll_renew_before_days)).
    type: int
    default: 10
  force_renew:
    description: Renew material that is in use whatever its state (C(enroll_force_renew)).
    type: bool
    default: false
  trust_anchor_arn:
    description: Trust anchor ARN for the helper's command line.
    type: str
    required: true
  profile_arn:
    description: Roles Anywhere profile ARN for the helper's command line.
    type: str
    required: true
  role_arn:
    description: IAM role ARN for the helper's command line.
    type: str
    required: true
  region:
    description: Region for the helper and the profile; empty for the trust anchor's.
    type: str
    default: ""
  endpoint_url:
    description: Roles Anywhere endpoint for the helper; empty for AWS's.
    type: str
    default: ""
  ca_bundle_sha1:
    description: SHA-1 of the controller's CA bundle (C(enroll_ca_bundle)); empty when none is installed.
    type: str
    default: ""
  session_duration:
    description: Session duration in seconds for the helper's command line.
    type: int
    default: 3600
  role_session_name:
    description: Role session name for the helper's command line; empty for none.
    type: str
    default: ""
  helper:
    description: Which credential helper the host runs (C(enroll_helper)).
    type: str
    choices: [rolesanywhere, aws_signing_helper]
    default: rolesanywhere
  helper_path:
    description: Path of the helper on the host; empty for the default of O(helper).
    type: str
    default: ""
  helper_cache:
    description: Whether the profile's command line uses this collection's helper cache (C(--cache)).
    type: bool
    default: true
  helper_interpreter:
    description: The C(#!) command of this collection's helper; empty for the Python running this module.
    type: str
    default: ""
  aws_signing_helper_sha256:
    description: SHA-256 that AWS's helper at the helper path must have (with O(helper=aws_signing_helper)).
    type: str
    default: ""
  systemd:
    description: The systemd unit the role writes (C(enroll_systemd)).
    type: str
    choices: [none, serve, update]
    default: none
  serve_port:
    description: Port of the helper's C(serve) in the unit.
    type: int
    default: 9911
  verify:
    description: When the installed profile is proven (C(enroll_verify)).
    type: str
    choices: [changed, always, never]
    default: changed
  chained_profiles:
    description:
      - AWS config profiles written after the Roles Anywhere profile, each assuming O(chained_profiles[].role_arn)
        with its credentials (C(source_profile)), as the AWS SDKs' assume-role provider reads them
        (C(enroll_chained_profiles)).
      - Assuming a role with a role session's credentials is role chaining, which AWS limits to one hour.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The profile's name (C(aws --profile NAME)).
        type: str
        required: true
      role_arn:
        description: The IAM role to assume, in this account or another.
        type: str
        required: true
      external_id:
        description: The external ID the role's trust policy requires (C(sts:ExternalId)).
        type: str
      duration:
        description: Session duration in seconds, 900 to 3600 (role chaining's limit); the SDK's default when omitted.
        type: int
      region:
        description: The profile's region; the Roles Anywhere profile's when omitted.
        type: str
      role_session_name:
        description: The session name; the SDK chooses one when omitted.
        type: str
  regions:
    description:
      - More regions to get credentials from (C(enroll_regions)), tried in order by the helper's C(--failover) when
        the previous region does not answer or answers 5xx. An entry naming O(trust_anchor_arn) again is left out.
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: The region; the trust anchor ARN's when omitted (it must be that one).
        type: str
      trust_anchor_arn:
        description: The trust anchor of the same CA in that region.
        type: str
        required: true
      profile_arn:
        description: The profile in that region.
        type: str
        required: true
      endpoint_url:
        description: The CreateSession endpoint of that region; the region's own when omitted.
        type: str
  controller:
    description:
      - The role's variables that only the controller needs, keyed by their names (C(enroll_signer),
        C(enroll_validity_days), C(enroll_own_ca_certificate), C(enroll_own_ca_private_key), C(enroll_own_ca_chain),
        C(enroll_acm_pca_arn), C(enroll_external_tasks), C(enroll_aws_signing_helper_src),
        C(enroll_aws_signing_helper_url), C(enroll_ca_bundle)). Read by the action plugin and not sent to the host.
      - When set (the role sets it), the action plugin checks the role's cross-field rules on the controller before
        the host is read, reporting every broken rule at once, and sets O(ca_bundle_sha1) from C(enroll_ca_bundle).
    type: dict
    default: {}
extends_documentation_fragment:
  - rolesanywhere.fleet.key_store
attributes:
  action:
    description: The role's checks and the CA bundle's hash run on the controller, then the module on the host.
    support: full
  check_mode:
    description: Reads only; runs the same in check mode (where a unit not yet written is not to be started).
    support: full
  diff_mode:
    description: Nothing to show; it changes nothing.
    support: none
  idempotent:
    description: Never changes anything.
    support: full
notes:
  - The certificate is read with the Python library C(cryptography); without it the material counts as missing
    (reason V(missing)) and RV(cryptography_available) is false.
seealso:
  - name: The enroll role
    description: C(docs/enrolling.md) in the collection.
    link: https://github.com/rolesanywhere/fleet/blob/main/docs/enrolling.md
"""

EXAMPLES = r"""
- name: Decide what the enrolment must do
  rolesanywhere.fleet.enroll_state:
    root: ""
    key_spec: {type: ECC, curve: secp256r1, size: 256}
    signer_id: "acm_pca:arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/1f0c1f36-5f3a-4e43-9a4b-3c3a5e0b1a2d"
    trust_anchor_arn: arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/2b7f4f0e-1c3d-4f7a-9c1e-6d5a4b3c2d1e
    profile_arn: arn:aws:rolesanywhere:eu-west-1:123456789012:profile/7c3e2a1b-4d5f-4a6b-8c7d-9e0f1a2b3c4d
    role_arn: arn:aws:iam::123456789012:role/fleet
  register: enroll

- name: Show why the certificate is renewed
  ansible.builtin.debug:
    var: enroll.renew_reasons
"""

RETURN = r"""
renew_reasons:
  description:
    - Why the key and certificate are renewed, in this order; empty when they are fine.
    - V(missing), V(forced), V(expiring), V(key_type), V(subject), V(subject_alt_names), V(signer), V(key_passphrase),
      V(key_store), V(pkcs11_pin), V(tpm_key_password), V(tpm_persistent_handle).
  returned: always
  type: list
  elements: str
  sample: [expiring]
todo:
  description:
    - The steps due; empty on a host where nothing is to do.
    - V(packages) (first, with RV(missing_packages)), V(renew), V(helper), V(directory), V(ca_bundle), V(profile),
      V(unit), V(start_unit).
  returned: always
  type: list
  elements: str
  sample: [renew, profile]
missing_packages:
  description: With O(key_store=pkcs11) and O(install_packages), the OS packages to install first; empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [python3-pykcs11]
changes_files:
  description: Whether a step of RV(todo) changes a file on the host (any but V(start_unit)); the role's C(enroll_changed).
  returned: always
  type: bool
prove_installed:
  description: Whether the installed profile is to be proven (by O(verify), when no renewal proves the material).
  returned: always
  type: bool
slot:
  description: Slot of the material in use (V(slot-a) or V(slot-b)); empty when there is none.
  returned: always
  type: str
  sample: slot-a
staging_slot:
  description: The other slot, where new material is made.
  returned: always
  type: str
  sample: slot-b
staging_exists:
  description: Whether the staging slot holds leftovers of an interrupted run.
  returned: always
  type: bool
with_chain:
  description: Whether the material in use has a chain file.
  returned: always
  type: bool
base:
  description: The enrolment directory on the host (root prefix included).
  returned: always
  type: str
current:
  description: The C(current) link, through which the helper reads the material.
  returned: always
  type: str
staging:
  description: The staging slot's path.
  returned: always
  type: str
passphrase_file_name:
  description: Name of the key passphrase file in a slot.
  returned: always
  type: str
  sample: private-key.passphrase
common_name:
  description: The common name the certificate has (O(common_name) or the host's FQDN).
  returned: always
  type: str
cryptography_available:
  description: Whether the Python running the module can import C(cryptography).
  returned: always
  type: bool
certificate:
  description: C(serial_number), C(serial_number_hex) (colon hex) and C(not_after) (C(YYYYMMDDHHMMSSZ)) of the certificate in use; empty when none.
  returned: always
  type: dict
helper_file:
  description: The helper's path on the host.
  returned: always
  type: str
helper_interpreter:
  description: The C(#!) command this collection's helper is built with.
  returned: always
  type: str
python:
  description: The Python running this module (the proof script runs with it).
  returned: always
  type: str
  sample: /usr/bin/python3
user_id:
  description: The user running this module (the proof becomes another user only when it differs).
  returned: always
  type: str
  sample: root
users:
  description: The users who get the profile.
  returned: always
  type: list
  elements: str
missing_users:
  description: Users of RV(users) that do not exist on the host.
  returned: always
  type: list
  elements: str
profiles:
  description: Per user, C(user), C(aws_dir), C(config) and whether the profile is C(up_to_date).
  returned: always
  type: list
  elements: dict
profile_block:
  description: The profile's lines, keyed V(chain) (material with a chain) and V(plain).
  returned: always
  type: dict
unit:
  description:
    - The systemd unit (empty when O(systemd=none)) C(name), C(file), C(directory), C(content) (keyed V(chain)
      and V(plain)), C(up_to_date), C(running), and C(not_started_because) (empty when it is to be started).
  returned: always
  type: dict
proofs:
  description:
    - What the proof runs, C(new) (the new material before the swap, keyed V(chain) and V(plain)) and
      C(installed) (the installed profile); each with C(user), C(step), C(config), C(config_content),
      C(profile) and C(command).
  returned: always
  type: dict
"""

import importlib.util
import os
import pwd
import sys

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.subject_tags import common_name_refusal
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.subject_tags import subject_findings
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import BUILD_REFUSAL
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import decide
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import helper_stamp
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import HAS_CRYPTOGRAPHY
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.state_options import ARGUMENT_SPEC
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.state_options import settings_from
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.tpm_key import key_store_refusal
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.token import packages_to_install
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.token import unmask_pin
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import build_helper
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import helper_sources
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import shebang_line
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import sources_digest


def _build_helper(module, interpreter):
    refusal = None
    try:
        return build_helper(module.run_command, interpreter)
    except ValueError as error:  # the module's Python cannot compile the helper for the interpreter
        refusal = BUILD_REFUSAL % error
    # Outside the except block, so that no traceback is attached to a user error.
    module.fail_json(msg=refusal)
    return None


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params)  # with the PINs, which unmask_pin blanks in module.params
    try:
        settings = settings_from(params)
    except ConfigurationError as error:
        refusal = str(error)
    else:
        refusal = key_store_refusal(params, key_due=False)
    unmask_pin(module)
    if refusal is not None:
        module.fail_json(msg=refusal)  # before anything else: a wrong variable changes nothing
    interpreter = module.params["helper_interpreter"] or sys.executable
    refusal = None
    if settings.helper.helper == "rolesanywhere":
        try:
            shebang_line(interpreter)  # a bad interpreter: the user's to fix, before anything is built
        except ValueError as error:
            refusal = BUILD_REFUSAL % error
        # Built only when an installed helper is there to compare with and its stamp differs (decide).
        settings.helper_content = lambda: _build_helper(module, interpreter)
        if refusal is None:
            settings.helper_stamp = helper_stamp(shebang_line(interpreter), sources_digest(helper_sources()),
                                                 importlib.util.MAGIC_NUMBER.hex())
    if refusal is not None:
        # Outside the except block, so that no traceback is attached to a user error.
        module.fail_json(msg=refusal)
    common_name = settings.wanted.common_name
    refusal = common_name_refusal(common_name)
    if refusal is not None:
        module.fail_json(msg=refusal)
    warnings, errors = subject_findings(dict(settings.wanted.subject, commonName=common_name), module.params["trust_subject_fields"])
    if errors:
        module.fail_json(msg=" | ".join(errors))
    for warning in warnings:
        module.warn(warning)
    result = decide(settings, check_mode=module.check_mode, run_command=module.run_command, cryptography_available=HAS_CRYPTOGRAPHY)
    # The token or TPM is reached only when a key is to be made there (a wrong PIN, a missing token or TPM: one line,
    # nothing changed): a host where nothing is due does not log in to the token or make the TPM's primary key.
    refusal = key_store_refusal(params) if "renew" in result["todo"] else None
    if refusal is not None:
        module.fail_json(msg=refusal)
    result.update(helper_interpreter=interpreter, python=sys.executable, user_id=pwd.getpwuid(os.geteuid()).pw_name)
    result["missing_packages"] = packages_to_install(params)  # install_packages: else refused above
    if result["missing_packages"]:
        result["todo"] = ["packages"] + result["todo"]
        result["changes_files"] = True
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
