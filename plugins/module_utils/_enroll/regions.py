# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``enroll_regions``: the regions a host may get its credentials from, as the helper's ``--failover`` sets.

Each entry is ``{region, trust_anchor_arn, profile_arn, endpoint_url}`` (trust.yml writes them all when
``rolesanywhere_trust_regions`` lists several). The role's own trust anchor and profile (``enroll_trust_anchor_arn``,
``enroll_profile_arn``) stay the first set; the entries are tried after it, in order, and an entry naming that first
set again is left out (trust.yml lists every region, the first one included). The helper checks each set again at
every start (_helper/failover.py); these checks refuse a bad entry before anything is written on the host.
"""

from __future__ import annotations

from .._core.errors import ConfigurationError
from .._core.identifiers import plain_region, region_from_arn, validate_arns

OPTION = "enroll_regions"
FIELDS = ("region", "trust_anchor_arn", "profile_arn", "endpoint_url")


def _checked(entry, where, role_arn):
    if not isinstance(entry, dict):
        raise ConfigurationError("%s must be a dictionary with trust_anchor_arn and profile_arn" % where)
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise ConfigurationError("%s has unknown field(s) %s" % (where, ", ".join(unknown)), "Use only %s" % ", ".join(FIELDS))
    anchor, profile = entry.get("trust_anchor_arn") or "", entry.get("profile_arn") or ""
    region = entry.get("region") or None
    try:
        validate_arns(anchor, profile, role_arn)
        plain = plain_region(region)[0] if region is not None else None
    except ConfigurationError as exc:
        raise ConfigurationError("%s: %s" % (where, exc.message), exc.hint) from None
    if plain is not None and plain != region_from_arn(anchor):
        raise ConfigurationError(
            "%s: region %s is not the region of its trust anchor %s" % (where, region, anchor),
            "CreateSession goes to the trust anchor's region: set region to %s or leave it out" % region_from_arn(anchor))
    endpoint = entry.get("endpoint_url") or None
    if endpoint is not None and ("," in endpoint or not endpoint.startswith(("https://", "http://"))):
        raise ConfigurationError("%s: endpoint_url %r is not an http(s) URL without commas" % (where, endpoint),
                                 "Leave endpoint_url out for the region's own endpoint")
    return anchor, profile, region, endpoint


def failover_sets(entries, trust_anchor_arn, profile_arn, role_arn, helper="rolesanywhere"):
    """The helper's ``--failover`` values for ``entries`` (checked), in order, without the first set and repeats."""
    if not entries:
        return ()
    if not isinstance(entries, (list, tuple)):
        raise ConfigurationError("%s must be a list of {region, trust_anchor_arn, profile_arn} entries" % OPTION)
    values = []
    seen = {(trust_anchor_arn, profile_arn)}
    for index, entry in enumerate(entries):
        anchor, profile, region, endpoint = _checked(entry, "%s[%d]" % (OPTION, index), role_arn)
        if (anchor, profile) in seen:
            continue
        seen.add((anchor, profile))
        value = "trust-anchor-arn=%s,profile-arn=%s" % (anchor, profile)
        value += ",region=%s" % region if region else ""
        value += ",endpoint=%s" % endpoint if endpoint else ""
        values.append(value)
    if values and helper != "rolesanywhere":
        raise ConfigurationError(
            "%s lists %d more region(s), but AWS's aws_signing_helper cannot fail over between regions" % (OPTION, len(values)),
            "Use enroll_helper: rolesanywhere (its --failover), or list only the first region")
    return tuple(values)
