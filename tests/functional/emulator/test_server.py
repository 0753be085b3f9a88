# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator as a process: command line, TLS, routing to moto, faults, counters, shutdown."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from tests.emulator.client import ROOT, EmulatorError, EmulatorProcess
from tests.functional.emulator import helpers
from tests.support.scenario import make_trust

NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"}, proxies={})


@pytest.fixture(scope="module")
def trust(emulator, tmp_path_factory):
    return make_trust(emulator, tmp_path_factory.mktemp("server-trust"))


def code_of(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["ResponseMetadata"]["HTTPStatusCode"], caught.value.response["Error"]["Code"]


# --- the process --------------------------------------------------------------------------------

def test_first_line_describes_the_endpoint(emulator):
    assert urlsplit(emulator.endpoint).hostname == "127.0.0.1"
    assert emulator.moto_endpoint == emulator.endpoint
    assert (emulator.ca_bundle, emulator.region, emulator.account) == (None, "us-east-1", "123456789012")


def test_one_endpoint_serves_moto_too(emulator):
    iam = emulator.boto3_client("iam")
    iam.create_role(RoleName="routing-check", AssumeRolePolicyDocument="{}")
    assert iam.get_role(RoleName="routing-check")["Role"]["Arn"] == "arn:aws:iam::%s:role/routing-check" % emulator.account
    assert emulator.boto3_client("sts").get_caller_identity()["Account"] == emulator.account
    assert emulator.counters().get("moto:iam", 0) >= 2


def test_https_with_the_written_ca(emulator_tls):
    assert emulator_tls.endpoint.startswith("https://127.0.0.1:")
    with open(emulator_tls.ca_bundle, encoding="ascii") as handle:
        assert handle.read().startswith("-----BEGIN CERTIFICATE-----")
    assert emulator_tls.boto3_client("rolesanywhere").list_profiles()["ResponseMetadata"]["HTTPStatusCode"] == 200
    client = emulator_tls.boto3_client("rolesanywhere", verify=True, config=NO_RETRY)
    with pytest.raises(Exception) as caught:
        client.list_profiles()
    assert "certificate" in str(caught.value).lower() or "ssl" in str(caught.value).lower()
    assert (os.stat(os.path.dirname(emulator_tls.ca_bundle)).st_mode & 0o777) == 0o700
    assert (os.stat(os.path.join(os.path.dirname(emulator_tls.ca_bundle), "server.key")).st_mode & 0o777) == 0o600


def test_other_account_and_sigterm(tmp_path):
    with EmulatorProcess.start(account="111122223333", region="eu-west-1") as other:
        trust = make_trust(other, tmp_path)
        assert trust.role_arn.startswith("arn:aws:iam::111122223333:role/")
        assert trust.trust_anchor_arn.startswith("arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/")
        credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                               trust.role_arn, endpoint=other.endpoint)
        assert credentials.assumed_role_arn.startswith("arn:aws:sts::111122223333:assumed-role/")
        started = time.monotonic()
        other.process.send_signal(signal.SIGTERM)
        assert other.process.wait(15) == 0
        assert time.monotonic() - started < 10


def test_with_an_external_moto(tmp_path):
    from moto.server import ThreadedMotoServer  # pylint: disable=import-outside-toplevel

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        url = "http://%s:%d" % (host, port)
        with EmulatorProcess.start(account="444455556666", extra_args=["--moto-url", url]) as emulator:
            assert emulator.moto_endpoint == url
            trust = make_trust(emulator, tmp_path)
            assert trust.role_arn.startswith("arn:aws:iam::444455556666:role/")
            credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                                   trust.role_arn, endpoint=emulator.endpoint)
            assert credentials.assumed_role_arn.startswith("arn:aws:sts::444455556666:assumed-role/%s/" % trust.role_name)
    finally:
        moto.stop()


def test_stops_by_itself_after_max_lifetime():
    emulator = EmulatorProcess.start(extra_args=["--max-lifetime", "1"])
    try:
        assert emulator.process.wait(20) == 0
    finally:
        emulator.stop()


