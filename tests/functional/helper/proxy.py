# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny HTTPS (CONNECT) proxy on 127.0.0.1 that records the tunnels asked for.

    with ConnectProxy() as proxy:            # proxy.url, proxy.tunnels == ["host:port", ...]
    with ConnectProxy(refuse=True) as proxy  # answers 502 to every CONNECT (records it first)
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading

IDLE_TIMEOUT = 30


class _Handler(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT

    def handle(self):
        request_line = self.rfile.readline(8192).decode("latin-1").strip()
        while self.rfile.readline(8192).strip():
            pass  # headers
        parts = request_line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        target = parts[1]
        self.server.tunnels.append(target)
        if self.server.refuse:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        host, _sep, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        _pipe(self.connection, upstream)


def _pipe(client, upstream):
    sockets = [client, upstream]
    try:
        while True:
            readable = select.select(sockets, [], [], IDLE_TIMEOUT)[0]
            if not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (upstream if source is client else client).sendall(data)
    finally:
        upstream.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ConnectProxy(object):
    def __init__(self, refuse=False):
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.tunnels = []
        self.server.refuse = refuse
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    @property
    def tunnels(self):
        return list(self.server.tunnels)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        return False
