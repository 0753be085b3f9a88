# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pacer: start times 1/rate apart per quota key, shared by processes through a private state file."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import pacing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.pacing import Pacer, PacingUnavailable
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


class FakeClock:
    def __init__(self, now=1000.0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)


def pacer(tmp_path, clock):
    return Pacer(str(tmp_path / "pacing"), clock=clock, sleep=clock.sleep)


def test_starts_are_one_interval_apart_per_key(tmp_path):
    clock = FakeClock()
    shared = pacer(tmp_path, clock)
    assert [shared.wait("CreateSession a", 2) for _attempt in range(4)] == [0.0, 0.5, 1.0, 1.5]
    assert clock.slept == [0.5, 1.0, 1.5]
    # another key has its own queue; a second Pacer on the same directory (another fork) shares the first's
    assert shared.wait("IssueCertificate a", 1) == 0.0
    assert pacer(tmp_path, clock).wait("CreateSession a", 2) == 2.0


def test_time_passing_frees_the_queue(tmp_path):
    clock = FakeClock()
    shared = pacer(tmp_path, clock)
    assert shared.wait("k", 4) == 0.0
    assert shared.wait("k", 4) == 0.25
    clock.now += 10
    assert shared.wait("k", 4) == 0.0
    clock.now += 0.1
    assert shared.wait("k", 4) == pytest.approx(0.15)


def test_rate_zero_is_no_pacing_and_bad_rates_are_refused(tmp_path):
    clock = FakeClock()
    shared = pacer(tmp_path, clock)
    assert [shared.wait("k", 0) for _attempt in range(3)] == [0.0, 0.0, 0.0]
    assert shared.wait("k", None) == 0.0
    assert not (tmp_path / "pacing").exists()  # nothing written without pacing
    for bad in (-1, "fast", float("nan"), float("inf")):
        with pytest.raises(ConfigurationError, match="requests per second"):
            shared.wait("k", bad)


def test_a_restarted_monotonic_clock_does_not_stall_the_queue(tmp_path):
    clock = FakeClock(now=5_000_000.0)
    shared = pacer(tmp_path, clock)
    shared.wait("k", 1)
    shared.wait("k", 1)
    clock.now = 50.0  # rebooted: the stored start is far ahead of the new clock
    assert shared.wait("k", 1) == 0.0
    assert shared.wait("k", 1) == 1.0


def test_state_is_private_and_expired_keys_are_dropped(tmp_path):
    clock = FakeClock()
    shared = pacer(tmp_path, clock)
    shared.wait("old", 1)
    clock.now += 5
    shared.wait("new", 1)
    directory = tmp_path / "pacing"
    state_file = directory / pacing.STATE_NAME
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    assert json.loads(state_file.read_text()) == {"new": clock.now + 1}


def test_a_damaged_or_shared_state_file_starts_afresh(tmp_path):
    clock = FakeClock()
    shared = pacer(tmp_path, clock)
    shared.wait("k", 1)
    state_file = tmp_path / "pacing" / pacing.STATE_NAME
    state_file.write_text("{not json")
    assert shared.wait("k", 1) == 0.0
    os.chmod(state_file, 0o644)  # readable by others: not ours to trust
    assert shared.wait("k", 1) == 0.0


def test_a_directory_of_someone_else_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "pacing").symlink_to(target)
    with pytest.raises(PacingUnavailable, match="not a directory owned by this user"):
        pacer(tmp_path, FakeClock()).wait("k", 1)


def _take(directory, queue):
    queue.put(Pacer(directory, sleep=lambda seconds: None).reserve("k", 10))


def test_processes_get_distinct_starts(tmp_path):
    """Real processes and the real clock: eight forks at once get eight starts 0.1 s apart."""
    directory = str(tmp_path / "pacing")
    queue = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_take, args=(directory, queue)) for _attempt in range(8)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    delays = [queue.get(timeout=5) for _attempt in workers]
    assert all(delay >= 0 for delay in delays), delays
    # eight reservations took eight distinct starts: the queue's next start is 0.8 s after the first
    with open(os.path.join(directory, pacing.STATE_NAME), encoding="utf-8") as handle:
        next_start = json.load(handle)["k"]
    assert next_start >= started + 0.8 - 1e-6


@pytest.mark.parametrize("arn, region, endpoint, key", [
    ("arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/abc", "", "", "CreateSession aws eu-west-1 111122223333"),
    ("arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/abc", "us-east-1", "", "CreateSession aws us-east-1 111122223333"),
    ("arn:aws-cn:rolesanywhere:cn-north-1:111122223333:alias/trust-anchor/x", "", "https://127.0.0.1:4000",
     "CreateSession https://127.0.0.1:4000 cn-north-1 111122223333"),
])
def test_quota_key_is_per_account_region_and_endpoint(arn, region, endpoint, key):
    assert pacing.quota_key("CreateSession", arn, region, endpoint) == key


def test_quota_key_refuses_what_is_not_an_arn():
    with pytest.raises(ConfigurationError, match="not an ARN"):
        pacing.quota_key("CreateSession", "abc")


def test_pace_waits_per_quota_key_and_goes_unpaced_with_a_warning(tmp_path):
    clock = FakeClock()
    shared = pacer(tmp_path, clock)
    arn = "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/abc"
    assert [pacing.pace("IssueCertificate", arn, 2, pacer=shared) for _attempt in range(3)] == [0.0, 0.5, 1.0]
    assert pacing.pace("IssueCertificate", arn, 0, pacer=shared) == 0.0
    # another account is another quota
    assert pacing.pace("IssueCertificate", arn.replace("111122223333", "444455556666"), 2, pacer=shared) == 0.0
    warnings = []
    (tmp_path / "elsewhere").mkdir()
    broken = Pacer(str(tmp_path / "link"), clock=clock, sleep=clock.sleep)
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    assert pacing.pace("IssueCertificate", arn, 2, warn=warnings.append, pacer=broken) == 0.0
    assert warnings and warnings[0].startswith("IssueCertificate is not paced: cannot pace through ")


def test_pace_uses_the_users_directory(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    arn = "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/abc"
    first = pacing.pace("CreateSession", arn, 1000, environ=environ)
    assert first == 0.0
    assert (tmp_path / "cache" / "rolesanywhere-fleet" / "pacing" / pacing.STATE_NAME).exists()
