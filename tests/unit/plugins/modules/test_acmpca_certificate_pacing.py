# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""acmpca_certificate issue_rate: IssueCertificate calls paced to the CA's quota (the emulator's quota mode);
a call over the quota is throttled (ThrottlingException) and retried, not failed."""

from __future__ import annotations

import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import api
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from tests.functional.emulator.test_acmpca import make_ca, make_csr

QUOTA = 0.5  # IssueCertificate per second: one call every 2 s
# For the unpaced call to be over the quota whatever the machine's load, the bucket must not refill between two module
# runs: one call every 10 s (a loaded 2-core machine took over 2 s between them, and the call went through unthrottled).
THROTTLE_QUOTA = 0.1


@pytest.fixture
def private_pacing(tmp_path, monkeypatch):
    """The pacing state in a scratch directory, not in the real ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    return tmp_path / "cache" / "rolesanywhere-fleet" / "pacing"


def issue(modules, arn, name, **params):
    return modules.run_ok("acmpca_certificate", certificate_authority_arn=arn, csr=make_csr(name).decode(),
                          validity={"value": 7, "type": "DAYS"}, **params)


def test_issue_rate_keeps_calls_within_the_quota(modules, emulator_faults, private_pacing):
    arn, _ca = make_ca(emulator_faults.boto3_client("acm-pca"))
    emulator_faults.set_faults(throttle={"issue-certificate": QUOTA})
    started = time.monotonic()
    for name in ("a.example.com", "b.example.com", "c.example.com"):
        issue(modules, arn, name, issue_rate=0.9 * QUOTA)
        assert modules.calls.get("IssueCertificate") == 1 and "IssueCertificate:throttled" not in modules.calls, modules.calls
    assert time.monotonic() - started >= 2 / (0.9 * QUOTA)
    assert (private_pacing / "pacing.json").exists()


def test_a_call_over_the_quota_is_throttled_and_retried(modules, emulator_faults, private_pacing):
    arn, _ca = make_ca(emulator_faults.boto3_client("acm-pca"))
    emulator_faults.set_faults(throttle={"issue-certificate": THROTTLE_QUOTA})
    issue(modules, arn, "a.example.com")
    result = issue(modules, arn, "b.example.com")  # unpaced, right after: over the quota
    assert modules.calls.get("IssueCertificate:throttled", 0) >= 1, modules.calls
    assert result["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert not private_pacing.exists()  # issue_rate 0: no pacing state


def test_the_client_retries_acm_pcas_throttling_code():
    # amazon.aws's AWSRetry retries "Throttling" and "TooManyRequestsException" but not ACM PCA's
    # "ThrottlingException" (https://docs.aws.amazon.com/privateca/latest/APIReference/CommonErrors.html) by itself
    assert not AWSRetry.found("ThrottlingException")
    assert AWSRetry.found("ThrottlingException", api.THROTTLING_ERROR_CODES)


def test_a_bad_rate_is_refused_before_any_call(modules, emulator_faults, private_pacing):
    arn, _ca = make_ca(emulator_faults.boto3_client("acm-pca"))
    result = modules.run("acmpca_certificate", certificate_authority_arn=arn, csr=make_csr().decode(),
                         validity={"value": 7, "type": "DAYS"}, issue_rate=-1)
    assert result["failed"] and "issue_rate must be a number of requests per second >= 0" in result["msg"]
    assert "IssueCertificate" not in modules.calls and "Traceback" not in result["msg"]
