# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""trust.yml with two regions (issue 15), each region an emulator process of its own sharing one IAM (the second
uses the first's moto, as every region shares AWS's global IAM): the same CA is a trust anchor and the same profile
exists in both, a re-run changes nothing, the role's trust policy names both anchors, and hosts enrolled with the
written variables fail over to the second region when the first stops."""

from __future__ import annotations

import configparser
import json
import shlex
import subprocess

import pytest
import yaml

from tests.conftest import SHARED_ACCOUNT_ARGS
from tests.emulator.client import EmulatorProcess
from tests.support.fleet import Fleet

WEST = "us-west-2"


@pytest.fixture
def east(tmp_path):
    process = EmulatorProcess.start(log_path=str(tmp_path / "east.log"), extra_args=SHARED_ACCOUNT_ARGS)
    yield process
    process.stop()


@pytest.fixture
def west(east, tmp_path):
    process = EmulatorProcess.start(region=WEST, log_path=str(tmp_path / "west.log"),
                                    extra_args=SHARED_ACCOUNT_ARGS + ["--moto-url", east.moto_endpoint])
    yield process
    process.stop()


def named(emulator, name):
    """(trust anchors, profiles) of that name in one emulator's region."""
    client = emulator.boto3_client("rolesanywhere")
    anchors = [a for a in client.list_trust_anchors()["trustAnchors"] if a["name"] == name]
    profiles = [p for p in client.list_profiles()["profiles"] if p["name"] == name]
    return anchors, profiles


def test_trust_in_two_regions_then_failover(east, west, tmp_path):
    fleet = Fleet(str(tmp_path), east.endpoint, east.region, size=2, name="multi")
    regions = [east.region, {"region": WEST, "endpoint_url": west.endpoint}]
    run = fleet.trust(rolesanywhere_trust_regions=regions)
    assert run.rc == 0, run.tail()

    with open(fleet.vars_file(), encoding="utf-8") as handle:
        written = yaml.safe_load(handle)
    (east_anchor,), (east_profile,) = named(east, "multi")
    (west_anchor,), (west_profile,) = named(west, "multi")
    assert east_anchor["source"] == west_anchor["source"]  # the same CA in both regions
    assert east_profile["roleArns"] == west_profile["roleArns"] == [written["enroll_role_arn"]]
    assert written["enroll_trust_anchor_arn"] == east_anchor["trustAnchorArn"]
    assert written["enroll_profile_arn"] == east_profile["profileArn"]
    assert written["enroll_regions"] == [
        {"region": east.region, "trust_anchor_arn": east_anchor["trustAnchorArn"], "profile_arn": east_profile["profileArn"]},
        {"region": WEST, "trust_anchor_arn": west_anchor["trustAnchorArn"], "profile_arn": west_profile["profileArn"],
         "endpoint_url": west.endpoint},
    ]
    role = east.boto3_client("iam").get_role(RoleName=written["enroll_role_arn"].rsplit("/", 1)[1])["Role"]
    condition = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(condition) == sorted([east_anchor["trustAnchorArn"], west_anchor["trustAnchorArn"]])

    again = fleet.trust(rolesanywhere_trust_regions=regions)
    assert again.rc == 0 and again.recap()["localhost"]["changed"] == 0, (again.recap(), again.changed_tasks())
    assert (len(named(east, "multi")[0]), len(named(west, "multi")[0])) == (1, 1)

    # Hosts enrolled with the written variables: the profile's helper carries the second region as --failover.
    run = fleet.playbook("enroll")
    assert run.rc == 0, run.tail()
    parser = configparser.RawConfigParser()
    parser.read(fleet.config_file("h01"))
    command = shlex.split(parser.get("profile rolesanywhere", "credential_process"))
    assert command[command.index("--failover") + 1] == "trust-anchor-arn=%s,profile-arn=%s,region=%s,endpoint=%s" % (
        west_anchor["trustAnchorArn"], west_profile["profileArn"], WEST, west.endpoint)
    assert fleet.playbook("enroll").recap()["h01"]["changed"] == 0

    west.reset_counters()
    # The first region stops answering (its Roles Anywhere only: IAM, global, stays up): the host's credential_process
    # gets its credentials from the second.
    east.set_faults(drop_rate=1)
    command = [part for part in command if part != "--cache"]
    answer = subprocess.run(command, capture_output=True, text=True, timeout=120, env=fleet.env(), check=False)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["AccessKeyId"] and west.counters().get("CreateSession") == 1
    assert "trying %s" % WEST in answer.stderr and east.counters().get("CreateSession:dropped", 0) >= 1


def test_acm_pca_signer_is_refused_for_several_regions(east, tmp_path):
    fleet = Fleet(str(tmp_path), east.endpoint, east.region, size=1, name="pcamulti")
    run = fleet.trust(rolesanywhere_trust_regions=[east.region, WEST], enroll_signer="acm_pca",
                      enroll_acm_pca_arn="arn:aws:acm-pca:%s:%s:certificate-authority/11111111-2222-3333-4444-555555555555"
                      % (east.region, east.account))
    assert run.rc != 0
    assert "an ACM Private CA is the trust anchor of its own region only" in run.stdout + run.stderr
    assert named(east, "pcamulti") == ([], [])  # nothing was made
