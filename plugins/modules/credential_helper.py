#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: credential_helper
version_added: 0.1.0
short_description: Install the IAM Roles Anywhere credential helper of this collection
description:
  - Installs C(rolesanywhere-credential-helper), a pure-Python single-file program that is command-line
    compatible with AWS's C(aws_signing_helper) (C(credential-process), C(sign-string),
    C(read-certificate-data), C(update), C(serve), C(version)) and adds a credential cache
    (C(credential-process --cache)), a C(serve) that keeps serving while it refreshes in the background,
    an C(update) that retries, and errors that name the cause and the fix.
  - The file is built on the managed host from the same sources as the rest of this collection, so the
    helper signs exactly as the modules and the lookup do. It needs Python 3.8 or later and the Python
    library C(cryptography) on the host; no other dependency.
  - The file is replaced atomically (a temporary file renamed over it), so a process that starts the
    helper while it is being upgraded runs either the old or the new file, never half of one.
  - Idempotent by content; works on the controller too
    (C(ansible localhost -m rolesanywhere.fleet.credential_helper -a path=~/bin/rolesanywhere-credential-helper)).
  - See C(docs/credential-helper.md) in the collection for the commands and the AWS config profile.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  path:
    description:
      - Where to install the helper, for example C(/usr/local/bin/rolesanywhere-credential-helper)
        or C(~/bin/rolesanywhere-credential-helper) (C(~) is expanded on the managed host).
      - A missing parent directory is created.
    type: path
    required: true
  state:
    description:
      - V(present) installs or upgrades the helper; V(absent) removes it.
      - V(absent) removes only a file this module installed; any other file at O(path) makes the module fail.
    type: str
    choices: [present, absent]
    default: present
  interpreter:
    description:
      - Command of the helper's C(#!) line; the Python it names must have the C(cryptography) library.
      - For example V(/usr/bin/python3.11) when C(python3) on the C(PATH) lacks C(cryptography).
    type: str
    default: /usr/bin/env python3
  force:
    description:
      - With O(state=present), replace a file at O(path) that is not a credential helper of this collection
        (AWS's C(aws_signing_helper), a script, anything else).
      - V(false) refuses to replace such a file and changes nothing.
    type: bool
    default: false
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and reports whether the file would change, without changing it.
    support: full
  diff_mode:
    description: Returns the installed version and checksum (and file attributes) before and after.
    support: full
  idempotent:
    description: A second run with the same options reports no change and leaves the file untouched.
    support: full
notes:
  - Credentials from the helper are never written by this module; it only installs the program.
  - When O(mode) is not set, a new file gets V(0755) and an existing file keeps its mode, with execute permission
    added wherever it is readable if it had none (the helper is always left executable).
  - A O(mode) that leaves the owner without execute permission is refused.
seealso:
  - name: AWS credential_process
    description: How SDKs and the AWS CLI run a credential helper.
    link: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html
"""

EXAMPLES = r"""
- name: Install the credential helper on the hosts
  rolesanywhere.fleet.credential_helper:
    path: /usr/local/bin/rolesanywhere-credential-helper
    owner: root
    group: root
    mode: "0755"

- name: Use a specific Python that has cryptography
  rolesanywhere.fleet.credential_helper:
    path: /opt/fleet/bin/rolesanywhere-credential-helper
    interpreter: /usr/bin/python3.11

- name: Remove it
  rolesanywhere.fleet.credential_helper:
    path: /usr/local/bin/rolesanywhere-credential-helper
    state: absent
"""

RETURN = r"""
path:
  description: The helper's path (with C(~) expanded).
  returned: always
  type: str
  sample: /usr/local/bin/rolesanywhere-credential-helper
version:
  description: Version of the helper installed (or that would be, in check mode); null after removal.
  returned: always
  type: str
  sample: 0.1.0
sha256:
  description: SHA-256 of the helper file's content; null after removal.
  returned: always
  type: str
  sample: 6e90a867cdf854dd3bbcb85adf67e0f5412440ca01e830f1b98901169f5d900f
previous_version:
  description: Version of the helper that was at O(path) before, null when there was none (or another file).
  returned: always
  type: str
  sample: 0.1.0
cryptography_available:
  description: Whether the Python running the module can import C(cryptography) (the helper needs it).
  returned: always
  type: bool
  sample: true
"""

import os
import stat
import tempfile

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.failing import RolesAnywhereModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.files import read_bytes
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import DEFAULT_INTERPRETER
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import build_helper
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import describe_helper

DEFAULT_MODE = "0755"


def file_state(path, content):
    """The diff view of the file: present/absent, version and checksum (never the content)."""
    info = describe_helper(content) if content is not None else None
    if content is None:
        return {"path": path, "state": "absent"}
    return {
        "path": path,
        "state": "present",
        "version": info["version"] if info else None,
        "sha256": info["sha256"] if info else None,
    }


def write_atomically(module, path, content):
    """Write through a temporary file in the target directory, then rename it over path."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    fd, temp = tempfile.mkstemp(prefix=".rolesanywhere-credential-helper.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o755)
        module.atomic_move(temp, path, unsafe_writes=module.params["unsafe_writes"])
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def cryptography_available():
    try:
        import cryptography  # pylint: disable=unused-import,import-outside-toplevel  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_absent(module, path, existing):
    result = {"path": path, "version": None, "sha256": None, "cryptography_available": cryptography_available(),
              "previous_version": None, "changed": False}
    if existing is None:
        return result
    info = describe_helper(existing)
    if info is None:
        module.fail_user_error("%s is not a rolesanywhere.fleet credential helper, so it was not removed. Remove it "
                               "another way (ansible.builtin.file) if it should go" % path, path=path)
    result.update(previous_version=info["version"], changed=True,
                  diff={"before": file_state(path, existing), "after": {"path": path, "state": "absent"}})
    if not module.check_mode:
        os.unlink(path)
    return result


