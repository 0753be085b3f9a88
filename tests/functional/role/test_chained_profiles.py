# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_chained_profiles: a profile in another account, assumed with the host's Roles Anywhere identity.

The AWS CLI (a client nobody here wrote) reads the written config, runs the Roles Anywhere profile's
credential_process as the source profile, and calls STS AssumeRole with those credentials (moto, behind the
emulator): one real AssumeRole, no other key anywhere. The target role is a second role of the emulator's account:
moto 5.2 does not resolve credentials of a role assumed in another account (its get_caller_identity falls back to
its default user), so the account boundary itself is AWS's to enforce; the SDKs' handling of the profile is the
same whatever account role_arn names.
"""

from __future__ import annotations

import json
import os
import subprocess

from tests.support.fleet import BIN, TEST_KEYS
from .conftest import new_fleet

TRUST_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},"Action":"sts:AssumeRole"}]}'


def aws_as(fleet, profile):
    # AWS_ENDPOINT_URL (the SDKs' endpoint setting) sends the CLI's own AssumeRole to the emulator too.
    env = fleet.env(AWS_CONFIG_FILE=fleet.config_file("h01"), AWS_PROFILE=profile, AWS_ENDPOINT_URL=fleet.endpoint)
    for key in TEST_KEYS:
        env.pop(key)
    return subprocess.run([os.path.join(BIN, "aws"), "sts", "get-caller-identity", "--endpoint-url", fleet.endpoint,
                           "--output", "json"], capture_output=True, text=True, timeout=120, env=env, check=False)


def test_chained_profile_assumes_a_role_in_another_account(emulator, trust_vars, tmp_path):
    target = emulator.boto3_client("iam").create_role(
        RoleName="deploy-%s" % tmp_path.name[-12:], AssumeRolePolicyDocument=TRUST_POLICY % trust_vars["enroll_role_arn"],
    )["Role"]
    chained = [{"name": "prod-deploy", "role_arn": target["Arn"], "external_id": "fleet-tests", "duration": 900,
                "role_session_name": "h01-deploy"}]
    fleet = new_fleet(tmp_path, emulator, trust_vars, "chained", enroll_chained_profiles=chained)
    run = fleet.playbook("enroll")
    assert run.rc == 0, run.tail()
    before = emulator.counters()
    answer = aws_as(fleet, "prod-deploy")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["Arn"] == "arn:aws:sts::%s:assumed-role/%s/h01-deploy" % (emulator.account, target["RoleName"])
    after = emulator.counters()
    assert after.get("CreateSession", 0) == before.get("CreateSession", 0) + 1  # the source profile's one session
    # The Roles Anywhere profile is unchanged beside it.
    answer = aws_as(fleet, "rolesanywhere")
    assert answer.returncode == 0, answer.stderr
    assert ":assumed-role/%s/" % trust_vars["enroll_role_arn"].rsplit("/", 1)[1] in answer.stdout

    # Re-run: nothing changes; a bad entry stops the run before anything changes, naming the entry and field.
    run = fleet.playbook("enroll")
    assert run.rc == 0 and run.recap()["h01"]["changed"] == 0, run.changed_tasks()
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        config = handle.read()
    run = fleet.playbook("enroll", extra_vars={"enroll_chained_profiles": [dict(chained[0], duration=7200)]})
    assert run.rc != 0
    assert "enroll_chained_profiles[0] (prod-deploy).duration 7200 is out of range for a chained role" in run.stdout, run.tail()
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        assert handle.read() == config
