# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-memory credential cache of the ``rolesanywhere.fleet.credentials`` lookup (standard library only).

Why two layers: Ansible evaluates lookups in its worker processes, which it forks from the controller
process once per host and task. Memory a worker fills is gone when the worker exits, and the controller
process itself never sees it. So:

* ``ProcessCache`` keeps entries in this process (thread-safe, one creation at a time per key). It is
  enough wherever the lookup runs in a long-lived process.
* ``SharedCache`` lets every worker forked from one controller process share entries. The first worker
  that needs it starts a small broker process (this file run as a script) that holds the entries in its
  memory and answers on a Unix socket inside a 0700 directory of the user. Creation is serialised by an
  ``flock`` so that one worker calls CreateSession while the others wait and then read its result.
  The broker exits as soon as the controller process is gone (or after an idle timeout).

Nothing secret is ever written to disk: the directory holds only the socket and an empty lock file.
Entries are plain JSON values; failures are cached briefly as their (secret-free) message so that 200
hosts do not send 200 doomed requests.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - Windows has no fcntl; Ansible controllers are POSIX
    HAS_FCNTL = False

REFRESH_MARGIN_SECONDS = 300
FAILURE_TTL_SECONDS = 60
DEFAULT_IDLE_TIMEOUT = 3600
BROKER_START_TIMEOUT = 15
REQUEST_TIMEOUT = 30
LOCK_TIMEOUT = 300
MAX_MESSAGE_BYTES = 1024 * 1024
WATCH_INTERVAL = 0.5
DIRECTORY_PREFIX = "rolesanywhere-fleet-"
SOCKET_NAME_SAMPLE = "lookup-4294967295.sock"
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS and the BSDs


class CacheUnavailable(Exception):
    """The shared cache cannot be used here (no Unix sockets, unsafe directory, broker did not start)."""


class CachedFailure(Exception):
    """A creation that failed a moment ago, replayed from the cache; ``error_type`` names the original class."""

    def __init__(self, message, error_type=None):
        self.error_type = error_type
        super().__init__(message)


class Entry:
    """A cached value (JSON data) with the time to refresh it and the time it stops being valid."""

    __slots__ = ("value", "refresh_at", "expires_at", "failure")

    def __init__(self, value, refresh_at, expires_at, failure=None):
        self.value = value
        self.refresh_at = float(refresh_at)
        self.expires_at = float(expires_at)
        self.failure = failure

    def __repr__(self):
        # The value holds credentials: never show it.
        return "Entry(refresh_at=%r, expires_at=%r, failure=%r)" % (self.refresh_at, self.expires_at, self.failure is not None)

    def fresh(self, now):
        return now < self.refresh_at

    def result(self):
        """The value, or the cached failure raised again."""
        if self.failure is not None:
            raise CachedFailure(self.failure.get("message", "failed"), self.failure.get("type"))
        return self.value

    def to_wire(self):
        return {"value": self.value, "refresh_at": self.refresh_at, "expires_at": self.expires_at, "failure": self.failure}

    @classmethod
    def from_wire(cls, data):
        return cls(data.get("value"), data["refresh_at"], data["expires_at"], data.get("failure"))


def refresh_time(expires_at, now, margin=REFRESH_MARGIN_SECONDS):
    """When to replace credentials expiring at expires_at: margin before, or half-way for short lifetimes."""
    lifetime = max(0.0, expires_at - now)
    return expires_at - min(float(margin), lifetime / 2.0)


def value_entry(value, expires_at, now=None, margin=REFRESH_MARGIN_SECONDS):
    now = time.time() if now is None else now
    return Entry(value, refresh_time(expires_at, now, margin), expires_at)


def failure_entry(error, now=None, ttl=FAILURE_TTL_SECONDS):
    """Entry replaying error (its message must hold no secret: the signing core guarantees that)."""
    now = time.time() if now is None else now
    if isinstance(error, CachedFailure):
        kind = error.error_type
    else:
        kind = type(error).__name__
    return Entry(None, now + ttl, now + ttl, failure={"type": kind, "message": str(error)})


def identity_key(parts):
    """Stable key for a dict of JSON-able settings (file contents may be bytes): sha256 hex."""
    digest = hashlib.sha256()
    for name in sorted(parts):
        value = parts[name]
        if isinstance(value, (bytes, bytearray)):
            encoded = b"b:" + bytes(value)
        else:
            encoded = b"j:" + json.dumps(value, sort_keys=True).encode("utf-8")
        digest.update(name.encode("utf-8") + b"\0" + str(len(encoded)).encode("ascii") + b"\0" + encoded)
    return digest.hexdigest()


