# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A trust whose trust anchor and profile carry aliases (AWS: resource-aliases.html), for the alias ARN tests."""

from __future__ import annotations

import botocore.session
import pytest

from tests.support.scenario import make_trust

# Newer botocore releases model Roles Anywhere's aliases (aliasName, *AliasArn; 1.44.5, pinned for the tests, does);
# the floor of the supported range (`make floor`, botocore 1.35.0) predates them, so its emulator holds no aliases.
ALIASES_MODELLED = "aliasName" in botocore.session.get_session().get_service_model("rolesanywhere").shape_for(
    "CreateTrustAnchorRequest").members
needs_alias_model = pytest.mark.skipif(not ALIASES_MODELLED, reason="botocore without Roles Anywhere aliases (the floor of "
                                                                    "the supported range, `make floor`)")


def make_aliased_trust(emulator, directory, prefix):
    """(trust, trust anchor alias ARN, profile alias ARN); the alias names start with prefix."""
    trust = make_trust(emulator, directory)
    client = emulator.boto3_client("rolesanywhere")
    anchor = client.update_trust_anchor(trustAnchorId=trust.trust_anchor_id, aliasName="%s/ca-%s" % (prefix, trust.trust_anchor_id[:8]))
    profile = client.update_profile(profileId=trust.profile_id, aliasName="%s-web-%s" % (prefix, trust.profile_id[:8]))
    return trust, anchor["trustAnchor"]["aliasArn"], profile["profile"]["aliasArn"]
