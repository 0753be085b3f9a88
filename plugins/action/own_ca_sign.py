# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of rolesanywhere.fleet.own_ca_sign: a host's CSR signed by the own CA, in the controller's worker.

The CA's files are on the controller and so is the signing (module_utils/_own_ca/host_certificate.py), with no
module run: a module delegated to localhost cost every host of a first enrolment a Python start and a module's
imports on the controller, which is what grows with the fleet.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._own_ca.host_certificate import sign_host_csr
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.controller_files import file_text

ARGUMENT_SPEC = dict(
    csr=dict(type="str", required=True),
    ca_certificate=dict(type="path", required=True),
    private_key=dict(type="path", required=True),
    passphrase=dict(type="str", default="", no_log=True),
    passphrase_variable=dict(type="str", default="rolesanywhere_trust_ca_passphrase"),
    pin=dict(type="str", default="", no_log=True),
    validity_days=dict(type="int", default=365),
    not_before_minutes=dict(type="int", default=5),
    chain=dict(type="str", default=""),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        try:
            args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        except AnsibleActionFail as error:
            result.update(failed=True, msg=str(error))
            return result
        if self._task.check_mode:
            result.update(changed=True, certificate="", chain="")  # would issue a certificate; signs nothing
            return result
        try:
            certificate = sign_host_csr(args["csr"], args["ca_certificate"], args["private_key"], args["passphrase"],
                                        args["passphrase_variable"], args["pin"], args["validity_days"],
                                        args["not_before_minutes"])
        except RolesAnywhereError as error:
            result.update(failed=True, changed=False, msg=str(error))
            return result
        # As lookup('ansible.builtin.file', enroll_own_ca_chain) gave it in the role before.
        chain = file_text(self._loader, self._templar, args["chain"], task_vars) if args["chain"] else ""
        result.update(changed=True, certificate=certificate, chain=chain)
        return result
