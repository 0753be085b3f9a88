# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the enroll role's enroll_regions from the trust playbook's trust anchors and profiles per region."""

from __future__ import annotations

DOCUMENTATION = r"""
name: enroll_regions
short_description: The enroll role's enroll_regions from the trust anchors and profiles made in each region
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - Pairs the results of the C(rolesanywhere.fleet.trust_anchor) and C(rolesanywhere.fleet.profile) tasks looped over
    the regions of C(rolesanywhere.fleet.trust_regions) into C({region, trust_anchor_arn, profile_arn, endpoint_url?})
    entries, in the same order, for the enroll role's C(enroll_regions) (the helper's C(--failover) sets).
  - The region is the trust anchor ARN's (the region CreateSession must go to).
options:
  _input:
    description: C(results) of the looped trust_anchor task.
    type: list
    elements: dict
    required: true
  profiles:
    description: C(results) of the looped profile task, in the same order.
    type: list
    elements: dict
    required: true
  regions:
    description: The output of C(rolesanywhere.fleet.trust_regions) the tasks looped over (for the endpoints).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Show what enroll_regions would hold
  ansible.builtin.debug:
    msg: "{{ __trust_anchors.results | rolesanywhere.fleet.enroll_regions(__trust_profiles.results, __trust_regions) }}"
"""

RETURN = r"""
_value:
  description: One C({region, trust_anchor_arn, profile_arn}) per region (plus C(endpoint_url) where one was given).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import region_from_arn


def enroll_regions(anchors, profiles, regions):
    """[{region, trust_anchor_arn, profile_arn[, endpoint_url]}, ...] in the regions' order."""
    if not len(anchors) == len(profiles) == len(regions):
        raise AnsibleFilterError("enroll_regions: %d trust anchors, %d profiles and %d regions do not pair up"
                                 % (len(anchors), len(profiles), len(regions)))
    entries = []
    for anchor, profile, region in zip(anchors, profiles, regions):
        anchor_arn = anchor["trust_anchor"]["trust_anchor_arn"]
        entry = {"region": region_from_arn(anchor_arn), "trust_anchor_arn": anchor_arn,
                 "profile_arn": profile["profile"]["profile_arn"]}
        if region.get("endpoint_url"):
            entry["endpoint_url"] = region["endpoint_url"]
        entries.append(entry)
    return entries


class FilterModule:
    """The collection's Jinja filters."""

    def filters(self):
        return {"enroll_regions": enroll_regions}
