# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's credential cache: its keys, its timing, failures, files, and sharing across forked workers.

The cross-process tests fork real worker processes, like Ansible does, on the real cache directory and lock
of the credential helper; nothing of the cache is mocked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import cache as credential_cache
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import AccessDeniedError
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils import lookup_cache
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_cache import (
    CacheUnavailable,
    Fetched,
    Identity,
    LookupCache,
    SessionFailure,
)

SECRET = "CacheTestSecret/DoNotPrint+42"
FORK = multiprocessing.get_context("fork")
ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/00000000-0000-4000-8000-000000000001"
PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/00000000-0000-4000-8000-000000000002"
ROLE = "arn:aws:iam::123456789012:role/deploy"
PEM = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def secret_value(n=1):
    return {"access_key": "ASIA%04d" % n, "secret_key": SECRET, "session_token": "token-%d" % n, "expiration": "2030-01-01T00:00:00Z",
            "role_arn": ROLE, "assumed_role_arn": "arn:aws:sts::123456789012:assumed-role/deploy/s", "source_identity": "cn"}


def fetched(n, expires):
    value = secret_value(n)
    payload = json.dumps({"Version": 1, "AccessKeyId": value["access_key"], "SecretAccessKey": value["secret_key"],
                          "SessionToken": value["session_token"], "Expiration": value["expiration"]}, separators=(",", ":"))
    return Fetched(value, payload, expires)


@pytest.fixture
def certificate(tmp_path):
    path = tmp_path / "controller.pem"
    path.write_text(PEM)
    return str(path)


@pytest.fixture
def settings(certificate, tmp_path):
    return {"certificate": certificate, "private_key": str(tmp_path / "controller.key"), "intermediates": None,
            "trust_anchor_arn": ANCHOR, "profile_arn": PROFILE, "role_arn": ROLE, "region": None, "endpoint_url": None,
            "duration_seconds": 3600, "role_session_name": None, "ca_bundle": None, "validate_certs": True, "passphrase": None}


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache" / "rolesanywhere-fleet")


# --- keys ------------------------------------------------------------------------------------------

def test_key_is_the_helpers_identity_key_for_the_same_inputs(settings):
    helper_options = {
        "certificate": settings["certificate"], "private_key": settings["private_key"], "intermediates": None,
        "trust_anchor_arn": ANCHOR, "profile_arn": PROFILE, "role_arn": ROLE, "session_duration": 3600,
        "role_session_name": None, "region": None, "endpoint": None, "use_fips_endpoint": False,
        "use_dualstack_endpoint": False,
    }
    assert Identity(settings).key == credential_cache.identity_key(helper_options)


@pytest.mark.parametrize("name, other", [
    ("certificate", "/elsewhere/controller.pem"), ("certificate", PEM), ("private_key", "/elsewhere/controller.key"),
    ("private_key", "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n"), ("intermediates", "/ca/sub.pem"),
    ("intermediates", ["/ca/sub1.pem", "/ca/sub2.pem"]), ("trust_anchor_arn", ANCHOR[:-1] + "9"), ("profile_arn", PROFILE[:-1] + "9"),
    ("role_arn", ROLE + "2"), ("region", "us-east-1"), ("region", "fips-us-east-1"), ("endpoint_url", "https://vpce.example.com"),
    ("duration_seconds", 900), ("role_session_name", "deploy-42"),
])
def test_key_is_stable_and_sensitive(settings, name, other):
    base = Identity(settings).key
    assert Identity(dict(reversed(list(settings.items())))).key == base
    assert Identity(dict(settings, **{name: other})).key != base, name


def test_pem_texts_and_lists_are_told_apart(settings):
    other_pem = PEM.replace("QUJD", "REVG")
    assert Identity(dict(settings, certificate=PEM)).key != Identity(dict(settings, certificate=other_pem)).key
    assert Identity(dict(settings, intermediates=["/a.pem", "/b.pem"])).key != Identity(dict(settings, intermediates=["/b.pem", "/a.pem"])).key


def test_passphrase_and_tls_settings_are_not_the_identity(settings):
    """The same certificate and key get the same credentials whatever the passphrase (no passphrase-derived
    value is written to disk) or the TLS settings; a TLS failure, though, is remembered per TLS setting."""
    base = Identity(settings)
    for name, other in (("passphrase", "Secret-Passphrase-1"), ("ca_bundle", "/etc/ssl/other.pem"), ("validate_certs", False)):
        changed = Identity(dict(settings, **{name: other}))
        assert changed.key == base.key and changed.details_key == base.details_key, name
        if name != "passphrase":
            assert changed.failure_key != base.failure_key, name
    assert Identity(dict(settings, passphrase="x")).failure_key == base.failure_key


