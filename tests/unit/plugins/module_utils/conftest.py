# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loopback servers for the transport tests: a CreateSession server (HTTP or HTTPS) and the CONNECT proxy.

Every server listens on 127.0.0.1 on a free port, serves from a daemon thread, and shuts itself down
after SELF_STOP_SECONDS (tests/support/proxy.py BackgroundServer) even if a test forgets to.
"""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import uuid
from urllib.parse import urlsplit

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import CreateSessionError
from tests.emulator.verify import verify_create_session_request
from tests.support import pki
from tests.support.proxy import BackgroundServer, ConnectProxy

SOCKET_TIMEOUT_SECONDS = 10
AWS_HOST = "rolesanywhere.us-east-1.amazonaws.com"


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


class LoopbackServer(BackgroundServer):
    """A CreateSession-like server on 127.0.0.1; ``requests`` records what it received."""

    def __init__(self, responder, tls_context=None):
        super().__init__(_Server(("127.0.0.1", 0), _Handler))
        self.httpd = self.server
        self.httpd.responder = responder
        self.httpd.requests = []
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.endpoint = "%s://127.0.0.1:%d" % ("https" if tls_context else "http", self.port)

    @property
    def requests(self):
        return self.httpd.requests


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A test CA, a server certificate for localhost/127.0.0.1, and their files."""
    directory = tmp_path_factory.mktemp("tls")
    ca = pki.make_ca("EC", cn="Loopback TLS CA")
    server = pki.make_server_cert(ca)
    paths = server.write(directory, "server")
    return {"ca": ca, "directory": directory, "ca_bundle": pki.write_cert_pem(directory / "ca.pem", ca.certificate),
            "certificate": paths.certificate, "private_key": paths.private_key}


@pytest.fixture
def start_server(tls_files):
    """start_server(responder=verifying_responder, tls=True) -> LoopbackServer (stopped after the test)."""
    servers = []

    def start(responder=verifying_responder, tls=True, hostnames=None):
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if hostnames:  # a certificate for other names, from the same test CA
                paths = pki.make_server_cert(tls_files["ca"], hostnames).write(tls_files["directory"], hostnames[0])
                context.load_cert_chain(paths.certificate, paths.private_key)
            else:
                context.load_cert_chain(tls_files["certificate"], tls_files["private_key"])
        server = LoopbackServer(responder, context).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def connect_proxy():
    """The tests' CONNECT proxy (tests/support/proxy.py); ``.seen`` lists the requests it got; ``.url`` its URL."""
    with ConnectProxy() as proxy:
        yield proxy


@pytest.fixture
def routing_proxy(start_server):
    """A CONNECT proxy sending every tunnel to a local TLS CreateSession server for AWS's own host names.

    Yields (proxy, server): the server's certificate holds rolesanywhere.us-east-1.amazonaws.com.
    """
    server = start_server(hostnames=(AWS_HOST,))
    with ConnectProxy(route=("127.0.0.1", server.port)) as proxy:
        yield proxy, server
