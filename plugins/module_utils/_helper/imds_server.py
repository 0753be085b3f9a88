# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IMDSv2-compatible credential endpoint of the ``serve`` command (standard library and the signing core).

Same routes, status codes and bodies as AWS's helper: ``PUT /latest/api/token`` (TTL header 1..21600,
default 21600, refused with ``X-Forwarded-For``), ``GET /latest/meta-data/iam/security-credentials/``
(role name) and ``.../<role>`` (credentials JSON), 401 without a valid token. Unlike it (HELPER serve.go):

- credentials are refreshed by one background thread before they expire, the last good credentials are served
  while they are valid, and the answer is 503 with the reason (never empty credentials) when there are none;
- the first CreateSession fails the command only for errors that waiting does not heal (transport.is_transient);
  after a transient one (no route, DNS, 5xx, throttling) it serves 503 and retries with transport's backoff;
- listen backlog SERVER_BACKLOG, a read timeout per connection (a half-sent request or a false Content-Length
  holds a thread for READ_TIMEOUT_SECONDS at most), 400 for a Content-Length that is not a number;
- a Host header naming a DNS name other than localhost gets 403 unless allowed (DNS rebinding from a browser);
- the token table holds at most MAX_TOKENS live tokens and never evicts one before its TTL: when full, new
  token requests get 503 until some expire (AWS's helper evicts the earliest-expiring of 256, so a flood of
  token requests can push out a legitimate client's token).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .._core.transport import backoff_seconds, is_transient

DEFAULT_PORT = 9911
DEFAULT_HOP_LIMIT = 64
DEFAULT_BIND = "127.0.0.1"
DEFAULT_REFRESH_MARGIN = 600
DEFAULT_TOKEN_TTL = 21600
MAX_TOKEN_TTL = 21600
# ~250 bytes per token (100-character key, float, dict slot): 16384 tokens stay under 5 MB.
MAX_TOKENS = 16384
SERVER_BACKLOG = 256
READ_TIMEOUT_SECONDS = 10
MAX_BODY_BYTES = 65536
TOKEN_LENGTH = 100
MAX_RETRY_DELAY = 60.0
MIN_REFRESH_INTERVAL = 1.0

TOKEN_PATH = "/latest/api/token"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
TOKEN_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"


def format_time(moment):
    """RFC 3339 in UTC with ``Z`` and no trailing fractional zeros (Go's time.RFC3339Nano)."""
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += (".%06d" % moment.microsecond).rstrip("0")
    return text + "Z"


def role_name_from_arn(role_arn):
    """``arn:aws:iam::123:role/path/Name`` -> ``Name`` (the last path element, as IMDS shows it)."""
    resource = (role_arn or "").split(":", 5)[-1]
    if not resource.startswith("role/") or not resource.rstrip("/").split("/")[-1]:
        raise ValueError("invalid role ARN %r: expected arn:aws:iam::<account>:role/<name>" % role_arn)
    return resource.rstrip("/").split("/")[-1]


def is_loopback(host):
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class TokenTableFull(Exception):
    """Every slot of the token table holds a live token."""


class TokenStore(object):
    """IMDSv2 session tokens with their expiry; at most MAX_TOKENS live ones, none evicted before its TTL."""

    def __init__(self, clock=time.time, max_tokens=MAX_TOKENS):
        self._clock = clock
        self._max = max_tokens
        self._tokens = {}
        self._lock = threading.Lock()

    def issue(self, ttl):
        token = base64.b64encode(os.urandom(128)).decode("ascii")[:TOKEN_LENGTH]
        with self._lock:
            now = self._clock()
            for stale in [t for t, expiry in self._tokens.items() if expiry <= now]:
                del self._tokens[stale]
            if len(self._tokens) >= self._max:
                raise TokenTableFull()
            self._tokens[token] = now + ttl
        return token

    def remaining(self, token):
        """Whole seconds the token stays valid, or None when it is unknown or expired."""
        with self._lock:
            expiry = self._tokens.get(token)
            if expiry is None:
                return None
            left = expiry - self._clock()
            if left <= 0:
                del self._tokens[token]
                return None
        return int(left)

    def __len__(self):
        return len(self._tokens)


class CredentialKeeper(object):
    """Holds the last good credentials and refreshes them in one background thread.

    ``fetch()`` returns an object with ``access_key_id``, ``secret_access_key``, ``session_token`` and an
    aware ``expiration``; it raises on failure (its message must hold no secret). ``clock`` gives the
    time in epoch seconds (tests shift it to reach expiry without waiting).
    """

    def __init__(self, fetch, refresh_margin=DEFAULT_REFRESH_MARGIN, clock=time.time, log=None,
                 poll_interval=30.0, max_retry_delay=MAX_RETRY_DELAY):
        self._fetch = fetch
        self._margin = refresh_margin
        self._clock = clock
        self._log = log or (lambda message: None)
        self._poll = poll_interval
        self._max_retry_delay = max_retry_delay
        self._lock = threading.Lock()
        self._credentials = None
        self._updated = None
        self._stop = threading.Event()
        self._thread = None
        self.last_error = None
        self._retry_after = None
        self.refreshes = 0

    def refresh(self):
        """Fetch new credentials now; raises (keeping the previous ones) when that fails."""
        credentials = self._fetch()
        with self._lock:
            self._credentials = credentials
            self._updated = datetime.fromtimestamp(self._clock(), timezone.utc)
            self.last_error = None
            self.refreshes += 1
        return credentials

    def current(self):
        """(credentials, last_updated) while the credentials are valid, else (None, None)."""
        with self._lock:
            credentials, updated = self._credentials, self._updated
        if credentials is None or credentials.expiration.timestamp() <= self._clock():
            return None, None
        return credentials, updated

    def start(self, is_transient_error=is_transient):
        """First fetch in the caller's thread, then refresh in the background.

        An error that waiting does not heal (bad key or certificate, invalid ARN, refused trust) is raised: the
        command fails at once. A transient one is logged and retried in the background, with backoff.
        """
        failures = 0
        try:
            self.refresh()
        except Exception as exc:  # pylint: disable=broad-except
            if not is_transient_error(exc):
                raise
            failures = 1
            self._note_failure(exc, failures, "First CreateSession failed; serving 503 and retrying")
        self._thread = threading.Thread(target=self._run, args=(failures,), name="credential-refresh", daemon=True)
        self._thread.start()

    def _note_failure(self, exc, failures, what):
        self.last_error = str(exc)
        self._retry_after = getattr(exc, "retry_after", None)
        self._log("%s (attempt %d): %s" % (what, failures, exc))

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _seconds_until_refresh(self):
        with self._lock:
            credentials, updated = self._credentials, self._updated
        if credentials is None:
            return 0.0
        expires = credentials.expiration.timestamp()
        refresh_at = expires - self._margin
        obtained = updated.timestamp()
        if refresh_at <= obtained:
            # Shorter-lived than the margin (a certificate about to expire caps them): refresh half way
            # through instead of in a tight loop.
            refresh_at = obtained + max(MIN_REFRESH_INTERVAL, (expires - obtained) / 2.0)
        return refresh_at - self._clock()

    def _run(self, failures=0):
        while not self._stop.is_set():
            wait = self._seconds_until_refresh() if failures == 0 else self._retry_delay(failures)
            if wait > 0:
                self._stop.wait(min(wait, self._poll))
                if failures == 0:
                    continue
            if self._stop.is_set():
                return
            try:
                credentials = self.refresh()
                failures = 0
                self._log("Credentials refreshed; they expire at %s" % format_time(credentials.expiration))
            except Exception as exc:  # pylint: disable=broad-except  # keep serving; every error is logged
                failures += 1
                self._note_failure(exc, failures, "Credential refresh failed (still serving the previous credentials "
                                                  "while they are valid)")

    def _retry_delay(self, failures):
        # transport's full-jitter backoff from 1 s, capped, at least MIN_REFRESH_INTERVAL / 2 (no tight loop), and
        # never shorter than what the service asked for (retryAfterSeconds / Retry-After), within the cap.
        delay = max(MIN_REFRESH_INTERVAL / 2.0, backoff_seconds(failures, base=1.0, cap=self._max_retry_delay))
        return min(self._max_retry_delay, max(delay, self._retry_after or 0.0))


class ImdsServer(ThreadingHTTPServer):
    """The HTTP server; ``hop_limit`` is the IP TTL of answers (1 keeps them on this host's network)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = SERVER_BACKLOG  # socketserver's default is 5: a burst of clients would get refused

    def __init__(self, bind, port, role_name, keeper, hop_limit=DEFAULT_HOP_LIMIT, tokens=None, debug_log=None,  # pylint: disable=too-many-arguments
                 allowed_hosts=()):
        self.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.role_name = role_name
        self.keeper = keeper
        self.hop_limit = hop_limit
        self.tokens = tokens if tokens is not None else TokenStore()  # an empty store is falsy (__len__)
        self.debug_log = debug_log
        self.allowed_hosts = frozenset(name.lower().rstrip(".") for name in allowed_hosts or ())
        super().__init__((bind.strip("[]"), port), ImdsRequestHandler)

    @property
    def port(self):
        return self.server_address[1]

    def get_request(self):
        connection, address = super().get_request()
        set_hop_limit(connection, self.hop_limit)
        return connection, address

    def handle_error(self, request, client_address):
        # A client that vanished or timed out is not worth a traceback on stderr.
        if self.debug_log:
            self.debug_log("%s: connection error %s" % (client_address[0], sys.exc_info()[1]))

    def host_allowed(self, host_header):
        """IP literals, localhost and the --allow-host names pass; other DNS names could be a rebinding attack."""
        if host_header is None:
            return True  # HTTP/1.0 without Host: no browser sends that
        host = host_header.strip().lower()
        if host.startswith("["):
            host = host[1:].partition("]")[0]
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        host = host.rstrip(".")
        if host in ("localhost",) or host in self.allowed_hosts:
            return True
        try:
            ipaddress.ip_address(host)
            return True
        except ValueError:
            return False


def set_hop_limit(connection, hop_limit):
    """Set the IP TTL / IPv6 hop limit of a connected socket."""
    if connection.family == socket.AF_INET6:
        connection.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hop_limit)
        try:
            connection.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, hop_limit)  # IPv4-mapped peers
        except OSError:
            pass
    else:
        connection.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, hop_limit)


class ImdsRequestHandler(BaseHTTPRequestHandler):
    """Routes of the IMDSv2 subset that SDKs use for credentials."""

    protocol_version = "HTTP/1.1"
    server_version = "rolesanywhere-fleet"
    # One segment per answer (headers and body flushed together, Nagle off): no delayed-ACK stalls.
    wbufsize = -1
    disable_nagle_algorithm = True
    sys_version = ""
    timeout = READ_TIMEOUT_SECONDS  # StreamRequestHandler puts it on the socket: no read waits longer

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.debug_log:
            self.server.debug_log("%s %s" % (self.address_string(), format % args))

    def _reply(self, status, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self):
        path = self.path.split("?", 1)[0]
        if path in (TOKEN_PATH, TOKEN_PATH + "/"):
            return self._token
        if path in (CREDENTIALS_PATH, CREDENTIALS_PATH + "/"):
            return self._role_name
        role_path = "%s/%s" % (CREDENTIALS_PATH, self.server.role_name)
        if path in (role_path, role_path + "/"):
            return self._credentials
        return None

    def _dispatch(self):
        if not self.server.host_allowed(self.headers.get("Host")):
            self.close_connection = True
            return self._reply(403, "host %s is not allowed: use 127.0.0.1 or localhost, or start serve with "
                                    "--allow-host NAME\n" % " ".join(str(self.headers.get("Host")).split())[:100])
        length = self._content_length()
        if length is None:
            self.close_connection = True
            return self._reply(400, "invalid Content-Length\n")
        if length > 0:
            self.rfile.read(min(length, MAX_BODY_BYTES))  # a short body ends in the socket's read timeout
            if length > MAX_BODY_BYTES:
                self.close_connection = True
        handler = self._route()
        if handler is None:
            return self._reply(404, "404 page not found\n")
        return handler()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _dispatch

    def _content_length(self):
        """The Content-Length as a number (0 when absent), or None when it is not a non-negative whole number."""
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return 0
        if len(set(value.strip() for value in values)) != 1 or not values[0].strip().isdigit():
            return None
        return int(values[0].strip())

    def _token(self):
        if self.command != "PUT":
            return self._reply(405)
        if self.headers.get("X-Forwarded-For"):
            return self._reply(400, "unable to process requests with X-Forwarded-For header")
        ttl_text = self.headers.get(TOKEN_TTL_HEADER) or str(DEFAULT_TOKEN_TTL)
        try:
            ttl = int(ttl_text.strip())
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= MAX_TOKEN_TTL:
            return self._reply(400, "invalid token TTL")
        try:
            token = self.server.tokens.issue(ttl)
        except TokenTableFull:
            return self._reply(503, "too many live tokens (%d): reuse your token until its TTL ends\n" % MAX_TOKENS,
                               {"Retry-After": "60"})
        return self._reply(200, token, {TOKEN_TTL_HEADER: ttl_text.strip()})

    def _checked_token(self):
        """Remaining TTL of the request's token; answers 401 and returns None when it is missing or bad."""
        token = self.headers.get(TOKEN_HEADER)
        if not token:
            self._reply(401, "no token provided")
            return None
        remaining = self.server.tokens.remaining(token)
        if remaining is None:
            self._reply(401, "invalid token provided")
        return remaining

    def _role_name(self):
        if self.command != "GET":
            return self._reply(405)
        remaining = self._checked_token()
        if remaining is not None:
            self._reply(200, self.server.role_name, {TOKEN_TTL_HEADER: str(remaining)})
        return None

    def _credentials(self):
        if self.command != "GET":
            return self._reply(405)
        remaining = self._checked_token()
        if remaining is None:
            return None
        credentials, updated = self.server.keeper.current()
        if credentials is None:
            reason = self.server.keeper.last_error or "the credentials expired"
            return self._reply(503, "no valid credentials: %s\n" % " ".join(reason.split()), {"Retry-After": "1"})
        document = {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "Token": credentials.session_token,
            "Code": "Success",
            "Type": "AWS-HMAC",
            "Expiration": format_time(credentials.expiration),
            "LastUpdated": format_time(updated),
        }
        body = json.dumps(document, separators=(",", ":")) + "\n"
        return self._reply(200, body, {TOKEN_TTL_HEADER: str(remaining)})


def serve_forever(server, log=None, stop_event=None):
    """Announce the endpoint (as AWS's helper does) and serve until ``stop_event`` is set or interrupted."""
    log = log or (lambda message: sys.stderr.write(message + "\n"))
    host = server.server_address[0]
    shown = "[%s]" % host if ":" in host else host
    log("Local server started on port: %d" % server.port)
    log("Make it available to the sdk by running:")
    log("export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://%s:%d/" % (shown, server.port))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            if stop_event is not None and stop_event.wait(0.5):
                break
            thread.join(0.5)
    finally:
        server.shutdown()
        server.server_close()
