# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private files of one user: a 0700 directory, 0600 files written atomically, read without following
links, and one cross-process lock (standard library only; a cache hit loads this module).
"""

import os
import time

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DEFAULT_LOCK_TIMEOUT = 120.0


class PrivateFileError(Exception):
    """A private directory or lock cannot be used safely (someone else's, not a directory, held too long)."""


def directory_is_private(path):
    """True when ``path`` is a real directory (not a link) of this user that nobody else can write or read."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_mode & 0o170000) == 0o040000 and st.st_uid == os.geteuid() and not st.st_mode & 0o077


def ensure_private_directory(path, what="directory", hint="choose another one"):
    """Create ``path`` 0700 (parents as needed); tighten its mode; refuse one that is not ours."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as exc:
        raise PrivateFileError("cannot create the %s %s: %s" % (what, path, exc.strerror))
    if (st.st_mode & 0o170000) != 0o040000 or st.st_uid != os.geteuid():
        raise PrivateFileError("the %s %s is not a directory owned by this user: remove it, or %s" % (what, path, hint))
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)


def read_private_file(path, limit=1 << 20):
    """The bytes of ``path`` when it is a file of this user that nobody else can access, else None.

    Links are not followed (O_NOFOLLOW) and files over ``limit`` bytes are ignored.
    """
    try:
        fd = os.open(path, os.O_RDONLY | NOFOLLOW)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o077 or st.st_size > limit:
            return None
        return os.read(fd, st.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def atomic_write(path, data, mode=0o600):
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
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
    ``%(timeout)d`` are filled in). Without fcntl (Windows) the lock is a no-op.
    """

    def __init__(self, path, timeout=DEFAULT_LOCK_TIMEOUT, busy_message=None):
        self.path = path
        self.timeout = timeout
        self.busy_message = busy_message or "the lock %(path)s was held by another process for more than %(timeout)d seconds"
        self.fd = None

    def __enter__(self):
        try:
            import fcntl  # pylint: disable=import-outside-toplevel  # loaded by writers only, never on a cache hit
        except ImportError:  # pragma: no cover - Windows: no cross-process locking
            fcntl = None
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o600)
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
                    os.close(self.fd)
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
            os.close(self.fd)
            self.fd = None
        return False
