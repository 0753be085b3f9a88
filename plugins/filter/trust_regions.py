# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filter: the regions the trust playbook sets up (rolesanywhere_trust_regions), checked and normalised."""

from __future__ import annotations

DOCUMENTATION = r"""
name: trust_regions
short_description: The regions of rolesanywhere_trust_regions, checked, as a list of {region, endpoint_url}
version_added: 0.2.0
author: Contributors to the rolesanywhere.fleet collection
description:
  - Normalises C(rolesanywhere_trust_regions) of the C(rolesanywhere.fleet.trust) playbook, which sets up the same CA as
    trust anchor and the same profile in every region listed (one IAM role, as IAM is global).
  - Each entry is a region name, or a dictionary C({region, endpoint_url?}) when the region's Roles Anywhere endpoint
    is not AWS's own (a VPC endpoint, a test emulator).
  - An empty list stands for the one region the AWS settings choose (C(region) V("")), as before the option existed.
  - Refuses a bad region name, a region listed twice, and more than one region with the V(acm_pca) signer (an ACM
    Private CA can be the trust anchor of its own region only; the trust_anchor module checks that rule).
options:
  _input:
    description: C(rolesanywhere_trust_regions).
    type: list
    elements: raw
    required: true
  signer:
    description: C(enroll_signer) of the play (V(own_ca) or V(acm_pca)).
    type: str
    default: own_ca
"""

EXAMPLES = r"""
- name: The regions to set up
  ansible.builtin.debug:
    msg: "{{ ['us-east-1', {'region': 'eu-west-1', 'endpoint_url': 'https://vpce-1.rolesanywhere.eu-west-1.vpce.amazonaws.com'}]
             | rolesanywhere.fleet.trust_regions }}"
"""

RETURN = r"""
_value:
  description: One C({region, endpoint_url}) per region, in order (empty strings where not given).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import is_region

OPTION = "rolesanywhere_trust_regions"


def _entry(item, index):
    where = "%s[%d]" % (OPTION, index)
    if isinstance(item, str):
        item = {"region": item}
    if not isinstance(item, dict) or set(item) - {"region", "endpoint_url"}:
        raise AnsibleFilterError("%s must be a region name or a dictionary {region, endpoint_url}, not %r" % (where, item))
    region, endpoint = item.get("region"), item.get("endpoint_url") or ""
    if not is_region(region):
        raise AnsibleFilterError("%s: %r is not an AWS region name (such as us-east-1)" % (where, region))
    if not isinstance(endpoint, str) or (endpoint and not endpoint.startswith(("https://", "http://"))):
        raise AnsibleFilterError("%s: endpoint_url %r is not an http(s) URL" % (where, endpoint))
    return {"region": region, "endpoint_url": endpoint}


def trust_regions(regions, signer="own_ca"):
    """[{region, endpoint_url}, ...]; AnsibleFilterError naming the bad entry."""
    if not regions:
        return [{"region": "", "endpoint_url": ""}]
    if isinstance(regions, (str, dict)) or not isinstance(regions, (list, tuple)):
        raise AnsibleFilterError("%s must be a list of regions, such as [us-east-1, eu-west-1]" % OPTION)
    entries = [_entry(item, index) for index, item in enumerate(regions)]
    names = [entry["region"] for entry in entries]
    repeated = sorted(set(name for name in names if names.count(name) > 1))
    if repeated:
        raise AnsibleFilterError("%s lists %s more than once" % (OPTION, ", ".join(repeated)))
    if len(entries) > 1 and signer == "acm_pca":
        raise AnsibleFilterError(
            "%s lists %d regions, but an ACM Private CA is the trust anchor of its own region only: use "
            "enroll_signer own_ca for several regions, or list the CA's region alone" % (OPTION, len(entries)))
    return entries


class FilterModule:
    """The collection's Jinja filters."""

    def filters(self):
        return {"trust_regions": trust_regions}
