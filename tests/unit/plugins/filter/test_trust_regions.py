# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""trust.yml's regions (issue 15): rolesanywhere_trust_regions checked, and the enroll_regions it writes."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.filter.enroll_regions import enroll_regions
from ansible_collections.rolesanywhere.fleet.plugins.filter.trust_regions import trust_regions

ANCHOR = "arn:aws:rolesanywhere:%s:123456789012:trust-anchor/11111111-2222-3333-4444-55555555555%d"
PROFILE = "arn:aws:rolesanywhere:%s:123456789012:profile/11111111-2222-3333-4444-66666666666%d"


def test_regions_are_normalised_in_order():
    assert trust_regions([]) == [{"region": "", "endpoint_url": ""}]  # the AWS settings' region, as before
    assert trust_regions(["us-east-1", {"region": "eu-west-1", "endpoint_url": "https://vpce.example"}]) == [
        {"region": "us-east-1", "endpoint_url": ""}, {"region": "eu-west-1", "endpoint_url": "https://vpce.example"}]
    assert trust_regions(["us-east-1"], "acm_pca") == [{"region": "us-east-1", "endpoint_url": ""}]


@pytest.mark.parametrize("regions, signer, words", [
    ("us-east-1", "own_ca", "rolesanywhere_trust_regions must be a list of regions"),
    (["us-east-1", "Europe"], "own_ca", "rolesanywhere_trust_regions[1]: 'Europe' is not an AWS region name"),
    ([{"name": "us-east-1"}], "own_ca", "rolesanywhere_trust_regions[0] must be a region name or a dictionary"),
    ([{"region": "us-east-1", "endpoint_url": "ftp://x"}], "own_ca", "endpoint_url 'ftp://x' is not an http(s) URL"),
    (["us-east-1", "eu-west-1", "us-east-1"], "own_ca", "rolesanywhere_trust_regions lists us-east-1 more than once"),
    (["us-east-1", "eu-west-1"], "acm_pca", "an ACM Private CA is the trust anchor of its own region only"),
])
def test_bad_regions_are_named(regions, signer, words):
    with pytest.raises(AnsibleFilterError) as caught:
        trust_regions(regions, signer)
    assert words in str(caught.value)


def test_enroll_regions_pair_anchors_and_profiles():
    regions = trust_regions(["us-east-1", {"region": "eu-west-1", "endpoint_url": "https://vpce.example"}])
    anchors = [{"trust_anchor": {"trust_anchor_arn": ANCHOR % (r["region"], i)}} for i, r in enumerate(regions)]
    profiles = [{"profile": {"profile_arn": PROFILE % (r["region"], i)}} for i, r in enumerate(regions)]
    assert enroll_regions(anchors, profiles, regions) == [
        {"region": "us-east-1", "trust_anchor_arn": ANCHOR % ("us-east-1", 0), "profile_arn": PROFILE % ("us-east-1", 0)},
        {"region": "eu-west-1", "trust_anchor_arn": ANCHOR % ("eu-west-1", 1), "profile_arn": PROFILE % ("eu-west-1", 1),
         "endpoint_url": "https://vpce.example"},
    ]
    # The default region (region ""): the entry names the region of the ARN, where CreateSession must go.
    default = enroll_regions(anchors[:1], profiles[:1], trust_regions([]))
    assert default[0]["region"] == "us-east-1" and "endpoint_url" not in default[0]
    with pytest.raises(AnsibleFilterError, match="do not pair up"):
        enroll_regions(anchors, profiles[:1], regions)
