# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credential cache: entries of one user, 0600 files in a 0700 directory, one lock per identity.

Used by ``credential-process --cache`` (the helper's cache hit loads this module with ``files``,
``refresh`` and ``_helper/command_line`` only: standard library modules that load fast, nothing else).

An entry lives in ``$XDG_CACHE_HOME/rolesanywhere-fleet`` (or ``~/.cache/rolesanywhere-fleet``), as a
file named after ``identity_key`` of everything that selects the credentials (certificate, key, chain,
ARNs, duration, session name, region, and the endpoint, FIPS and dual-stack switches as resolved). It
records ``certificate_state``: for a file its path, size, mtime_ns, inode and device, so a hit needs one
``stat`` and is refused as soon as the certificate file changes. An entry is usable while the
``RefreshPolicy`` says so (until ``min(credential expiration, certificate notAfter)`` minus the margin,
at most half the lifetime). Writers hold ``locked(key)``, so N concurrent cold invocations make one
CreateSession.
"""

import time

from .files import (
    FileLock,
    PrivateFileError,
    absolute_path,
    atomic_write,
    directory_is_private,
    ensure_private_directory,
    home_directory,
    join_path,
    read_private_file,
    system,
)
from .pkcs11_uri import is_pkcs11_uri, without_pin
from .refresh import CACHE_POLICY, RefreshPolicy

CACHE_FORMAT = "rolesanywhere-fleet-credential-cache 1"
CACHE_DIRECTORY_NAME = "rolesanywhere-fleet"
DEFAULT_REFRESH_MARGIN = CACHE_POLICY.margin
LOCK_TIMEOUT = 120.0
STDIN = "-"  # certificate/key read from standard input: the command line's marker, which identities and states know

# What selects the credentials of credential-process (the option's dest names); endpoint, use_fips_endpoint and
# use_dualstack_endpoint hold what sdk_config resolves (resolved_endpoint), not only the command line's options:
# an endpoint set in the environment or the shared config file is another service, so another entry.
IDENTITY_FIELDS = (
    "certificate", "private_key", "intermediates", "trust_anchor_arn", "profile_arn", "role_arn",
    "session_duration", "role_session_name", "region", "endpoint", "use_fips_endpoint", "use_dualstack_endpoint",
)
# The variables besides the options that sdk_config.load_client_config reads to choose the endpoint (with the
# shared config file: AWS_CONFIG_FILE, else ~/.aws/config, as sdk_config.config_file_path says).
ENDPOINT_ENVIRONMENT = (
    "AWS_ENDPOINT_URL_ROLESANYWHERE", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
)
ENDPOINT_CONFIG_KEYS = (b"endpoint_url", b"use_fips_endpoint", b"use_dualstack_endpoint", b"services")
_PATH_FIELDS = ("certificate", "private_key", "intermediates")


# The cache's errors are the private-file errors (directory of someone else, lock held too long).
CacheError = PrivateFileError


def _sha256_hex(data):
    # hashlib loads OpenSSL: the built-in module is several times faster to import on the hit path.
    try:
        from _sha256 import sha256  # pylint: disable=import-outside-toplevel
    except ImportError:
        try:
            from _sha2 import sha256  # pylint: disable=import-outside-toplevel
        except ImportError:
            from hashlib import sha256  # pylint: disable=import-outside-toplevel
    return sha256(data).hexdigest()


def cache_directory(environ, override=None):
    """The per-user cache directory (the helper's and the lookup's): ``override``, else our name in
    ``$XDG_RUNTIME_DIR`` when that is a private directory of ours, else in ``$XDG_CACHE_HOME`` or ``~/.cache``.

    XDG_RUNTIME_DIR first: the XDG base directory specification makes it the user's own (0700) and memory-backed
    (emptied at logout), the right place for credentials that live an hour; a relative one, or one that is not
    a 0700 directory of this user, is ignored as the specification says. One lstat on the hit path.
    """
    if override:
        import os  # pylint: disable=import-outside-toplevel  # ~user forms: os knows them
        return os.path.abspath(os.path.expanduser(override))
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if runtime.startswith("/") and directory_is_private(runtime):
        return join_path(runtime, CACHE_DIRECTORY_NAME)
    base = environ.get("XDG_CACHE_HOME", "")
    if not base.startswith("/"):  # relative XDG_CACHE_HOME is invalid (XDG base directory specification)
        base = join_path(home_directory(), ".cache")
    return join_path(base, CACHE_DIRECTORY_NAME)


def _pem_certificate_der(data):
    """DER of the first PEM CERTIFICATE block in ``data``, or None (stdlib only, for the identity)."""
    begin = data.find(b"-----BEGIN CERTIFICATE-----")
    if begin < 0:
        return None
    end = data.find(b"-----END CERTIFICATE-----", begin)
    if end < 0:
        return None
    import binascii  # pylint: disable=import-outside-toplevel
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
    """The one test of "the certificate changed": the file's (path, size, mtime_ns, inode, device), or the
    fingerprint of data read from stdin; None when the file cannot be stat'ed (nothing is cached then)."""
    if certificate == STDIN:
        return "stdin %s" % data_fingerprint(stdin_data or b"")
    if is_pkcs11_uri(certificate):  # in a token: reading it would touch the token, which a hit must not do
        return "pkcs11 %s" % without_pin(certificate)
    path = absolute_path(certificate)
    try:
        st = system.stat(path)
    except OSError:
        return None
    return "file %d %d %d %d %s" % (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev, path)


