# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start ``python -m tests.emulator`` in a subprocess and talk to it (used by tests/conftest.py and benchmarks).

    with EmulatorProcess.start(tls_dir=None) as emulator:
        iam = emulator.boto3_client("iam")
        emulator.set_faults(throttle="aws")
        emulator.counters()        # {"CreateSession": 3, ...}
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.request
from typing import List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_ACCESS_KEY = "testing"
TEST_SECRET_KEY = "testing"  # moto accepts anything; not a secret
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
START_TIMEOUT = 90
MAX_LIFETIME = 3 * 3600


class EmulatorError(RuntimeError):
    """The emulator process did not start (its stderr is in the message)."""


class EmulatorProcess:
    """A running emulator subprocess: endpoints, admin calls, boto3 clients and a subprocess environment."""

    def __init__(self, process: subprocess.Popen, info: dict, log_path: str, scratch: str):
        self.process = process
        self.endpoint: str = info["endpoint"]
        self.moto_endpoint: str = info["moto_endpoint"]
        self.ca_bundle: Optional[str] = info["ca_bundle"]
        self.region: str = info["region"]
        self.account: str = info["account"]
        self.log_path = log_path
        self._scratch = scratch
        handlers = [urllib.request.ProxyHandler({})]
        if self.ca_bundle:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=self.ca_bundle)))
        self._opener = urllib.request.build_opener(*handlers)

    # --- life cycle -----------------------------------------------------------------------------

    @classmethod
    def start(cls, tls_dir: Optional[str] = None, region: str = "us-east-1", account: str = "123456789012",
              extra_args: Optional[List[str]] = None, log_path: Optional[str] = None, env: Optional[dict] = None) -> "EmulatorProcess":
        scratch = tempfile.mkdtemp(prefix="ra-emulator-")
        log_path = log_path or os.path.join(scratch, "emulator.log")
        command = [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0", "--region", region,
                   "--account", account, "--max-lifetime", str(MAX_LIFETIME), "--watch-pid", str(os.getpid())]
        if tls_dir:
            command += ["--tls-dir", tls_dir]
        command += list(extra_args or [])
        child_env = dict(env if env is not None else os.environ)
        for name in PROXY_VARIABLES:
            child_env.pop(name, None)
        child_env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, child_env.get("PYTHONPATH")) if p)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                       env=child_env)
        info = _first_line(process, log_path)
        return cls(process, info, log_path, scratch)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()
        # Keep the scratch directory (and the log in it) only when the emulator died on its own: that log is
        # what explains a failing test. A clean stop leaves nothing behind in the temp directory.
        if self.process.returncode in (0, -signal.SIGTERM, -signal.SIGKILL):
            shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # --- admin API ------------------------------------------------------------------------------

    def _admin(self, method: str, name: str, payload=None):
        data = json.dumps(payload).encode("utf-8") if payload is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.endpoint + "/_emulator/" + name, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with self._opener.open(request, timeout=30) as answer:
            return json.loads(answer.read() or b"null")

    def counters(self) -> dict:
        return self._admin("GET", "counters")

    def reset_counters(self) -> None:
        self._admin("POST", "reset-counters")

    def set_faults(self, **settings) -> dict:
        """throttle=None|"aws"|{"CreateSession": 5}, error_rate=0..1, latency_ms=n, drop_rate=0..1."""
        return self._admin("POST", "faults", settings)

    def faults(self) -> dict:
        return self._admin("GET", "faults")

    def clear_faults(self) -> dict:
        return self.set_faults(throttle=None, error_rate=0, latency_ms=0, drop_rate=0)

    def failures(self) -> list:
        """Recent CreateSession refusals with the emulator's detail (what AWS would not say)."""
        return self._admin("GET", "failures")

    # --- clients --------------------------------------------------------------------------------

    def boto3_client(self, service: str, **kwargs):
        import boto3  # pylint: disable=import-outside-toplevel
        from botocore.config import Config  # pylint: disable=import-outside-toplevel

        session = boto3.session.Session(aws_access_key_id=TEST_ACCESS_KEY, aws_secret_access_key=TEST_SECRET_KEY,
                                        region_name=self.region)
        kwargs.setdefault("endpoint_url", self.endpoint)
        kwargs.setdefault("verify", self.ca_bundle or True)
        kwargs.setdefault("config", Config(retries={"max_attempts": 3, "mode": "standard"}, proxies={}))
        return session.client(service, **kwargs)

    def env(self, extra: Optional[dict] = None, base: Optional[dict] = None) -> dict:
        """Environment for subprocesses (aws CLI, ansible, the helper): test keys, this region, no proxies,
        no real AWS configuration, every AWS SDK call sent to the emulator."""
        environment = dict(os.environ if base is None else base)
        for name in list(environment):
            if name.startswith("AWS_") or name in PROXY_VARIABLES:
                del environment[name]
        environment.update({
            "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
            "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region, "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_CONFIG_FILE": os.path.join(self._scratch, "no-such-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self._scratch, "no-such-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        })
        if self.ca_bundle:
            environment["AWS_CA_BUNDLE"] = self.ca_bundle
        environment.update(extra or {})
        return environment

    def __repr__(self):
        return "EmulatorProcess(endpoint=%r, region=%r, account=%r)" % (self.endpoint, self.region, self.account)


def _first_line(process: subprocess.Popen, log_path: str) -> dict:
    """The JSON line the emulator prints when it listens; EmulatorError with its stderr otherwise."""
    result = {}

    def read():
        result["line"] = process.stdout.readline()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    line = result.get("line")
    if not line:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        with open(log_path, "rb") as log:
            tail = log.read()[-4000:].decode("utf-8", "replace")
        raise EmulatorError("the emulator did not start (exit code %s); its stderr:\n%s" % (process.poll(), tail))
    return json.loads(line)
