# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One loopback port that plays AWS: Roles Anywhere here, every other service handed to moto.

Routing, per request:
- ``/_emulator/...``: the admin API (counters, faults, recent CreateSession failures);
- ``Authorization: AWS4-X509-...`` (or ``POST /sessions`` with ``X-Amz-X509``): CreateSession;
- SigV4 scope service ``rolesanywhere``: the control plane, routed by botocore's model;
- anything else: moto (in-process WSGI application, or forwarded to ``--moto-url``); with the in-process
  moto, ``X-Amz-Target: ACMPrivateCA.*`` requests pass through ``acmpca.PrivateCaExtension`` on the way
  (CRL publication, Validity, SigningAlgorithm, IdempotencyToken), and requests of role sessions pass
  ``session_guard.SessionGuard`` (an explicit Deny of the role's policies answers AccessDenied, as AWS does).
"""

from __future__ import annotations

import http
import json
import re
import socket
import sys
import threading
import traceback
import uuid
from dataclasses import dataclass
from typing import Optional

from . import awserrors
from .acmpca import TARGET_PREFIX as ACM_PCA_TARGET_PREFIX, PrivateCaExtension
from .backends import InProcessMoto, RemoteMoto
from .control_plane import MAX_TRUST_ANCHORS, ControlPlane
from .faults import CREATE_SESSION, FAMILY_OF, Counters, Drop, Faults
from .model import ServiceModel
from .session_guard import SessionGuard
from .sessions import SessionService
from .tls import server_context, write_tls_files
from .wsgi import read_body

SCOPE_RE = re.compile(r"Credential=[^,\s]*?/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
ADMIN_PREFIX = "/_emulator/"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}


def _status_line(status: int) -> str:
    try:
        return "%d %s" % (status, http.HTTPStatus(status).phrase)
    except ValueError:
        return "%d Unknown" % status


def request_headers(environ) -> dict:
    """Lower-case header names as the client sent them (werkzeug folds them into the environ)."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


class Emulator:
    """The WSGI application: state, verification, faults and counters of one emulated account/region."""

    def __init__(self, region: str = "us-east-1", account: str = "123456789012", moto_url: Optional[str] = None,
                 fault_seed: Optional[int] = None, crl_delay: float = 1.0, trust_anchor_quota: int = MAX_TRUST_ANCHORS):
        self.region = region
        self.account = account
        self.backend = RemoteMoto(account, region, moto_url) if moto_url else InProcessMoto(account, region)
        self.model = ServiceModel()
        self.control = ControlPlane(region, account, certificate_authority=self.backend.ca_certificate,
                                    trust_anchor_quota=trust_anchor_quota)
        self.sessions = SessionService(self.control, self.backend)
        self.faults = Faults(fault_seed)
        self.counters = Counters()
        self._forwarder = None
        # moto's ACM PCA keys and revocations are only reachable in this process: a remote moto stays as it is
        self.private_ca = None if moto_url else PrivateCaExtension(account, region, crl_delay)
        self.session_guard = None if moto_url else SessionGuard(account)
        if moto_url:
            import urllib3  # pylint: disable=import-outside-toplevel
            self._forwarder = urllib3.PoolManager(maxsize=16, retries=False)

    # --- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX):
            return self._respond(start_response, *self._admin(environ, path))
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if authorization.startswith("AWS4-X509-") or (method == "POST" and path == "/sessions" and "HTTP_X_AMZ_X509" in environ):
            return self._guarded(environ, start_response, CREATE_SESSION, self._create_session)
        scope = SCOPE_RE.search(authorization)
        if scope and scope.group(2) == "rolesanywhere":
            return self._control_plane(environ, start_response)
        self.counters.add("moto:%s" % (scope.group(2) if scope else "unsigned"))
        refusal = self.session_guard.refusal(environ) if self.session_guard else None
        if refusal is not None:  # an explicit Deny of the session's role covers the request (session_guard.py)
            self.counters.add("moto:explicit-deny")
            return self._respond(start_response, *refusal)
        return self._to_moto(environ, start_response)

    def _respond(self, start_response, status: int, headers, body: bytes):
        headers = list(headers) + [("Content-Length", str(len(body))), ("x-amzn-RequestId", str(uuid.uuid4()))]
        start_response(_status_line(status), headers)
        return [body]

    def _error(self, start_response, error: awserrors.ServiceError):
        return self._respond(start_response, error.status, error.headers(), error.body())

    def _fault(self, environ, operation: str) -> Optional[awserrors.ServiceError]:
        """Count the request and apply the faults: the error to answer, or None to go on (a drop raises)."""
        self.counters.add(operation)
        outcome = self.faults.check(operation)
        if outcome is Drop:
            self.counters.add("%s:dropped" % operation)
            self._drop(environ)
        if isinstance(outcome, awserrors.ServiceError):
            self.counters.add("%s:%s" % (operation, "throttled" if outcome.status == 429 else "failed"))
            return outcome
        return None

    def _guarded(self, environ, start_response, operation: str, handler):
        """Count, apply faults, run ``handler(environ) -> (status, body)`` and answer AWS-style."""
        refusal = self._fault(environ, operation)
        if refusal is not None:
            return self._error(start_response, refusal)
        try:
            status, body = handler(environ)
        except awserrors.ServiceError as error:
            return self._error(start_response, error)
        except Exception:  # pylint: disable=broad-except  # an emulator bug: say so, keep serving
            traceback.print_exc(file=sys.stderr)
            return self._error(start_response, awserrors.ServiceError(500, "InternalFailure", "Emulator internal error (see its stderr)"))
        return self._respond(start_response, status, [("Content-Type", "application/json")], body)

    @staticmethod
    def _drop(environ):
        connection = environ.get("werkzeug.socket")
        if connection is not None:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionResetError("connection dropped by fault injection")

    # --- Roles Anywhere -------------------------------------------------------------------------

    def _control_plane(self, environ, start_response):
        raw_path = (environ.get("RAW_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
        if "://" in raw_path:  # absolute-form request line (through a proxy)
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        try:
            operation, uri_params = self.model.match(environ.get("REQUEST_METHOD", "GET"), raw_path)
        except awserrors.ServiceError as error:
            self.counters.add("UnknownOperation")
            return self._error(start_response, error)

        def handle(env):
            params = self.model.parse_request(operation, uri_params, env.get("QUERY_STRING", ""), request_headers(env),
                                              read_body(env))
            self.model.validate(operation, params)
            return self.model.serialize_output(operation, self.control.handle(operation.name, params))

        return self._guarded(environ, start_response, operation.name, handle)

    def _create_session(self, environ):
        raw_path = (environ.get("RAW_URI") or environ.get("PATH_INFO", "")).split("?", 1)[0]
        document = self.sessions.create_session(environ.get("REQUEST_METHOD", "POST"), raw_path,
                                                environ.get("QUERY_STRING", ""), request_headers(environ), read_body(environ))
        return 201, json.dumps(document, separators=(",", ":")).encode("utf-8")

    # --- moto -----------------------------------------------------------------------------------

    def _to_moto(self, environ, start_response):
        if self._forwarder is None:
            if self.private_ca is not None and environ.get("HTTP_X_AMZ_TARGET", "").startswith(ACM_PCA_TARGET_PREFIX):
                operation = environ["HTTP_X_AMZ_TARGET"][len(ACM_PCA_TARGET_PREFIX):]
                refusal = self._fault(environ, operation) if operation in FAMILY_OF else None  # IssueCertificate's quota
                if refusal is not None:
                    # awsJson1_1: botocore reads the code from the body's __type (parsers.py BaseJSONParser._do_error_parse)
                    return self._error(start_response, awserrors.ServiceError(
                        refusal.status, refusal.code, refusal.message, extra={"__type": refusal.code}))
                return self.private_ca.handle(environ, start_response, self.backend.wsgi_app)
            return self.backend.wsgi_app(environ, start_response)
        headers = {name: value for name, value in request_headers(environ).items() if name not in HOP_BY_HOP}
        headers.setdefault("x-moto-account-id", self.account)
        url = self.backend.url + (environ.get("RAW_URI") or environ.get("PATH_INFO", "/"))
        if "://" in (environ.get("RAW_URI") or ""):
            url = self.backend.url + "/" + environ["RAW_URI"].split("://", 1)[1].partition("/")[2]
        answer = self._forwarder.request(environ.get("REQUEST_METHOD", "GET"), url, body=read_body(environ),
                                         headers=headers, redirect=False, preload_content=True)
        passed = [(name, value) for name, value in answer.headers.items() if name.lower() not in HOP_BY_HOP]
        return self._respond(start_response, answer.status, passed, answer.data)

    # --- admin ----------------------------------------------------------------------------------

    def _admin(self, environ, path: str):
        method = environ.get("REQUEST_METHOD", "GET")
        name = path[len(ADMIN_PREFIX):].strip("/")
        json_headers = [("Content-Type", "application/json")]
        routes = {
            ("GET", "counters"): self.counters.snapshot,
            ("POST", "reset-counters"): lambda: self.counters.reset() or {},
            ("GET", "faults"): self.faults.settings,
            ("GET", "failures"): lambda: list(self.sessions.recent_failures),
            ("GET", "health"): lambda: {"ok": True, "region": self.region, "account": self.account},
        }
        try:
            if (method, name) == ("POST", "faults"):
                result = self.faults.configure(json.loads(read_body(environ) or b"{}"))
            elif (method, name) in routes:
                result = routes[(method, name)]()
            else:
                return 404, json_headers, json.dumps({"message": "No admin route %s %s" % (method, path)}).encode()
        except ValueError as error:
            return 400, json_headers, json.dumps({"message": str(error)}).encode()
        return 200, json_headers, json.dumps(result).encode()


def _request_handler(in_process_moto: bool):
    # pylint: disable=import-outside-toplevel
    if in_process_moto:
        from moto.moto_server.werkzeug_app import MotoRequestHandler as BaseHandler
    else:
        from werkzeug.serving import WSGIRequestHandler as BaseHandler

    class QuietHandler(BaseHandler):
        """No access log on stderr (the admin counters say what happened)."""

        def log_request(self, code="-", size="-"):
            return None

    return QuietHandler


@dataclass
class EmulatorInfo:
    endpoint: str
    moto_endpoint: str
    ca_bundle: Optional[str]
    region: str
    account: str

    def as_dict(self) -> dict:
        return {"endpoint": self.endpoint, "moto_endpoint": self.moto_endpoint, "ca_bundle": self.ca_bundle,
                "region": self.region, "account": self.account}


class RunningEmulator:
    """A started emulator: ``info``, ``app`` and ``stop()``."""

    def __init__(self, server, thread, app: Emulator, info: EmulatorInfo):
        self.server = server
        self.thread = thread
        self.app = app
        self.info = info

    def stop(self, timeout: float = 10.0) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout)


def start_emulator(host: str = "127.0.0.1", port: int = 0, region: str = "us-east-1", account: str = "123456789012",
                   tls_dir: Optional[str] = None, moto_url: Optional[str] = None, faults: Optional[dict] = None,
                   fault_seed: Optional[int] = None, crl_delay: float = 1.0,
                   trust_anchor_quota: int = MAX_TRUST_ANCHORS) -> RunningEmulator:
    """Start serving in a background thread and return at once."""
    from werkzeug.serving import make_server  # pylint: disable=import-outside-toplevel

    app = Emulator(region=region, account=account, moto_url=moto_url, fault_seed=fault_seed, crl_delay=crl_delay,
                   trust_anchor_quota=trust_anchor_quota)
    if faults:
        app.faults.configure(faults)
    ca_bundle, context = None, None
    if tls_dir:
        files = write_tls_files(tls_dir, host)
        ca_bundle, context = files.ca_bundle, server_context(files)
    server = make_server(host, port, app, threaded=True, request_handler=_request_handler(moto_url is None),
                         ssl_context=context)
    server.daemon_threads = True
    bound_port = server.socket.getsockname()[1]
    shown_host = "[%s]" % host if ":" in host else host
    endpoint = "%s://%s:%d" % ("https" if context else "http", shown_host, bound_port)
    info = EmulatorInfo(endpoint, moto_url.rstrip("/") if moto_url else endpoint, ca_bundle, region, account)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="emulator", daemon=True)
    thread.start()
    return RunningEmulator(server, thread, app, info)
