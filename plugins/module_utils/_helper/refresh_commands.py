# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``update`` and ``serve``: the helper's long-running commands, which refresh credentials by refresh.py's policies."""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime, timezone

from .._core.errors import ConfigurationError, RolesAnywhereError
from .._core.refresh import SERVE_POLICY, UPDATE_POLICY
from .command_line import STDIN, one_line
from .credentials_file import credentials_file_path, validate_profile_name, write_credentials
from .session_request import check_session_arguments, refreshing_fetch


# --- update --------------------------------------------------------------------------------------

def _update_once(fetch, args, context, path):
    credentials = fetch()
    written = write_credentials(path, args.profile, credentials.access_key_id, credentials.secret_access_key,
                                credentials.session_token, notice=context.console.log)
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
            delay = policy.retry_delay(failures, getattr(exc, "retry_after", None))  # the service's Retry-After
            context.console.log("update failed (attempt %d), retrying in %.0f s: %s" % (failures, delay, one_line(exc)))
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
