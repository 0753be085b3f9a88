# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When to replace credentials, and how long to wait after a failure: one policy for every refresher.

``credential-process --cache`` (is an entry still usable?), ``update`` and ``serve`` (when to fetch
again, how long to back off after a failure) and CreateSession's own retries all ask this module.
Standard library only and no import at load time: a cache hit loads it.
"""

DEFAULT_CACHE_MARGIN = 1200
DEFAULT_UPDATE_MARGIN = 300
DEFAULT_SERVE_MARGIN = 600
MIN_REFRESH_INTERVAL = 1.0


class Backoff(object):
    """Jittered exponential backoff: the n-th wait (n >= 1) is uniform in [min(floor, ceiling), ceiling],
    ceiling = min(cap, base * 2 ** (n - 1)).

    floor 0 is AWS's "full jitter" (what botocore's standard retry mode uses for its retries); a floor keeps
    unattended loops from spinning when the random draw is near zero.
    """

    __slots__ = ("base", "cap", "floor")

    def __init__(self, base, cap, floor=0.0):
        self.base = float(base)
        self.cap = float(cap)
        self.floor = float(floor)

    def ceiling(self, attempt):
        return min(self.cap, self.base * (2 ** (max(1, int(attempt)) - 1)))

    def delay(self, attempt, rng=None):
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        if rng is None:
            import random  # pylint: disable=import-outside-toplevel  # a cache hit never backs off
            rng = random
        ceiling = self.ceiling(attempt)
        return rng.uniform(min(self.floor, ceiling), ceiling)

    def __repr__(self):
        return "Backoff(base=%r, cap=%r, floor=%r)" % (self.base, self.cap, self.floor)


# CreateSession's retries within one call (transport.py): full jitter from 0.5 s, at most 20 s.
REQUEST_BACKOFF = Backoff(0.5, 20.0)


class RefreshPolicy(object):
    """Refresh ``margin`` seconds before credentials expire; when the margin is at least their whole lifetime
    (short sessions, credentials capped by a certificate about to expire), half-way through it instead, so
    they are still reused and nothing refreshes in a tight loop; never sooner than ``min_interval`` after
    they were obtained. ``at_most_half``: the margin never exceeds half the lifetime (caches: an entry stays
    usable for at least half its life; refreshers keep a shorter margin as given). After a failed refresh, wait
    ``backoff.delay(failures)``.

    Immutable; ``with_margin`` gives a copy with the user's ``--refresh-margin``.
    """

    __slots__ = ("margin", "backoff", "min_interval", "at_most_half")

    def __init__(self, margin, backoff=None, min_interval=MIN_REFRESH_INTERVAL, at_most_half=False):
        object.__setattr__(self, "margin", max(0, int(margin)))  # a negative margin means none
        object.__setattr__(self, "backoff", backoff if backoff is not None else Backoff(1.0, 300.0, 0.5))
        object.__setattr__(self, "min_interval", float(min_interval))
        object.__setattr__(self, "at_most_half", bool(at_most_half))

    def __setattr__(self, name, value):
        raise AttributeError("RefreshPolicy is immutable: use with_margin()")

    def __eq__(self, other):
        return isinstance(other, RefreshPolicy) and repr(self) == repr(other) and self.min_interval == other.min_interval

    def __hash__(self):
        return hash((repr(self), self.min_interval))

    def __repr__(self):
        return "RefreshPolicy(margin=%d, backoff=%r, at_most_half=%r)" % (self.margin, self.backoff, self.at_most_half)

    def with_margin(self, margin):
        return RefreshPolicy(margin, self.backoff, self.min_interval, self.at_most_half)

    def effective_margin(self, obtained, expires):
        """Seconds before ``expires`` at which credentials obtained at ``obtained`` stop being handed out."""
        lifetime = max(0.0, float(expires) - float(obtained))
        if self.at_most_half:
            return min(self.margin, lifetime / 2.0)
        return self.margin if self.margin < lifetime else lifetime / 2.0

    def refresh_at(self, obtained, expires):
        """Epoch seconds at which credentials obtained at ``obtained`` and expiring at ``expires`` are replaced."""
        return max(float(expires) - self.effective_margin(obtained, expires), float(obtained) + self.min_interval)

    def is_fresh(self, obtained, expires, now):
        """True while credentials may still be handed out without a refresh."""
        return now < float(expires) - self.effective_margin(obtained, expires)

    def retry_delay(self, failures, retry_after=None, rng=None):
        """Seconds to wait after ``failures`` consecutive failed refreshes: the backoff, or what the service asked
        for (``retry_after``: transport.retry_after_seconds, on the error as ``retry_after``) when longer, and never
        more than the backoff's cap (a server asking for an hour does not stop an unattended refresher that long).
        """
        return min(self.backoff.cap, max(self.backoff.delay(failures, rng), retry_after or 0.0))


# credential-process --cache (and the credentials lookup, which shares the cache): an entry is used until 20
# minutes before expiry, at most half its lifetime before. botocore refreshes credentials 15 minutes before they
# expire (botocore/credentials.py _DEFAULT_ADVISORY_REFRESH_TIMEOUT): 20 keeps a hit from handing an SDK
# credentials it would refresh at once.
CACHE_POLICY = RefreshPolicy(DEFAULT_CACHE_MARGIN, at_most_half=True)
# The credentials lookup: a value is handed out until 5 minutes before expiry (at most half its lifetime before):
# a module receives it as plain keys, with no refresh of its own, and uses it for one task.
LOOKUP_POLICY = RefreshPolicy(DEFAULT_UPDATE_MARGIN, at_most_half=True)
# update: rewrite the credentials file 5 minutes before expiry; retry 1 s, 2 s, ... at most 5 minutes apart.
UPDATE_POLICY = RefreshPolicy(DEFAULT_UPDATE_MARGIN, Backoff(1.0, 300.0, 0.5))
# serve: refresh 10 minutes before expiry; retry at most a minute apart while serving the last credentials.
SERVE_POLICY = RefreshPolicy(DEFAULT_SERVE_MARGIN, Backoff(1.0, 60.0, 0.5))
