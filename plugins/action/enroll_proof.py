# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of rolesanywhere.fleet.enroll_proof: take a CreateSession start on the controller, then prove.

Ansible's linear strategy runs one task on every host of the batch before the next task, each host in its own
fork: pacing in a task of its own would let every host call at once right after it. So the start is taken here,
in the fork of the very task that makes the call, from the controller's shared pacing state (module_utils
_control_plane/pacing.py), and the module runs on the host when its start has come.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import pacing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError

display = Display()
MODULE = "rolesanywhere.fleet.enroll_proof"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = self._task.args
        try:
            paced = pacing.pace("CreateSession", args.get("trust_anchor_arn"), args.get("rate"), args.get("region") or "",
                                args.get("endpoint_url") or "", warn=display.warning)
        except ConfigurationError as error:
            result.update(failed=True, msg="enroll_proof: %s" % error, paced_seconds=0.0)
            return result
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        result["paced_seconds"] = round(paced, 3)
        return result
