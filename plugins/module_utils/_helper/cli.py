# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line of the credential helper: AWS's ``aws_signing_helper`` commands, flags and output bytes.

Commands: ``credential-process`` (plus ``--cache``), ``sign-string``, ``read-certificate-data``,
``update``, ``serve`` and ``version``. Errors print one line on stderr and exit 1, with nothing on
stdout. Modules that need ``cryptography`` are imported only by the commands that sign, so that
``--help``, ``version`` and cache hits stay light.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from datetime import datetime, timezone

from .._core import cache as credential_cache
from .credentials_file import credentials_file_path, validate_profile_name, write_credentials
from .._core.errors import ConfigurationError, MaterialError, RolesAnywhereError

VERSION = "0.1.0"
PROG = "rolesanywhere-credential-helper"
SIGNING_TEST_PREFIX = b"AWS Roles Anywhere Credential Helper Signing Test"
SIGNING_TEST_VERSION = 1
UPDATE_REFRESH_MARGIN = 300
UPDATE_MAX_RETRY_DELAY = 300.0

# Flags of the official helper that select keys in PKCS#11 tokens, TPMs and OS certificate stores.
UNSUPPORTED_VALUE_FLAGS = (
    ("--pkcs11-lib", "PKCS#11"), ("--tpm-key-password", "TPM keys"), ("--cert-selector", "OS certificate stores"),
    ("--system-store-name", "OS certificate stores"), ("--system-store-location", "OS certificate stores"),
)
UNSUPPORTED_SWITCHES = (
    ("--reuse-pin", "PKCS#11"), ("--no-tpm-key-password", "TPM keys"),
    ("--use-latest-expiring-certificate", "OS certificate stores"),
)
UNSUPPORTED_PREFIXES = (("pkcs11:", "PKCS#11 URIs"), ("handle:", "TPM key handles"))


PASSWORD_FILE_FLAG = "--pkcs8-password-file"


