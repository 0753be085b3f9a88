# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite one profile of the AWS shared credentials file (``update`` command; standard library only).

Only the first section headed exactly ``[<profile>]`` changes, and in it only the three credential keys;
every other line (keys, comments, blank lines, other sections, the last line) is kept byte for byte.
A missing profile is appended. The file is rewritten under an exclusive lock, atomically (temporary file
and rename, keeping the file's group and mode but never access for others; a new file is 0600 in a 0700
directory), or in place when it cannot be renamed over (a single-file bind mount). Symbolic links another user could have planted are not
followed, another user's file is not written (AWS's helper, update.go, truncates in place and follows links).
"""

from __future__ import annotations

import errno
import os
import re
import stat

from .._core.errors import ConfigurationError
from .._core.files import FileLock, PrivateFileError

CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
MAX_SYMLINKS = 40
MAX_LOCK_ROUNDS = 20
LOCK_TIMEOUT = 120.0
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def credentials_file_path(environ=None):
    """``$AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials`` (what the SDKs read)."""
    environ = os.environ if environ is None else environ
    path = environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join("~", ".aws", "credentials")
    return os.path.abspath(os.path.expanduser(path))


def _line_key(line):
    """The option name of a ``key = value`` line (lower case), or None for anything else."""
    if not line.strip() or line[0] in " \t#;[":
        return None
    name, sep, _value = line.partition("=")
    return name.strip().lower() if sep else None


_HEADER_RE = re.compile(r"\[(?P<name>.+)\]")


def _section_name(line):
    """The section a header line opens (configparser's rule, which botocore uses), or None."""
    match = _HEADER_RE.match(line.strip())
    return match.group("name") if match else None


def _is_continuation(line):
    return line[:1] in (" ", "\t") and bool(line.strip())


def _newline_of(lines):
    return "\r\n" if lines and lines[0].endswith("\r\n") else "\n"


def _section_bounds(lines, profile):
    """(start, end) indexes of the first ``[profile]`` section's body, or None."""
    for index, line in enumerate(lines):
        if _section_name(line) == profile:
            end = index + 1
            while end < len(lines) and _section_name(lines[end]) is None:
                end += 1
            return index + 1, end
    return None


def _rewrite_section(body, values, newline):
    """Replace the credential keys in a section body; append the missing ones after its last content line."""
    result, written, skipping = [], set(), False
    for line in body:
        if skipping and _is_continuation(line):
            continue
        skipping = False
        key = _line_key(line)
        if key in values:
            skipping = True
            if key not in written:
                result.append("%s = %s%s" % (key, values[key], newline))
                written.add(key)
            continue
        result.append(line)
    missing = ["%s = %s%s" % (key, values[key], newline) for key in CREDENTIAL_KEYS if key not in written]
    insert_at = len(result)
    while insert_at > 0 and not result[insert_at - 1].strip():
        insert_at -= 1
    if insert_at and not result[insert_at - 1].endswith("\n"):
        result[insert_at - 1] += newline
    return result[:insert_at] + missing + result[insert_at:]


def rewrite_profile(text, profile, access_key_id, secret_access_key, session_token):
    """The new file text: ``text`` with the credentials of ``profile`` replaced (or the profile appended)."""
    values = dict(zip(CREDENTIAL_KEYS, (access_key_id, secret_access_key, session_token)))
    lines = text.splitlines(True)
    newline = _newline_of(lines)
    bounds = _section_bounds(lines, profile)
    if bounds is None:
        prefix = "".join(lines)
        if prefix and not prefix.endswith("\n"):
            prefix += newline
        if prefix.strip():
            prefix += newline
        section = ["[%s]%s" % (profile, newline)] + ["%s = %s%s" % (key, values[key], newline) for key in CREDENTIAL_KEYS]
        return prefix + "".join(section)
    start, end = bounds
    if not lines[start - 1].endswith("\n"):
        lines[start - 1] += newline
    return "".join(lines[:start] + _rewrite_section(lines[start:end], values, newline) + lines[end:])


def validate_profile_name(profile):
    """A profile name that can head a section: non-empty, no brackets, no line breaks."""
    if not profile or profile != profile.strip() or any(c in profile for c in "[]\r\n"):
        raise ValueError(
            "invalid profile name %r: use a non-empty name without brackets, line breaks or surrounding spaces" % profile
        )
    return profile


def _refuse(message, hint):
    return ConfigurationError(message, hint)


def _owner(uid):
    try:
        import pwd  # pylint: disable=import-outside-toplevel

        return "%s (uid %d)" % (pwd.getpwuid(uid).pw_name, uid)
    except (ImportError, KeyError):
        return "uid %d" % uid


def resolve_credentials_path(path, uid=None):
    """The file that ``path`` names, following only symbolic links that are safe to follow.

    A link is followed only when this user owns it and it does not sit in a world-writable directory of another
    user (the rule ``fs.protected_symlinks`` applies in sticky directories, made stricter): otherwise another user
    could point it at a file of ours, or at theirs to receive our credentials.
    """
    uid = os.geteuid() if uid is None else uid
    current = os.path.abspath(path)
    for _level in range(MAX_SYMLINKS):
        directory = os.path.realpath(os.path.dirname(current))
        current = os.path.join(directory, os.path.basename(current))
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return current
        if not stat.S_ISLNK(info.st_mode):
            return current
        if info.st_uid != uid:
            raise _refuse("%s is a symbolic link owned by %s, not by you (%s): update does not follow it"
                          % (current, _owner(info.st_uid), _owner(uid)),
                          "Remove the link, or set AWS_SHARED_CREDENTIALS_FILE to the real file")
        holder = os.stat(directory)
        if holder.st_mode & stat.S_IWOTH and holder.st_uid != uid:
            raise _refuse("%s is a symbolic link in %s, a world-writable directory of %s: update does not follow it"
                          % (current, directory, _owner(holder.st_uid)),
                          "Keep the credentials file in a directory of your own (default ~/.aws/credentials)")
        current = os.path.join(directory, os.readlink(current))
    raise _refuse("%s: too many levels of symbolic links" % path, "Point AWS_SHARED_CREDENTIALS_FILE at the real file")


def _check_file(path, info, uid):
    if stat.S_ISDIR(info.st_mode):
        raise _refuse("the credentials file %s is a directory" % path,
                      "Set AWS_SHARED_CREDENTIALS_FILE to a file, e.g. %s" % os.path.join(path, "credentials"))
    if not stat.S_ISREG(info.st_mode):
        raise _refuse("the credentials file %s is not a regular file" % path, "Set AWS_SHARED_CREDENTIALS_FILE to a regular file")
    if info.st_uid != uid:
        raise _refuse("the credentials file %s belongs to %s, not to you (%s): update does not write into another "
                      "user's file" % (path, _owner(info.st_uid), _owner(uid)),
                      "Run update as that user, or set AWS_SHARED_CREDENTIALS_FILE to a file of your own")
    if not info.st_mode & stat.S_IWUSR:
        raise _refuse("the credentials file %s is read-only (mode %04o)" % (path, stat.S_IMODE(info.st_mode)),
                      "Run chmod u+w %s if update should keep it current, or set AWS_SHARED_CREDENTIALS_FILE to another file" % path)


def _unwritable(path, error, what="the credentials file"):
    """The clear error for a permission or read-only failure on path (a file, or a directory with what="in directory")."""
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "read-only file system" if error.errno == errno.EROFS else "permission denied"
        return _refuse("cannot write %s %s (%s)" % (what, path, reason),
                       "Make %s writable by you, or set AWS_SHARED_CREDENTIALS_FILE to a file in a directory you can write" % path)
    return None


def _open_locked(path):
    """A held ``files.FileLock`` on path itself (created 0600 when missing, opened without following links) and
    the file's stat; ``lock.fd`` reads the file.

    Writers replace the file by rename, so after the lock is granted the path must still name the locked inode.
    Opened read-only and non-blocking: a read-only file gets its clear error (``_check_file``), a FIFO no hang.
    """
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
    for _round in range(MAX_LOCK_ROUNDS):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))
        except FileExistsError:
            pass
        lock = FileLock(path, LOCK_TIMEOUT, flags=flags, busy_message=(
            "another process held a lock on the credentials file %(path)s for more than %(timeout)d seconds"))
        try:
            lock.__enter__()
        except PrivateFileError as error:  # held too long: transient, update retries with its backoff
            raise OSError(errno.EAGAIN, str(error), path) from None
        try:
            info = os.fstat(lock.fd)
            now = os.lstat(path)
        except BaseException:
            lock.__exit__(None, None, None)
            raise
        if not stat.S_ISREG(info.st_mode) or (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino):
            return lock, info
        lock.__exit__(None, None, None)
    raise OSError(errno.EAGAIN, "the credentials file keeps changing", path)


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _replace(path, data, info):
    """Temporary file with the old file's group and mode, then rename. False when the rename cannot happen here."""
    directory, name = os.path.split(path)
    temp = os.path.join(directory, ".%s.%d.%s.tmp" % (name, os.getpid(), os.urandom(6).hex()))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        try:
            if info.st_gid != os.fstat(fd).st_gid:
                os.fchown(fd, -1, info.st_gid)
            os.fchmod(fd, kept_mode(info.st_mode))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
        return True
    except OSError as error:
        try:
            os.unlink(temp)
        except OSError:
            pass
        # EBUSY: the file is a single-file bind mount (a container's); EXDEV: likewise on some kernels; EPERM from
        # fchown: we may not give the group away. All three: rewrite in place, which keeps inode, owner and mode.
        if error.errno in (errno.EBUSY, errno.EXDEV, errno.EPERM):
            return False
        raise


