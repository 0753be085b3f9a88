# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AnsibleModule.run_command's calling convention and result outside a module.

Code in module_utils runs commands through the calling module's ``run_command`` (ansible-test's pylint rule
ansible-bad-function), so tools/build_helper.py and the tests, which call that code with no module, pass this one.
It imports nothing of Ansible: tools/build_helper.py loads it from the checkout.
"""

from __future__ import annotations

import os
import subprocess


def run_command(args, data=None, binary_data=False, environ_update=None, encoding="utf-8", expand_user_and_vars=True,
                handle_exceptions=True):
    """(returncode, stdout, stderr) as AnsibleModule.run_command gives them (bytes when ``encoding`` is None).
    ``args`` is a list run as it is (nothing to expand); a missing command raises OSError either way."""
    del expand_user_and_vars, handle_exceptions  # a list of arguments is run as given; errors are raised
    if data is not None and not binary_data:
        data += "\n"  # as run_command does
    if isinstance(data, str):
        data = data.encode("utf-8")
    env = dict(os.environ, **(environ_update or {}))
    done = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=300, check=False)
    if encoding is None:
        return done.returncode, done.stdout, done.stderr
    return done.returncode, done.stdout.decode(encoding, "surrogateescape"), done.stderr.decode(encoding, "surrogateescape")


def build_helper(*args, **kwargs):
    """module_utils/_helper/build.py's build_helper with this run_command (the tests' way to build the helper)."""
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import build  # pylint: disable=import-outside-toplevel

    return build.build_helper(run_command, *args, **kwargs)