def _normalise(name, value):
    if value == "":
        value = None
    if name in _PATH_FIELDS and is_pkcs11_uri(value):
        return without_pin(value)  # a token's object: the PIN (or where it is kept) selects nothing
    if name == "private_key" and isinstance(value, str) and value.startswith("handle:"):
        return value  # a TPM's persistent key (tpm.HANDLE_PREFIX; not imported: a hit loads no more modules)
    if name in _PATH_FIELDS and value is not None and value != STDIN:
        return absolute_path(value)
    if name == "session_duration":
        return int(value or 3600)
    if name in ("use_fips_endpoint", "use_dualstack_endpoint"):
        return bool(value)
    return value


def _encode(value):
    if value is None:
        return b"n"
    if value is True or value is False:
        return b"t" if value else b"f"
    if isinstance(value, int):
        return b"i%d" % value
    if isinstance(value, float):
        return b"d" + repr(value).encode("ascii")
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray)):
        return b"b" + bytes(value)
    raise TypeError("identity values are None, bool, int, float, str or bytes, not %s" % type(value).__name__)


def identity_key(fields):
    """The one key of a cache entry: SHA-256 hex over ``fields`` (a mapping of names to None, bool, int,
    float, str or bytes), in name order, each value typed and length-prefixed so no two mappings collide.

    "" counts as None; the helper's paths (certificate, private_key, intermediates) are made absolute and
    its session_duration defaults to 3600, so equivalent command lines share an entry.
    """
    parts = []
    for name in sorted(fields):
        encoded = _encode(_normalise(name, fields[name]))
        parts.append(b"%s\0%d\0%s" % (name.encode("utf-8"), len(encoded), encoded))
    return _sha256_hex(b"\0".join(parts))


