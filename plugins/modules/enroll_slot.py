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
    interrupted run are removed) with the key's passphrase file (0600) when O(key_passphrase) is set.
  - V(installed) writes C(certificate.pem), C(chain.pem) (when O(chain) is not empty) and C(enrollment.json) into
    the slot (0644).
  - V(current) points C(current) at the slot in one rename and removes the other slot.
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
    choices: [prepared, installed, current]
    required: true
  key_passphrase:
    description: With V(prepared), the passphrase of the new key, written to C(private-key.passphrase); empty for none.
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
attributes:
  check_mode:
    description: Reports the change and makes none.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
  idempotent:
    description: V(prepared) and V(installed) always make the slot anew; V(current) changes nothing when done.
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
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import SLOTS
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import install
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import make_current
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.slot import prepare


def main():
    module = AnsibleModule(
        argument_spec=dict(
            base=dict(type="path", required=True),
            slot=dict(type="str", choices=list(SLOTS), required=True),
            user=dict(type="str", required=True),
            state=dict(type="str", choices=["prepared", "installed", "current"], required=True),
            key_passphrase=dict(type="str", default="", no_log=True),
            certificate=dict(type="str", default=""),
            chain=dict(type="str", default=""),
            record=dict(type="dict", default={}),
        ),
        required_if=[("state", "installed", ["certificate"])],
        supports_check_mode=True,
    )
    params = module.params
    base, slot, user = params["base"], params["slot"], params["user"]
    refusal = None
    try:
        if params["state"] == "prepared":
            changed = prepare(base, slot, user, params["key_passphrase"], module.check_mode)
        elif params["state"] == "installed":
            changed = install(base, slot, user, params["certificate"], params["chain"], params["record"], module.check_mode)
        else:
            changed = make_current(base, slot, user, module.check_mode)
    except LookupError as error:
        refusal = "%s: create it first, or fix enroll_user" % error
    except OSError as error:
        refusal = "cannot write the %s slot %s: %s. Check the path and run with become" % (
            params["state"], os.path.join(base, slot), error.strerror)
    if refusal is not None:
        # Outside the except block, so that no traceback is attached to a user error.
        module.fail_json(msg=refusal)
    module.exit_json(changed=changed, path=os.path.join(base, slot))


if __name__ == "__main__":
    main()
