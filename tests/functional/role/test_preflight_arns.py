# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's preflight (enroll_state's action plugin, on the controller) takes alias ARNs
(rolesanywhere.fleet.aws_identifier) and refuses malformed ones. The role runs in check mode on a host of its own
(enroll_root): changing nothing."""

from __future__ import annotations

import os
import subprocess
import sys

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: rolesanywhere.fleet.enroll
"""


def run_preflight(tmp_path, **variables):
    (tmp_path / "play.yml").write_text(PLAY)
    external = tmp_path / "sign.yml"
    external.write_text("---\n- ansible.builtin.set_fact:\n    certificate: ''\n")
    variables.setdefault("enroll_signer", "external")
    variables.setdefault("enroll_external_tasks", str(external))
    variables.setdefault("enroll_role_arn", "arn:aws:iam::123456789012:role/fleet-host")
    variables.setdefault("enroll_root", str(tmp_path / "host"))
    variables.setdefault("ansible_python_interpreter", sys.executable)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "--check", "play.yml"]
    for name, value in variables.items():
        command += ["-e", "%s=%s" % (name, value)]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    return subprocess.run(command, cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300, check=False, universal_newlines=True)


def test_alias_arns_pass_the_preflight(tmp_path):
    result = run_preflight(tmp_path,
                           enroll_trust_anchor_arn="arn:aws:rolesanywhere:eu-west-1:123456789012:alias/trust-anchor/fleet/prod-ca",
                           enroll_profile_arn="arn:aws:rolesanywhere:eu-west-1:123456789012:alias/profile/web")
    assert result.returncode == 0, result.stdout


def test_malformed_arns_are_named(tmp_path):
    result = run_preflight(tmp_path,
                           enroll_trust_anchor_arn="arn:aws:rolesanywhere:eu-west-1:123456789012:alias/trust-anchor/aws/reserved",
                           enroll_profile_arn="arn:aws:rolesanywhere:eu-west-1:123456789012:profile/0F3F1F5E-8A4E-4A57-9D43-2C2F0B9E8F41")
    assert result.returncode != 0
    assert "enroll_trust_anchor_arn must be a trust anchor ARN" in result.stdout
    assert "enroll_profile_arn must be a profile ARN" in result.stdout
    assert not (tmp_path / "host").exists()  # refused before the host was read
