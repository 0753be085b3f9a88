# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS config profile of each user, all in one module call: the ``.aws`` directory (0700) and the profile's
block in ``config`` (0600), both the user's.

The block sits between the markers ansible.builtin.blockinfile used to write (so a host enrolled by an earlier
version is updated in place): a block already there is replaced where it is, otherwise the block is appended.
Every other line of the file stays as it is. The file is written to a temporary name and renamed into place; a
link in the way of the directory or the file is replaced, never followed.
"""

from __future__ import annotations

import os

from .command import PROFILE_MARKER
from .host import has_profile_block, is_as_wanted, uid_of
from .slot import make_directory, write_file


class ProfileError(Exception):
    """A profile that could not be written (the file system's reason): the message says which and why."""


def with_block(text, aws_profile, block):
    """text with the profile's block in place of the one between its markers, or appended (blockinfile's rules)."""
    begin, end = PROFILE_MARKER.format(mark="BEGIN") % aws_profile, PROFILE_MARKER.format(mark="END") % aws_profile
    lines = text.splitlines(True)
    starts = [index for index, line in enumerate(lines) if line.rstrip("\r\n") == begin]
    ends = [index for index, line in enumerate(lines) if line.rstrip("\r\n") == end]
    new = [begin + "\n"] + [line + "\n" for line in block.splitlines()] + [end + "\n"]
    if starts and ends:
        first, last = sorted((starts[-1], ends[-1]))
        lines[first:last + 1] = new
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.extend(new)
    return "".join(lines)


def _read_text(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def write_profiles(profiles, aws_profile, block, check_mode=False):
    """Each of profiles ({user, aws_dir, config}, from enroll_state) holds the block; the users whose profile
    changed (a user that does not exist raises LookupError)."""
    changed = []
    for profile in profiles:
        user, aws_dir, config = profile["user"], profile["aws_dir"], profile["config"]
        uid = uid_of(user)
        if uid is None:
            raise LookupError("user %s does not exist on this host" % user)
        if (is_as_wanted(aws_dir, user, 0o700, directory=True) and is_as_wanted(config, user, 0o600)
                and has_profile_block(config, aws_profile, block)):
            continue
        changed.append(user)
        if check_mode:
            continue
        try:
            _write(aws_dir, config, uid, aws_profile, block)
        except OSError as error:
            raise ProfileError("cannot write the AWS config profile of %s in %s: %s. Check the path and run with become"
                               % (user, config, error.strerror)) from None
    return changed


def _write(aws_dir, config, uid, aws_profile, block):
    parent = os.path.dirname(aws_dir)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    make_directory(aws_dir, uid)
    text = "" if os.path.islink(config) else _read_text(config)
    write_file(config, with_block(text, aws_profile, block).encode("utf-8"), uid, 0o600)
