# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet-wide rotation timed against the emulator's quota mode (the functional test and bench_rotation).

The fleet signs with ACM PCA, so a rotation crosses two quotas: IssueCertificate (signing) and CreateSession (the
proof of the new certificate). Ansible's linear strategy runs the signing task on every host before the proof
task, so the two paced phases follow each other: the bound is 1.2 x the sum of N / quota over both, plus the
fixed cost of the same rotation measured without quotas and without pacing.

Each run is timed twice: its wall time, and the time of the two tasks that make the paced calls (from
ansible.posix's profile_tasks callback). On a shared machine the rest of a rotation (some twenty tasks per host)
varies by more than the pacing adds at a small N, so the test bounds the paced tasks; the bench prints both.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from tests.support.fleet import Fleet, Run

# Quotas scaled down so that a test is short (AWS: 10/s and 25/s).
SCALED_QUOTAS = {"session": 2.0, "issue-certificate": 1.0}
# The role's rates at 90% of the quota: the calls leave the controller exactly 1/rate apart, but reach the service
# with some jitter (process start, scheduling), and a token bucket filled at exactly the rate refuses a call that
# arrives a little early. The bound stays 1.2 x N / quota.
HEADROOM = 0.9
RATE_VARIABLES = {"session": "enroll_create_session_rate", "issue-certificate": "enroll_issue_certificate_rate"}
THROTTLED = ("CreateSession:throttled", "IssueCertificate:throttled")
PACED_TASKS = ("Sign the CSR with ACM Private CA", "Get credentials through the helper")
TASK_TIME = re.compile(r"^(.+?) -+ (\d+\.\d+)s$", re.M)  # profile_tasks' recap line
PROFILE_ENV = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks", "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "1000",
               "PROFILE_TASKS_SORT_ORDER": "none"}


@dataclass
class Rotation:
    seconds: float
    run: Run
    counters: dict

    def failed_hosts(self):
        return sorted(host for host, counts in self.run.recap().items() if counts["failed"] or counts["unreachable"])

    def throttled(self):
        return dict((name, self.counters.get(name, 0)) for name in THROTTLED)

    def paced_task_seconds(self):
        """Seconds spent in the tasks that make the paced calls (signing, proof), over the whole run."""
        return sum(float(seconds) for name, seconds in TASK_TIME.findall(self.run.stdout)
                   if any(task in name for task in PACED_TASKS))

    def accepted(self, operation):
        """Requests of ``operation`` the emulator served (throttled ones not counted)."""
        return self.counters.get(operation, 0) - self.counters.get(operation + ":throttled", 0)

    def summary(self):
        errors = [line for line in self.run.stdout.splitlines() if line.startswith("fatal:")]
        return "%.1f s (paced tasks %.1f s), failed hosts %s, counters %s\n%s" % (
            self.seconds, self.paced_task_seconds(), self.failed_hosts(), self.counters, "\n".join(errors))


def make_acm_pca_fleet(scratch, emulator, size, name="paced"):
    """``size`` hosts trusted through an ACM PCA CA of the emulator's moto, and enrolled once."""
    from tests.functional.fleet.test_fleet import make_acm_pca  # pylint: disable=import-outside-toplevel
    fleet = Fleet(scratch, emulator.endpoint, emulator.region, size=size, name=name)
    arn = make_acm_pca(fleet)
    run = fleet.trust(enroll_signer="acm_pca", enroll_acm_pca_arn=arn)
    if run.rc != 0:
        raise AssertionError(run.tail())
    run = fleet.playbook("enroll", extra_vars=rates(None))
    if run.rc != 0:
        raise AssertionError(run.tail())
    return fleet


def rates(quotas):
    """The role's rate variables for ``quotas`` (None: no pacing), HEADROOM below them."""
    return dict((variable, HEADROOM * (quotas or {}).get(family, 0)) for family, variable in RATE_VARIABLES.items())


def rotate(fleet, emulator, quotas=None, forks=10, paced=True):
    """One forced rotation of the whole fleet in one batch, throttled by the emulator at ``quotas`` and (unless
    ``paced`` is false) paced to them."""
    emulator.set_faults(throttle=dict(quotas) if quotas else None)
    emulator.reset_counters()
    extra = {"rolesanywhere_rotate_batch": len(fleet.hosts), "rolesanywhere_rotate_max_fail_percentage": 100}
    extra.update(rates(quotas if paced else None))
    started = time.monotonic()
    try:
        run = fleet.playbook("rotate", extra_vars=extra, env=fleet.env(ANSIBLE_FORKS=str(forks), **PROFILE_ENV))
    finally:
        seconds = time.monotonic() - started
        counters = emulator.counters()
        emulator.clear_faults()
    return Rotation(seconds, run, counters)


def bound(hosts, quotas, fixed_seconds):
    """The wall time a paced rotation may take: 1.2 x sum of N / quota over the quotas it crosses, plus the fixed cost."""
    return 1.2 * sum(hosts / rate for rate in quotas.values()) + fixed_seconds
