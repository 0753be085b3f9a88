# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one refresh policy: margins and backoff of credential-process --cache, update, serve and the retries."""

from __future__ import annotations

import random

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import refresh, transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.refresh import (
    CACHE_POLICY,
    REQUEST_BACKOFF,
    SERVE_POLICY,
    UPDATE_POLICY,
    Backoff,
    RefreshPolicy,
)


class Extremes:
    """An rng that draws the lowest or the highest value."""

    def __init__(self, high):
        self.high = high

    def uniform(self, low, high):
        return high if self.high else low


def test_defaults_of_each_refresher():
    assert (CACHE_POLICY.margin, UPDATE_POLICY.margin, SERVE_POLICY.margin) == (1200, 300, 600)
    assert (REQUEST_BACKOFF.base, REQUEST_BACKOFF.cap, REQUEST_BACKOFF.floor) == (0.5, 20.0, 0.0)
    assert (SERVE_POLICY.backoff.cap, UPDATE_POLICY.backoff.cap) == (60.0, 300.0)


def test_effective_margin():
    """Moved from test_cache (cache.effective_margin): same figures through the policy."""
    assert RefreshPolicy(1200).effective_margin(0, 900) == 450
    assert RefreshPolicy(1200).effective_margin(0, 3600) == 1200
    assert RefreshPolicy(-5).effective_margin(0, 3600) == 0


def test_cache_margin_is_at_most_half_the_lifetime():
    """The cache's rule (main's cache.effective_margin, the lookup's refresh times): min(margin, lifetime / 2);
    the refreshers keep a margin shorter than the lifetime as given."""
    assert CACHE_POLICY.with_margin(300).effective_margin(1000, 1400) == 200
    assert CACHE_POLICY.with_margin(300).effective_margin(0, 3600) == 300
    assert SERVE_POLICY.with_margin(300).effective_margin(1000, 1400) == 300


@pytest.mark.parametrize("margin, obtained, expires, refresh_at", [
    (600, 0, 3600, 3000),  # margin before expiry
    (898, 0, 900, 2),  # a margin shorter than the lifetime is honoured (serve/update tests rely on it)
    (900, 0, 900, 450),  # a margin as long as the lifetime: half-way
    (5000, 100, 3700, 1900),
    (0, 0, 3600, 3600),
    (899.5, 0, 900, 1),  # never sooner than 1 s after obtaining
])
def test_refresh_at(margin, obtained, expires, refresh_at):
    assert RefreshPolicy(margin).refresh_at(obtained, expires) == pytest.approx(refresh_at, abs=0.5)


def test_fresh_until_the_refresh_time():
    policy = RefreshPolicy(1200)
    assert policy.is_fresh(0, 3600, 2399.9)
    assert not policy.is_fresh(0, 3600, 2400)
    assert not RefreshPolicy(0).is_fresh(0, 3600, 3600)


def test_backoff_bounds():
    backoff = Backoff(1.0, 60.0, 0.5)
    assert [backoff.delay(n, Extremes(True)) for n in (1, 2, 3, 7, 8, 30)] == [1, 2, 4, 60, 60, 60]
    assert [backoff.delay(n, Extremes(False)) for n in (1, 2, 7)] == [0.5, 0.5, 0.5]
    full = Backoff(0.5, 20.0)
    assert full.delay(1, Extremes(False)) == 0 and full.delay(1, Extremes(True)) == 0.5
    assert Backoff(0.1, 10.0, 0.5).delay(1, Extremes(False)) == pytest.approx(0.1)  # floor never above the ceiling
    for attempt in range(1, 12):
        assert 0.5 <= SERVE_POLICY.retry_delay(attempt) <= 60


def test_transport_retries_use_the_same_rule():
    for attempt in (1, 2, 5, 9):
        assert transport.backoff_seconds(attempt, rng=random.Random(attempt)) == REQUEST_BACKOFF.delay(attempt, random.Random(attempt))


def test_policy_is_immutable_and_comparable():
    with pytest.raises(AttributeError):
        CACHE_POLICY.margin = 5
    assert CACHE_POLICY.with_margin(1200) == CACHE_POLICY and CACHE_POLICY.with_margin(5) != CACHE_POLICY
    assert CACHE_POLICY.with_margin(5).backoff is CACHE_POLICY.backoff
    assert "margin=1200" in repr(CACHE_POLICY)


def test_keeper_and_update_follow_the_policy():
    """serve's CredentialKeeper asks the policy when to refresh and how long to back off."""
    import datetime  # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.imds_server import CredentialKeeper  # pylint: disable=import-outside-toplevel

    class Credentials:
        expiration = datetime.datetime.fromtimestamp(1900, datetime.timezone.utc)

    now = [1000.0]
    keeper = CredentialKeeper(Credentials, policy=RefreshPolicy(600, Backoff(1, 8, 1)), clock=lambda: now[0])
    keeper.refresh()
    assert keeper._seconds_until_refresh() == pytest.approx(300)  # pylint: disable=protected-access
    assert keeper._retry_delay(10) <= 8  # pylint: disable=protected-access
    assert refresh.SERVE_POLICY.with_margin(600) == CredentialKeeper(Credentials)._policy  # pylint: disable=protected-access


def test_retry_delay_honours_retry_after_within_the_cap():
    """One backoff for serve and update, combined with the service's Retry-After: the longer of the two, at most
    the backoff's cap (main's serve rule, now the policy's)."""
    assert SERVE_POLICY.retry_delay(1, 30, rng=Extremes(True)) == 30
    assert SERVE_POLICY.retry_delay(1, 3600, rng=Extremes(True)) == 60
    assert SERVE_POLICY.retry_delay(5, None, rng=Extremes(True)) == 16
    assert UPDATE_POLICY.retry_delay(1, 0.1, rng=Extremes(False)) == 0.5
    assert UPDATE_POLICY.retry_delay(1, 3600, rng=Extremes(False)) == 300