def test_fetched_repr_hides_the_credentials():
    entry = fetched(1, time.time() + 3600)
    assert SECRET not in repr(entry)
    assert "token-1" not in repr(entry)


# --- timing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lifetime, expected_refresh_after", [
    (3600, 3300),    # the usual case: 5 minutes before expiry
    (900, 600),      # the shortest session still keeps the 5-minute margin
    (400, 200),      # shorter than 10 minutes: refresh half-way
    (0, 0),          # already expired: refresh now
])
def test_refresh_time(settings, cache_dir, lifetime, expected_refresh_after):
    clock = Clock(1000.0)
    cache = LookupCache(cache_dir, clock=clock)
    identity = Identity(settings)
    cache.get_or_create(identity, lambda: fetched(1, 1000.0 + lifetime))
    if lifetime:
        clock.now = 1000.0 + expected_refresh_after - 1
        assert cache.cached(identity) is not None
    clock.now = 1000.0 + expected_refresh_after
    assert cache.cached(identity) is None


def test_reuses_until_the_margin_then_refreshes(settings, cache_dir):
    clock = Clock()
    cache = LookupCache(cache_dir, clock=clock)
    calls = []

    def create():
        calls.append(clock.now)
        return fetched(len(calls), clock.now + 3600)

    assert cache.get_or_create(Identity(settings), create)["access_key"] == "ASIA0001"
    clock.now += 3600 - 301  # 5 minutes and a second left: still good
    assert cache.get_or_create(Identity(settings), create)["access_key"] == "ASIA0001"
    clock.now += 2  # inside the margin: a new one
    assert cache.get_or_create(Identity(settings), create)["access_key"] == "ASIA0002"
    assert len(calls) == 2
    assert cache.get_or_create(Identity(dict(settings, role_arn=ROLE + "2")), create)["access_key"] == "ASIA0003"


def test_certificate_changed_on_disk_makes_the_entry_stale(settings, cache_dir, certificate):
    cache = LookupCache(cache_dir)
    assert cache.get_or_create(Identity(settings), lambda: fetched(1, time.time() + 3600))["access_key"] == "ASIA0001"
    with open(certificate, "a", encoding="ascii") as handle:
        handle.write("\n")  # a renewed certificate: another size, mtime and perhaps inode
    assert cache.cached(Identity(settings)) is None
    assert cache.get_or_create(Identity(settings), lambda: fetched(2, time.time() + 3600))["access_key"] == "ASIA0002"


def test_one_creation_for_many_threads(settings, cache_dir):
    cache = LookupCache(cache_dir)
    calls = []
    started = threading.Event()

    def create():
        calls.append(1)
        started.wait(2)
        time.sleep(0.05)
        return fetched(1, time.time() + 3600)

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_create(Identity(settings), create))) for _repeat in range(16)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(results) == 16 and all(r == results[0] for r in results)


# --- failures --------------------------------------------------------------------------------------

def test_failures_are_remembered_for_a_while_only(settings, cache_dir):
    clock = Clock(time.time())
    cache = LookupCache(cache_dir, clock=clock)
    calls = []

    def create():
        calls.append(1)
        raise SessionFailure.wrapping(AccessDeniedError("CreateSession failed with HTTP 403 AccessDeniedException: Profile is disabled"))

    for _repeat in range(3):
        with pytest.raises(SessionFailure, match="Profile is disabled") as raised:
            cache.get_or_create(Identity(settings), create)
        assert raised.value.error_type == "AccessDeniedError"
    assert len(calls) == 1
    # Another TLS setting may well succeed: it is not refused with this failure.
    with pytest.raises(SessionFailure):
        cache.get_or_create(Identity(dict(settings, validate_certs=False)), create)
    assert len(calls) == 2
    clock.now += lookup_cache.FAILURE_TTL_SECONDS + 1
    with pytest.raises(SessionFailure):
        cache.get_or_create(Identity(settings), create)
    assert len(calls) == 3
    # A success clears the failure at once.
    clock.now += lookup_cache.FAILURE_TTL_SECONDS + 1
    assert cache.get_or_create(Identity(settings), lambda: fetched(1, clock.now + 3600))["access_key"] == "ASIA0001"
    assert not os.path.exists(os.path.join(cache_dir, Identity(settings).failure_key + ".cred"))


