# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential cache of ``credential-process --cache`` (standard library only).

The credential helper file starts with this source, verbatim, so that a cache hit runs nothing else:
no argparse, no json, no cryptography, no network. Keep it that way: standard library modules that
load fast, no relative imports, no ``from __future__`` (the file is inlined after a shebang line).

An entry lives in ``$XDG_CACHE_HOME/rolesanywhere-fleet`` (or ``~/.cache/rolesanywhere-fleet``),
a 0700 directory of the user, as a 0600 file named after the SHA-256 of the identity (certificate,
key, chain, ARNs, duration, session name, region, endpoint). It records the certificate file's
path, size, mtime_ns, inode and device: a hit needs one ``os.stat`` and is refused as soon as the
certificate file changes. An entry is usable until ``min(credential expiration, certificate
notAfter)`` minus the refresh margin. Writers hold an exclusive ``flock`` on a per-entry lock file,
so N concurrent cold invocations make one CreateSession.
"""

import os
import sys
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the cache still works, without cross-process locking
    fcntl = None

CACHE_FORMAT = "rolesanywhere-fleet-credential-cache 1"
CACHE_DIRECTORY_NAME = "rolesanywhere-fleet"
DEFAULT_REFRESH_MARGIN = 1200
LOCK_TIMEOUT = 120.0
STDIN = "-"

# Options of credential-process that take a value, and the identity field each one feeds (None: no field).
VALUE_OPTIONS = {
    "--certificate": "certificate",
    "--private-key": "private_key",
    "--intermediates": "intermediates",
    "--trust-anchor-arn": "trust_anchor_arn",
    "--profile-arn": "profile_arn",
    "--role-arn": "role_arn",
    "--session-duration": "session_duration",
    "--region": "region",
    "--endpoint": "endpoint",
    "--role-session-name": "role_session_name",
    "--cache-dir": "cache_dir",
    "--refresh-margin": "refresh_margin",
    "--pkcs8-password": None,
    "--pkcs8-password-file": None,
}
FLAG_OPTIONS = ("--cache", "--no-verify-ssl", "--with-proxy", "--use-fips-endpoint")
IDENTITY_FIELDS = (
    "certificate", "private_key", "intermediates", "trust_anchor_arn", "profile_arn", "role_arn",
    "session_duration", "role_session_name", "region", "endpoint", "use_fips_endpoint",
)


class CacheError(Exception):
    """The cache cannot be used safely (directory owned by someone else, unwritable...)."""


def _sha256_hex(data):
    # hashlib loads OpenSSL: the built-in module is several times faster to import on the hit path.
    try:
        from _sha256 import sha256
    except ImportError:
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256(data).hexdigest()


def fips_requested(flag, environ):
    """``--use-fips-endpoint`` or ``AWS_USE_FIPS_ENDPOINT=true``."""
    return bool(flag) or environ.get("AWS_USE_FIPS_ENDPOINT", "").strip().lower() == "true"


def cache_directory(environ, override=None):
    """The per-user cache directory: ``override``, else ``$XDG_CACHE_HOME`` or ``~/.cache``, plus our name."""
    if override:
        return os.path.abspath(os.path.expanduser(override))
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, CACHE_DIRECTORY_NAME)


def _pem_certificate_der(data):
    """DER of the first PEM CERTIFICATE block in ``data``, or None (stdlib only, for the identity)."""
    begin = data.find(b"-----BEGIN CERTIFICATE-----")
    if begin < 0:
        return None
    end = data.find(b"-----END CERTIFICATE-----", begin)
    if end < 0:
        return None
    import binascii
    body = data[begin + len(b"-----BEGIN CERTIFICATE-----"):end]
    try:
        return binascii.a2b_base64(b"".join(body.split()))
    except (binascii.Error, ValueError):
        return None


def data_fingerprint(data):
    """SHA-256 of the certificate's DER when ``data`` holds a PEM certificate, else of ``data`` itself."""
    der = _pem_certificate_der(data)
    return _sha256_hex(der if der is not None else data)


def certificate_state(certificate, stdin_data=None):
    """What makes an entry stale: the file's (path, size, mtime_ns, inode, device), or the stdin data's hash."""
    if certificate == STDIN:
        return "stdin %s" % data_fingerprint(stdin_data or b"")
    path = os.path.abspath(certificate)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return "file %d %d %d %d %s" % (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev, path)


def _normalise_path(value):
    if not value or value == STDIN:
        return value or ""
    return os.path.abspath(value)


def identity_text(options):
    """Canonical text of everything that selects the credentials; ``options`` maps IDENTITY_FIELDS to values."""
    values = dict(options)
    for name in ("certificate", "private_key", "intermediates"):
        values[name] = _normalise_path(values.get(name))
    values["session_duration"] = str(int(values.get("session_duration") or 3600))
    values["use_fips_endpoint"] = "true" if values.get("use_fips_endpoint") else "false"
    return "\n".join("%s=%s" % (name, values.get(name) or "") for name in IDENTITY_FIELDS)


def identity_key(options):
    return _sha256_hex(identity_text(options).encode("utf-8"))


