# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper's options, defined once, and the cache-hit answer of ``credential-process --cache``.

``argument_parser.py`` turns the tables below into an argparse parser; ``read_options`` reads the same tables
without argparse, for the cache hit and the cold credential-process (``read_command_line``), and gives up (None)
on every command line it cannot read exactly as argparse would (a unit test compares both over many command
lines). A cache hit loads this module,
``cache``, ``refresh`` and ``files`` and nothing else: keep the imports to fast standard modules (not os).

Boolean flags follow Go's flag syntax, as AWS's helper (pflag) reads them: ``--flag``, ``--flag=true``,
``--flag=false`` (and the other spellings of Go's strconv.ParseBool). ``--flag false`` with a space is
refused: AWS's helper would read it as ``--flag`` (true) plus a stray argument that it ignores, so the
same line would mean opposite things to the two helpers.
"""

import sys

from .._core.cache import STDIN, CredentialCache, cache_directory, certificate_state, credential_identity, identity_key
from .._core.files import process_environment
from .._core.refresh import CACHE_POLICY, SERVE_POLICY, UPDATE_POLICY
from .bootstrap import PROG  # noqa: F401  pylint: disable=unused-import  # the one name (argument_parser takes it here)


class UsageError(Exception):
    """Bad command line (argparse's complaints, reworded into one line)."""


def one_line(error):
    return " ".join(str(error).split())


# Go's strconv.ParseBool (https://pkg.go.dev/strconv#ParseBool), which pflag's bool flags use.
GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def parse_bool(text):
    """Go's strconv.ParseBool; ValueError for anything else."""
    if text in GO_TRUE:
        return True
    if text in GO_FALSE:
        return False
    raise ValueError("expected true or false (or 1, t, T, TRUE, True, 0, f, F, FALSE, False), not %r" % (text,))


class Option(object):
    """One long option: ``kind`` is "value", "flag" (a boolean) or "append" (a value that may be given again,
    collected in a list); ``group`` names a mutually exclusive set."""

    __slots__ = ("name", "kind", "dest", "type", "default", "help", "metavar", "group")

    def __init__(self, name, kind="value", type=str, default=None, help=None, metavar=None, group=None):  # pylint: disable=redefined-builtin
        self.name = name
        self.kind = kind
        self.dest = name[2:].replace("-", "_")
        self.type = type
        self.default = False if kind == "flag" else ([] if kind == "append" else default)
        self.help = help
        self.metavar = metavar
        self.group = group


def flag(name, help=None):  # pylint: disable=redefined-builtin
    return Option(name, "flag", help=help)


PASSWORD_FILE_FLAG = "--pkcs8-password-file"

MATERIAL_OPTIONS = (
    Option("--certificate", help="certificate file (PEM, DER, combined PEM, PKCS#12), or - for stdin"),
    Option("--private-key", help="private key file (PKCS#8, SEC1, PKCS#1; plain or encrypted), or - for stdin"),
    Option("--intermediates", help="PEM bundle of intermediate CA certificates"),
    Option("--pkcs8-password", group="password", help="password of an encrypted private key or PKCS#12 file "
           "(visible in the process list: prefer --pkcs8-password-file)"),
    Option(PASSWORD_FILE_FLAG, group="password", metavar="PATH", help="file holding that password, readable by its "
           "owner only (chmod 600); one trailing newline is ignored"),
    # AWS's helper's PKCS#11 flags (cmd/credentials.go): --certificate / --private-key then take pkcs11: URIs.
    Option("--pkcs11-lib", metavar="PATH", help="PKCS#11 module of the token that pkcs11: URIs name "
           "(default p11-kit-proxy.so)"),
    flag("--reuse-pin", help="give the user PIN again to a key that asks for it at every signature (CKA_ALWAYS_AUTHENTICATE)"),
    # AWS's helper's TPM flags (cmd/credentials.go): --private-key then takes handle:0x81... or a TSS2 key file.
    Option("--tpm-key-password", group="tpm-password", help="password of the TPM key (handle:0x81... or TSS2 key file; "
           "visible in the process list)"),
    Option("--no-tpm-key-password", "flag", group="tpm-password", help="the TPM key given as handle:0x81... has no password"),
)
DEBUG = flag("--debug", help="log each step on stderr (never secrets)")
SESSION_OPTIONS = (
    Option("--trust-anchor-arn", help="trust anchor to authenticate with"),
    Option("--profile-arn", help="profile to take the session policies from"),
    Option("--role-arn", help="role to assume"),
    Option("--session-duration", type=int, default=3600, help="session duration in seconds (900..43200)"),
    Option("--region", help="signing region (default: the trust anchor's)"),
    Option("--endpoint", help="CreateSession endpoint URL (default: from the region)"),
    Option("--role-session-name", help="session name (the profile must accept role session names)"),
    flag("--no-verify-ssl", help="do not verify the endpoint's TLS certificate"),
    flag("--with-proxy", help="accepted, changes nothing: HTTPS_PROXY / NO_PROXY are always honoured, as by AWS's helper"),
    flag("--use-fips-endpoint", help="use the FIPS endpoint (also AWS_USE_FIPS_ENDPOINT=true)"),
)
# Multi-region failover (issue 15): more (trust anchor, profile, region) sets, tried in order after the one the
# session options name; parsed and checked by _helper/failover.py. AWS's helper has no such flag.
FAILOVER_FLAG = "--failover"
FAILOVER_OPTIONS = (
    Option(FAILOVER_FLAG, kind="append", metavar="trust-anchor-arn=ARN,profile-arn=ARN[,region=R][,endpoint=URL]",
           help="another region's trust anchor and profile, tried when the previous region does not answer or answers "
           "5xx (repeatable, tried in order)"),
)
CACHE_OPTIONS = (
    flag("--cache", help="reuse credentials until --refresh-margin before they expire"),
    Option("--cache-dir", help="cache directory (default: $XDG_CACHE_HOME/rolesanywhere-fleet or ~/.cache/...)"),
    Option("--refresh-margin", type=int, help="seconds before expiry when a cached entry stops being used (default %d, "
           "at most half the credentials' lifetime)" % CACHE_POLICY.margin),
)
UPDATE_OPTIONS = (
    Option("--profile", default="default", help="profile to update (default: default)"),
    flag("--once", help="update once and exit"),
    flag("--retry-errors", help="accepted and ignored: update always retries with backoff"),
    Option("--refresh-margin", type=int, default=UPDATE_POLICY.margin,
           help="seconds before expiry to refresh (default %d)" % UPDATE_POLICY.margin),
)
SERVE_OPTIONS = (
    Option("--port", type=int, default=9911, help="port (default 9911; 0 = any free port)"),
    Option("--hop-limit", type=int, default=64, help="IP TTL of the answers (default 64)"),
    Option("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"),
    Option("--refresh-margin", type=int, default=SERVE_POLICY.margin,
           help="seconds before expiry to refresh (default %d)" % SERVE_POLICY.margin),
    Option("--allow-host", kind="append", metavar="NAME",
           help="also answer requests whose Host is this DNS name (default: localhost and IP addresses only)"),
)
# Flags of AWS's helper that select keys in OS certificate stores: accepted, then refused with
# "not supported yet" (the second element says what they are for).
UNSUPPORTED_VALUE_FLAGS = (
    ("--cert-selector", "OS certificate stores"),
    ("--system-store-name", "OS certificate stores"), ("--system-store-location", "OS certificate stores"),
)
UNSUPPORTED_SWITCHES = (
    ("--use-latest-expiring-certificate", "OS certificate stores"),
)
# Every boolean flag of every command (update's and serve's own ones included): Go's syntax applies to all.
BOOLEAN_FLAGS = frozenset(
    [option.name for option in SESSION_OPTIONS + MATERIAL_OPTIONS + CACHE_OPTIONS + UPDATE_OPTIONS + SERVE_OPTIONS + (DEBUG,)
     if option.kind == "flag"]
    + [name for name, _what in UNSUPPORTED_SWITCHES]
)

# What the cache-hit reading of credential-process understands; anything else is left to argparse.
FAST_OPTIONS = dict((option.name, option) for option in SESSION_OPTIONS + MATERIAL_OPTIONS + CACHE_OPTIONS + FAILOVER_OPTIONS)


def _is_value_token(token):
    """True for a token that argparse always reads as a value, never as an option: "-" or one not starting
    with "-" (argparse's ``_parse_optional``). Other tokens that argparse may read as values (negative
    numbers, words with a space) are no boolean's value either: argparse then fails on them.
    """
    return token == "-" or not token.startswith("-")


def separated_boolean_value(argv):
    """The first ``--flag VALUE`` pair where a boolean flag is followed by a separate value, else None."""
    for index, token in enumerate(argv[:-1]):
        if token in BOOLEAN_FLAGS and _is_value_token(argv[index + 1]):
            return token, argv[index + 1]
    return None


def read_options(argv, command="credential-process", options=None):
    """{dest: value} of ``argv`` exactly as argparse reads it (defaults included), or None when unsure.

    None for: another command, an option outside ``options`` (``--debug``, ``--help``, PKCS#11...), an
    option given twice (unless repeatable), a value that looks like an option, a value of the wrong type, both members of a
    mutually exclusive group, a boolean with a separate value.
    """
    options = FAST_OPTIONS if options is None else options
    if not argv or argv[0] != command:
        return None
    values = dict((option.dest, option.default) for option in options.values())
    seen = set()
    groups = set()
    index = 1
    while index < len(argv):
        name, has_value, value = argv[index].partition("=")
        option = options.get(name)
        if option is None or (name in seen and option.kind != "append") or (option.group and option.group in groups):
            return None
        seen.add(name)
        if option.group:
            groups.add(option.group)
        if option.kind == "flag":
            if index + 1 < len(argv) and _is_value_token(argv[index + 1]):
                return None  # --flag VALUE: refused by the full parser
            if not has_value:
                value = "true"
            try:
                values[option.dest] = parse_bool(value)
            except ValueError:
                return None
        else:
            if not has_value:
                index += 1
                if index >= len(argv) or argv[index].startswith("-"):
                    return None
                value = argv[index]
            if value == "--":
                return None  # argparse drops a "--" even from an option's value
            if option.kind == "append":
                values[option.dest] = values[option.dest] + [value]  # a new list: the default is shared
                index += 1
                continue
            try:
                values[option.dest] = option.type(value)
            except ValueError:
                return None
        index += 1
    return values


def _dest(name):
    return name[2:].replace("-", "_")


def read_command_line(argv):
    """What argparse's namespace holds for a credential-process command line (as a dict), read from the table;
    None when ``read_options`` is unsure (then argparse reads it). Options the table leaves out (``--debug``, TPM and
    OS store flags) are absent from such a line, so they hold argparse's defaults."""
    values = read_options(argv)
    if values is None:
        return None
    values["command"] = argv[0]
    values[DEBUG.dest] = DEBUG.default
    values.update((_dest(name), None) for name, _what in UNSUPPORTED_VALUE_FLAGS)
    values.update((_dest(name), False) for name, _what in UNSUPPORTED_SWITCHES)
    return values


def parse_fast_arguments(argv):
    """Options of ``credential-process --cache`` when a cache hit can answer argv, else None.

    Also None when the certificate or key comes from stdin (the entry's state is the stdin data's hash:
    the full helper reads it) or no certificate is named.
    """
    values = read_options(argv)
    if values is None or not values["cache"] or not values["certificate"]:
        return None
    if STDIN in (values["certificate"], values["private_key"]):
        return None
    return values


MISS = "miss"
HIT = "hit"
NOT_READ = "not-read"


def answer_from_cache(argv, environ=None, out=None):
    """HIT (the entry was written to ``out``), MISS (looked up: no fresh entry) or NOT_READ (argv is not
    a cache-able credential-process command line this reader understands: the full helper decides)."""
    environ = process_environment() if environ is None else environ
    values = parse_fast_arguments(argv)
    if values is None:
        return NOT_READ
    policy = CACHE_POLICY if values["refresh_margin"] is None else CACHE_POLICY.with_margin(values["refresh_margin"])
    try:
        key = identity_key(credential_identity(values, environ))
    except Exception:  # pylint: disable=broad-except  # a bad AWS_* value or config file: the full helper says which
        return NOT_READ
    cache = CredentialCache(cache_directory(environ, values["cache_dir"]))
    payload = cache.lookup(key, certificate_state(values["certificate"]), policy)
    if payload is None:
        return MISS
    (out or sys.stdout).write(payload)
    return HIT


def fast_credential_process(argv, environ=None, out=None):
    """Answer ``credential-process --cache`` from a fresh entry; False when the full helper must run."""
    return answer_from_cache(argv, environ, out) == HIT