def test_unexpected_errors_are_not_remembered(settings, cache_dir):
    cache = LookupCache(cache_dir)
    calls = []

    def create():
        calls.append(1)
        raise KeyError("bug")

    for _repeat in range(2):
        with pytest.raises(KeyError):
            cache.get_or_create(Identity(settings), create)
    assert len(calls) == 2
    assert [name for name in os.listdir(cache_dir) if name.endswith(".cred")] == []


# --- files -----------------------------------------------------------------------------------------

def test_files_are_private_and_only_the_entry_holds_secrets(settings, cache_dir):
    LookupCache(cache_dir).get_or_create(Identity(settings), lambda: fetched(1, time.time() + 3600))
    assert stat.S_IMODE(os.lstat(cache_dir).st_mode) == 0o700
    holding = []
    for name in os.listdir(cache_dir):
        path = os.path.join(cache_dir, name)
        assert stat.S_ISREG(os.lstat(path).st_mode) and stat.S_IMODE(os.lstat(path).st_mode) == 0o600, name
        with open(path, encoding="utf-8") as handle:
            if SECRET in handle.read():
                holding.append(name)
    assert holding == [Identity(settings).key + ".cred"]


def test_an_entry_of_the_helper_alone_is_replaced(settings, cache_dir):
    """The helper's entry has no assumed-role ARN or source identity: the lookup makes its own, for both."""
    identity = Identity(settings)
    store = credential_cache.CredentialCache(cache_dir)
    store.store(identity.key, identity.state, fetched(9, 0).payload, time.time(), time.time() + 3600)
    cache = LookupCache(cache_dir)
    assert cache.cached(identity) is None
    assert cache.get_or_create(identity, lambda: fetched(2, time.time() + 3600))["access_key"] == "ASIA0002"
    assert json.loads(store.lookup(identity.key, identity.state, 300))["AccessKeyId"] == "ASIA0002"


def test_a_linked_cache_directory_is_refused(settings, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    link = tmp_path / "rolesanywhere-fleet"
    os.symlink(str(target), str(link))
    calls = []
    with pytest.raises(CacheUnavailable, match="not a directory owned by this user"):
        LookupCache(str(link)).get_or_create(Identity(settings), lambda: calls.append(1))
    assert calls == [] and os.listdir(str(target)) == []


def test_directory_is_the_helpers(tmp_path):
    """The lookup asks the helper's rule (tests/unit/plugins/module_utils/test_cache.py tests it), so both share entries."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    for environ in ({"XDG_RUNTIME_DIR": str(runtime)}, {"XDG_CACHE_HOME": str(tmp_path / "cache-home")}):
        assert lookup_cache.cache_directory(environ) == credential_cache.cache_directory(environ)
    assert lookup_cache.cache_directory({"XDG_RUNTIME_DIR": str(runtime)}) == str(runtime / "rolesanywhere-fleet")


# --- shared between forked workers ---------------------------------------------------------------------

def _worker(directory, settings, calls, results, barrier):
    cache = LookupCache(directory)

    def create():
        with calls.get_lock():
            calls.value += 1
        time.sleep(0.2)  # a slow CreateSession: the others must wait, not call again
        return fetched(7, time.time() + 3600)

    barrier.wait(10)
    try:
        results.put(cache.get_or_create(Identity(settings), create)["access_key"])
    except Exception as error:  # pylint: disable=broad-except
        results.put("error: %r" % error)


def _run_workers(directory, settings, count=12):
    calls = FORK.Value("i", 0)
    results = FORK.Queue()
    barrier = FORK.Barrier(count)
    workers = [FORK.Process(target=_worker, args=(directory, settings, calls, results, barrier)) for _repeat in range(count)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=30) for _repeat in workers]
    for worker in workers:
        worker.join(10)
    return calls.value, answers


def test_forked_workers_share_one_creation(cache_dir, settings):
    calls, answers = _run_workers(cache_dir, settings)
    assert answers == ["ASIA0007"] * 12
    assert calls == 1
    # Later tasks (new workers) still find it.
    calls, answers = _run_workers(cache_dir, settings, count=3)
    assert calls == 0 and answers == ["ASIA0007"] * 3
    # Another identity gets its own session.
    calls, _answers = _run_workers(cache_dir, dict(settings, role_arn=ROLE + "2"), count=3)
    assert calls == 1