def effective_margin(margin, obtained, expires):
    """Refresh margin, at most half the credentials' lifetime (short sessions still get cached)."""
    lifetime = max(0, expires - obtained)
    return min(max(0, int(margin)), lifetime // 2)


class CredentialCache(object):
    """One directory of cache entries of the current user."""

    def __init__(self, directory):
        self.directory = directory

    def _path(self, key):
        return os.path.join(self.directory, key + ".cred")

    def directory_is_private(self):
        """True when the directory exists, is a real directory of ours and nobody else can write it."""
        try:
            st = os.lstat(self.directory)
        except OSError:
            return False
        import stat
        return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077

    def ensure_directory(self):
        """Create the directory 0700 (parents as needed); refuse one that someone else owns."""
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            st = os.lstat(self.directory)
        except OSError as exc:
            raise CacheError("cannot create the credential cache directory %s: %s" % (self.directory, exc.strerror))
        import stat
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            raise CacheError(
                "the credential cache directory %s is not a directory owned by this user: remove it, or choose "
                "another one with --cache-dir or XDG_CACHE_HOME" % self.directory
            )
        if st.st_mode & 0o077:
            os.chmod(self.directory, 0o700)

    def lookup(self, key, state, margin, now=None):
        """The cached credential_process output for ``key`` if still good for ``state`` at ``now``, else None."""
        if state is None or not self.directory_is_private():
            return None
        entry = self._read(key)
        if entry is None or entry.get("key") != key or entry.get("state") != state:
            return None
        try:
            obtained, expires = int(entry["obtained"]), int(entry["expires"])
        except (KeyError, ValueError):
            return None
        now = time.time() if now is None else now
        if now >= expires - effective_margin(margin, obtained, expires):
            return None
        return entry.get("payload")

    def _read(self, key):
        try:
            fd = os.open(self._path(key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid() or st.st_mode & 0o077 or st.st_size > 1 << 20:
                return None
            data = os.read(fd, st.st_size + 1)
        finally:
            os.close(fd)
        return parse_entry(data)

    def store(self, key, state, payload, obtained, expires):
        """Write the entry atomically (0600 temp file in the directory, then rename)."""
        self.ensure_directory()
        lines = [CACHE_FORMAT, "key %s" % key, "state %s" % state, "obtained %d" % int(obtained), "expires %d" % int(expires), ""]
        data = ("\n".join(lines) + "\n" + payload).encode("utf-8")
        atomic_write(self._path(key), data)

    def remove(self, key):
        try:
            os.unlink(self._path(key))
        except OSError:
            pass

    def locked(self, key, timeout=LOCK_TIMEOUT):
        """Context manager: exclusive lock of ``key`` across processes (flock on ``<key>.lock``)."""
        self.ensure_directory()
        return _FileLock(os.path.join(self.directory, key + ".lock"), timeout)


def parse_entry(data):
    """Header lines ``name value`` up to a blank line, then the payload; None when it is not ours."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    header, sep, payload = text.partition("\n\n")
    lines = header.split("\n")
    if not sep or lines[0] != CACHE_FORMAT:
        return None
    entry = {"payload": payload}
    for line in lines[1:]:
        name, _sep, value = line.partition(" ")
        entry[name] = value
    return entry


def atomic_write(path, data, mode=0o600):
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
    directory, name = os.path.split(path)
    temp = os.path.join(directory, ".%s.%d.%s.tmp" % (name, os.getpid(), os.urandom(6).hex()))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
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


class _FileLock(object):
    """flock-based exclusive lock; polls so that a stuck holder cannot block us forever."""

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
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
                    raise CacheError(
                        "another credential-process held the cache lock %s for more than %d seconds: check for a "
                        "hung process, or run without --cache" % (self.path, self.timeout)
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.05)

    def __exit__(self, *exc_info):
        if self.fd is not None:
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False


def parse_fast_arguments(argv):
    """Options of ``credential-process --cache`` when argv uses only the plain cache-able forms, else None.

    Anything unusual (another command, --debug, --help, stdin, an unknown or repeated flag) returns None:
    the full command line parser then handles it, with the same cache.
    """
    if not argv or argv[0] != "credential-process":
        return None
    options = {"use_fips_endpoint": False, "cache": False}
    seen = set()
    index = 1
    while index < len(argv):
        name, has_value, value = argv[index].partition("=")
        if name in seen:
            return None
        seen.add(name)
        if name in VALUE_OPTIONS:
            if not has_value:
                index += 1
                if index >= len(argv):
                    return None
                value = argv[index]
            field = VALUE_OPTIONS[name]
            if field:
                options[field] = value
        elif name in FLAG_OPTIONS and not has_value:
            options[name[2:].replace("-", "_")] = True
        else:
            return None
        index += 1
    if {"--pkcs8-password", "--pkcs8-password-file"} <= seen:
        return None  # the full parser refuses the pair, whatever the cache holds
    if not options["cache"] or not options.get("certificate") or STDIN in (options.get("certificate"), options.get("private_key")):
        return None
    return options


def fast_credential_process(argv, environ=None, out=None):
    """Answer ``credential-process --cache`` from a fresh entry; False when the full helper must run."""
    environ = os.environ if environ is None else environ
    options = parse_fast_arguments(argv)
    if options is None:
        return False
    try:
        margin = int(options.get("refresh_margin") or DEFAULT_REFRESH_MARGIN)
        options["use_fips_endpoint"] = fips_requested(options["use_fips_endpoint"], environ)
        key = identity_key(options)
    except ValueError:
        return False
    cache = CredentialCache(cache_directory(environ, options.get("cache_dir")))
    payload = cache.lookup(key, certificate_state(options["certificate"]), margin)
    if payload is None:
        return False
    (out or sys.stdout).write(payload)
    return True
