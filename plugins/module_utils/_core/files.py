# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private files of one user: a 0700 directory, 0600 files written atomically, read without following
links, and one cross-process lock (standard library only; a cache hit loads this module).

What a cache hit calls (reading, paths, the environment) uses the ``posix`` module, built into the
interpreter: importing ``os`` costs a process started with -S more than the rest of a hit (measured by
tests/benchmarks/bench_helper.py). Writers import ``os``.
"""

import sys
import time

try:
    import posix as system  # the C half of os (os re-exports it); built in
except ImportError:  # pragma: no cover - not POSIX: os has the same functions
    import os as system

NOFOLLOW = getattr(system, "O_NOFOLLOW", 0)
DEFAULT_LOCK_TIMEOUT = 120.0


class _ProcessEnvironment(object):
    """Read-only ``os.environ`` without importing os: names and values decoded as os decodes them."""

    def __init__(self, raw):
        self.raw = raw
        self.encoding = sys.getfilesystemencoding()

    def get(self, name, default=None):
        value = self.raw.get(name.encode(self.encoding, "surrogateescape"))
        return default if value is None else value.decode(self.encoding, "surrogateescape")

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return self.get(name) is not None


def process_environment():
    """The process environment: ``os.environ`` when os is loaded anyway, else a read-only view of it."""
    loaded = sys.modules.get("os")
    if loaded is not None:
        return loaded.environ
    if any(isinstance(name, str) for name in system.environ):  # pragma: no cover - Windows: already text
        return system.environ
    return _ProcessEnvironment(system.environ)


def join_path(directory, name):
    """``os.path.join(directory, name)`` for a plain file name."""
    return directory + name if directory.endswith("/") else directory + "/" + name


def absolute_path(path):
    """``path`` made absolute against the working directory (not normalised: another spelling of the same
    path is another cache entry, a miss, never a wrong hit)."""
    return path if path.startswith("/") else join_path(system.getcwd(), path)


def home_directory():
    """``os.path.expanduser("~")``: $HOME (trailing "/" removed), else the password database's entry."""
    home = process_environment().get("HOME")
    if home is None:
        import os  # pylint: disable=import-outside-toplevel  # no HOME: rare, let os ask the password database
        return os.path.expanduser("~")
    return home.rstrip("/") or "/"


class PrivateFileError(Exception):
    """A private directory or lock cannot be used safely (someone else's, not a directory, held too long)."""


def directory_is_private(path):
    """True when ``path`` is a real directory (not a link) of this user that nobody else can write or read."""
    try:
        st = system.lstat(path)
    except OSError:
        return False
    return (st.st_mode & 0o170000) == 0o040000 and st.st_uid == system.geteuid() and not st.st_mode & 0o077


def ensure_private_directory(path, what="directory", hint="choose another one"):
    """Create ``path`` 0700 (parents as needed); tighten its mode; refuse one that is not ours."""
    import os  # pylint: disable=import-outside-toplevel  # writers only
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise PrivateFileError("cannot create the %s %s: %s" % (what, path, exc.strerror))
    if (st.st_mode & 0o170000) != 0o040000 or st.st_uid != os.geteuid():
        raise PrivateFileError("the %s %s is not a directory owned by this user: remove it, or %s" % (what, path, hint))
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)


def read_bytes(path, absent=(FileNotFoundError,)):
    """The bytes at path, or None when reading it raises one of ``absent`` (a missing file by default; callers that
    treat an unreadable file as absent pass OSError). Other errors reach the caller."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except absent:
        return None


def read_private_file(path, limit=1 << 20):
    """The bytes of ``path`` when it is a file of this user that nobody else can access, else None.

    Links are not followed (O_NOFOLLOW) and files over ``limit`` bytes are ignored.
    """
    try:
        fd = system.open(path, system.O_RDONLY | NOFOLLOW)
    except OSError:
        return None
    try:
        st = system.fstat(fd)
        if st.st_uid != system.geteuid() or st.st_mode & 0o077 or st.st_size > limit:
            return None
        return system.read(fd, st.st_size + 1)
    except OSError:
        return None
    finally:
        system.close(fd)


def atomic_write(path, data, mode=0o600):
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
    import os  # pylint: disable=import-outside-toplevel  # writers only
    directory, name = os.path.split(path)
    temp = os.path.join(directory, ".%s.%d.%s.tmp" % (name, os.getpid(), os.urandom(6).hex()))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, mode)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


class FileLock(object):
    """Exclusive ``flock`` on ``path`` (created 0600, links not followed), waited for at most ``timeout`` s.

    Polls with a growing sleep so that a stuck holder cannot block us forever; the kernel releases the
    lock when its holder dies. ``busy_message`` is the error when the wait runs out (``%(path)s`` and
    ``%(timeout)d`` are filled in). ``flags``: how the path is opened (default read-write, created when
    missing); the open descriptor is ``fd`` while the lock is held. Without fcntl (Windows) the lock is a no-op.
    """

    def __init__(self, path, timeout=DEFAULT_LOCK_TIMEOUT, busy_message=None, flags=None):
        self.path = path
        self.timeout = timeout
        self.busy_message = busy_message or "the lock %(path)s was held by another process for more than %(timeout)d seconds"
        self.flags = (system.O_RDWR | system.O_CREAT) if flags is None else flags
        self.fd = None

    def __enter__(self):
        try:
            import fcntl  # pylint: disable=import-outside-toplevel  # loaded by writers only, never on a cache hit
        except ImportError:  # pragma: no cover - Windows: no cross-process locking
            fcntl = None
        self.fd = system.open(self.path, self.flags | NOFOLLOW, 0o600)
        if fcntl is None:
            return self
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError:
                if time.monotonic() >= deadline:
                    system.close(self.fd)
                    self.fd = None
                    raise PrivateFileError(self.busy_message % {"path": self.path, "timeout": self.timeout})
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    def __exit__(self, *exc_info):
        if self.fd is not None:
            try:
                import fcntl  # pylint: disable=import-outside-toplevel
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            except ImportError:  # pragma: no cover
                pass
            system.close(self.fd)
            self.fd = None
        return False
