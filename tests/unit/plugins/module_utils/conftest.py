# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loopback servers for the transport tests: a CreateSession server (HTTP or HTTPS) and a CONNECT proxy.

Every server listens on 127.0.0.1 on a free port, serves from a daemon thread, and shuts itself down
after SELF_STOP_SECONDS even if a test forgets to.
"""

from __future__ import annotations

import datetime
import http.server
import json
import select
import socket
import socketserver
import ssl
import threading
import uuid
from urllib.parse import urlsplit

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import CreateSessionError
from tests.emulator.verify import verify_create_session_request
from tests.support import pki

SELF_STOP_SECONDS = 120
SOCKET_TIMEOUT_SECONDS = 10


def realistic_body(verified, secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", session_token="IQoJb3JpZ2luX2VjEXAMPLETOKEN"):
    """A CreateSession 201 body shaped like AWS's for a verified request."""
    session = verified.role_session_name or "%x" % verified.serial
    role_name = verified.role_arn.rsplit("/", 1)[-1]
    account = verified.role_arn.split(":")[4]
    expiration = verified.request_time + datetime.timedelta(seconds=verified.duration_seconds or 3600)
    subject_cn = verified.leaf.subject.rfc4514_string()
    return {
        "credentialSet": [{
            "assumedRoleUser": {"arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (account, role_name, session),
                                "assumedRoleId": "AROAEXAMPLEROLEID:%s" % session},
            "credentials": {"accessKeyId": "ASIAEXAMPLEACCESSKEY", "secretAccessKey": secret_access_key,
                            "sessionToken": session_token, "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "packedPolicySize": 10,
            "roleArn": verified.role_arn,
            "sourceIdentity": subject_cn,
        }],
        "subjectArn": "arn:aws:rolesanywhere:%s:%s:subject/%s" % (verified.region, account, uuid.uuid4()),
    }


def verifying_responder(request):
    """Answer like CreateSession: verify the SigV4-X509 signature, 201 with credentials or AWS's error."""
    parts = urlsplit(request["path"])
    try:
        verified = verify_create_session_request(request["method"], parts.path, parts.query, request["headers"], request["body"])
    except CreateSessionError as error:
        return error.status, {"X-Amzn-ErrorType": "%s:http://internal.amazon.com/coral/" % error.code}, {"message": error.service_message}
    request["verified"] = verified
    return 201, {}, realistic_body(verified)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_SECONDS

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        request = {
            "method": self.command, "path": self.path, "headers": dict(self.headers.items()),
            "raw_headers": list(self.headers.items()), "body": self.rfile.read(length),
        }
        self.server.requests.append(request)
        answer = self.server.responder(request)
        if answer is None:  # drop the connection without an answer
            self.close_connection = True
            return
        status, headers, body = answer
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Failed handshakes and dropped connections are what several tests provoke: keep them quiet.
        pass


class LoopbackServer:
    """A CreateSession-like server on 127.0.0.1; ``requests`` records what it received."""

    def __init__(self, responder, tls_context=None):
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.responder = responder
        self.httpd.requests = []
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.endpoint = "%s://127.0.0.1:%d" % ("https" if tls_context else "http", self.port)
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(SELF_STOP_SECONDS, self.stop)
        self._timer.daemon = True
        self._stopped = False

    @property
    def requests(self):
        return self.httpd.requests

    def start(self):
        self._thread.start()
        self._timer.start()
        return self

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A test CA, a server certificate for localhost/127.0.0.1, and their files."""
    directory = tmp_path_factory.mktemp("tls")
    ca = pki.make_ca("EC", cn="Loopback TLS CA")
    server = pki.make_server_cert(ca)
    paths = server.write(directory, "server")
    return {"ca": ca, "ca_bundle": pki.write_cert_pem(directory / "ca.pem", ca.certificate),
            "certificate": paths.certificate, "private_key": paths.private_key}


@pytest.fixture
def start_server(tls_files):
    """start_server(responder=verifying_responder, tls=True) -> LoopbackServer (stopped after the test)."""
    servers = []

    def start(responder=verifying_responder, tls=True):
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_files["certificate"], tls_files["private_key"])
        server = LoopbackServer(responder, context).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class _ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(SOCKET_TIMEOUT_SECONDS)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        self.server.seen.append({"method": method, "target": target, "headers": headers})
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, port = target.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=SOCKET_TIMEOUT_SECONDS) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._pipe(upstream)

    def _pipe(self, upstream):
        sockets = [self.request, upstream]
        while True:
            readable, _w, _x = select.select(sockets, [], [], SOCKET_TIMEOUT_SECONDS)
            if not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (upstream if source is self.request else self.request).sendall(data)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def connect_proxy():
    """An HTTP CONNECT proxy on 127.0.0.1; ``.seen`` lists the requests it got; ``.url`` its URL."""
    proxy = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
    proxy.seen = []
    proxy.url = "http://127.0.0.1:%d" % proxy.server_address[1]
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    timer = threading.Timer(SELF_STOP_SECONDS, proxy.shutdown)
    timer.daemon = True
    thread.start()
    timer.start()
    yield proxy
    timer.cancel()
    proxy.shutdown()
    proxy.server_close()
