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
import sys
import threading
import time
from datetime import datetime

from .._core.cache import CacheError, CredentialCache, cache_directory, certificate_state, credential_identity, identity_key
from .._core.errors import RolesAnywhereError
from .._core.refresh import CACHE_POLICY
from .certificate_commands import run_read_certificate_data, run_sign_string
from .command_line import (
    CACHE_OPTIONS,
    DEBUG,
    FAILOVER_OPTIONS,
    MATERIAL_OPTIONS,
    SERVE_OPTIONS,
    SESSION_OPTIONS,
    STDIN,
    UNSUPPORTED_SWITCHES,
    UNSUPPORTED_VALUE_FLAGS,
    UPDATE_OPTIONS,
    parse_bool,
    separated_boolean_value,
)
from .refresh_commands import one_line, run_serve, run_update
from .session_request import check_session_arguments, check_unsupported, obtain_credentials

VERSION = "0.1.0"
PROG = "rolesanywhere-credential-helper"


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
        elif option.kind == "append":
            target.add_argument(option.name, action="append", default=[], metavar=option.metavar, help=option.help)
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
    _add_options(parser, FAILOVER_OPTIONS)
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
    read.add_argument("--pkcs11-lib", metavar="PATH", help="PKCS#11 module (accepted as by AWS's helper)")
    _add_unsupported(read)

    update = command("update", run_update, "keep a profile of the shared credentials file up to date")
    _add_session(update)
    _add_options(update, UPDATE_OPTIONS)

    serve = command("serve", run_serve, "serve credentials on an IMDSv2-compatible local endpoint")
    _add_session(serve)
    _add_options(serve, SERVE_OPTIONS)

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


# --- version and main ----------------------------------------------------------------------------

def run_version(args, context):  # pylint: disable=unused-argument
    context.stdout.write(VERSION + "\n")
    return 0


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
        context.console.log(one_line(exc))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # pylint: disable=broad-except  # one line, never a traceback (unless --debug)
        context.console.log("unexpected error %s: %s (rerun with --debug for details)" % (type(exc).__name__, one_line(exc)))
        if context.console.debug_enabled:
            import traceback  # pylint: disable=import-outside-toplevel
            context.console.log(traceback.format_exc().replace("\n", " | "))
    return 1