class UsageError(Exception):
    """Bad command line (argparse's complaints, reworded into one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError("%s: %s (see %s --help)" % (self.prog, message, self.prog))


class Console(object):
    """stderr lines in Go's log format (``2006/01/02 15:04:05 message``), like AWS's helper."""

    def __init__(self, stream, debug=False):
        self.stream = stream
        self.debug_enabled = debug
        self._lock = threading.Lock()

    def log(self, message):
        stamp = datetime.now().strftime("%Y/%m/%d %H:%M:%S")
        line = "%s %s\n" % (stamp, " ".join(str(message).split()))
        with self._lock:
            self.stream.write(line)
            self.stream.flush()

    def debug(self, message):
        if self.debug_enabled:
            self.log(message)


class Context(object):
    """What a command needs from the process: streams, environment, stdin read once, a console."""

    def __init__(self, stdin, stdout, stderr, environ, debug=False):
        self.stdin = stdin
        self.stdout = stdout
        self.environ = environ
        self.console = Console(stderr, debug)
        self._stdin_data = None

    def stdin_data(self):
        """All of stdin as bytes, read once (certificate and key may share it as one combined PEM)."""
        if self._stdin_data is None:
            stream = getattr(self.stdin, "buffer", self.stdin)
            data = stream.read()
            self._stdin_data = data.encode("utf-8") if isinstance(data, str) else data
        return self._stdin_data


# --- parser --------------------------------------------------------------------------------------

def _add_unsupported(parser):
    group = parser.add_argument_group("not supported yet (accepted for compatibility, refused when used)")
    for flag, _what in UNSUPPORTED_VALUE_FLAGS:
        group.add_argument(flag, metavar="VALUE", help=argparse.SUPPRESS if flag == "--system-store-location" else None)
    for flag, _what in UNSUPPORTED_SWITCHES:
        group.add_argument(flag, action="store_true")


def _add_material(parser):
    parser.add_argument("--certificate", help="certificate file (PEM, DER, combined PEM, PKCS#12), or - for stdin")
    parser.add_argument("--private-key", help="private key file (PKCS#8, SEC1, PKCS#1; plain or encrypted), or - for stdin")
    parser.add_argument("--intermediates", help="PEM bundle of intermediate CA certificates")
    passwords = parser.add_mutually_exclusive_group()
    passwords.add_argument("--pkcs8-password", help="password of an encrypted private key or PKCS#12 file "
                           "(visible in the process list: prefer --pkcs8-password-file)")
    passwords.add_argument(PASSWORD_FILE_FLAG, metavar="PATH", help="file holding that password, readable by its owner only "
                           "(chmod 600); one trailing newline is ignored")
    parser.add_argument("--debug", action="store_true", help="log each step on stderr (never secrets)")


def _add_session(parser):
    parser.add_argument("--trust-anchor-arn", help="trust anchor to authenticate with")
    parser.add_argument("--profile-arn", help="profile to take the session policies from")
    parser.add_argument("--role-arn", help="role to assume")
    parser.add_argument("--session-duration", type=int, default=3600, help="session duration in seconds (900..43200)")
    parser.add_argument("--region", help="signing region (default: the trust anchor's)")
    parser.add_argument("--endpoint", help="CreateSession endpoint URL (default: from the region)")
    parser.add_argument("--role-session-name", help="session name (the profile must accept role session names)")
    parser.add_argument("--no-verify-ssl", action="store_true", help="do not verify the endpoint's TLS certificate")
    parser.add_argument("--with-proxy", action="store_true", help="accepted, changes nothing: HTTPS_PROXY / NO_PROXY are "
                        "always honoured, as by AWS's helper")
    parser.add_argument("--use-fips-endpoint", action="store_true", help="use the FIPS endpoint (also AWS_USE_FIPS_ENDPOINT=true)")
    _add_material(parser)
    _add_unsupported(parser)


def build_parser():
    parser = _Parser(prog=PROG, allow_abbrev=False, description="IAM Roles Anywhere credential helper (rolesanywhere.fleet)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, handler, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)
        sub.set_defaults(handler=handler)
        return sub

    process = command("credential-process", run_credential_process, "print credentials for credential_process")
    _add_session(process)
    process.add_argument("--cache", action="store_true", help="reuse credentials until --refresh-margin before they expire")
    process.add_argument("--cache-dir", help="cache directory (default: $XDG_CACHE_HOME/rolesanywhere-fleet or ~/.cache/...)")
    process.add_argument("--refresh-margin", type=int, help="seconds before expiry when a cached entry stops being used "
                         "(default %d, at most half the credentials' lifetime)" % credential_cache.DEFAULT_REFRESH_MARGIN)

    sign = command("sign-string", run_sign_string, "sign the fixed test string with the private key")
    _add_material(sign)
    sign.add_argument("--format", choices=("json", "text", "bin"), default="json", help="output format")
    sign.add_argument("--digest", choices=("SHA256", "SHA384", "SHA512"), default="SHA256", help="digest")
    _add_unsupported(sign)

    read = command("read-certificate-data", run_read_certificate_data, "print the certificate's data as JSON")
    read.add_argument("--certificate", help="certificate file, or - for stdin")
    read.add_argument("--debug", action="store_true", help="log each step on stderr")
    _add_unsupported(read)

    update = command("update", run_update, "keep a profile of the shared credentials file up to date")
    _add_session(update)
    update.add_argument("--profile", default="default", help="profile to update (default: default)")
    update.add_argument("--once", action="store_true", help="update once and exit")
    update.add_argument("--retry-errors", action="store_true", help="accepted and ignored: update always retries with backoff")
    update.add_argument("--refresh-margin", type=int, default=UPDATE_REFRESH_MARGIN,
                        help="seconds before expiry to refresh (default %d)" % UPDATE_REFRESH_MARGIN)

    serve = command("serve", run_serve, "serve credentials on an IMDSv2-compatible local endpoint")
    _add_session(serve)
    serve.add_argument("--port", type=int, default=9911, help="port (default 9911; 0 = any free port)")
    serve.add_argument("--hop-limit", type=int, default=64, help="IP TTL of the answers (default 64)")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--refresh-margin", type=int, default=600, help="seconds before expiry to refresh (default 600)")
    serve.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                       help="also answer requests whose Host is this DNS name (default: localhost and IP addresses only)")

    command("version", run_version, "print the version")
    return parser


# --- input checks --------------------------------------------------------------------------------

def check_unsupported(args):
    """Refuse PKCS#11, TPM and OS certificate store selections with a clear 'not supported yet'."""
    for flag, what in UNSUPPORTED_VALUE_FLAGS + UNSUPPORTED_SWITCHES:
        if getattr(args, flag[2:].replace("-", "_"), None):
            raise ConfigurationError(
                "%s is not supported yet (%s)" % (flag, what),
                "Use certificate and private key files (--certificate, --private-key), or AWS's aws_signing_helper",
            )
    for flag in ("--certificate", "--private-key"):
        value = getattr(args, flag[2:].replace("-", "_"), None) or ""
        for prefix, what in UNSUPPORTED_PREFIXES:
            if value.startswith(prefix):
                raise ConfigurationError(
                    "%s %s... is not supported yet (%s)" % (flag, prefix, what),
                    "Use certificate and private key files, or AWS's aws_signing_helper",
                )


