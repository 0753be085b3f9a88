# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's credential cache: in-process layer, the broker, and sharing across forked workers.

The cross-process tests fork real worker processes from a real "controller" process, like Ansible does,
and run the real broker script; nothing of the cache is mocked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils import lookup_cache
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import AccessDeniedError, RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_cache import (
    Broker,
    CachedFailure,
    CacheUnavailable,
    Entry,
    ProcessCache,
    SharedCache,
    identity_key,
    refresh_time,
    value_entry,
)

SECRET = "CacheTestSecret/DoNotPrint+42"
FORK = multiprocessing.get_context("fork")


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def secret_value(n=1):
    return {"access_key": "ASIA%04d" % n, "secret_key": SECRET, "session_token": "token-%d" % n}


# --- timing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lifetime, expected_refresh_after", [
    (3600, 3300),    # the usual case: 5 minutes before expiry
    (900, 600),      # the shortest session still keeps the 5-minute margin
    (400, 200),      # shorter than 10 minutes: refresh half-way
    (0, 0),          # already expired: refresh now
])
def test_refresh_time(lifetime, expected_refresh_after):
    assert refresh_time(1000.0 + lifetime, 1000.0) == pytest.approx(1000.0 + expected_refresh_after)


def test_identity_key_is_stable_and_sensitive():
    base = {"certificate": {"path": "/a", "sha256": "00"}, "role_arn": "r", "passphrase": None, "duration_seconds": 3600}
    assert identity_key(base) == identity_key(dict(reversed(list(base.items()))))
    for name, other in (("certificate", {"path": "/a", "sha256": "01"}), ("role_arn", "r2"), ("passphrase", "x"),
                        ("duration_seconds", 900)):
        assert identity_key(dict(base, **{name: other})) != identity_key(base), name
    assert identity_key({"a": b"x"}) != identity_key({"a": "x"})


def test_entry_repr_hides_the_value():
    entry = value_entry(secret_value(), time.time() + 3600)
    assert SECRET not in repr(entry)
    assert "token-1" not in repr(entry)


# --- one process -----------------------------------------------------------------------------------

def test_process_cache_reuses_until_the_margin_then_refreshes():
    clock = Clock()
    cache = ProcessCache(clock=clock)
    calls = []

    def create():
        calls.append(clock.now)
        return value_entry(secret_value(len(calls)), clock.now + 3600, now=clock.now)

    assert cache.get_or_create("k", create)["access_key"] == "ASIA0001"
    clock.now += 3600 - 301  # 5 minutes and a second left: still good
    assert cache.get_or_create("k", create)["access_key"] == "ASIA0001"
    clock.now += 2  # inside the margin: a new one
    assert cache.get_or_create("k", create)["access_key"] == "ASIA0002"
    assert len(calls) == 2
    assert cache.get_or_create("other", create)["access_key"] == "ASIA0003"


def test_process_cache_one_creation_for_many_threads():
    cache = ProcessCache()
    calls = []
    started = threading.Event()

    def create():
        calls.append(1)
        started.wait(2)
        time.sleep(0.05)
        return value_entry(secret_value(), time.time() + 3600)

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_create("k", create))) for _repeat in range(16)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(results) == 16 and all(r == results[0] for r in results)


def test_process_cache_remembers_failures_for_a_while_only():
    clock = Clock()
    cache = ProcessCache(clock=clock)
    calls = []

    def create():
        calls.append(1)
        raise AccessDeniedError("CreateSession failed with HTTP 403 AccessDeniedException: Profile is disabled")

    for _repeat in range(3):
        with pytest.raises(CachedFailure, match="Profile is disabled") as raised:
            cache.get_or_create("k", create, (RolesAnywhereError,))
        assert raised.value.error_type == "AccessDeniedError"
    assert len(calls) == 1
    clock.now += lookup_cache.FAILURE_TTL_SECONDS + 1
    with pytest.raises(CachedFailure):
        cache.get_or_create("k", create, (RolesAnywhereError,))
    assert len(calls) == 2


