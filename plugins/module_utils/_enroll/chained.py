# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chained AWS config profiles: roles (in other accounts) assumed with the host's Roles Anywhere credentials.

Each entry of ``enroll_chained_profiles`` becomes a profile whose ``source_profile`` is the Roles Anywhere
profile, so ``aws --profile NAME`` (and every AWS SDK) assumes ``role_arn`` with the host's short-lived identity.
The settings are the AWS SDKs' assume-role provider's, as the AWS SDKs and Tools Reference Guide names them
("Assume role credential provider": ``role_arn``, ``source_profile``, ``external_id``, ``duration_seconds``,
``role_session_name``; ``region`` is the profile's own).
"""

from __future__ import annotations

import re

from .._core.errors import ConfigurationError
from .._core.identifiers import (
    is_region,
    parse_role_arn,
    validate_chained_duration,
    validate_external_id,
    validate_role_session_name,
)

FIELDS = ("name", "role_arn", "external_id", "duration", "region", "role_session_name")
# A profile name goes into a "[profile NAME]" section header of an INI file that the AWS CLI and SDKs parse:
# no brackets, spaces, '#' or ';'. This is narrower than what some SDKs accept, on purpose: it is what all accept.
PROFILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+=,@-]{0,63}\Z")
OPTION = "enroll_chained_profiles"


def check_chained_profiles(entries, source_profile):
    """The entries, checked and normalised (dicts with every field, None where not given); ConfigurationError names
    the entry (by index and name) and the field that is wrong."""
    if not isinstance(entries, (list, tuple)):
        raise ConfigurationError("%s must be a list of {name, role_arn, ...} entries" % OPTION)
    checked, names = [], set()
    for index, entry in enumerate(entries):
        where = "%s[%d]" % (OPTION, index)
        if not isinstance(entry, dict):
            raise ConfigurationError("%s must be a dictionary with name and role_arn" % where)
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise ConfigurationError("%s has unknown field(s) %s" % (where, ", ".join(unknown)),
                                     "Use only %s" % ", ".join(FIELDS))
        name = entry.get("name")
        if not isinstance(name, str) or not PROFILE_NAME_RE.match(name):
            raise ConfigurationError("%s.name %r is not a usable AWS config profile name" % (where, name),
                                     "Use 1 to 64 letters, digits and . _ - + = , @, starting with a letter or digit")
        where = "%s[%d] (%s)" % (OPTION, index, name)
        if name == source_profile:
            raise ConfigurationError("%s has the name of the Roles Anywhere profile itself" % where,
                                     "Choose another name, or another enroll_aws_profile")
        if name in names:
            raise ConfigurationError("%s repeats a name" % where, "Give every chained profile its own name")
        names.add(name)
        parse_role_arn(entry.get("role_arn"), "%s.role_arn" % where)
        region = entry.get("region") or None
        if region is not None and not is_region(region):
            raise ConfigurationError("%s.region %r is not an AWS region name" % (where, region), "Use e.g. eu-west-1")
        duration = entry.get("duration")
        checked.append({
            "name": name, "role_arn": entry["role_arn"],
            "external_id": validate_external_id(entry.get("external_id") or None, "%s.external_id" % where),
            "duration": None if duration in (None, "") else validate_chained_duration(duration, "%s.duration" % where),
            "region": region,
            "role_session_name": validate_role_session_name(entry.get("role_session_name") or None,
                                                            "%s.role_session_name" % where),
        })
    return checked


def chained_sections(entries, source_profile, default_region):
    """The config text of the checked entries, after the Roles Anywhere profile's own section."""
    lines = []
    for entry in entries:
        lines += ["", "[profile %s]" % entry["name"], "role_arn = %s" % entry["role_arn"],
                  "source_profile = %s" % source_profile]
        if entry["external_id"]:
            lines.append("external_id = %s" % entry["external_id"])
        if entry["duration"]:
            lines.append("duration_seconds = %d" % entry["duration"])
        if entry["role_session_name"]:
            lines.append("role_session_name = %s" % entry["role_session_name"])
        lines.append("region = %s" % (entry["region"] or default_region))
    return "\n".join(lines) + "\n" if lines else ""