def check_session_arguments(args):
    """Everything that can be checked before touching files or the network."""
    check_unsupported(args)
    if not args.certificate:
        raise ConfigurationError(
            "--certificate is required", "Pass the certificate file (reading OS certificate stores is not supported yet)",
        )
    for flag in ("--trust-anchor-arn", "--profile-arn", "--role-arn"):
        if not getattr(args, flag[2:].replace("-", "_")):
            raise ConfigurationError("%s is required" % flag, "Pass the ARN printed by the rolesanywhere.fleet modules")
    if args.certificate == credential_cache.STDIN and args.intermediates == credential_cache.STDIN:
        raise ConfigurationError("--intermediates - cannot share stdin", "Pass the intermediates as a file")
    # Imported only now: the checks above need no cryptography, so they answer fast.
    from .._core.signing import validate_arns, validate_duration, validate_role_session_name  # pylint: disable=import-outside-toplevel

    validate_arns(args.trust_anchor_arn, args.profile_arn, args.role_arn)
    validate_duration(args.session_duration)
    validate_role_session_name(args.role_session_name)
    key_password(args)  # a bad password file is bad input: refused before any request


def read_password_file(path):
    """The password held in path as bytes, without one trailing newline.

    Refused when group or others have any access: the file exists to keep the password private.
    """
    try:
        with open(path, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if os.name == "posix" and mode & 0o077:
                raise ConfigurationError(
                    "%s %s is accessible by group or others (mode %04o)" % (PASSWORD_FILE_FLAG, path, mode & 0o7777),
                    "Run chmod 600 %s: only its owner may read the key's password" % path,
                )
            data = handle.read()
    except OSError as exc:
        raise ConfigurationError("%s %s cannot be read: %s" % (PASSWORD_FILE_FLAG, path, exc.strerror or type(exc).__name__),
                                 "Pass a file the helper's user can read, holding the key's password") from None
    for newline in (b"\r\n", b"\n"):
        if data.endswith(newline):
            data = data[:-len(newline)]
            break
    if not data:
        raise ConfigurationError("%s %s is empty" % (PASSWORD_FILE_FLAG, path),
                                 "Write the key's password into it, or drop the flag for an unencrypted key")
    return data


def key_password(args):
    """The private key's password from --pkcs8-password-file or --pkcs8-password (read at every use), or None."""
    path = getattr(args, "pkcs8_password_file", None)
    if path:
        return read_password_file(path)
    return getattr(args, "pkcs8_password", None) or None


def _source(value, context):
    """A path as given, or for "-" stdin's bytes named "standard input" (so messages say where they came from)."""
    if value != credential_cache.STDIN:
        return value
    from .._core.pem import STANDARD_INPUT, NamedData  # pylint: disable=import-outside-toplevel
    return NamedData(context.stdin_data(), STANDARD_INPUT)


def _tpm_key_file(path):
    try:
        with open(path, "rb") as handle:
            return b"-----BEGIN TSS2 PRIVATE KEY-----" in handle.read(65536)
    except (OSError, TypeError):
        return False


def load_material(args, context):
    """SigningMaterial from the command's files (or stdin), re-read at every call."""
    from .._core.x509 import load_signing_material  # pylint: disable=import-outside-toplevel

    certificate = _source(args.certificate, context)
    private_key = args.private_key
    if private_key == credential_cache.STDIN:
        private_key = None if args.certificate == credential_cache.STDIN else _source(private_key, context)
    intermediates = _source(args.intermediates, context) if args.intermediates else None
    try:
        material = load_signing_material(certificate, private_key, intermediates, passphrase=key_password(args))
    except MaterialError:
        if isinstance(private_key, str) and _tpm_key_file(private_key):
            raise ConfigurationError("%s holds a TPM (TSS2) key, which is not supported yet" % private_key,
                                     "Use a software key file, or AWS's aws_signing_helper") from None
        raise
    context.console.debug("certificate serial %d (sha256 %s), %s, %d intermediate(s), valid until %s" % (
        material.serial, material.fingerprint_sha256, material.algorithm, len(material.chain), material.not_after.isoformat()))
    return material


def obtain_credentials(args, context, material=None):
    """One CreateSession (with the transport's retries); returns (SessionCredentials, SigningMaterial)."""
    from .._core.sdk_config import load_client_config  # pylint: disable=import-outside-toplevel
    from .._core.transport import create_session  # pylint: disable=import-outside-toplevel

    material = material or load_material(args, context)
    # Endpoint, FIPS, CA bundle and proxies as AWS's helper reads them (--with-proxy changes nothing there either).
    config = load_client_config(context.environ, endpoint=args.endpoint or None, use_fips_endpoint=args.use_fips_endpoint)
    context.console.debug("CreateSession: region %s, endpoint %s, duration %d s" % (
        args.region or "(trust anchor's)", "%s (from %s)" % (config.endpoint, config.endpoint_source) if config.endpoint
        else "(from region)", args.session_duration))
    credentials = create_session(
        material, args.trust_anchor_arn, args.profile_arn, args.role_arn, region=args.region or None,
        duration_seconds=args.session_duration, role_session_name=args.role_session_name or None,
        verify_ssl=not args.no_verify_ssl, config=config,
    )
    context.console.debug("got credentials %s for %s, expiring %s" % (
        credentials.access_key_id, credentials.assumed_role_arn, credentials.expiration_text))
    return credentials, material


# --- credential-process --------------------------------------------------------------------------

def cache_identity(args, context):
    return {
        "certificate": args.certificate, "private_key": args.private_key, "intermediates": args.intermediates,
        "trust_anchor_arn": args.trust_anchor_arn, "profile_arn": args.profile_arn, "role_arn": args.role_arn,
        "session_duration": args.session_duration, "role_session_name": args.role_session_name,
        "region": args.region, "endpoint": args.endpoint,
        "use_fips_endpoint": credential_cache.fips_requested(args.use_fips_endpoint, context.environ),
    }


def run_credential_process(args, context):
    if not args.cache:
        check_session_arguments(args)
        credentials, _material = obtain_credentials(args, context)
        context.stdout.write(credentials.credential_process_json())
        return 0
    # A hit needs no validation (the entry was made with these very arguments) and no cryptography:
    # processes that wait for the lock while another one fills the entry stay cheap.
    check_unsupported(args)
    if not args.certificate:
        check_session_arguments(args)
    margin = credential_cache.DEFAULT_REFRESH_MARGIN if args.refresh_margin is None else args.refresh_margin
    store = credential_cache.CredentialCache(credential_cache.cache_directory(context.environ, args.cache_dir))
    key = credential_cache.identity_key(cache_identity(args, context))
    stdin_data = context.stdin_data() if args.certificate == credential_cache.STDIN else None
    # The state is taken before the files are read: a certificate replaced meanwhile makes the entry stale.
    state = credential_cache.certificate_state(args.certificate, stdin_data)
    payload = store.lookup(key, state, margin)
    if payload is None:
        payload = _fill_cache(args, context, store, key, state, margin)
    else:
        context.console.debug("cache hit %s" % key)
    context.stdout.write(payload)
    return 0


def _fill_cache(args, context, store, key, state, margin):
    try:
        lock = store.locked(key)
        lock.__enter__()
    except (credential_cache.CacheError, OSError) as exc:
        check_session_arguments(args)
        context.console.log("credential cache not used: %s" % exc)
        credentials, _material = obtain_credentials(args, context)
        return credentials.credential_process_json()
    try:
        payload = store.lookup(key, state, margin)  # another process may have filled it while we waited
        if payload is not None:
            context.console.debug("cache filled by another process %s" % key)
            return payload
        check_session_arguments(args)
        obtained = time.time()
        credentials, material = obtain_credentials(args, context)
        payload = credentials.credential_process_json()
        expires = min(credentials.expiration.timestamp(), material.not_after.timestamp())
        if state is not None:
            try:
                store.store(key, state, payload, obtained, expires)
            except (credential_cache.CacheError, OSError) as exc:
                context.console.log("credential cache not written: %s" % exc)
        return payload
    finally:
        lock.__exit__(None, None, None)


# --- sign-string and read-certificate-data -------------------------------------------------------

def signing_test_message(public_key):
    """``prefix || version || SHA256("IAM RA" || public key bytes)``, as AWS's helper builds it."""
    import hashlib  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel

    if isinstance(public_key, ec.EllipticCurvePublicKey):
        key_bytes = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    else:
        key_bytes = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    suffix = hashlib.sha256(b"IAM RA" + key_bytes).digest()
    return SIGNING_TEST_PREFIX + str(SIGNING_TEST_VERSION).encode("ascii") + suffix


def sign_with_digest(private_key, message, digest_name):
    """PKCS#1 v1.5 (RSA) or DER ECDSA (EC) over ``digest_name`` of message; raw signature bytes."""
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, padding  # pylint: disable=import-outside-toplevel

    algorithm = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}[digest_name]()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(message, ec.ECDSA(algorithm))
    return private_key.sign(message, padding.PKCS1v15(), algorithm)


