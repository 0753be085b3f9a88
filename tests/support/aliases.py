# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A trust whose trust anchor and profile carry aliases (AWS: resource-aliases.html), for the alias ARN tests."""

from __future__ import annotations

from tests.support.scenario import make_trust


def make_aliased_trust(emulator, directory, prefix):
    """(trust, trust anchor alias ARN, profile alias ARN); the alias names start with prefix."""
    trust = make_trust(emulator, directory)
    client = emulator.boto3_client("rolesanywhere")
    anchor = client.update_trust_anchor(trustAnchorId=trust.trust_anchor_id, aliasName="%s/ca-%s" % (prefix, trust.trust_anchor_id[:8]))
    profile = client.update_profile(profileId=trust.profile_id, aliasName="%s-web-%s" % (prefix, trust.profile_id[:8]))
    return trust, anchor["trustAnchor"]["aliasArn"], profile["profile"]["aliasArn"]
