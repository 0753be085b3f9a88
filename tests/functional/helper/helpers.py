# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the credential helper tests: flags for a trust, a runner, error and secret checks."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time

HELPER_TIMEOUT = 120


def session_args(trust, endpoint=None, **extra):
    """credential flags for trust: --certificate/--private-key/[--intermediates]/ARNs/--endpoint."""
    args = ["--certificate", trust.certificate, "--private-key", trust.private_key,
            "--trust-anchor-arn", trust.trust_anchor_arn, "--profile-arn", trust.profile_arn,
            "--role-arn", trust.role_arn, "--endpoint", endpoint or trust.endpoint]
    if getattr(trust, "intermediates", None):
        args += ["--intermediates", trust.intermediates]
    for name, value in extra.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    return args


def run_helper(helper_path, args, env, stdin=b"", timeout=HELPER_TIMEOUT, python_args=()):
    """Run the helper file; returns CompletedProcess with bytes stdout/stderr."""
    command = [sys.executable, *python_args, helper_path, *args] if python_args else [helper_path, *args]
    return subprocess.run(command, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          timeout=timeout, check=False)


def assert_error(result, *needles):
    """Exit 1, nothing on stdout, one line on stderr holding every needle (case-insensitive)."""
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, (result.returncode, stderr)
    assert result.stdout == b"", result.stdout
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    for needle in needles:
        assert needle.lower() in stderr.lower(), (needle, stderr)
    assert "Traceback" not in stderr
    return stderr


def credential_document(result):
    """credential-process's JSON of a run that succeeded, checked to hold session credentials."""
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    document = json.loads(result.stdout)
    assert document["Version"] == 1 and document["AccessKeyId"].startswith("ASIA") and document["SessionToken"]
    return document


def secrets_of(credentials_json):
    document = json.loads(credentials_json)
    return [document["SecretAccessKey"], document["SessionToken"]]


def file_secrets(*paths):
    """Lines of PEM key files: none may ever appear in output."""
    found = []
    for path in paths:
        if path and os.path.exists(path):
            with open(path, "rb") as handle:
                data = handle.read()
            found += [line for line in data.splitlines() if len(line) > 20 and b"-----" not in line]
    return found


class Serving(object):
    """``serve --port 0`` as a subprocess: ``with Serving(helper, args, env, log_path) as server:`` -> server.url."""

    def __init__(self, helper_path, args, env, log_path, startup_timeout=60):
        self.command = [helper_path, "serve", "--port", "0"] + list(args)
        self.env = env
        self.log_path = str(log_path)
        self.startup_timeout = startup_timeout
        self.process = None
        self.url = None

    def log(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def __enter__(self):
        with open(self.log_path, "wb") as stderr:
            self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=stderr, env=self.env)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            match = re.search(r"export AWS_EC2_METADATA_SERVICE_ENDPOINT=(http://\S+)/", self.log())
            if match:
                self.url = match.group(1)
                return self
            if self.process.poll() is not None:
                raise AssertionError("serve exited with %s: %s" % (self.process.returncode, self.log()))
            time.sleep(0.1)
        self.__exit__()
        raise AssertionError("serve did not start: %s" % self.log())

    def __exit__(self, *exc_info):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        return False

    def request(self, method, path, headers=None, timeout=30):
        """(status, headers dict with lower-case names, body bytes)."""
        host, port = self.url[len("http://"):].rsplit(":", 1)
        connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def token(self, ttl=None):
        headers = {"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)} if ttl is not None else {}
        status, _headers, body = self.request("PUT", "/latest/api/token", headers)
        assert status == 200, (status, body)
        return body.decode("ascii")
