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
import dataclasses
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone

from .._core.cache import CacheError, CredentialCache, cache_directory, certificate_state, credential_identity, identity_key
from .._core.errors import ConfigurationError, MaterialError, RolesAnywhereError
from .._core.refresh import CACHE_POLICY, SERVE_POLICY, UPDATE_POLICY
from .command_line import (
    CACHE_OPTIONS,
    DEBUG,
    MATERIAL_OPTIONS,
    PASSWORD_FILE_FLAG,
    SESSION_OPTIONS,
    STDIN,
    UNSUPPORTED_SWITCHES,
    UNSUPPORTED_VALUE_FLAGS,
    parse_bool,
    separated_boolean_value,
)
from .credentials_file import credentials_file_path, validate_profile_name, write_credentials

VERSION = "0.1.0"
PROG = "rolesanywhere-credential-helper"
SIGNING_TEST_PREFIX = b"AWS Roles Anywhere Credential Helper Signing Test"
SIGNING_TEST_VERSION = 1
UPDATE_REFRESH_MARGIN = UPDATE_POLICY.margin
UNSUPPORTED_PREFIXES = (("pkcs11:", "PKCS#11 URIs"), ("handle:", "TPM key handles"))


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
        self.cache_looked_up = False
        self._stdin_data = None

    def stdin_data(self):
        """All of stdin as bytes, read once (certificate and key may share it as one combined PEM)."""
        if self._stdin_data is None:
            stream = getattr(self.stdin, "buffer", self.stdin)
            data = stream.read()
            self._stdin_data = data.encode("utf-8") if isinstance(data, str) else data
        return self._stdin_data


# --- parser --------------------------------------------------------------------------------------

def _boolean(text):
    try:
        return parse_bool(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class GoBooleanFlag(argparse.Action):
    """A boolean flag in Go's syntax: ``--flag``, ``--flag=true``, ``--flag=false`` (see command_line)."""

    def __init__(self, option_strings, dest, default=False, help=None, **_ignored):  # pylint: disable=redefined-builtin
        super().__init__(option_strings, dest, nargs="?", const=True, default=default, type=_boolean, help=help,
                         metavar="true|false")

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)


def _add_options(parser, options):
    groups = {}
    for option in options:
        target = parser
        if option.group:
            if option.group not in groups:
                groups[option.group] = parser.add_mutually_exclusive_group()
            target = groups[option.group]
        if option.kind == "flag":
            target.add_argument(option.name, action=GoBooleanFlag, help=option.help)
        else:
            extra = {"metavar": option.metavar} if option.metavar else {}
            target.add_argument(option.name, type=option.type, default=option.default, help=option.help, **extra)


def _add_unsupported(parser):
    group = parser.add_argument_group("not supported yet (accepted for compatibility, refused when used)")
    for name, _what in UNSUPPORTED_VALUE_FLAGS:
        group.add_argument(name, metavar="VALUE", help=argparse.SUPPRESS if name == "--system-store-location" else None)
    for name, _what in UNSUPPORTED_SWITCHES:
        group.add_argument(name, action=GoBooleanFlag)


def _add_material(parser):
    _add_options(parser, MATERIAL_OPTIONS + (DEBUG,))


def _add_session(parser):
    _add_options(parser, SESSION_OPTIONS)
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
    _add_options(process, CACHE_OPTIONS)

    sign = command("sign-string", run_sign_string, "sign the fixed test string with the private key")
    _add_material(sign)
    sign.add_argument("--format", choices=("json", "text", "bin"), default="json", help="output format")
    sign.add_argument("--digest", choices=("SHA256", "SHA384", "SHA512"), default="SHA256", help="digest")
    _add_unsupported(sign)

    read = command("read-certificate-data", run_read_certificate_data, "print the certificate's data as JSON")
    read.add_argument("--certificate", help="certificate file, or - for stdin")
    read.add_argument("--debug", action=GoBooleanFlag, help="log each step on stderr")
    _add_unsupported(read)

    update = command("update", run_update, "keep a profile of the shared credentials file up to date")
    _add_session(update)
    update.add_argument("--profile", default="default", help="profile to update (default: default)")
    update.add_argument("--once", action=GoBooleanFlag, help="update once and exit")
    update.add_argument("--retry-errors", action=GoBooleanFlag, help="accepted and ignored: update always retries with backoff")
    update.add_argument("--refresh-margin", type=int, default=UPDATE_POLICY.margin,
                        help="seconds before expiry to refresh (default %d)" % UPDATE_POLICY.margin)

    serve = command("serve", run_serve, "serve credentials on an IMDSv2-compatible local endpoint")
    _add_session(serve)
    serve.add_argument("--port", type=int, default=9911, help="port (default 9911; 0 = any free port)")
    serve.add_argument("--hop-limit", type=int, default=64, help="IP TTL of the answers (default 64)")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--refresh-margin", type=int, default=SERVE_POLICY.margin,
                       help="seconds before expiry to refresh (default %d)" % SERVE_POLICY.margin)

    command("version", run_version, "print the version")
    return parser


