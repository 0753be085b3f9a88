# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A command's CreateSession inputs, checked once, and the CreateSession call of every helper command.

``check_session_arguments`` turns the parsed command line into a ``SessionRequest`` (signing.SessionParameters
with the endpoint resolved by sdk_config, the key files named, the password read); ``obtain_credentials`` signs
and sends it. Modules that need ``cryptography`` are imported inside the functions that sign.
"""

from __future__ import annotations

import os

from .._core.errors import ConfigurationError, RolesAnywhereError
from .._core.records import Record
from .command_line import PASSWORD_FILE_FLAG, STDIN, UNSUPPORTED_SWITCHES, UNSUPPORTED_VALUE_FLAGS


# --- input checks --------------------------------------------------------------------------------

def check_unsupported(args):
    """Refuse OS certificate store selections with a clear 'not supported yet'; check the TPM options."""
    for flag, what in UNSUPPORTED_VALUE_FLAGS + UNSUPPORTED_SWITCHES:
        if getattr(args, flag[2:].replace("-", "_"), None):
            raise ConfigurationError(
                "%s is not supported yet (%s)" % (flag, what),
                "Use certificate and private key files (--certificate, --private-key), or AWS's aws_signing_helper",
            )
    check_tpm_options(args)


def check_tpm_options(args):
    """AWS's helper's rules for its TPM flags (cmd/credentials.go, cmd/sign_string.go MarkFlagsMutuallyExclusive;
    argparse's group keeps --tpm-key-password and --no-tpm-key-password apart), and a handle's syntax."""
    from .._core.tpm import is_tpm_handle, parse_handle  # pylint: disable=import-outside-toplevel

    if getattr(args, "tpm_key_password", None) or getattr(args, "no_tpm_key_password", False):
        tpm_flag = "--tpm-key-password" if getattr(args, "tpm_key_password", None) else "--no-tpm-key-password"
        others = ["--reuse-pin"] if getattr(args, "reuse_pin", False) else []
        if tpm_flag == "--tpm-key-password":
            others += [flag for flag in ("--pkcs8-password", PASSWORD_FILE_FLAG) if getattr(args, flag[2:].replace("-", "_"), None)]
        if others:
            raise ConfigurationError("%s cannot be combined with %s" % (tpm_flag, others[0]),
                                     "%s is for TPM keys only (handle:0x81... or a TSS2 key file), as in AWS's helper" % tpm_flag)
    if is_tpm_handle(getattr(args, "private_key", None)):
        parse_handle(args.private_key)
    if is_tpm_handle(getattr(args, "certificate", None)):
        raise ConfigurationError("--certificate %s: a TPM holds keys, not certificates" % args.certificate,
                                 "Pass the certificate file as --certificate and the key as --private-key handle:0x81...")


def tpm_options(args, environ=None):
    """tpm.TpmKeyOptions of the command line (the password as given; never printed)."""
    from .._core.tpm import TpmKeyOptions  # pylint: disable=import-outside-toplevel

    return TpmKeyOptions(getattr(args, "tpm_key_password", None) or None, bool(getattr(args, "no_tpm_key_password", False)),
                         environ)


class SessionRequest(Record):
    """A command's CreateSession inputs, validated once: ``parameters`` is what signing takes; the files
    are named, not read (they are loaded at every refresh); the key's password is read once per load.

    parameters: signing.SessionParameters; config: sdk_config.ClientConfig (endpoint, FIPS, dual-stack, CA bundle,
    proxies as AWS's helper reads them); certificate: str; private_key, intermediates: str or None; password: bytes
    (hidden from repr); pkcs11_lib: the PKCS#11 module of pkcs11: URIs (None: p11-kit's proxy); failover:
    ((SessionParameters, ClientConfig), ...) of --failover, tried in order after the first; tpm: tpm.TpmKeyOptions of a
    TPM key (hidden from repr: it holds the key's password).
    """

    __slots__ = ("parameters", "config", "certificate", "private_key", "intermediates", "password", "password_file",
                 "verify_ssl", "pkcs11_lib", "reuse_pin", "failover",
                 "tpm")
    _defaults = {"password": None, "password_file": None, "verify_ssl": True, "pkcs11_lib": None, "reuse_pin": False,
                 "failover": (), "tpm": None}
    _hidden = frozenset(("password", "tpm"))

    def with_fresh_password(self):
        """The same request with the password file read again (the enroll role may have renewed the key)."""
        if not self.password_file:
            return self
        return self.replace(password=read_password_file(self.password_file))


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
    check_pkcs11_uris(args)
    # Imported only now: the checks above need no cryptography, so they answer fast.
    from .._core.signing import session_parameters  # pylint: disable=import-outside-toplevel

    config = client_config(args, environ)
    parameters = session_parameters(
        args.trust_anchor_arn, args.profile_arn, args.role_arn, region=args.region or None,
        endpoint=config.endpoint_url, duration_seconds=args.session_duration,
        role_session_name=args.role_session_name or None,
    )
    return SessionRequest(
        parameters, config, args.certificate, args.private_key, args.intermediates,
        password=key_password(args),  # a bad password file is bad input: refused before any request
        password_file=getattr(args, "pkcs8_password_file", None), verify_ssl=not args.no_verify_ssl,
        pkcs11_lib=getattr(args, "pkcs11_lib", None) or None, reuse_pin=bool(getattr(args, "reuse_pin", False)),
        failover=_failover_sessions(args, environ),
        tpm=tpm_options(args, environ),
    )


def _failover_sessions(args, environ):
    if not getattr(args, "failover", None):
        return ()  # one region: nothing more is imported or resolved
    from .failover import failover_sessions  # pylint: disable=import-outside-toplevel

    return failover_sessions(args, os.environ if environ is None else environ)


def check_pkcs11_uris(args):
    """pkcs11: URIs given as --certificate or --private-key are well formed (checked before any token is opened)."""
    from .._core.pkcs11_uri import is_pkcs11_uri, parse_uri  # pylint: disable=import-outside-toplevel

    for flag in ("--certificate", "--private-key"):
        value = getattr(args, flag[2:].replace("-", "_"), None)
        if is_pkcs11_uri(value):
            parse_uri(value, flag)


def client_config(args, environ=None):
    """Endpoint, FIPS, dual-stack, CA bundle and proxies in AWS's order (sdk_config); --with-proxy changes nothing:
    HTTPS_PROXY / NO_PROXY are always honoured, as by AWS's helper."""
    from .._core.sdk_config import load_client_config  # pylint: disable=import-outside-toplevel

    return load_client_config(os.environ if environ is None else environ, endpoint=args.endpoint or None,
                              use_fips_endpoint=args.use_fips_endpoint or None)


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


def source(value, context):
    """A path as given, or for "-" stdin's bytes named "standard input" (so messages say where they came from)."""
    if value != STDIN:
        return value
    from .._core.pem import STANDARD_INPUT, NamedData  # pylint: disable=import-outside-toplevel
    return NamedData(context.stdin_data(), STANDARD_INPUT)


def load_material(request, context):
    """SigningMaterial from the request's files (or stdin): each file read and parsed once per call."""
    from .._core.x509 import load_signing_material  # pylint: disable=import-outside-toplevel

    certificate = source(request.certificate, context)
    private_key = request.private_key
    if private_key == STDIN:
        private_key = None if request.certificate == STDIN else source(private_key, context)
    intermediates = source(request.intermediates, context) if request.intermediates else None
    material = load_signing_material(certificate, private_key, intermediates, passphrase=request.password,
                                     pkcs11_module=request.pkcs11_lib, reuse_pin=request.reuse_pin, tpm=request.tpm)
    context.console.debug("certificate serial %d (sha256 %s), %s, %d intermediate(s), valid until %s" % (
        material.serial, material.fingerprint_sha256, material.algorithm, len(material.chain), material.not_after.isoformat()))
    return material


def obtain_credentials(request, context, material=None):
    """One CreateSession (with the transport's retries), then one per --failover set while the previous region
    does not answer or answers 5xx (failover.fails_over); returns (SessionCredentials, SigningMaterial)."""
    material = material or load_material(request, context)
    sessions = ((request.parameters, request.config),) + request.failover
    for index, (parameters, config) in enumerate(sessions[:-1]):
        try:
            return _create_session(request, context, material, parameters, config), material
        except RolesAnywhereError as error:
            if not _fails_over(error):
                raise
            following = sessions[index + 1][0]
            context.console.log("CreateSession in %s (%s) failed, trying %s (%s), the next --failover set: %s" % (
                parameters.region, parameters.endpoint, following.region, following.endpoint, " ".join(str(error).split())))
    parameters, config = sessions[-1]
    return _create_session(request, context, material, parameters, config), material


def _create_session(request, context, material, parameters, config):
    from .._core.transport import create_session  # pylint: disable=import-outside-toplevel

    # Endpoint, FIPS, CA bundle and proxies as AWS's helper reads them (check_session_arguments' ClientConfig).
    context.console.debug("CreateSession: region %s, endpoint %s%s, duration %d s" % (
        parameters.region, parameters.endpoint,
        " (from %s)" % config.endpoint_source if config.endpoint else "", parameters.duration_seconds))
    credentials = create_session(
        material, parameters.trust_anchor_arn, parameters.profile_arn, parameters.role_arn, parameters=parameters,
        config=config, verify_ssl=request.verify_ssl,
    )
    context.console.debug("got credentials %s for %s, expiring %s" % (
        credentials.access_key_id, credentials.assumed_role_arn, credentials.expiration_text))
    return credentials


def _fails_over(error):
    from .failover import fails_over  # pylint: disable=import-outside-toplevel

    return fails_over(error)


def refreshing_fetch(request, context):
    """fetch() for serve and update: the validated request first, then the password file re-read at every refresh."""
    pending = [request]

    def fetch():
        current = pending.pop() if pending else request.with_fresh_password()
        return obtain_credentials(current, context)[0]

    return fetch