def test_process_cache_does_not_remember_unexpected_errors():
    cache = ProcessCache()
    calls = []

    def create():
        calls.append(1)
        raise KeyError("bug")

    for _repeat in range(2):
        with pytest.raises(KeyError):
            cache.get_or_create("k", create, (RolesAnywhereError,))
    assert len(calls) == 2
    assert len(cache) == 0


# --- the broker's request handling -------------------------------------------------------------------

def test_broker_get_put_and_expiry():
    clock = Clock()
    broker = Broker(clock=clock)
    assert broker.handle({"op": "get", "key": "k"}) == {"ok": True, "entry": None}
    entry = value_entry(secret_value(), clock.now + 3600, now=clock.now)
    assert broker.handle({"op": "put", "key": "k", "entry": entry.to_wire()}) == {"ok": True}
    answer = broker.handle({"op": "get", "key": "k"})
    assert Entry.from_wire(answer["entry"]).value == secret_value()
    clock.now += 3600 - 200  # within the refresh margin: treated as missing so a worker refreshes it
    assert broker.handle({"op": "get", "key": "k"})["entry"] is None
    clock.now += 300
    assert broker.handle({"op": "stats"})["entries"] == 1
    broker.handle({"op": "get", "key": "k"})  # expired entries are dropped when read
    assert broker.handle({"op": "stats"})["entries"] == 0


@pytest.mark.parametrize("message", [[], {"op": "nope"}, {"op": "get"}, {"op": "put", "key": "k", "entry": {}}])
def test_broker_refuses_bad_requests(message):
    answer = Broker().handle(message)
    assert answer["ok"] is False and answer["error"]


# --- shared between forked workers ---------------------------------------------------------------------

@pytest.fixture
def cache_dir(tmp_path):
    path = tmp_path / "cache"
    path.mkdir(mode=0o700)
    return str(path)


