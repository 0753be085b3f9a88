# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on the controller as the role's tasks read them, for the collection's action plugins."""

from __future__ import annotations

from ansible.plugins.loader import lookup_loader


def file_text(loader, templar, path, task_vars, rstrip=True):
    """What lookup('ansible.builtin.file', path, rstrip=rstrip) gives in a task: the same search path (the role's
    files/, the playbook's directory) and the same text. ``loader`` and ``templar`` are the action plugin's."""
    lookup = lookup_loader.get("ansible.builtin.file", loader=loader, templar=templar)
    return lookup.run([path], variables=task_vars, rstrip=rstrip)[0]
