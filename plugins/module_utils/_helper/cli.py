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

import os
import _thread
import sys
import time
import types
from datetime import datetime

from .._core.cache import CacheError, CredentialCache, cache_directory, certificate_state, credential_identity, identity_key
from .._core.errors import RolesAnywhereError
from .._core.refresh import CACHE_POLICY
from .command_line import STDIN, UsageError, one_line, read_command_line
from .session_request import check_session_arguments, check_unsupported, obtain_credentials

VERSION = "0.1.0"


class Console(object):
    """stderr lines in Go's log format (``2006/01/02 15:04:05 message``), like AWS's helper."""

    def __init__(self, stream, debug=False):
        self.stream = stream
        self.debug_enabled = debug
        # _thread is built into the interpreter: threading's import would cost a cold credential-process ~1 ms.
        self._lock = _thread.allocate_lock()

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


# --- reading the command line ------------------------------------------------------------------

def parse_arguments(argv):
    """The one reading of the helper's command line: command_line's table reading for the credential-process lines
    it reads exactly as argparse would (the cold path: no argparse import), else argparse over the same tables."""
    values = read_command_line(argv)
    if values is not None:
        return types.SimpleNamespace(**values)
    from .argument_parser import parse_with_argparse  # pylint: disable=import-outside-toplevel

    return parse_with_argparse(argv)


def command_handler(command):
    """The function that runs ``command`` (imported only when that command runs)."""
    # pylint: disable=import-outside-toplevel
    if command == "credential-process":
        return run_credential_process
    if command == "version":
        return run_version
    if command in ("sign-string", "read-certificate-data"):
        from .certificate_commands import run_read_certificate_data, run_sign_string
        return run_sign_string if command == "sign-string" else run_read_certificate_data
    from .refresh_commands import run_serve, run_update
    return run_update if command == "update" else run_serve


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
        if not args.command:
            from .argument_parser import print_help  # pylint: disable=import-outside-toplevel
            print_help(stdout)
            return 0
        status = command_handler(args.command)(args, context)
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
