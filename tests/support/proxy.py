# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP CONNECT proxy of the tests: on 127.0.0.1, a free port, recording every request.

    with ConnectProxy() as proxy:                 # proxy.url; proxy.tunnels == ["host:port", ...]
    with ConnectProxy(refuse=True) as proxy:      # answers 502 to every CONNECT (records it first)
    with ConnectProxy(route=("127.0.0.1", port)): # every tunnel goes there, whatever host was asked for:
                                                  # an AWS host name reaches a local server, nothing leaves the host

``proxy.seen`` holds ``{"method", "target", "headers"}`` of each request. The proxy stops by itself after
SELF_STOP_SECONDS if a test forgets to.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading

IDLE_TIMEOUT = 30
SELF_STOP_SECONDS = 120


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(IDLE_TIMEOUT)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk or len(head) > 65536:
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        method, target = (parts + ["", ""])[:2]
        self.server.seen.append({"method": method, "target": target, "headers": headers})
        if len(parts) != 3 or method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.tunnels.append(target)
        if self.server.refuse:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        host, _sep, port = target.rpartition(":")
        address = self.server.route or (host.strip("[]"), int(port))
        try:
            upstream = socket.create_connection(address, timeout=10)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        _pipe(self.request, upstream)


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

    def handle_error(self, request, client_address):
        pass  # dropped connections are what several tests provoke


class BackgroundServer(object):
    """Serves a socketserver from a daemon thread (``with`` or start/stop); stops by itself after SELF_STOP_SECONDS."""

    def __init__(self, server):
        self.server = server
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(SELF_STOP_SECONDS, self.stop)
        self._timer.daemon = True
        self._stopped = False

    def start(self):
        self._thread.start()
        self._timer.start()
        return self

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False


class ConnectProxy(BackgroundServer):
    def __init__(self, refuse=False, route=None):
        super().__init__(_Server(("127.0.0.1", 0), _Handler))
        self.server.tunnels = []
        self.server.seen = []
        self.server.refuse = refuse
        self.server.route = route

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    @property
    def tunnels(self):
        return list(self.server.tunnels)

    @property
    def seen(self):
        return list(self.server.seen)
