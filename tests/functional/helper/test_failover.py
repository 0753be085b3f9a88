# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``--failover`` (issue 15) against TWO emulator processes, one per region: the first stops mid-run and the
second answers; a 4xx of the first does not fail over; one cache entry per identity."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from tests.conftest import SHARED_ACCOUNT_ARGS
from tests.emulator.client import EmulatorProcess
from tests.functional.helper.helpers import Serving, assert_error, run_helper, session_args
from tests.functional.helper.test_serve import wait_until
from tests.support.scenario import make_trust, trust_policy

EAST, WEST = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def west(tmp_path_factory):
    """The second region: its own emulator process (its own moto: the role is created there too, same ARN)."""
    directory = tmp_path_factory.mktemp("emulator-west")
    process = EmulatorProcess.start(region=WEST, log_path=str(directory / "emulator.log"), extra_args=SHARED_ACCOUNT_ARGS)
    yield process
    process.stop()


@pytest.fixture
def east(tmp_path):
    """The first region, a process of its own per test: tests stop it."""
    process = EmulatorProcess.start(region=EAST, log_path=str(tmp_path / "emulator-east.log"), extra_args=SHARED_ACCOUNT_ARGS)
    yield process
    process.stop()


class Regions(object):
    """One CA, role and certificate; a trust anchor and profile in each emulator (what trust.yml sets up)."""

    def __init__(self, east, west, directory):
        self.east, self.west = east, west
        self.trust = make_trust(east, directory, accept_role_session_name=True)
        rolesanywhere = west.boto3_client("rolesanywhere")
        suffix = uuid.uuid4().hex[:10]
        anchor = rolesanywhere.create_trust_anchor(
            name="west-anchor-%s" % suffix, enabled=True,
            source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": self.trust.ca.cert_pem.decode("ascii")}},
        )["trustAnchor"]
        west.boto3_client("iam").create_role(RoleName=self.trust.role_name, MaxSessionDuration=43200,
                                             AssumeRolePolicyDocument=json.dumps(trust_policy(anchor["trustAnchorArn"])))
        profile = rolesanywhere.create_profile(name="west-profile-%s" % suffix, roleArns=[self.trust.role_arn], enabled=True,
                                               acceptRoleSessionName=True)["profile"]
        self.west_anchor_arn, self.west_profile_arn = anchor["trustAnchorArn"], profile["profileArn"]
        assert ":%s:" % WEST in self.west_anchor_arn and ":%s:" % EAST in self.trust.trust_anchor_arn

    def args(self, **extra):
        """The first region's session flags plus one --failover set naming the second (region from its ARN)."""
        return session_args(self.trust, **extra) + [
            "--failover", "trust-anchor-arn=%s,profile-arn=%s,endpoint=%s" % (self.west_anchor_arn, self.west_profile_arn,
                                                                              self.west.endpoint)]

    def sessions(self):
        """CreateSession calls answered by (east, west) since the last reset (east: None once stopped)."""
        east = self.east.counters().get("CreateSession", 0) if self.east.process.poll() is None else None
        return east, self.west.counters().get("CreateSession", 0)

    def reset(self):
        self.east.reset_counters()
        self.west.reset_counters()


@pytest.fixture
def regions(east, west, tmp_path):
    made = Regions(east, west, tmp_path / "trust")
    made.reset()
    return made


@pytest.fixture
def env(east, tmp_path):
    environment = east.env()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        environment.pop(name, None)
    environment.pop("XDG_RUNTIME_DIR", None)
    environment["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    environment["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "aws" / "credentials")
    return environment


def cache_entries(env):
    directory = os.path.join(env["XDG_CACHE_HOME"], "rolesanywhere-fleet")
    return sorted(name for name in os.listdir(directory) if name.endswith(".cred")) if os.path.isdir(directory) else []


