# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real clients: the AWS CLI and boto3 through ``credential_process``, boto3 and the CLI through ``serve``.

Each calls ``sts get-caller-identity`` on moto (behind the emulator's endpoint) with credentials that
the helper got from the emulator's CreateSession.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

from tests.functional.helper.helpers import Serving, session_args

AWS_CLI = os.path.join(os.path.dirname(sys.executable), "aws")
BOTO3_CALLER = "import boto3, sys; print(boto3.session.Session(**%s).client('sts', endpoint_url=sys.argv[1]).get_caller_identity()['Arn'])"


def client_env(helper_env, config_path=None):
    """No static keys, no metadata block; a config file when given."""
    env = {key: value for key, value in helper_env.items() if key not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    if config_path:
        env["AWS_CONFIG_FILE"] = str(config_path)
    return env


def write_config(path, helper, trust, *extra):
    command = " ".join(shlex.quote(part) for part in [helper, "credential-process"] + session_args(trust) + list(extra))
    path.write_text("[profile fleet]\nregion = us-east-1\ncredential_process = %s\n" % command)
    return path


def run(command, env):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=180, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@pytest.mark.parametrize("cache", [False, True], ids=["uncached", "cached"])
def test_aws_cli_credential_process(helper, trust, emulator, helper_env, tmp_path, cache):
    config = write_config(tmp_path / "config", helper, trust, *(["--cache"] if cache else []))
    env = client_env(helper_env, config)
    emulator.reset_counters()
    for _attempt in range(2):
        output = run([AWS_CLI, "sts", "get-caller-identity", "--profile", "fleet", "--endpoint-url", emulator.endpoint,
                      "--output", "json"], env)
        assert "assumed-role/%s/" % trust.role_name in json.loads(output)["Arn"]
    assert emulator.counters().get("CreateSession") == (1 if cache else 2)


def test_boto3_credential_process(helper, trust, emulator, helper_env, tmp_path):
    config = write_config(tmp_path / "config", helper, trust, "--cache")
    code = BOTO3_CALLER % "{'profile_name': 'fleet'}"
    output = run([sys.executable, "-c", code, emulator.endpoint], client_env(helper_env, config))
    assert "assumed-role/%s/" % trust.role_name in output


def test_credential_process_failure_reaches_the_client(helper, trust, emulator, helper_env, tmp_path):
    config = write_config(tmp_path / "config", helper, trust, "--role-session-name", "x")  # invalid name
    result = subprocess.run([AWS_CLI, "sts", "get-caller-identity", "--profile", "fleet", "--endpoint-url", emulator.endpoint],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=client_env(helper_env, config), timeout=180,
                            check=False)
    assert result.returncode != 0
    assert b"role_session_name 'x' is not a valid session name" in result.stderr


@pytest.mark.parametrize("client", ["boto3", "aws-cli"])
def test_clients_through_serve(helper, trust, emulator, helper_env, tmp_path, client):
    with Serving(helper, session_args(trust), emulator.env(), tmp_path / "serve.log") as serving:
        env = client_env(helper_env)
        env.pop("AWS_EC2_METADATA_DISABLED", None)
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = serving.url + "/"
        if client == "boto3":
            output = run([sys.executable, "-c", BOTO3_CALLER % "{}", emulator.endpoint], env)
        else:
            output = json.loads(run([AWS_CLI, "sts", "get-caller-identity", "--endpoint-url", emulator.endpoint,
                                     "--output", "json"], env))["Arn"]
        assert "assumed-role/%s/" % trust.role_name in output