def _signing_key(args, context):
    from .._core.x509 import load_private_key, load_signing_material  # pylint: disable=import-outside-toplevel

    passphrase = key_password(args)
    if args.private_key:
        return load_private_key(_source(args.private_key, context), passphrase)
    if args.certificate:  # a combined PEM or PKCS#12 file holds the key too
        return load_signing_material(_source(args.certificate, context), None, None, passphrase).private_key
    raise ConfigurationError("--private-key is required", "Pass the private key file (or a combined PEM / PKCS#12 as --certificate)")


def run_sign_string(args, context):
    check_unsupported(args)
    private_key = _signing_key(args, context)
    signature = sign_with_digest(private_key, signing_test_message(private_key.public_key()), args.digest)
    if args.format == "bin":
        stream = getattr(context.stdout, "buffer", None)
        if stream is None:
            context.stdout.write(signature.decode("latin-1"))
        else:
            context.stdout.flush()
            stream.write(signature)
    elif args.format == "text":
        context.stdout.write(signature.hex())
    else:
        context.stdout.write('"%s"' % signature.hex())
    return 0


def certificate_data(certificate):
    """The official ``read-certificate-data`` document (same keys, order and spelling)."""
    import base64  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel

    public_key = certificate.public_key()
    key_type = "RSA" if isinstance(public_key, rsa.RSAPublicKey) else "EC" if isinstance(public_key, ec.EllipticCurvePublicKey) else ""
    return {
        "keyType": key_type,
        "certificateData": base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii"),
        "serialNumber": str(certificate.serial_number),
        "supportedAlgorithms": ["%sSHA256" % key_type, "%sSHA384" % key_type, "%sSHA512" % key_type],
    }