def executable_mode(module, path, existing):
    """The mode to set so that the helper stays executable: None to leave the file's (or the module's) mode.

    Fails, before anything changes, when the O(mode) given leaves the owner without execute permission.
    """
    mode = module.params["mode"]
    current = os.stat(path) if existing is not None else os.stat_result((stat.S_IFREG | 0o644,) + (0,) * 9)
    if mode is None:
        if existing is not None and not current.st_mode & 0o111:
            return "%04o" % (stat.S_IMODE(current.st_mode) | ((stat.S_IMODE(current.st_mode) & 0o444) >> 2))
        return None
    try:
        if isinstance(mode, int):
            wanted = mode
        elif str(mode).isdigit():
            wanted = int(str(mode), 8)
        else:
            wanted = module._symbolic_mode_to_octal(current, str(mode))  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except  # set_fs_attributes_if_different reports a bad mode itself
        return None
    if not wanted & 0o100:
        module.fail_json(msg="mode %s would leave the credential helper %s not executable by its owner: use a mode such "
                             "as 0755 or 0700" % (mode, path), path=path)
    return None


def ensure_present(module, path, existing):
    refusal = None
    try:
        content = build_helper(module.run_command, module.params["interpreter"])
    except ValueError as error:  # a bad interpreter: the user's to fix
        refusal = "cannot build the credential helper: %s" % error
    except (OSError, ImportError) as error:  # a broken installation: keep the traceback
        module.fail_json(msg="cannot read the collection's sources to build the helper: %s. Reinstall the collection" % error)
    if refusal is not None:
        # Outside the except block, so that no traceback is attached to a user error.
        module.fail_user_error(refusal)
    info = describe_helper(content)
    previous = describe_helper(existing) if existing is not None else None
    if existing is not None and previous is None and not module.params["force"]:
        module.fail_json(msg="%s is not a rolesanywhere.fleet credential helper, so it was not replaced. Set force: true to "
                             "replace it, or choose another path" % path, path=path)
    restored_mode = executable_mode(module, path, existing)
    diff = {"before": file_state(path, existing), "after": file_state(path, content)}
    changed = existing != content
    if changed and not module.check_mode:
        write_atomically(module, path, content)
    file_args = module.load_file_common_arguments(module.params, path=path)
    if file_args.get("mode") is None and existing is None:
        file_args["mode"] = DEFAULT_MODE
    elif file_args.get("mode") is None and restored_mode is not None:
        file_args["mode"] = restored_mode
    changed = module.set_fs_attributes_if_different(file_args, changed, diff=diff, expand=False)
    if existing is None:  # the attributes of a file that did not exist are no "before"
        diff["before"] = file_state(path, None)
    return {
        "changed": changed, "path": path, "version": info["version"], "sha256": info["sha256"],
        "previous_version": previous["version"] if previous else None,
        "cryptography_available": cryptography_available(), "diff": diff,
    }


def main():
    module = RolesAnywhereModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            interpreter=dict(type="str", default=DEFAULT_INTERPRETER),
            force=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    path = os.path.abspath(module.params["path"])
    if os.path.isdir(path):
        module.fail_user_error("%s is a directory: give the helper's file path, e.g. %s" % (
            path, os.path.join(path, "rolesanywhere-credential-helper")), path=path)
    existing, refusal = None, None
    try:
        existing = read_bytes(path)  # None when there is no file; other errors surface
    except OSError as error:
        refusal = "cannot read %s: %s. Check the path and run with become if it is not yours" % (path, error.strerror)
    if refusal is not None:
        # Outside the except block, so that no traceback is attached to a user error.
        module.fail_user_error(refusal, path=path)
    if module.params["state"] == "absent":
        result = ensure_absent(module, path, existing)
    else:
        result = ensure_present(module, path, existing)
        if not result["cryptography_available"]:
            module.warn("The Python running this module cannot import cryptography; the helper needs it for every command "
                        "that signs. Install python3-cryptography (or pip install cryptography), or set interpreter")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
