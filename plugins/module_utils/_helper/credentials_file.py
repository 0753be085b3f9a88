# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite one profile of the AWS shared credentials file (``update`` command; standard library only).

Only the first section headed exactly ``[<profile>]`` changes, and in it only the three credential keys;
every other line (keys, comments, blank lines, other sections, the last line) is kept byte for byte.
A missing profile is appended. The file is written atomically (temporary file and rename) with mode
0600; a missing directory is created 0700.
"""

from __future__ import annotations

import os
import re

from .._core.files import atomic_write

CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


def credentials_file_path(environ=None):
    """``$AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials`` (what the SDKs read)."""
    environ = os.environ if environ is None else environ
    path = environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join("~", ".aws", "credentials")
    return os.path.abspath(os.path.expanduser(path))


def _line_key(line):
    """The option name of a ``key = value`` line (lower case), or None for anything else."""
    if not line.strip() or line[0] in " \t#;[":
        return None
    name, sep, _value = line.partition("=")
    return name.strip().lower() if sep else None


_HEADER_RE = re.compile(r"\[(?P<name>.+)\]")


def _section_name(line):
    """The section a header line opens (configparser's rule, which botocore uses), or None."""
    match = _HEADER_RE.match(line.strip())
    return match.group("name") if match else None


def _is_continuation(line):
    return line[:1] in (" ", "\t") and bool(line.strip())


def _newline_of(lines):
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _section_bounds(lines, profile):
    """(start, end) indexes of the first ``[profile]`` section's body, or None."""
    for index, line in enumerate(lines):
        if _section_name(line) == profile:
            end = index + 1
            while end < len(lines) and _section_name(lines[end]) is None:
                end += 1
            return index + 1, end
    return None


def _rewrite_section(body, values, newline):
    """Replace the credential keys in a section body; append the missing ones after its last content line."""
    result, written, skipping = [], set(), False
    for line in body:
        if skipping and _is_continuation(line):
            continue
        skipping = False
        key = _line_key(line)
        if key in values:
            skipping = True
            if key not in written:
                result.append("%s = %s%s" % (key, values[key], newline))
                written.add(key)
            continue
        result.append(line)
    missing = ["%s = %s%s" % (key, values[key], newline) for key in CREDENTIAL_KEYS if key not in written]
    insert_at = len(result)
    while insert_at > 0 and not result[insert_at - 1].strip():
        insert_at -= 1
    if insert_at and not result[insert_at - 1].endswith("\n"):
        result[insert_at - 1] += newline
    return result[:insert_at] + missing + result[insert_at:]


def rewrite_profile(text, profile, access_key_id, secret_access_key, session_token):
    """The new file text: ``text`` with the credentials of ``profile`` replaced (or the profile appended)."""
    values = dict(zip(CREDENTIAL_KEYS, (access_key_id, secret_access_key, session_token)))
    lines = text.splitlines(True)
    newline = _newline_of(lines)
    bounds = _section_bounds(lines, profile)
    if bounds is None:
        prefix = "".join(lines)
        if prefix and not prefix.endswith("\n"):
            prefix += newline
        if prefix.strip():
            prefix += newline
        section = ["[%s]%s" % (profile, newline)] + ["%s = %s%s" % (key, values[key], newline) for key in CREDENTIAL_KEYS]
        return prefix + "".join(section)
    start, end = bounds
    if not lines[start - 1].endswith("\n"):
        lines[start - 1] += newline
    return "".join(lines[:start] + _rewrite_section(lines[start:end], values, newline) + lines[end:])


def validate_profile_name(profile):
    """A profile name that can head a section: non-empty, no brackets, no line breaks."""
    if not profile or profile != profile.strip() or any(c in profile for c in "[]\r\n"):
        raise ValueError(
            "invalid profile name %r: use a non-empty name without brackets, line breaks or surrounding spaces" % profile
        )
    return profile


def write_credentials(path, profile, access_key_id, secret_access_key, session_token):
    """Rewrite ``profile`` in the credentials file at ``path`` atomically; returns the file's real path."""
    validate_profile_name(profile)
    # Write through symbolic links, so a linked credentials file stays linked.
    real = os.path.realpath(path)
    directory = os.path.dirname(real)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700)
        os.chmod(directory, 0o700)
    try:
        with open(real, "r", encoding="utf-8", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = ""
    new_text = rewrite_profile(text, profile, access_key_id, secret_access_key, session_token)
    atomic_write(real, new_text.encode("utf-8"), mode=0o600)
    return real
