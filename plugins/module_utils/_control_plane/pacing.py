# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pacing of AWS calls to a rate, across the processes of one user on one machine.

Ansible runs each host's task in its own fork, so a fleet-wide rotation with forks 50 would send 50 calls at
once. A ``Pacer`` hands out start times spaced ``1 / rate`` apart per quota key, from a state file shared by
every process of this user (0600, in a 0700 directory, changed under one ``FileLock``); each caller sleeps
until its own start. The state keeps, per key, the next free start on this machine's monotonic clock
(``CLOCK_MONOTONIC`` is one clock for all processes), so a wall-clock step cannot stall or burst the queue.

The rates AWS allows (defaults of the enroll role, each per account and Region):
- Roles Anywhere CreateSession: 10 per second ("Rate of CreateSession requests", adjustable), AWS's IAM Roles
  Anywhere quotas page https://docs.aws.amazon.com/rolesanywhere/latest/userguide/quotas.html
- ACM Private CA IssueCertificate: 25 per second (Service Quotas code L-CAFB4993, "Rate of IssueCertificate
  requests", adjustable), AWS General Reference https://docs.aws.amazon.com/general/latest/gr/pca.html#limits_pca
  (https://docs.aws.amazon.com/privateca/latest/userguide/PcaLimits.html: over it, ThrottlingException).
A throttled call is still retried with backoff and jitter by whoever makes it; pacing only keeps a fleet from
asking for the retries in the first place.
"""

import json
import time

from .._core.cache import cache_directory
from .._core.errors import ConfigurationError
from .._core.files import FileLock, PrivateFileError, atomic_write, ensure_private_directory, join_path, read_private_file

CREATE_SESSION_RATE = 10.0
ISSUE_CERTIFICATE_RATE = 25.0
STATE_NAME = "pacing.json"
LOCK_NAME = "pacing.lock"
LOCK_TIMEOUT = 30.0
# A next start further ahead than this is not a queue (no fleet run waits an hour for one slot) but a monotonic
# clock that restarted at a reboot: the key starts afresh.
MAX_AHEAD_SECONDS = 3600.0


class PacingUnavailable(Exception):
    """The pacing state cannot be used (directory or lock); the caller goes on unpaced and says so."""


def pacing_directory(environ):
    """``pacing`` in the user's rolesanywhere-fleet directory (the helper's rule: private XDG_RUNTIME_DIR first)."""
    return join_path(cache_directory(environ), "pacing")


def quota_key(operation, arn, region="", endpoint_url=""):
    """The key of the quota a call counts against: the operation, the account and Region, and the endpoint.

    AWS's request-rate quotas are per account and Region: the account and Region come from ``arn`` (a trust
    anchor or CA ARN), ``region`` overrides the Region (the helper's --region). A custom endpoint is another
    service (an emulator, a VPC endpoint of the same Region shares AWS's quota, but we cannot know): it is part
    of the key. Raises ConfigurationError when ``arn`` is not an ARN.
    """
    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        raise ConfigurationError("cannot pace %s: %r is not an ARN with a Region and an account" % (operation, arn),
                                 "give the trust anchor or CA ARN, or set the rate to 0 for no pacing")
    return "%s %s %s %s" % (operation, endpoint_url or parts[1], region or parts[3], parts[4])


def check_rate(rate, name="rate"):
    """The rate as a float; 0 (or None) means no pacing. ConfigurationError for a negative or non-number rate."""
    if rate is None:
        return 0.0
    try:
        value = float(rate)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 <= value < float("inf"):  # also refuses NaN
        raise ConfigurationError("%s must be a number of requests per second >= 0 (0 for no pacing), not %r" % (name, rate))
    return value


def pace(operation, arn, rate, region="", endpoint_url="", warn=None, pacer=None, environ=None):
    """Wait for this call's start at ``rate`` per second for the quota of ``operation`` (``quota_key``); the seconds
    waited. Rate 0: no wait. When the pacing state cannot be used, ``warn`` says so and the call goes unpaced (its
    caller retries throttling). ConfigurationError for a bad rate or ARN."""
    rate = check_rate(rate)
    if not rate:
        return 0.0
    key = quota_key(operation, arn, region, endpoint_url)
    if pacer is None:
        import os  # pylint: disable=import-outside-toplevel
        pacer = Pacer(pacing_directory(os.environ if environ is None else environ))
    try:
        return pacer.wait(key, rate)
    except PacingUnavailable as error:
        if warn is not None:
            warn("%s is not paced: %s; throttled calls are retried with backoff" % (operation, error))
        return 0.0


class Pacer(object):
    """Start times ``1 / rate`` apart per key, shared through ``directory`` by every process of this user."""

    def __init__(self, directory, clock=time.monotonic, sleep=time.sleep, lock_timeout=LOCK_TIMEOUT):
        self.directory = directory
        self.clock = clock
        self.sleep = sleep
        self.lock_timeout = lock_timeout

    def reserve(self, key, rate):
        """Take the next start for ``key`` at ``rate`` per second; the seconds to wait until it (0: go now)."""
        interval = 1.0 / rate
        try:
            ensure_private_directory(self.directory, "pacing directory", "set XDG_RUNTIME_DIR to a 0700 directory of yours")
            with FileLock(join_path(self.directory, LOCK_NAME), timeout=self.lock_timeout):
                state = self._read()
                now = self.clock()
                start = state.get(key, now)
                if not now <= start <= now + MAX_AHEAD_SECONDS:
                    start = now
                state = dict((name, value) for name, value in state.items() if value > now)
                state[key] = start + interval
                atomic_write(join_path(self.directory, STATE_NAME), json.dumps(state, sort_keys=True).encode("utf-8"))
        except (OSError, PrivateFileError) as error:
            raise PacingUnavailable("cannot pace through %s: %s" % (self.directory, getattr(error, "strerror", None) or error))
        return start - now

    def wait(self, key, rate):
        """Reserve a start and sleep until it; returns the seconds waited. A rate of 0 does nothing."""
        rate = check_rate(rate)
        if not rate:
            return 0.0
        delay = self.reserve(key, rate)
        if delay > 0:
            self.sleep(delay)
        return delay

    def _read(self):
        data = read_private_file(join_path(self.directory, STATE_NAME))
        try:
            state = json.loads(data.decode("utf-8")) if data else {}
        except ValueError:
            return {}  # a torn or foreign file: start afresh (atomic writes make this unlikely)
        if not isinstance(state, dict):
            return {}
        return dict((key, float(value)) for key, value in state.items() if isinstance(value, (int, float)))
