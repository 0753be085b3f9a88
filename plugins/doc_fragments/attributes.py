# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This fragment is private to the collection: it may change in any release.

from __future__ import annotations


class ModuleDocFragment:
    # The control-plane modules that change resources.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the predicted C(changed) status and resource without changing anything.
    support: full
  diff_mode:
    description: Returns the resource before and after the change (predicted in check mode) when in diff mode.
    support: full
  idempotent:
    description:
      - When run twice in a row outside check mode with the same arguments, the second run reports no change
        and makes no changing API call.
      - This assumes that nothing else changed the resource in between.
    support: full
  action_group:
    description: Use C(group/rolesanywhere.fleet.aws) in C(module_defaults) to set AWS connection options for this module.
    support: full
    membership:
      - rolesanywhere.fleet.aws
"""

    # The _info modules: they only read.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode; the module only reads, so it behaves the same.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
  idempotent:
    description: The module only reads.
    support: full
  action_group:
    description: Use C(group/rolesanywhere.fleet.aws) in C(module_defaults) to set AWS connection options for this module.
    support: full
    membership:
      - rolesanywhere.fleet.aws
"""
