# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_regions (issue 15): checked entries become the helper's --failover sets in the profile and the unit."""

from __future__ import annotations

import shlex

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import decide
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.regions import failover_sets
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import cli
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.failover import parse_failover_set

from .test_decide import ANCHOR, PROFILE, ROLE, settings_for

ACCOUNT = ANCHOR.split(":")[4]
REGION = ANCHOR.split(":")[3]
OTHER = "us-west-2" if REGION != "us-west-2" else "eu-west-1"
WEST_ANCHOR = "arn:aws:rolesanywhere:%s:%s:trust-anchor/21111111-2222-3333-4444-555555555555" % (OTHER, ACCOUNT)
WEST_PROFILE = "arn:aws:rolesanywhere:%s:%s:profile/21111111-2222-3333-4444-666666666666" % (OTHER, ACCOUNT)
FIRST = {"region": REGION, "trust_anchor_arn": ANCHOR, "profile_arn": PROFILE}
WEST = {"region": OTHER, "trust_anchor_arn": WEST_ANCHOR, "profile_arn": WEST_PROFILE}


def test_the_first_set_is_left_out_and_the_others_kept_in_order():
    values = failover_sets([FIRST, WEST, dict(WEST), dict(WEST, region=None, endpoint_url="http://127.0.0.1:9")],
                           ANCHOR, PROFILE, ROLE)
    assert values == ("trust-anchor-arn=%s,profile-arn=%s,region=%s" % (WEST_ANCHOR, WEST_PROFILE, OTHER),)
    assert failover_sets([], ANCHOR, PROFILE, ROLE) == () == failover_sets([FIRST], ANCHOR, PROFILE, ROLE)
    # What the role writes is what the helper reads back.
    assert parse_failover_set(values[0]) == (WEST_ANCHOR, WEST_PROFILE, OTHER, None)
    endpoint = failover_sets([{"trust_anchor_arn": WEST_ANCHOR, "profile_arn": WEST_PROFILE, "endpoint_url": "https://vpce.example"}],
                             ANCHOR, PROFILE, ROLE)
    assert parse_failover_set(endpoint[0]) == (WEST_ANCHOR, WEST_PROFILE, None, "https://vpce.example")


@pytest.mark.parametrize("entries, words", [
    ("x", "enroll_regions must be a list"),
    (["x"], "enroll_regions[0] must be a dictionary"),
    ([dict(WEST, zone="a")], "enroll_regions[0] has unknown field(s) zone"),
    ([dict(WEST, profile_arn=PROFILE)], "enroll_regions[0]: trust_anchor_arn (%s, account %s) and profile_arn (%s" % (OTHER, ACCOUNT, REGION)),
    ([dict(WEST, trust_anchor_arn="")], "enroll_regions[0]: "),
    ([dict(WEST, region=REGION)], "enroll_regions[0]: region %s is not the region of its trust anchor" % REGION),
    ([dict(WEST, region="Europe")], "enroll_regions[0]: region 'Europe' is not an AWS region name"),
    ([FIRST, dict(WEST, endpoint_url="a,b")], "enroll_regions[1]: endpoint_url 'a,b' is not an http(s) URL"),
])
def test_bad_entries_are_named(entries, words):
    with pytest.raises(ConfigurationError) as caught:
        failover_sets(entries, ANCHOR, PROFILE, ROLE)
    assert words in str(caught.value)


def test_aws_signing_helper_cannot_fail_over():
    with pytest.raises(ConfigurationError, match="AWS's aws_signing_helper cannot fail over between regions"):
        failover_sets([FIRST, WEST], ANCHOR, PROFILE, ROLE, helper="aws_signing_helper")
    assert failover_sets([FIRST], ANCHOR, PROFILE, ROLE, helper="aws_signing_helper") == ()


def test_profile_and_unit_carry_the_failover_sets(tmp_path):
    settings = settings_for(tmp_path)
    settings.helper.failover = failover_sets([FIRST, WEST], ANCHOR, PROFILE, ROLE)
    settings.systemd = "update"
    decision = decide(settings)
    line = decision["profile_block"]["plain"].splitlines()[1]
    argv = shlex.split(line.split(" = ", 1)[1])
    assert argv[argv.index("--failover") + 1] == settings.helper.failover[0] and "--cache" in argv
    parsed = cli.parse_arguments(argv[1:])  # the helper reads the line the role wrote
    assert parsed.failover == list(settings.helper.failover) and parsed.trust_anchor_arn == ANCHOR
    assert '"--failover" "trust-anchor-arn=%s' % WEST_ANCHOR in decision["unit"]["content"]["plain"]
    # Without enroll_regions the line is what it always was.
    assert "--failover" not in decide(settings_for(tmp_path))["profile_block"]["plain"]