def parse_arguments(argv):
    """The one reading of the helper's command line (argparse over command_line's tables)."""
    separated = separated_boolean_value(argv[1:])
    if separated:
        name, value = separated
        raise UsageError(
            "%s: %s %s: a boolean flag takes its value after '=': write %s=%s, or %s alone for true (AWS's helper "
            "would read the separate %r as a stray argument and turn %s on)" % (PROG, name, value, name, value, name, value, name)
        )
    return build_parser().parse_args(argv)


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


@dataclasses.dataclass(frozen=True)
class SessionRequest:
    """A command's CreateSession inputs, validated once: ``parameters`` is what signing takes; the files
    are named, not read (they are loaded at every refresh); the key's password is read once per load."""

    parameters: object  # signing.SessionParameters
    certificate: str
    private_key: object  # str or None
    intermediates: object  # str or None
    password: bytes = dataclasses.field(default=None, repr=False)
    password_file: str = None
    verify_ssl: bool = True
    use_proxy: bool = False

    def with_fresh_password(self):
        """The same request with the password file read again (the enroll role may have renewed the key)."""
        if not self.password_file:
            return self
        return dataclasses.replace(self, password=read_password_file(self.password_file))


def _fips_requested(flag, environ):
    """``--use-fips-endpoint`` or ``AWS_USE_FIPS_ENDPOINT=true`` (the AWS SDKs' variable)."""
    return bool(flag) or environ.get("AWS_USE_FIPS_ENDPOINT", "").strip().lower() == "true"


def check_session_arguments(args, environ=None):
    """Validate the command's session options once; returns the SessionRequest every later step takes.

    Everything that can be checked before loading key files or touching the network: required options,
    ARNs, duration, session name, region, endpoint, the password file.
    """
    check_unsupported(args)
    if not args.certificate:
        raise ConfigurationError(
            "--certificate is required", "Pass the certificate file (reading OS certificate stores is not supported yet)",
        )
    for flag in ("--trust-anchor-arn", "--profile-arn", "--role-arn"):
        if not getattr(args, flag[2:].replace("-", "_")):
            raise ConfigurationError("%s is required" % flag, "Pass the ARN printed by the rolesanywhere.fleet modules")
    if args.certificate == STDIN and args.intermediates == STDIN:
        raise ConfigurationError("--intermediates - cannot share stdin", "Pass the intermediates as a file")
    # Imported only now: the checks above need no cryptography, so they answer fast.
    from .._core.signing import session_parameters  # pylint: disable=import-outside-toplevel

    environ = os.environ if environ is None else environ
    parameters = session_parameters(
        args.trust_anchor_arn, args.profile_arn, args.role_arn, region=args.region or None,
        endpoint=args.endpoint or None, duration_seconds=args.session_duration,
        role_session_name=args.role_session_name or None,
        use_fips_endpoint=_fips_requested(args.use_fips_endpoint, environ),
    )
    return SessionRequest(
        parameters, args.certificate, args.private_key, args.intermediates,
        password=key_password(args),  # a bad password file is bad input: refused before any request
        password_file=getattr(args, "pkcs8_password_file", None), verify_ssl=not args.no_verify_ssl,
        use_proxy=args.with_proxy,
    )


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
    return context.stdin_data() if value == STDIN else value