def run_read_certificate_data(args, context):
    import json  # pylint: disable=import-outside-toplevel
    from .._core.x509 import load_certificates  # pylint: disable=import-outside-toplevel

    check_unsupported(args)
    if not args.certificate:
        raise ConfigurationError("--certificate is required", "Pass the certificate file (OS certificate stores are not supported yet)")
    certificates = load_certificates(_source(args.certificate, context))
    if not certificates:
        raise MaterialError("%s holds no certificate" % args.certificate, "Pass a PEM or DER certificate file", source=args.certificate)
    context.stdout.write(json.dumps(certificate_data(certificates[0]), separators=(",", ":")))
    return 0


# --- update --------------------------------------------------------------------------------------

def _retry_delay(failures, cap=UPDATE_MAX_RETRY_DELAY):
    return min(cap, 2.0 ** (failures - 1)) * random.uniform(0.5, 1.0)


def _update_once(args, context, path):
    credentials, _material = obtain_credentials(args, context)
    written = write_credentials(path, args.profile, credentials.access_key_id, credentials.secret_access_key,
                                credentials.session_token)
    context.console.debug("profile [%s] of %s updated" % (args.profile, written))
    return credentials


def run_update(args, context, sleep=time.sleep):
    check_session_arguments(args)
    try:
        validate_profile_name(args.profile)
    except ValueError as exc:
        raise ConfigurationError(str(exc), "Pass --profile NAME") from None
    path = credentials_file_path(context.environ)
    failures = 0
    while True:
        try:
            credentials = _update_once(args, context, path)
        except ConfigurationError:
            raise  # bad input does not heal by waiting
        except (RolesAnywhereError, OSError) as exc:
            if args.once:
                raise
            failures += 1
            delay = _retry_delay(failures)
            context.console.log("update failed (attempt %d), retrying in %.0f s: %s" % (failures, delay, _one_line(exc)))
            sleep(delay)
            continue
        if args.once:
            return 0
        failures = 0
        next_refresh = credentials.expiration.timestamp() - max(0, args.refresh_margin)
        context.console.log("Credentials will be refreshed at %s" % datetime.fromtimestamp(next_refresh, timezone.utc).isoformat())
        sleep(max(1.0, next_refresh - time.time()))


