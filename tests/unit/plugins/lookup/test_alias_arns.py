# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials lookup with alias ARNs for the trust anchor and the profile (AWS: resource-aliases.html)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleLookupError
from tests.support.aliases import make_aliased_trust, needs_alias_model

from .conftest import options_for

pytestmark = needs_alias_model


@pytest.fixture
def aliased(emulator, tmp_path):
    return make_aliased_trust(emulator, tmp_path, "lookup")


def test_alias_arns_are_accepted(emulator, aliased, run_lookup):
    trust, anchor_alias, profile_alias = aliased
    value = run_lookup(**options_for(trust, emulator, trust_anchor_arn=anchor_alias, profile_arn=profile_alias))
    assert value["role_arn"] == trust.role_arn and value["access_key"]


def test_alias_arn_region_must_match(emulator, aliased, run_lookup):
    trust, anchor_alias, profile_alias = aliased
    with pytest.raises(AnsibleLookupError, match="not in the same region and account"):
        run_lookup(**options_for(trust, emulator, trust_anchor_arn=anchor_alias, profile_arn=profile_alias.replace(emulator.region, "ap-south-1")))
    with pytest.raises(AnsibleLookupError, match="differs from the trust anchor's region"):
        run_lookup(region="ap-south-1", **options_for(trust, emulator, trust_anchor_arn=anchor_alias, profile_arn=profile_alias))
