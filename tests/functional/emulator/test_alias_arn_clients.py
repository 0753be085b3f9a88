# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alias ARNs through clients nobody here wrote: the AWS CLI (control plane) and AWS's Python sample (CreateSession).

What AWS says, not what the emulator believes:
- https://docs.aws.amazon.com/rolesanywhere/latest/userguide/resource-aliases.html: "You can use the alias ARN in
  place of the resource ID or the canonical ARN in many IAM Roles Anywhere operations, including CreateSession and
  the credential helper."
- botocore 1.44.5 rolesanywhere model: GetTrustAnchor's ``trustAnchorId`` is the TrustAnchorIdentifier shape (ID,
  ARN or "The alias ARN of the trust anchor"; "An ARN must be for a trust anchor in your account and Region"),
  GetProfile's ``profileId`` ProfileIdentifier, GetCrl's ``crlId`` CrlIdentifier, each a URI label.
The AWS CLI 1.46.3 pinned here carries its own older botocore (awscli/botocore, 1.43.62) whose model still types
these labels as Uuid (36..36 characters); botocore validates ``min`` but neither ``max`` nor ``pattern`` on the
client (botocore/validate.py), so the CLI sends the alias ARN percent-encoded in the path, as a newer CLI does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.aliases import make_aliased_trust, needs_alias_model

AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")

pytestmark = needs_alias_model


def aws_cli(emulator, *arguments):
    return subprocess.run([AWS_CLI, "rolesanywhere"] + list(arguments) + ["--output", "json"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=emulator.env(), timeout=180, check=False, universal_newlines=True)


@pytest.fixture(scope="module")
def aliased(emulator, tmp_path_factory):
    return make_aliased_trust(emulator, tmp_path_factory.mktemp("alias-clients"), "clients")


def test_aws_cli_gets_trust_anchor_and_profile_by_alias_arn(emulator, aliased):
    trust, anchor_alias, profile_alias = aliased
    result = aws_cli(emulator, "get-trust-anchor", "--trust-anchor-id", anchor_alias)
    assert result.returncode == 0, result.stderr
    anchor = json.loads(result.stdout)["trustAnchor"]
    assert anchor["trustAnchorArn"] == trust.trust_anchor_arn and anchor["trustAnchorId"] == trust.trust_anchor_id
    result = aws_cli(emulator, "get-profile", "--profile-id", profile_alias)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["profile"]["profileArn"] == trust.profile_arn


def test_aws_cli_alias_arn_of_another_region_is_not_found(emulator, aliased):
    # TrustAnchorIdentifier: "An ARN must be for a trust anchor in your account and Region".
    anchor_alias = aliased[1].replace(":%s:" % emulator.region, ":ap-south-1:")
    result = aws_cli(emulator, "get-trust-anchor", "--trust-anchor-id", anchor_alias)
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr, result.stderr


def test_aws_python_sample_gets_credentials_with_alias_arns(emulator_tls, tmp_path):
    sample = pytest.importorskip("iam_rolesanywhere_session")
    trust, anchor_alias, profile_alias = make_aliased_trust(emulator_tls, tmp_path, "sample")
    session = sample.IAMRolesAnywhereSession(
        profile_arn=profile_alias, role_arn=trust.role_arn, trust_anchor_arn=anchor_alias,
        certificate=trust.certificate, private_key=trust.private_key, region=emulator_tls.region,
        endpoint=emulator_tls.endpoint.split("://", 1)[1], verify=emulator_tls.ca_bundle, session_duration=900,
    ).get_session()
    identity = session.client("sts", endpoint_url=emulator_tls.endpoint).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::%s:assumed-role/%s/%s" % (emulator_tls.account, trust.role_name,
                                                                      format(trust.leaf.serial, "x"))