# --- one process ---------------------------------------------------------------------------------

class ProcessCache:
    """Entries in this process's memory. Thread-safe; concurrent callers of one key share one creation."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._entries = {}
        self._key_locks = {}
        self._lock = threading.Lock()

    def __len__(self):
        with self._lock:
            return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def peek(self, key):
        """The fresh entry for key or None."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry.fresh(self._clock()):
            return entry
        return None

    def store(self, key, entry):
        with self._lock:
            self._entries[key] = entry
            self._prune(self._clock())

    def _prune(self, now):
        for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[stale]

    def _key_lock(self, key):
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def get_or_create(self, key, create, cacheable_errors=()):
        """The value for key; create() -> Entry runs at most once at a time per key.

        Exceptions of cacheable_errors are remembered for FAILURE_TTL_SECONDS and raised again as
        CachedFailure; others propagate and are not remembered.
        """
        return self.entry_for(key, create, cacheable_errors).result()

    def entry_for(self, key, create, cacheable_errors=()):
        """The fresh Entry for key, made by create() when there is none (see get_or_create)."""
        entry = self.peek(key)
        if entry is None:
            with self._key_lock(key):
                entry = self.peek(key)
                if entry is None:
                    entry = _create_entry(create, cacheable_errors, self._clock)
                    self.store(key, entry)
        return entry


def _create_entry(create, cacheable_errors, clock):
    try:
        return create()
    except CachedFailure as error:
        return failure_entry(error, clock())
    except cacheable_errors as error:  # pylint: disable=catching-non-exception
        return failure_entry(error, clock())


# --- shared by the workers of one controller -------------------------------------------------------

def _runtime_base():
    """XDG_RUNTIME_DIR, else the temp dir, else /tmp: the first whose socket paths fit in sun_path."""
    candidates = [os.environ.get("XDG_RUNTIME_DIR"), tempfile.gettempdir(), "/tmp"]
    for base in candidates:
        if base and os.path.isdir(base) and len(os.path.join(base, DIRECTORY_PREFIX + "4294967295", SOCKET_NAME_SAMPLE)) <= MAX_SOCKET_PATH:
            return base
    raise CacheUnavailable("no directory short enough for a Unix socket (XDG_RUNTIME_DIR, TMPDIR and /tmp are all too long)")


def runtime_directory(base=None):
    """A directory only this user can enter: <XDG_RUNTIME_DIR or temp dir>/rolesanywhere-fleet-<uid>."""
    if base is None:
        base = _runtime_base()
    path = os.path.join(base, DIRECTORY_PREFIX + str(os.getuid()))
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise CacheUnavailable("cannot create the cache directory %s: %s" % (path, error.strerror)) from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        # Someone else made it, or it is a symlink, or others can enter it: refuse rather than leak.
        raise CacheUnavailable(
            "the cache directory %s is not a directory owned by uid %d with mode 0700" % (path, os.getuid())
        )
    return path


def process_start_time(pid):
    """The start time of pid (Linux clock ticks) to tell a reused pid apart; None where unknown."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data[data.rfind(b")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def process_alive(pid, start_time=None):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return start_time is None or process_start_time(pid) in (None, start_time)


def _send(sock, message):
    sock.sendall(json.dumps(message, separators=(",", ":")).encode("utf-8") + b"\n")


def _receive(sock):
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_MESSAGE_BYTES:
            raise ValueError("message too large")
    if not data:
        raise ValueError("empty message")
    return json.loads(data.decode("utf-8"))


def request(socket_path, message, timeout=REQUEST_TIMEOUT):
    """One request to the broker at socket_path; its answer (a dict). OSError/ValueError on failure."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        _send(sock, message)
        answer = _receive(sock)
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise ValueError("broker refused: %s" % (answer.get("error") if isinstance(answer, dict) else answer))
    return answer