def kept_mode(mode):
    """The file's permission bits, without any access for others: credentials are never world-readable.

    A deliberate difference from AWS's helper, which rewrites the file in place (update.go
    GetWriteOnlyCredentialsFile: os.OpenFile(path, O_WRONLY|O_TRUNC, 0200); the mode argument applies only to a
    new file), so an existing file keeps every bit, "other" included: fresh credentials would go on being
    readable by every local user. Owner and group bits stay as they are (a service group may read the file).
    """
    return stat.S_IMODE(mode) & ~0o007


def tightening_notice(path, mode):
    """What to tell the user when the rewrite takes access away from others; None when there is none to take."""
    if stat.S_IMODE(mode) == kept_mode(mode):
        return None
    return ("the credentials file %s was readable or writable by other users (mode %04o); it is now %04o "
            "(update never leaves credentials open to others)" % (path, stat.S_IMODE(mode), kept_mode(mode)))


def _rewrite_in_place(path, data, info):
    fd = os.open(path, os.O_WRONLY | _NOFOLLOW)
    try:
        if stat.S_IMODE(info.st_mode) != kept_mode(info.st_mode):
            os.fchmod(fd, kept_mode(info.st_mode))
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
            raise OSError(errno.EAGAIN, "the credentials file changed while it was locked", path)
        view, offset = memoryview(data), 0
        while offset < len(data):
            offset += os.pwrite(fd, view[offset:], offset)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def write_credentials(path, profile, access_key_id, secret_access_key, session_token, notice=None):
    """Rewrite ``profile`` in the credentials file at ``path``; returns the file's real path.

    ``notice(message)`` is called when the rewrite removes the access others had to the file (``kept_mode``).

    Under an exclusive lock on the file: read, rewrite, then replace it by a temporary file and a rename (keeping
    group and mode), or rewrite it in place when it cannot be renamed over (a single-file bind mount). Refused with
    a ConfigurationError naming the path and the fix: unsafe symbolic links, another user's file, a read-only file,
    a directory, an unwritable directory.
    """
    validate_profile_name(profile)
    uid = os.geteuid()
    real = resolve_credentials_path(path, uid)
    directory = os.path.dirname(real)
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=0o700)
            os.chmod(directory, 0o700)
        lock, info = _open_locked(real)
    except OSError as error:
        raise (_unwritable(real if os.path.isdir(directory) and os.path.exists(real) else directory, error,
                           "the credentials file" if os.path.exists(real) else "in directory") or error) from None
    try:
        _check_file(real, info, uid)
        text = _read_all(lock.fd).decode("utf-8")
        data = rewrite_profile(text, profile, access_key_id, secret_access_key, session_token).encode("utf-8")
        try:
            if not _replace(real, data, info):
                _rewrite_in_place(real, data, info)
        except OSError as error:
            raise _unwritable(directory, error, "in directory") or error from None
    finally:
        lock.__exit__(None, None, None)
    message = tightening_notice(real, info.st_mode)
    if message and notice is not None:
        notice(message)
    return real
