# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built-in endpoint table (used when botocore is missing) gives exactly what botocore's rules give.

The oracle is botocore's own EndpointProvider over its rolesanywhere rule set and partitions.json, built here
independently of signing.py. Every region botocore knows, regions no partition lists yet, FIPS pseudo-region
names, and every FIPS / dual-stack combination are compared.
"""

from __future__ import annotations

import itertools

import pytest
from botocore.endpoint_provider import EndpointProvider
from botocore.loaders import create_loader

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import endpoints, signing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError

LOADER = create_loader()
PARTITIONS_DATA = LOADER.load_data("partitions")
ENDPOINTS_DATA = LOADER.load_data("endpoints")
BOTOCORE = EndpointProvider(ruleset_data=LOADER.load_service_model("rolesanywhere", "endpoint-rule-set-1"),
                            partition_data=LOADER.load_data("partitions"))
# Regions no partition lists (yet): each partition's regex must claim them, and the rest fall to "aws".
UNLISTED_REGIONS = ("us-newplace-7", "ap-northwest-12", "mx-south-2", "cn-south-9", "eusc-de-west-2", "us-iso-north-2",
                    "us-isob-south-3", "eu-isoe-north-4", "us-isof-west-5", "us-gov-central-3", "xx-nowhere-1",
                    "ap-foo-bar-1", "eusc-fr-east-1", "zz-iso-east-1")
COMBINATIONS = list(itertools.product((False, True), (False, True)))
# The table follows the newest botocore; an older one (the floor of the supported range, `make floor`) lacks some of
# its partitions and regions, so it cannot be the oracle. A botocore that gains a partition still fails below.
PARTITIONS_BOTOCORE_LACKS = sorted({p.name for p in endpoints.PARTITIONS} - {p["id"] for p in PARTITIONS_DATA["partitions"]})
needs_current_botocore = pytest.mark.skipif(bool(PARTITIONS_BOTOCORE_LACKS), reason="botocore older than the table (no %s)"
                                            % ", ".join(PARTITIONS_BOTOCORE_LACKS))


def known_regions():
    """Every region name in botocore's partitions.json and endpoints.json that is a real region name."""
    names = set()
    for partition in PARTITIONS_DATA["partitions"]:
        names.update(partition["regions"])
    for partition in ENDPOINTS_DATA["partitions"]:
        names.update(partition["regions"])
    return sorted(name for name in names if signing.REGION_RE.match(name))


def botocore_answer(region, fips, dualstack):
    try:
        return BOTOCORE.resolve_endpoint(Region=region, UseFIPS=fips, UseDualStack=dualstack).url.rstrip("/")
    except Exception as error:  # pylint: disable=broad-except
        return "error: %s" % error


def builtin_answer(region, fips, dualstack):
    try:
        return endpoints.builtin_endpoint(region, fips, dualstack)
    except ConfigurationError as error:
        return "error: %s" % str(error).split(": ", 1)[1].split(". Check", 1)[0]


@needs_current_botocore
def test_botocore_knows_enough_regions_for_the_comparison_to_mean_something():
    regions = known_regions()
    assert len(regions) >= 40
    for expected in ("us-east-1", "cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1",
                     "us-isof-south-1", "eusc-de-east-1"):
        assert expected in regions


@needs_current_botocore
@pytest.mark.parametrize("fips, dualstack", COMBINATIONS)
def test_every_known_region_matches_botocore(fips, dualstack):
    differences = {}
    for region in known_regions() + list(UNLISTED_REGIONS):
        ours, theirs = builtin_answer(region, fips, dualstack), botocore_answer(region, fips, dualstack)
        if ours != theirs:
            differences[region] = (ours, theirs)
    assert differences == {}


@needs_current_botocore
@pytest.mark.parametrize("fips, dualstack", COMBINATIONS)
def test_fips_pseudo_regions_match_botocore_with_fips(fips, dualstack):
    for region in known_regions() + list(UNLISTED_REGIONS):
        expected = botocore_answer(region, True, dualstack)
        assert builtin_answer("fips-" + region, fips, dualstack) == expected
        assert builtin_answer(region + "-fips", fips, dualstack) == expected
        assert builtin_answer(region.upper(), fips, dualstack) == botocore_answer(region, fips, dualstack)


@needs_current_botocore
def test_the_table_is_botocores_partition_table():
    """Fails when botocore gains or changes a partition: update PARTITIONS from partitions.json."""
    theirs = [(p["id"], p["regionRegex"], p["outputs"]["dnsSuffix"], p["outputs"]["dualStackDnsSuffix"],
               p["outputs"]["supportsFIPS"], p["outputs"]["supportsDualStack"]) for p in PARTITIONS_DATA["partitions"]]
    ours = [(p.name, p.region_regex, p.dns_suffix, p.dual_stack_dns_suffix, p.supports_fips, p.supports_dual_stack)
            for p in endpoints.PARTITIONS]
    assert ours == theirs


def test_listed_regions_need_no_region_list():
    """botocore also matches a partition by its explicit region list; the table relies on the regexes alone."""
    for partition in PARTITIONS_DATA["partitions"]:
        for region in partition["regions"]:
            if signing.REGION_RE.match(region):
                assert endpoints.partition_of(region).name == partition["id"], region


@pytest.mark.parametrize("region, fips, dualstack, expected", [
    ("eu-central-2", False, False, "https://rolesanywhere.eu-central-2.amazonaws.com"),
    ("cn-north-1", True, False, "https://rolesanywhere-fips.cn-north-1.amazonaws.com.cn"),
    ("us-gov-west-1-fips", False, False, "https://rolesanywhere-fips.us-gov-west-1.amazonaws.com"),
    ("us-iso-east-1", False, True, "https://rolesanywhere.us-iso-east-1.api.aws.ic.gov"),
    ("us-isob-east-1", True, True, "https://rolesanywhere-fips.us-isob-east-1.api.aws.scloud"),
    ("eu-isoe-west-1", False, False, "https://rolesanywhere.eu-isoe-west-1.cloud.adc-e.uk"),
    ("us-isof-south-1", False, False, "https://rolesanywhere.us-isof-south-1.csp.hci.ic.gov"),
    ("eusc-de-east-1", False, True, "https://rolesanywhere.eusc-de-east-1.api.amazonwebservices.eu"),
    ("xx-nowhere-1", False, False, "https://rolesanywhere.xx-nowhere-1.amazonaws.com"),
])
def test_builtin_known_values(region, fips, dualstack, expected):
    assert endpoints.builtin_endpoint(region, fips, dualstack) == expected


def test_a_partition_without_fips_or_dualstack_is_refused_like_botocore(monkeypatch):
    limited = endpoints.Partition("aws-test", r"^tt\-\w+\-\d+$", "example.test", "api.example.test", False, False)
    monkeypatch.setattr(endpoints, "PARTITIONS", endpoints.PARTITIONS + (limited,))
    assert endpoints.builtin_endpoint("tt-east-1") == "https://rolesanywhere.tt-east-1.example.test"
    for fips, dualstack, reason in ((True, False, "does not support FIPS"), (False, True, "does not support DualStack"),
                                    (True, True, "does not support one or both")):
        with pytest.raises(ConfigurationError, match=reason) as caught:
            endpoints.builtin_endpoint("tt-east-1", fips, dualstack)
        assert "endpoint URL" in str(caught.value)


@pytest.mark.parametrize("region", ["", "us_east_1", "aws-global", "us-east", 42])
def test_bad_region_is_refused(region):
    with pytest.raises(ConfigurationError, match="region"):
        endpoints.builtin_endpoint(region)