class _FileLock:
    """An exclusive flock on path, waited for at most timeout seconds. Released when the process dies."""

    def __init__(self, path, timeout=LOCK_TIMEOUT):
        self.path = path
        self.timeout = timeout
        self._fd = None

    def __enter__(self):
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            self._fd = os.open(self.path, flags, 0o600)
        except OSError as error:
            raise CacheUnavailable("cannot open the lock file %s: %s" % (self.path, error.strerror)) from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() > deadline:
                os.close(self._fd)
                raise CacheUnavailable("timed out after %ds waiting for %s" % (self.timeout, self.path))
            time.sleep(0.01)

    def __exit__(self, *exc_info):
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


class SharedCache:
    """Entries shared by every process forked from controller_pid, held by a broker process."""

    def __init__(self, controller_pid, directory=None, idle_timeout=DEFAULT_IDLE_TIMEOUT, clock=time.time):
        if not HAS_FCNTL or not hasattr(socket, "AF_UNIX"):
            raise CacheUnavailable("this platform has no flock or Unix sockets")
        self.controller_pid = int(controller_pid)
        self.directory = directory or runtime_directory()
        self.socket_path = os.path.join(self.directory, "lookup-%d.sock" % self.controller_pid)
        self.lock_path = os.path.join(self.directory, "lookup-%d.lock" % self.controller_pid)
        self.idle_timeout = idle_timeout
        self._clock = clock

    def _get(self, key):
        answer = request(self.socket_path, {"op": "get", "key": key})
        return Entry.from_wire(answer["entry"]) if answer.get("entry") else None

    def _put(self, key, entry):
        request(self.socket_path, {"op": "put", "key": key, "entry": entry.to_wire()})

    def peek(self, key):
        """The fresh entry for key, or None (also when no broker runs yet)."""
        try:
            entry = self._get(key)
        except (OSError, ValueError):
            return None
        return entry if entry is not None and entry.fresh(self._clock()) else None

    def stats(self):
        return request(self.socket_path, {"op": "stats"})

    def get_or_create(self, key, create, cacheable_errors=()):
        """Like ProcessCache.get_or_create, across every worker of the controller."""
        return self.entry_for(key, create, cacheable_errors).result()

    def entry_for(self, key, create, cacheable_errors=()):
        """The fresh Entry for key; one worker at a time creates, the others then read its entry."""
        entry = self.peek(key)
        if entry is None:
            with _FileLock(self.lock_path):
                self.ensure_broker()
                entry = self.peek(key)
                if entry is None:
                    entry = _create_entry(create, cacheable_errors, self._clock)
                    try:
                        self._put(key, entry)
                    except (OSError, ValueError):
                        pass  # the entry is still good for this caller; the next one creates again
        return entry

    def ensure_broker(self):
        """Start the broker unless one answers already. Call with the lock held."""
        try:
            request(self.socket_path, {"op": "ping"}, timeout=5)
            return
        except (OSError, ValueError):
            pass
        try:
            if os.path.lexists(self.socket_path):
                os.unlink(self.socket_path)  # left by a broker that died
        except OSError as error:
            raise CacheUnavailable("cannot remove the stale socket %s: %s" % (self.socket_path, error.strerror)) from None
        command = [sys.executable, "-I", os.path.abspath(__file__), "serve", "--socket", self.socket_path,
                   "--controller-pid", str(self.controller_pid), "--idle-timeout", str(self.idle_timeout),
                   "--lock", self.lock_path]
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=BROKER_START_TIMEOUT, check=False, close_fds=True)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise CacheUnavailable("the cache broker did not start: %s" % error) from None
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CacheUnavailable("the cache broker did not start: %s" % (detail[-1] if detail else "exit %d" % done.returncode))
        try:
            request(self.socket_path, {"op": "ping"}, timeout=5)
        except (OSError, ValueError) as error:
            raise CacheUnavailable("the cache broker does not answer: %s" % error) from None


# --- the broker ----------------------------------------------------------------------------------