def _tpm_key_file(path):
    try:
        with open(path, "rb") as handle:
            return b"-----BEGIN TSS2 PRIVATE KEY-----" in handle.read(65536)
    except (OSError, TypeError):
        return False


def load_material(request, context):
    """SigningMaterial from the request's files (or stdin): each file read and parsed once per call."""
    from .._core.x509 import load_signing_material  # pylint: disable=import-outside-toplevel

    certificate = _source(request.certificate, context)
    private_key = request.private_key
    if private_key == STDIN:
        private_key = None if request.certificate == STDIN else context.stdin_data()
    intermediates = _source(request.intermediates, context) if request.intermediates else None
    try:
        material = load_signing_material(certificate, private_key, intermediates, passphrase=request.password)
    except MaterialError:
        if isinstance(private_key, str) and _tpm_key_file(private_key):
            raise ConfigurationError("%s holds a TPM (TSS2) key, which is not supported yet" % private_key,
                                     "Use a software key file, or AWS's aws_signing_helper") from None
        raise
    context.console.debug("certificate serial %d (sha256 %s), %s, %d intermediate(s), valid until %s" % (
        material.serial, material.fingerprint_sha256, material.algorithm, len(material.chain), material.not_after.isoformat()))
    return material


def obtain_credentials(request, context, material=None):
    """One CreateSession (with the transport's retries); returns (SessionCredentials, SigningMaterial)."""
    from .._core.transport import create_session  # pylint: disable=import-outside-toplevel

    material = material or load_material(request, context)
    parameters = request.parameters
    context.console.debug("CreateSession: region %s, endpoint %s, duration %d s" % (
        parameters.region, parameters.endpoint, parameters.duration_seconds))
    credentials = create_session(
        material, parameters.trust_anchor_arn, parameters.profile_arn, parameters.role_arn, parameters=parameters,
        verify_ssl=request.verify_ssl, use_proxy=request.use_proxy,
    )
    context.console.debug("got credentials %s for %s, expiring %s" % (
        credentials.access_key_id, credentials.assumed_role_arn, credentials.expiration_text))
    return credentials, material


def refreshing_fetch(request, context):
    """fetch() for serve and update: the validated request first, then the password file re-read at every refresh."""
    pending = [request]

    def fetch():
        current = pending.pop() if pending else request.with_fresh_password()
        return obtain_credentials(current, context)[0]

    return fetch


# --- credential-process --------------------------------------------------------------------------

def run_credential_process(args, context):
    if not args.cache:
        request = check_session_arguments(args, context.environ)
        credentials, _material = obtain_credentials(request, context)
        context.stdout.write(credentials.credential_process_json())
        return 0
    # A hit needs no validation (the entry was made with these very arguments) and no cryptography:
    # processes that wait for the lock while another one fills the entry stay cheap.
    check_unsupported(args)
    if not args.certificate:
        check_session_arguments(args, context.environ)
    policy = CACHE_POLICY if args.refresh_margin is None else CACHE_POLICY.with_margin(args.refresh_margin)
    store = CredentialCache(cache_directory(context.environ, args.cache_dir))
    key = identity_key(credential_identity(vars(args), context.environ))
    stdin_data = context.stdin_data() if args.certificate == STDIN else None
    # The state is taken before the files are read: a certificate replaced meanwhile makes the entry stale.
    state = certificate_state(args.certificate, stdin_data)
    # One look-up before the lock (unless the helper's cache-hit path just made it), one under it.
    payload = None if context.cache_looked_up else store.lookup(key, state, policy)
    if payload is None:
        payload = _fill_cache(args, context, store, key, state, policy)
    else:
        context.console.debug("cache hit %s" % key)
    context.stdout.write(payload)
    return 0


def _fill_cache(args, context, store, key, state, policy):
    try:
        lock = store.locked(key)
        lock.__enter__()
    except (CacheError, OSError) as exc:
        request = check_session_arguments(args, context.environ)
        context.console.log("credential cache not used: %s" % exc)
        credentials, _material = obtain_credentials(request, context)
        return credentials.credential_process_json()
    try:
        payload = store.lookup(key, state, policy)  # another process may have filled it while we waited
        if payload is not None:
            context.console.debug("cache filled by another process %s" % key)
            return payload
        request = check_session_arguments(args, context.environ)
        obtained = time.time()
        credentials, material = obtain_credentials(request, context)
        payload = credentials.credential_process_json()
        expires = min(credentials.expiration.timestamp(), material.not_after.timestamp())
        if state is not None:
            try:
                store.store(key, state, payload, obtained, expires)
            except (CacheError, OSError) as exc:
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

