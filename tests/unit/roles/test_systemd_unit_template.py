# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's systemd unit quotes ExecStart the way systemd reads it (not the way a shell does).

enroll_state renders the unit (plugins/module_utils/_enroll/command.py) and the role writes what it returns.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.command import systemd_unit


def render(argv):
    return systemd_unit(argv, command="serve", aws_profile="rolesanywhere", user="root", header="# test")


def exec_start(unit):
    return [line for line in unit.splitlines() if line.startswith("ExecStart=")][0][len("ExecStart="):]


def test_every_argument_is_double_quoted_with_specifiers_and_variables_escaped():
    argv = ["/usr/local/bin/helper", "serve", "--certificate", "/srv/100%h/cert.pem", "--role-session-name", 'a$HOME b"c\\d']
    assert exec_start(render(argv)) == (
        '"/usr/local/bin/helper" "serve" "--certificate" "/srv/100%%h/cert.pem" "--role-session-name" "a$$HOME b\\"c\\\\d"')


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit_and_would_refuse_an_unescaped_specifier(tmp_path):
    # %Z is no systemd specifier: left unescaped, systemd refuses the whole unit ("Invalid slot").
    argv = ["/bin/echo", "serve", "--certificate", "/srv/a%Zb/cert.pem", "--x", 'a$b c"d']
    unit = tmp_path / "rolesanywhere-test.service"
    unit.write_text(render(argv), encoding="utf-8")
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    unit.write_text(render(argv).replace("%%Z", "%Z"), encoding="utf-8")
    refused = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0 and "specifier" in refused.stdout + refused.stderr
