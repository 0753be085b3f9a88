# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_systemd=serve: the unit file, its check mode, and its command line run for real.

No systemd runs in this container (and the host has enroll_root), so the role writes the unit and says why it
does not start it. `systemd-analyze verify` checks the file when the binary exists; the unit's ExecStart is
then run directly and the AWS CLI gets credentials from the IMDS endpoint it serves.
"""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import socket
import stat
import subprocess
import time

import pytest

from tests.support.fleet import BIN, TEST_KEYS, session_serial
from .conftest import new_fleet

UNIT = "etc/systemd/system/rolesanywhere-rolesanywhere.service"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_unit(path):
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str
    parser.read(path)
    return parser


def wait_for_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the unit's command ended with %s: %s" % (process.returncode, process.stderr.read()))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the unit's command did not listen on port %d within %d s" % (port, timeout))


def test_serve_unit(emulator, trust_vars, tmp_path):
    port = free_port()
    fleet = new_fleet(tmp_path, emulator, trust_vars, "systemd", enroll_systemd="serve", enroll_serve_port=port)
    unit = os.path.join(fleet.root("h01"), UNIT)

    # check mode on a new host: the unit is reported, nothing is written, nothing is started
    run = fleet.playbook("enroll", "--check")
    assert run.rc == 0, run.tail()
    assert "rolesanywhere.fleet.enroll : Write the systemd unit running the helper's serve" in run.changed_tasks()
    assert not os.path.exists(fleet.root("h01"))

    run = fleet.playbook("enroll")
    assert run.rc == 0, run.tail()
    reason = "rolesanywhere-rolesanywhere.service in {0}/etc/systemd/system is not enabled or started: enroll_root is set ({0}), " \
        "so the unit is not in the running system.".format(fleet.root("h01"))
    assert reason in run.stdout, run.tail()
    info = os.stat(unit)
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == 0  # ExecStart may carry the key passphrase
    parsed = read_unit(unit)
    assert parsed.get("Service", "User") == "root"
    assert parsed.get("Install", "WantedBy") == "multi-user.target"
    command = shlex.split(parsed.get("Service", "ExecStart"))
    helper = os.path.join(fleet.root("h01"), "usr/local/bin/rolesanywhere-credential-helper")
    assert command[:2] == [helper, "serve"]
    assert command[-2:] == ["--port", str(port)]
    assert "--cache" not in command
    assert command[command.index("--certificate") + 1] == os.path.join(fleet.root("h01"), "etc/rolesanywhere/current/certificate.pem")

    if shutil.which("systemd-analyze"):
        verified = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True, text=True, timeout=60,
                                  check=False)
        assert verified.returncode == 0, verified.stdout + verified.stderr

    # what systemd would start: the IMDS endpoint serves the role's credentials to the AWS CLI
    env = fleet.env()
    for key in TEST_KEYS:
        env.pop(key)
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env) as server:
        try:
            wait_for_port(port, server)
            env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:%d/" % port
            identity = subprocess.run([os.path.join(BIN, "aws"), "sts", "get-caller-identity", "--endpoint-url", fleet.endpoint,
                                       "--output", "json"], capture_output=True, text=True, timeout=120, env=env, check=False)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert identity.returncode == 0, identity.stderr
    assert session_serial(identity) == fleet.certificate("h01").serial_number
    assert json.loads(identity.stdout)["Arn"].startswith("arn:aws:sts::")
