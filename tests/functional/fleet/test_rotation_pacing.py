# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet-wide rotation paced to the quotas of the emulator's quota mode (scaled down: CreateSession 2/s,
IssueCertificate 1/s): no host fails, nothing is lost to throttling, and the paced calls take no longer than
1.2 x N / quota more than without quotas (tests/support/rotation.py says why the paced tasks are timed).

6 hosts in `make test`, 40 in `make test-fleet` (ROLESANYWHERE_TEST_PACING_HOSTS).
"""

from __future__ import annotations

import os

import pytest

from tests.emulator.client import EmulatorProcess
from tests.support import rotation

HOSTS = int(os.environ.get("ROLESANYWHERE_TEST_PACING_HOSTS", "6"))


@pytest.fixture(scope="module")
def quota_emulator(tmp_path_factory):
    """An emulator of this module's own: its faults (quota mode) are set and cleared by the test."""
    log = tmp_path_factory.mktemp("quota-emulator") / "emulator.log"
    with EmulatorProcess.start(log_path=str(log)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def fleet(quota_emulator, tmp_path_factory):
    """HOSTS hosts signed by ACM PCA, enrolled once for both tests (each test leaves the inventory as it found it)."""
    return rotation.make_acm_pca_fleet(str(tmp_path_factory.mktemp("paced")), quota_emulator, HOSTS)


def test_rotation_is_paced_to_the_quotas(quota_emulator, fleet):
    before = fleet.serials()

    # the fixed cost: the same rotation without quotas and without pacing
    unpaced = rotation.rotate(fleet, quota_emulator)
    assert unpaced.failed_hosts() == [], unpaced.summary()
    assert unpaced.counters.get("IssueCertificate") == HOSTS and unpaced.counters.get("CreateSession") == HOSTS

    paced = rotation.rotate(fleet, quota_emulator, rotation.SCALED_QUOTAS)
    assert paced.run.rc == 0 and paced.failed_hosts() == [], paced.summary()
    # one call per host got through; a throttled call (arrival jitter) was retried, never dropped
    assert paced.accepted("IssueCertificate") == HOSTS and paced.accepted("CreateSession") == HOSTS, paced.summary()
    throttled = sum(paced.throttled().values())
    assert throttled <= HOSTS // 2, "pacing let %d calls be throttled: %s" % (throttled, paced.summary())
    # the calls took no longer than the quotas need: the paced tasks within 1.2 x N / quota of their unpaced time
    fixed = unpaced.paced_task_seconds()
    assert fixed > 0, unpaced.run.tail()
    limit = rotation.bound(HOSTS, rotation.SCALED_QUOTAS, fixed)
    assert paced.paced_task_seconds() <= limit, "paced: %s; bound %.1f s (unpaced: %s)" % (paced.summary(), limit, unpaced.summary())
    # and the pacing did hold them back: (N - 1) intervals per phase at the role's rates
    held = sum((HOSTS - 1) / (rotation.HEADROOM * rate) for rate in rotation.SCALED_QUOTAS.values())
    assert paced.paced_task_seconds() >= held, paced.summary()
    after = fleet.serials()
    assert all(after[host] != before[host] for host in fleet.hosts)
    assert "Rotation failed on" not in paced.run.stdout


def test_throttling_is_retried_and_a_failed_host_reported(quota_emulator, fleet):
    """Unpaced calls over the quota are throttled and retried; a host that fails is named, the others rotate."""
    before = fleet.serials()
    ca_arn = fleet.group_vars["enroll_acm_pca_arn"]
    fleet.host_vars = {"h01": {"enroll_acm_pca_arn": ca_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"}}
    fleet.write_inventory()
    try:
        burst = rotation.rotate(fleet, quota_emulator, {"issue-certificate": 1.0}, paced=False)
    finally:
        fleet.host_vars = {}
        fleet.write_inventory()
    assert burst.counters.get("IssueCertificate:throttled", 0) > 0, burst.summary()
    assert burst.failed_hosts() == ["h01"], burst.summary()
    assert "Rotation failed on 1 of %d host(s): h01. Each keeps its old certificate" % HOSTS in burst.run.stdout, burst.run.tail()
    after = fleet.serials()
    assert after["h01"] == before["h01"]
    assert all(after[host] != before[host] for host in fleet.hosts[1:])