# --- serve ---------------------------------------------------------------------------------------

def _check_serve_arguments(args):
    if not 0 <= args.port <= 65535:
        raise ConfigurationError("--port %d is out of range" % args.port, "Use 0..65535 (0 picks a free port)")
    if not 1 <= args.hop_limit <= 255:
        raise ConfigurationError("--hop-limit %d is out of range" % args.hop_limit, "Use 1..255 (1 keeps answers on this host)")
    if args.refresh_margin < 0:
        raise ConfigurationError("--refresh-margin must not be negative", "Use a number of seconds, e.g. 600")


def run_serve(args, context, stop_event=None):
    from . import imds_server  # pylint: disable=import-outside-toplevel

    check_session_arguments(args)
    _check_serve_arguments(args)
    role_name = imds_server.role_name_from_arn(args.role_arn)
    if not imds_server.is_loopback(args.bind):
        context.console.log("WARNING: serving credentials on %s, which is not a loopback address: anyone who can reach "
                            "this port gets this role's credentials. Restrict access with a firewall, or bind 127.0.0.1" % args.bind)
    if args.certificate == credential_cache.STDIN or args.private_key == credential_cache.STDIN:
        context.stdin_data()  # read before serving: refreshes reuse it
    keeper = imds_server.CredentialKeeper(lambda: obtain_credentials(args, context)[0], refresh_margin=args.refresh_margin,
                                          log=context.console.log)
    try:
        server = imds_server.ImdsServer(args.bind, args.port, role_name, keeper, args.hop_limit,
                                        debug_log=context.console.debug if args.debug else None, allowed_hosts=args.allow_host)
    except OSError as exc:
        raise ConfigurationError("cannot listen on %s port %d: %s" % (args.bind, args.port, exc.strerror or exc),
                                 "Choose another --port (0 picks a free one) or --bind address") from None
    try:
        keeper.start()  # fails fast on errors that do not heal; transient ones are retried while serving 503
        stop_event = stop_event or _stop_on_signals()
        imds_server.serve_forever(server, context.console.log, stop_event)
    finally:
        keeper.stop()
        server.server_close()
    return 0


def _stop_on_signals():
    stop_event = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop_event.set())
    return stop_event


# --- version and main ----------------------------------------------------------------------------

def run_version(args, context):  # pylint: disable=unused-argument
    context.stdout.write(VERSION + "\n")
    return 0


def _one_line(error):
    return " ".join(str(error).split())


def main(argv=None, stdin=None, stdout=None, stderr=None, environ=None):
    """Run one command; returns the exit status (0, or 1 after one line on stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout = stdout or sys.stdout
    context = Context(stdin or sys.stdin, stdout, stderr or sys.stderr, os.environ if environ is None else environ,
                      debug="--debug" in argv)
    try:
        args = build_parser().parse_args(argv)
        if not getattr(args, "handler", None):
            build_parser().print_help(stdout)
            return 0
        status = args.handler(args, context)
        stdout.flush()
        return status
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, RolesAnywhereError, credential_cache.CacheError, ValueError) as exc:
        context.console.log(_one_line(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # pylint: disable=broad-except  # one line, never a traceback (unless --debug)
        context.console.log("unexpected error %s: %s (rerun with --debug for details)" % (type(exc).__name__, _one_line(exc)))
        if context.console.debug_enabled:
            import traceback  # pylint: disable=import-outside-toplevel
            context.console.log(traceback.format_exc().replace("\n", " | "))
    return 1