@pytest.fixture
def controller():
    """A stand-in for the ansible-playbook process: the broker lives as long as it does."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(10)


def _worker(controller_pid, directory, key, calls, results, barrier):
    cache = SharedCache(controller_pid, directory=directory)

    def create():
        with calls.get_lock():
            calls.value += 1
        time.sleep(0.2)  # a slow CreateSession: the others must wait, not call again
        return value_entry(secret_value(7), time.time() + 3600)

    barrier.wait(10)
    try:
        results.put(cache.get_or_create(key, create, (RolesAnywhereError,))["access_key"])
    except Exception as error:  # pylint: disable=broad-except
        results.put("error: %r" % error)


def _run_workers(controller_pid, directory, key, count=12):
    calls = FORK.Value("i", 0)
    results = FORK.Queue()
    barrier = FORK.Barrier(count)
    workers = [FORK.Process(target=_worker, args=(controller_pid, directory, key, calls, results, barrier)) for _repeat in range(count)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=30) for _repeat in workers]
    for worker in workers:
        worker.join(10)
    return calls.value, answers


def _wait_gone(path, timeout=10):
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not os.path.exists(path)


def test_forked_workers_share_one_creation(cache_dir, controller):
    calls, answers = _run_workers(controller.pid, cache_dir, "identity-1")
    assert answers == ["ASIA0007"] * 12
    assert calls == 1
    # Later tasks (new workers) still find it.
    calls, answers = _run_workers(controller.pid, cache_dir, "identity-1", count=3)
    assert calls == 0 and answers == ["ASIA0007"] * 3
    # Another identity gets its own session.
    calls, _answers = _run_workers(controller.pid, cache_dir, "identity-2", count=3)
    assert calls == 1


def test_broker_holds_no_file_with_secrets_and_stops_with_the_controller(cache_dir, controller):
    cache = SharedCache(controller.pid, directory=cache_dir)
    cache.get_or_create("k", lambda: value_entry(secret_value(), time.time() + 3600))
    assert cache.stats()["entries"] == 1
    names = sorted(os.listdir(cache_dir))
    assert names == ["lookup-%d.lock" % controller.pid, "lookup-%d.sock" % controller.pid]
    assert stat.S_ISSOCK(os.lstat(cache.socket_path).st_mode)
    assert os.path.getsize(cache.lock_path) == 0
    for name in names:
        assert os.lstat(os.path.join(cache_dir, name)).st_mode & 0o077 == 0
    controller.send_signal(signal.SIGTERM)
    controller.wait(10)
    assert _wait_gone(cache.socket_path), "the broker did not stop after the controller exited"
    assert _wait_gone(cache.lock_path)


def test_broker_started_again_after_it_died(cache_dir, controller):
    cache = SharedCache(controller.pid, directory=cache_dir)
    cache.get_or_create("k", lambda: value_entry(secret_value(1), time.time() + 3600))
    broker_pid = lookup_cache.request(cache.socket_path, {"op": "ping"})["pid"]
    os.kill(broker_pid, signal.SIGKILL)  # our own broker, started by this test
    deadline = time.monotonic() + 10
    while lookup_cache.process_alive(broker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.path.exists(cache.socket_path)  # stale socket left behind
    value = cache.get_or_create("k", lambda: value_entry(secret_value(2), time.time() + 3600))
    assert value["access_key"] == "ASIA0002"  # the memory went with it: a new session, and no crash


def test_broker_exits_when_idle(cache_dir, controller):
    cache = SharedCache(controller.pid, directory=cache_dir, idle_timeout=1)
    cache.get_or_create("k", lambda: value_entry(secret_value(), time.time() + 3600))
    assert _wait_gone(cache.socket_path, timeout=10)
    assert controller.poll() is None


def test_broker_refuses_other_users(controller):
    if os.getuid() != 0 or not hasattr(socket, "SO_PEERCRED"):
        pytest.skip("needs root to act as another user, and Linux peer credentials")
    directory = tempfile.mkdtemp(prefix="ra-peer-", dir="/tmp")
    try:
        cache = SharedCache(controller.pid, directory=directory)
        cache.get_or_create("k", lambda: value_entry(secret_value(), time.time() + 3600))
        # Let the other user reach the socket, so that only the peer check stands between it and the secret.
        os.chmod(directory, 0o711)
        os.chmod(cache.socket_path, 0o777)
        probe = (
            "import json, os, socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "s.connect(sys.argv[1])\n"
            "s.sendall(b'{\"op\":\"get\",\"key\":\"k\"}\\n'); print(s.recv(65536).decode())\n"
        )
        answer = subprocess.run([sys.executable, "-c", probe, cache.socket_path], capture_output=True, text=True, timeout=30, check=False)
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout) == {"ok": False, "error": "wrong user"}
        assert SECRET not in answer.stdout
    finally:
        controller.kill()
        controller.wait(10)
        _wait_gone(os.path.join(directory, "lookup-%d.sock" % controller.pid))
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("mode", [0o755, 0o770, 0o701])
def test_runtime_directory_refuses_a_directory_others_can_enter(tmp_path, mode):
    path = tmp_path / ("rolesanywhere-fleet-%d" % os.getuid())
    path.mkdir()
    os.chmod(path, mode)
    with pytest.raises(CacheUnavailable, match="mode 0700"):
        lookup_cache.runtime_directory(str(tmp_path))


def test_runtime_directory_refuses_a_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    os.symlink(str(target), str(tmp_path / ("rolesanywhere-fleet-%d" % os.getuid())))
    with pytest.raises(CacheUnavailable):
        lookup_cache.runtime_directory(str(tmp_path))


def test_runtime_directory_is_created_private(tmp_path):
    path = lookup_cache.runtime_directory(str(tmp_path))
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700


def test_serve_refuses_a_dead_controller(cache_dir):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(10)
    done = subprocess.run([sys.executable, "-I", lookup_cache.__file__, "serve", "--socket", os.path.join(cache_dir, "x.sock"),
                           "--controller-pid", str(dead.pid)], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode != 0
    assert "not running" in done.stderr