class Broker:
    """The broker's state and request handling (no sockets here, so it is easy to test)."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._entries = {}
        self._lock = threading.Lock()
        self.counts = {"get": 0, "hit": 0, "put": 0}
        self.last_activity = time.monotonic()

    def handle(self, message):
        self.last_activity = time.monotonic()
        if not isinstance(message, dict):
            return {"ok": False, "error": "request must be a JSON object"}
        operation = message.get("op")
        handler = {"get": self._get, "put": self._put, "ping": self._ping, "stats": self._stats}.get(operation)
        if handler is None:
            return {"ok": False, "error": "unknown op %r" % (operation,)}
        try:
            return handler(message)
        except (KeyError, TypeError, ValueError) as error:
            return {"ok": False, "error": "bad %s request: %s" % (operation, type(error).__name__)}

    def _get(self, message):
        key = str(message["key"])
        now = self._clock()
        with self._lock:
            self.counts["get"] += 1
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= now:
                del self._entries[key]
                entry = None
            if entry is not None and entry.fresh(now):
                self.counts["hit"] += 1
                return {"ok": True, "entry": entry.to_wire()}
        return {"ok": True, "entry": None}

    def _put(self, message):
        key = str(message["key"])
        entry = Entry.from_wire(message["entry"])
        now = self._clock()
        with self._lock:
            self.counts["put"] += 1
            self._entries[key] = entry
            for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
                del self._entries[stale]
        return {"ok": True}

    def _ping(self, _message):
        return {"ok": True, "pid": os.getpid()}

    def _stats(self, _message):
        with self._lock:
            return {"ok": True, "entries": len(self._entries), "counts": dict(self.counts)}


def _peer_uid(connection):
    """The uid of the process at the other end (Linux), else None."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    import struct  # pylint: disable=import-outside-toplevel
    data = connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return struct.unpack("3i", data)[1]


def _serve_connection(broker, connection):
    with connection:
        connection.settimeout(REQUEST_TIMEOUT)
        try:
            message = _receive(connection)  # read first: answering at once could reset the peer's unread request
            uid = _peer_uid(connection)
            if uid is not None and uid != os.getuid():
                _send(connection, {"ok": False, "error": "wrong user"})
                return
            _send(connection, broker.handle(message))
        except (OSError, ValueError):
            return


def _accept_loop(broker, listener):
    while True:
        try:
            connection, _address = listener.accept()
        except OSError:
            return  # the listener was closed: shutting down
        threading.Thread(target=_serve_connection, args=(broker, connection), daemon=True).start()


def _should_stop(broker, controller_pid, controller_started, idle_timeout):
    if not process_alive(controller_pid, controller_started):
        return True
    return time.monotonic() - broker.last_activity > idle_timeout


def _remove(path, expected_inode=None):
    try:
        if expected_inode is None or os.lstat(path).st_ino == expected_inode:
            os.unlink(path)
    except OSError:
        pass


def _detach():
    """Fork into the background: the parent exits 0 (so the starter knows we listen), the child carries on."""
    if os.fork() > 0:
        os._exit(0)  # pylint: disable=protected-access
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def serve(socket_path, controller_pid, idle_timeout=DEFAULT_IDLE_TIMEOUT, lock_path=None, detach=True):
    """Listen on socket_path until controller_pid is gone or idle_timeout seconds pass without a request."""
    controller_started = process_start_time(controller_pid)
    if not process_alive(controller_pid):
        raise SystemExit("controller process %d is not running" % controller_pid)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(socket_path)
    finally:
        os.umask(old_umask)
    listener.listen(128)
    inode = os.lstat(socket_path).st_ino
    if detach:
        _detach()
    broker = Broker()
    threading.Thread(target=_accept_loop, args=(broker, listener), daemon=True).start()
    try:
        while not _should_stop(broker, controller_pid, controller_started, idle_timeout):
            time.sleep(WATCH_INTERVAL)
    finally:
        listener.close()
        _remove(socket_path, inode)
        if lock_path and not process_alive(controller_pid, controller_started):
            _remove(lock_path)  # nobody can wait on it any more: the run is over


def main(argv=None):
    import argparse  # pylint: disable=import-outside-toplevel  # only the broker needs it, not every worker
    parser = argparse.ArgumentParser(description="In-memory credential cache broker of rolesanywhere.fleet.credentials")
    commands = parser.add_subparsers(dest="command")
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--socket", required=True)
    serve_parser.add_argument("--controller-pid", type=int, required=True)
    serve_parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_TIMEOUT)
    serve_parser.add_argument("--lock")
    serve_parser.add_argument("--foreground", action="store_true")
    options = parser.parse_args(argv)
    if options.command != "serve":
        parser.error("use: serve --socket PATH --controller-pid PID")
    try:
        serve(options.socket, options.controller_pid, options.idle_timeout, options.lock, detach=not options.foreground)
    except OSError as error:
        sys.stderr.write("cannot serve on %s: %s\n" % (options.socket, error.strerror or error))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
