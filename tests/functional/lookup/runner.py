# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run real ``ansible-playbook`` against the emulator: inventories of local hosts, a clean environment.

The environment has no AWS keys, no AWS endpoint and no AWS configuration: a play can reach AWS (the
emulator, which forwards STS/IAM to moto) only with what the lookup returns and the endpoint the play
passes, so a passing play proves the lookup's credentials were used. Also used by
tests/benchmarks/bench_lookup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils import lookup_cache

# .../<collections root>/ansible_collections/rolesanywhere/fleet/plugins/plugin_utils/lookup_cache.py
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(lookup_cache.__file__), *[os.pardir] * 5))
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
DROPPED_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
                     "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROLESANYWHERE", "AWS_CA_BUNDLE")


@dataclass
class PlayRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self):
        return self.stdout + self.stderr

    def check(self):
        assert self.returncode == 0, "ansible-playbook failed (%d):\n%s" % (self.returncode, self.output[-6000:])
        return self


def write_inventory(path, count, prefix="h"):
    """count local hosts in group fleet, run by this Python (the venv's, with boto3)."""
    width = len(str(count))
    hosts = {"%s%0*d" % (prefix, width, n): None for n in range(1, count + 1)}
    inventory = {"fleet": {"hosts": hosts, "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle)  # JSON is YAML
    return str(path)


def private_runtime_directory(directory):
    """<directory>/runtime, 0700: the XDG_RUNTIME_DIR of a play, so its credential cache starts empty."""
    path = os.path.join(str(directory), "runtime")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def cache_directory(environment):
    """Where the lookup of a play run with environment keeps its credential cache."""
    return os.path.join(environment["XDG_RUNTIME_DIR"], "rolesanywhere-fleet")


def ansible_environment(emulator, directory, extra=None):
    """Environment for ansible-playbook: the emulator's, minus every AWS credential and endpoint, with a
    credential cache of its own (the lookup's cache outlives a run: the user's would carry entries over)."""
    environment = emulator.env()
    for name in DROPPED_VARIABLES:
        environment.pop(name, None)
    environment["XDG_RUNTIME_DIR"] = private_runtime_directory(directory)
    environment["XDG_CACHE_HOME"] = os.path.join(str(directory), "cache-home")
    config = os.path.join(str(directory), "ansible.cfg")
    if not os.path.exists(config):
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("[defaults]\n")
    environment.update({
        "ANSIBLE_CONFIG": config,
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_ROOT,
        "ANSIBLE_HOME": os.path.join(str(directory), "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": os.path.join(str(directory), "ansible-local"),
        "ANSIBLE_REMOTE_TMP": os.path.join(str(directory), "ansible-remote"),
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    environment.update(extra or {})
    return environment


def run_playbook(playbook, inventory, environment, extra_vars=None, forks=10, verbosity=0, timeout=600, directory=None):
    """ansible-playbook playbook -i inventory; extra_vars (a dict) go through a JSON file."""
    command = [ANSIBLE_PLAYBOOK, "-i", inventory, "-f", str(forks), playbook]
    if extra_vars:
        path = os.path.join(str(directory or os.path.dirname(playbook)), "extra-vars.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(extra_vars, handle)
        command += ["-e", "@" + path]
    if verbosity:
        command.append("-" + "v" * verbosity)
    started = time.monotonic()
    done = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return PlayRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def trust_vars(trust, emulator, **extra):
    """The play variables that name a scenario trust and the emulator."""
    variables = {
        "ra_certificate": trust.certificate, "ra_private_key": trust.private_key,
        "ra_trust_anchor_arn": trust.trust_anchor_arn, "ra_profile_arn": trust.profile_arn, "ra_role_arn": trust.role_arn,
        "aws_endpoint": emulator.endpoint, "aws_region": emulator.region,
    }
    variables.update(extra)
    return variables