@pytest.mark.parametrize("argument, words", [
    (["--account", "123"], "12 digits"),
    (["--region", "Moon"], "not an AWS region"),
    (["--error-rate", "2"], "between 0 and 1"),
    (["--throttle", "sometimes"], "aws"),
])
def test_bad_command_line(argument, words):
    result = subprocess.run([sys.executable, "-m", "tests.emulator"] + argument, cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2 and words in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_port_in_use_is_a_clear_error(emulator):
    port = str(urlsplit(emulator.endpoint).port)
    with pytest.raises(EmulatorError) as caught:
        EmulatorProcess.start(extra_args=["--port", port])
    assert "cannot listen" in str(caught.value) and "Traceback" not in str(caught.value)


# --- faults and counters ------------------------------------------------------------------------

def test_counters(emulator_faults, trust):
    emulator = emulator_faults
    emulator.reset_counters()
    client = emulator.boto3_client("rolesanywhere")
    client.list_profiles()
    client.list_profiles()
    helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    counts = emulator.counters()
    assert (counts["ListProfiles"], counts["CreateSession"]) == (2, 1)


def statuses_of(call, times):
    results = []
    for _attempt in range(times):
        try:
            call()
            results.append(200)
        except ClientError as error:
            results.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
    return results


def test_aws_quotas(emulator_faults, trust):
    emulator = emulator_faults
    emulator.set_faults(throttle="aws")
    material = helpers.material_for(trust)
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: helpers.create_session(material, trust, emulator.endpoint), range(20)))
    statuses = [answer.status for answer in answers]
    assert statuses.count(201) >= 10 and 429 in statuses, statuses
    refused = next(answer for answer in answers if answer.status == 429)
    assert (refused.code, refused.message) == ("ThrottlingException", "Rate exceeded")
    client = emulator.boto3_client("rolesanywhere", config=NO_RETRY)
    # One family shares one bucket of 1 request/s: of a list and seven gets sent at once, most are refused
    # (sent together so that a slow, loaded machine cannot spread them over several seconds).
    calls = [client.list_trust_anchors] + [lambda: client.get_trust_anchor(trustAnchorId=trust.trust_anchor_id)] * 7
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        results = [status for batch in pool.map(lambda call: statuses_of(call, 1), calls) for status in batch]
    assert 429 in results, results
    client.list_profiles()  # another family has its own bucket
    time.sleep(1.1)
    client.list_trust_anchors()


def test_throttle_at_a_given_rate(emulator_faults):
    emulator = emulator_faults
    # One request per 20 s (burst 1): the second request is throttled even on a heavily loaded machine.
    emulator.set_faults(throttle={"ListCrls": 0.05})
    client = emulator.boto3_client("rolesanywhere", config=NO_RETRY)
    results = statuses_of(client.list_crls, 3)
    assert results[0] == 200 and 429 in results, results
    client.list_profiles()


def test_boto3_retries_through_throttling(emulator_faults):
    emulator = emulator_faults
    # One request per 2 s: back-to-back calls are throttled however slow the machine, and retried.
    emulator.set_faults(throttle={"profile": 0.5})
    client = emulator.boto3_client("rolesanywhere", config=Config(retries={"max_attempts": 8, "mode": "standard"}, proxies={}))
    for _attempt in range(3):
        client.list_profiles()
    assert emulator.counters().get("ListProfiles:throttled", 0) >= 1


def test_random_errors(emulator_faults):
    emulator = emulator_faults
    emulator.set_faults(error_rate=1)
    client = emulator.boto3_client("rolesanywhere", config=NO_RETRY)
    assert code_of(client.list_profiles) == (500, "InternalServerException")
    emulator.set_faults(error_rate=0)
    client.list_profiles()


def test_latency(emulator_faults):
    emulator = emulator_faults
    emulator.set_faults(latency_ms=300)
    client = emulator.boto3_client("rolesanywhere")
    started = time.monotonic()
    client.list_profiles()
    assert time.monotonic() - started >= 0.3


def test_dropped_connections(emulator_faults, trust):
    emulator = emulator_faults
    emulator.set_faults(drop_rate=1)
    client = emulator.boto3_client("rolesanywhere", config=NO_RETRY)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        client.list_profiles()
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert emulator.counters().get("CreateSession:dropped", 0) >= 1


def test_transport_retries_past_faults(emulator_faults, trust):
    emulator = emulator_faults
    emulator.set_faults(error_rate=0.5)
    statuses = []
    for _attempt in range(4):
        credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                               trust.role_arn, endpoint=emulator.endpoint, max_attempts=10, sleep=lambda _: None)
        statuses.append(bool(credentials.access_key_id))
    assert all(statuses)


def test_fault_settings_are_checked(emulator_faults):
    emulator = emulator_faults
    for bad in ({"error_rate": 2}, {"throttle": {"NoSuchOperation": 1}}, {"latency_ms": -1}, {"colour": "red"}):
        request = urllib.request.Request(emulator.endpoint + "/_emulator/faults", data=json.dumps(bad).encode(), method="POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
        assert caught.value.code == 400 and json.loads(caught.value.read())["message"]
    assert emulator.faults() == {"throttle": None, "error_rate": 0.0, "latency_ms": 0, "drop_rate": 0.0}


def test_faults_at_start(tmp_path):
    with EmulatorProcess.start(extra_args=["--throttle", '{"ListProfiles": 1}', "--latency-ms", "5"]) as emulator:
        assert emulator.faults()["throttle"] == {"ListProfiles": 1}
        client = emulator.boto3_client("rolesanywhere", config=NO_RETRY)
        assert 429 in statuses_of(client.list_profiles, 3)


# --- secrets ------------------------------------------------------------------------------------

def test_no_secret_in_logs_or_admin_answers(emulator, trust):
    credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                           trust.role_arn, endpoint=emulator.endpoint)
    helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, role_session_name="refused-name")
    with open(trust.private_key, encoding="ascii") as handle:
        key_body = handle.read().splitlines()[1]
    with open(emulator.log_path, encoding="utf-8", errors="replace") as handle:
        log = handle.read()
    admin = json.dumps([emulator.counters(), emulator.failures(), emulator.faults()])
    for secret in (credentials.secret_access_key, credentials.session_token, key_body):
        assert secret not in log and secret not in admin
        assert secret not in repr(credentials)
