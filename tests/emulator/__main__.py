# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m tests.emulator``: run the local Roles Anywhere service (see docs/testing-offline.md).

The first line on stdout is one JSON object (endpoint, moto_endpoint, ca_bundle, region, account).
It stops on SIGTERM/SIGINT, after ``--max-lifetime`` seconds, or when ``--watch-pid`` exits.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time

from .processes import process_alive


def _account(text: str) -> str:
    if not re.fullmatch(r"\d{12}", text):
        raise argparse.ArgumentTypeError("an AWS account ID is 12 digits, not %r" % text)
    return text


def _region(text: str) -> str:
    if not re.fullmatch(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}", text):
        raise argparse.ArgumentTypeError("%r is not an AWS region name (for example us-east-1)" % text)
    return text


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("expected a number between 0 and 1, not %r" % text)
    return value


def _throttle(text: str):
    if text in ("aws", "none"):
        return None if text == "none" else "aws"
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('expected "aws", "none" or JSON like \'{"CreateSession": 5}\', not %r' % text)
    return value


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; keep it loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port, printed on the first line)")
    parser.add_argument("--region", type=_region, default="us-east-1")
    parser.add_argument("--account", type=_account, default="123456789012")
    parser.add_argument("--tls-dir", help="serve HTTPS with a certificate from a CA written to DIR/ca.pem")
    parser.add_argument("--moto-url", help="use this moto server instead of an in-process moto")
    parser.add_argument("--throttle", type=_throttle, default=None, help='"aws" (AWS quotas), "none", or JSON rates per operation/family')
    parser.add_argument("--error-rate", type=_fraction, default=0.0, help="fraction of requests answered 500")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added latency per Roles Anywhere request")
    parser.add_argument("--drop-rate", type=_fraction, default=0.0, help="fraction of connections closed without answer")
    parser.add_argument("--fault-seed", type=int, default=None, help="seed for the random faults (repeatable runs)")
    parser.add_argument("--crl-delay", type=float, default=1.0,
                        help="seconds from an ACM PCA RevokeCertificate to its CRL in S3 (default 1; AWS takes about 30 minutes)")
    parser.add_argument("--trust-anchor-quota", type=int, default=50,
                        help="trust anchors per account and region before CreateTrustAnchor is refused (default 50, as AWS)")
    parser.add_argument("--max-lifetime", type=float, default=None, help="stop by itself after this many seconds")
    parser.add_argument("--watch-pid", type=int, default=None, help="stop by itself when this process has exited")
    arguments = parser.parse_args(argv)
    if arguments.trust_anchor_quota < 1:
        parser.error("--trust-anchor-quota must be >= 1")
    if arguments.crl_delay < 0:
        parser.error("--crl-delay must be >= 0")
    if arguments.latency_ms < 0:
        parser.error("--latency-ms must be >= 0")
    if not 0 <= arguments.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    return arguments


def main(argv=None) -> int:
    arguments = parse_arguments(argv)
    from .server import start_emulator  # pylint: disable=import-outside-toplevel  # after argument errors

    faults = {"throttle": arguments.throttle, "error_rate": arguments.error_rate, "latency_ms": arguments.latency_ms,
              "drop_rate": arguments.drop_rate}
    try:
        running = start_emulator(arguments.host, arguments.port, arguments.region, arguments.account, arguments.tls_dir,
                                 arguments.moto_url, faults, arguments.fault_seed, arguments.crl_delay, arguments.trust_anchor_quota)
    except OSError as error:
        print("emulator: cannot listen on %s:%s: %s" % (arguments.host, arguments.port, error.strerror or error), file=sys.stderr)
        return 2
    except SystemExit:  # werkzeug explains a busy port on stderr and exits
        print("emulator: cannot listen on %s:%s" % (arguments.host, arguments.port), file=sys.stderr)
        return 2
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    sys.stdout.write(json.dumps(running.info.as_dict()) + "\n")
    sys.stdout.flush()
    deadline = time.monotonic() + arguments.max_lifetime if arguments.max_lifetime else None
    while not stop.wait(0.5):
        if deadline is not None and time.monotonic() > deadline:
            print("emulator: --max-lifetime reached, stopping", file=sys.stderr)
            break
        if arguments.watch_pid and not process_alive(arguments.watch_pid):
            break
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
