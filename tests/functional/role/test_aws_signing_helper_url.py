# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_aws_signing_helper_url: the host downloads AWS's helper and installs it only when its SHA-256 matches.

AWS's Go binary cannot be downloaded here; this collection's helper has the same command line, so its single
file plays the downloaded "aws_signing_helper", served by a throwaway HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import sys
import threading

import pytest

from tests.support.commands import build_helper
from .conftest import new_fleet

SERVER_LIFETIME = 300  # seconds: the server stops by itself even when the test never gets to stop it


class HelperServer(http.server.ThreadingHTTPServer):
    """Serves one file at /aws_signing_helper and counts the GETs."""

    daemon_threads = True

    def __init__(self, content):
        self.content = content
        self.requests = 0
        super().__init__(("127.0.0.1", 0), HelperHandler)

    @property
    def url(self):
        return "http://127.0.0.1:%d/releases/1.7.0/aws_signing_helper?X-Amz-Signature=secret-ish" % self.server_address[1]


class HelperHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # pylint: disable=invalid-name
        self.server.requests += 1
        if not self.path.startswith("/releases/1.7.0/aws_signing_helper"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(self.server.content)))
        self.end_headers()
        self.wfile.write(self.server.content)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def helper_server():
    content = build_helper(sys.executable)
    server = HelperServer(content)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = threading.Timer(SERVER_LIFETIME, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield server
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()


def test_download_checked_against_its_sha256(emulator, trust_vars, tmp_path, helper_server):
    digest = hashlib.sha256(helper_server.content).hexdigest()
    wanted = {"enroll_helper": "aws_signing_helper", "enroll_aws_signing_helper_url": helper_server.url}
    fleet = new_fleet(tmp_path, emulator, trust_vars, "awsurl")
    installed = os.path.join(fleet.root("h01"), "usr/local/bin/aws_signing_helper")

    # a download whose SHA-256 differs is not installed, and the host gets no key or profile either
    run = fleet.playbook("enroll", extra_vars=dict(wanted, enroll_aws_signing_helper_sha256="0" * 64))
    assert run.rc != 0
    port = helper_server.server_address[1]
    message = "could not install AWS's aws_signing_helper from http://127.0.0.1:%d/releases/1.7.0/aws_signing_helper:" % port
    assert message in run.stdout, run.tail()
    assert "did not match %s" % ("0" * 64) in run.stdout and "it was %s" % digest in run.stdout, run.tail()
    assert "%s is unchanged" % installed in run.stdout, run.tail()
    assert "secret-ish" not in run.stdout.split("Stop with the URL and the reason", 1)[1]
    assert helper_server.requests == 1
    assert os.listdir(os.path.dirname(installed)) == []
    assert not os.path.exists(os.path.join(fleet.root("h01"), "etc/rolesanywhere"))

    run = fleet.playbook("enroll", extra_vars=dict(wanted, enroll_aws_signing_helper_sha256=digest.upper()))
    assert run.rc == 0, run.tail()
    assert helper_server.requests == 2
    with open(installed, "rb") as handle:
        assert handle.read() == helper_server.content
    assert os.stat(installed).st_mode & 0o7777 == 0o755 and os.stat(installed).st_uid == 0
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        config = handle.read()
    assert installed + " credential-process " in config
    assert "--cache" not in config  # AWS's helper has no cache
    identity = fleet.helper_identity("h01")
    assert identity.rc == 0, identity.stderr

    # the file in place already has that SHA-256: nothing is downloaded again, nothing changes
    run = fleet.playbook("enroll", extra_vars=dict(wanted, enroll_aws_signing_helper_sha256=digest))
    assert run.rc == 0, run.tail()
    assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()
    assert helper_server.requests == 2