def test_credential_process_fails_over_when_the_first_region_stops(helper, regions, env):
    command = ["credential-process", "--cache"] + regions.args()
    first = run_helper(helper, command, env)
    assert first.returncode == 0, first.stderr
    assert regions.sessions() == (1, 0) and first.stderr == b""
    entries = cache_entries(env)
    assert len(entries) == 1

    regions.east.stop()  # mid-run: the next calls find nobody listening in the first region
    hit = run_helper(helper, command, env)
    assert hit.returncode == 0 and hit.stdout == first.stdout  # valid cached credentials: no CreateSession anywhere
    assert regions.sessions() == (None, 0)

    uncached = run_helper(helper, ["credential-process"] + regions.args(), env)
    assert uncached.returncode == 0, uncached.stderr
    document = json.loads(uncached.stdout)
    assert document["AccessKeyId"] != json.loads(first.stdout)["AccessKeyId"]
    assert regions.sessions() == (None, 1)
    stderr = uncached.stderr.decode()
    assert "CreateSession in %s (%s) failed, trying %s (%s), the next --failover set: cannot reach" % (
        EAST, regions.trust.endpoint, WEST, regions.west.endpoint) in stderr
    assert document["SecretAccessKey"] not in stderr and document["SessionToken"] not in stderr

    # The entry runs out (removed here): the cold path fails over and refills the SAME entry, once.
    os.unlink(os.path.join(env["XDG_CACHE_HOME"], "rolesanywhere-fleet", entries[0]))
    refilled = run_helper(helper, command, env)
    assert refilled.returncode == 0, refilled.stderr
    assert cache_entries(env) == entries and regions.sessions() == (None, 2)
    again = run_helper(helper, command, env)
    assert again.stdout == refilled.stdout and regions.sessions() == (None, 2)


def test_5xx_of_the_first_region_fails_over(helper, regions, env):
    regions.east.set_faults(error_rate=1)
    result = run_helper(helper, ["credential-process"] + regions.args(), env)
    assert result.returncode == 0, result.stderr
    assert regions.sessions() == (3, 1)  # the first region's retries ran out before the second was asked
    assert "HTTP 5" in result.stderr.decode() and "trying %s" % WEST in result.stderr.decode()


def test_a_4xx_of_the_first_region_does_not_fail_over(helper, regions, env):
    anchor_id = regions.trust.trust_anchor_id
    regions.east.boto3_client("rolesanywhere").disable_trust_anchor(trustAnchorId=anchor_id)
    result = run_helper(helper, ["credential-process", "--cache"] + regions.args(), env)
    assert_error(result, "HTTP 403")
    assert regions.sessions() == (1, 0)  # refused in the first region, never asked in the second
    assert cache_entries(env) == []


def test_update_refresh_fails_over(helper, regions, env, tmp_path):
    import subprocess  # pylint: disable=import-outside-toplevel

    path = env["AWS_SHARED_CREDENTIALS_FILE"]
    log_path = tmp_path / "update.log"
    command = [helper, "update"] + regions.args(session_duration=900, refresh_margin=898)  # refresh about every 2 s

    def key_id():
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            lines = [line for line in handle.read().splitlines() if line.startswith("aws_access_key_id")]
        return lines[0].split("=", 1)[1].strip() if lines else None

    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=env)
    try:
        assert wait_until(lambda: key_id() is not None), log_path.read_text()
        assert regions.sessions()[1] == 0
        regions.east.stop()
        written = key_id()
        assert wait_until(lambda: regions.sessions()[1] >= 1 and key_id() != written), log_path.read_text()
        assert "trying %s" % WEST in log_path.read_text()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_refresh_fails_over(helper, regions, env, tmp_path):
    args = regions.args(session_duration=900, refresh_margin=898)
    with Serving(helper, args, env, tmp_path / "serve.log") as serving:
        def served_key():
            status, _headers, body = serving.request(
                "GET", "/latest/meta-data/iam/security-credentials/" + regions.trust.role_name,
                {"X-aws-ec2-metadata-token": serving.token()})
            return json.loads(body)["AccessKeyId"] if status == 200 else None

        first = served_key()
        assert first and regions.sessions()[1] == 0
        regions.east.stop()
        assert wait_until(lambda: regions.sessions()[1] >= 1 and served_key() not in (None, first)), serving.log()
        assert "trying %s" % WEST in serving.log()