def _config_file_may_choose_endpoint(environ, limit=1 << 20):
    """False only when the shared config file is missing or names none of the keys sdk_config reads to choose the
    endpoint (``endpoint_url``, which ``ignore_configured_endpoint_urls`` contains, ``use_fips_endpoint``,
    ``use_dualstack_endpoint``, ``services``): configparser lower-cases keys, so the bytes are searched lower-cased."""
    path = environ.get("AWS_CONFIG_FILE") or join_path(home_directory(), ".aws/config")
    if path.startswith("~"):
        return True  # ~user: sdk_config expands it
    try:
        fd = system.open(path, system.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        data = system.read(fd, limit + 1).lower()
    except OSError:
        return True
    finally:
        system.close(fd)
    return len(data) > limit or any(key in data for key in ENDPOINT_CONFIG_KEYS)


def resolved_endpoint(values, environ):
    """(endpoint, use_fips_endpoint, use_dualstack_endpoint) of credential-process ``values`` (option dests) in
    ``environ``, as ``sdk_config.load_client_config`` resolves them (endpoint None: the region's own).

    Without any of ENDPOINT_ENVIRONMENT and with no endpoint key in the config file, that resolution is the options
    themselves (a unit test holds both to the same answers): a cache hit then reads the file, not sdk_config.
    """
    endpoint = (values.get("endpoint") or "").strip() or None
    fips = bool(values.get("use_fips_endpoint"))
    if not any(name in environ for name in ENDPOINT_ENVIRONMENT) and not _config_file_may_choose_endpoint(environ):
        return endpoint, fips, False
    from .sdk_config import load_client_config  # pylint: disable=import-outside-toplevel  # endpoint configured

    config = load_client_config(environ, endpoint=endpoint, use_fips_endpoint=fips or None)
    return config.endpoint, config.use_fips_endpoint, config.use_dualstack_endpoint


def with_pkcs11_module(fields, module):
    """``fields`` plus the PKCS#11 module when the certificate or key is in a token (another module, another token);
    the entries of key files keep the keys they always had."""
    if is_pkcs11_uri(fields.get("certificate")) or is_pkcs11_uri(fields.get("private_key")):
        fields["pkcs11_lib"] = module or None
    return fields


def credential_identity(values, environ):
    """The identity fields of credential-process ``values`` (option dests) in ``environ``."""
    fields = with_pkcs11_module(dict((name, values.get(name)) for name in IDENTITY_FIELDS), values.get("pkcs11_lib"))
    fields["endpoint"], fields["use_fips_endpoint"], fields["use_dualstack_endpoint"] = resolved_endpoint(values, environ)
    if values.get("failover"):
        # The failover sets as given (--failover): one entry per identity whichever region answered, so a failover
        # neither makes a second entry nor a second CreateSession. Without them the key is what it always was.
        fields["failover"] = "\n".join(values["failover"])
    return fields


class CredentialCache(object):
    """One directory of cache entries of the current user."""

    def __init__(self, directory, elsewhere="choose another one with --cache-dir"):
        self.directory = directory
        self.elsewhere = elsewhere  # the way to another directory, in the words of this cache's user (helper or lookup)

    def _path(self, key):
        return join_path(self.directory, key + ".cred")

    def directory_is_private(self):
        """True when the directory exists, is a real directory of ours and nobody else can write it."""
        return directory_is_private(self.directory)

    def ensure_directory(self):
        """Create the directory 0700 (parents as needed); refuse one that someone else owns."""
        ensure_private_directory(self.directory, "credential cache directory", self.elsewhere)

    def lookup(self, key, state, margin=None, now=None):
        """The cached payload for ``key`` if still good for ``state`` at ``now``, else None.

        ``margin``: a ``RefreshPolicy``, or a number of seconds (CACHE_POLICY with that margin), or None
        (CACHE_POLICY).
        """
        if state is None or not self.directory_is_private():
            return None
        data = read_private_file(self._path(key))
        entry = parse_entry(data) if data is not None else None
        if entry is None or entry.get("key") != key or entry.get("state") != state:
            return None
        try:
            obtained, expires = int(entry["obtained"]), int(entry["expires"])
        except (KeyError, ValueError):
            return None
        now = time.time() if now is None else now
        if not _policy(margin).is_fresh(obtained, expires, now):
            return None
        return entry.get("payload")

    def store(self, key, state, payload, obtained, expires):
        """Write the entry atomically (0600 temp file in the directory, then rename)."""
        self.ensure_directory()
        lines = [CACHE_FORMAT, "key %s" % key, "state %s" % state, "obtained %d" % int(obtained), "expires %d" % int(expires), ""]
        data = ("\n".join(lines) + "\n" + payload).encode("utf-8")
        atomic_write(self._path(key), data)

    def remove(self, key):
        try:
            system.unlink(self._path(key))
        except OSError:
            pass

    def locked(self, key, timeout=LOCK_TIMEOUT):
        """Context manager: exclusive lock of ``key`` across processes (flock on ``<key>.lock``)."""
        self.ensure_directory()
        return FileLock(join_path(self.directory, key + ".lock"), timeout, busy_message=(
            "another credential-process held the cache lock %(path)s for more than %(timeout)d seconds: check for "
            "a hung process, or run without --cache"))


def _policy(margin):
    if margin is None:
        return CACHE_POLICY
    if isinstance(margin, RefreshPolicy):
        return margin
    return CACHE_POLICY.with_margin(margin)


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
