# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of rolesanywhere.fleet.enroll_state: the role's checks on the controller, then the decision on the host.

A host where nothing is due costs the role this one task (and the outcome's set_fact), so what the controller can
decide is decided here in Python rather than in tasks of their own: the cross-field rules of the role's variables
(plugin_utils/enroll_preflight.py, every broken rule reported at once, nothing changed on the host), and the SHA-1 of
the CA bundle the host should hold. Then the module reads the host in one call.
"""

from __future__ import annotations

import hashlib

from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils import enroll_preflight
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.controller_files import file_text

MODULE = "rolesanywhere.fleet.enroll_state"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def _ca_bundle_sha1(self, path, task_vars):
        """What lookup('ansible.builtin.file', path, rstrip=false) | hash('sha1') gave in the role before: the same
        search path and the same bytes, so that a bundle already on the host stays as it is."""
        content = file_text(self._loader, self._templar, path, task_vars, rstrip=False)
        return hashlib.sha1(to_bytes(content, errors="surrogate_or_strict")).hexdigest()  # nosec - a content check

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = dict(self._task.args)
        controller = args.pop("controller", None)
        if controller is None:  # not from the role: nothing to check or hash here
            controller = {}
        problems = enroll_preflight.problems(enroll_preflight.role_variables(args, controller)) if controller else []
        if problems:
            result.update(failed=True, changed=False, msg=" | ".join(problems))
            return result
        if controller.get("enroll_ca_bundle"):
            args["ca_bundle_sha1"] = self._ca_bundle_sha1(controller["enroll_ca_bundle"], task_vars)
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result