def _update_once(fetch, args, context, path):
    credentials = fetch()
    written = write_credentials(path, args.profile, credentials.access_key_id, credentials.secret_access_key,
                                credentials.session_token)
    context.console.debug("profile [%s] of %s updated" % (args.profile, written))
    return credentials


def run_update(args, context, sleep=time.sleep):
    request = check_session_arguments(args, context.environ)
    try:
        validate_profile_name(args.profile)
    except ValueError as exc:
        raise ConfigurationError(str(exc), "Pass --profile NAME") from None
    path = credentials_file_path(context.environ)
    policy = UPDATE_POLICY.with_margin(args.refresh_margin)
    fetch = refreshing_fetch(request, context)
    failures = 0
    while True:
        obtained = time.time()
        try:
            credentials = _update_once(fetch, args, context, path)
        except ConfigurationError:
            raise  # bad input does not heal by waiting
        except (RolesAnywhereError, OSError) as exc:
            if args.once:
                raise
            failures += 1
            delay = policy.retry_delay(failures)
            context.console.log("update failed (attempt %d), retrying in %.0f s: %s" % (failures, delay, _one_line(exc)))
            sleep(delay)
            continue
        if args.once:
            return 0
        failures = 0
        next_refresh = policy.refresh_at(obtained, credentials.expiration.timestamp())
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

    request = check_session_arguments(args, context.environ)
    _check_serve_arguments(args)
    role_name = imds_server.role_name_from_arn(args.role_arn)
    if not imds_server.is_loopback(args.bind):
        context.console.log("WARNING: serving credentials on %s, which is not a loopback address: anyone who can reach "
                            "this port gets this role's credentials. Restrict access with a firewall, or bind 127.0.0.1" % args.bind)
    if STDIN in (args.certificate, args.private_key):
        context.stdin_data()  # read before serving: refreshes reuse it
    keeper = imds_server.CredentialKeeper(refreshing_fetch(request, context), log=context.console.log,
                                          policy=SERVE_POLICY.with_margin(args.refresh_margin))
    try:
        server = imds_server.ImdsServer(args.bind, args.port, role_name, keeper, args.hop_limit,
                                        debug_log=context.console.debug if args.debug else None)
    except OSError as exc:
        raise ConfigurationError("cannot listen on %s port %d: %s" % (args.bind, args.port, exc.strerror or exc),
                                 "Choose another --port (0 picks a free one) or --bind address") from None
    try:
        keeper.start()  # fail fast: no server without a first set of credentials
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


def main(argv=None, stdin=None, stdout=None, stderr=None, environ=None, cache_looked_up=False):
    """Run one command; returns the exit status (0, or 1 after one line on stderr).

    ``cache_looked_up``: the helper's cache-hit path already looked this credential-process up and missed.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout = stdout or sys.stdout
    context = Context(stdin or sys.stdin, stdout, stderr or sys.stderr, os.environ if environ is None else environ,
                      debug="--debug" in argv)
    context.cache_looked_up = cache_looked_up
    try:
        args = parse_arguments(argv)
        context.console.debug_enabled = bool(getattr(args, "debug", False))
        if not getattr(args, "handler", None):
            build_parser().print_help(stdout)
            return 0
        status = args.handler(args, context)
        stdout.flush()
        return status
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, RolesAnywhereError, CacheError, ValueError) as exc:
        context.console.log(_one_line(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # pylint: disable=broad-except  # one line, never a traceback (unless --debug)
        context.console.log("unexpected error %s: %s (rerun with --debug for details)" % (type(exc).__name__, _one_line(exc)))
        if context.console.debug_enabled:
            import traceback  # pylint: disable=import-outside-toplevel
            context.console.log(traceback.format_exc().replace("\n", " | "))
    return 1
