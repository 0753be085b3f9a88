# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of inventory hosts on this machine, each with its own root directory, driven by ansible-playbook.

Every host uses the local connection and ``enroll_root=<tmp>/hosts/<name>``, so each has its
own /etc/rolesanywhere, /usr/local/bin and /root/.aws. The AWS CLI is the real client that proves a host's
profile works: ``aws sts get-caller-identity`` with ``AWS_CONFIG_FILE`` pointing at the host's config.
"""

from __future__ import annotations

import concurrent.futures
import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import boto3
import yaml
from cryptography import x509

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
PLAYBOOKS = os.path.join(REPO, "playbooks")
TEST_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # moto accepts any key
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def collections_path(scratch):
    """A directory where this checkout is ansible_collections/rolesanywhere/fleet."""
    parts = REPO.split(os.sep)
    if parts[-3:-1] == ["ansible_collections", "rolesanywhere"] and parts[-1] == "fleet":
        return os.sep.join(parts[:-3])
    base = os.path.join(scratch, "collections")
    link = os.path.join(base, "ansible_collections", "rolesanywhere", "fleet")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return base


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str

    def recap(self) -> Dict[str, dict]:
        return {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                             "failed": int(m.group(5))} for m in RECAP.finditer(self.stdout)}

    def changed_tasks(self) -> List[str]:
        """Names of the tasks that reported a change on some host (for failure messages)."""
        names, task = [], None
        for line in self.stdout.splitlines():
            if line.startswith("TASK ["):
                task = line[6:].split("]", 1)[0]
            elif line.startswith("changed: ") and task and task not in names:
                names.append(task)
        return names

    def tail(self, lines=60) -> str:
        return "\n".join((self.stdout + "\n" + self.stderr).splitlines()[-lines:])


@dataclass
class Fleet:
    scratch: str
    endpoint: str
    region: str
    size: int = 20
    name: str = "fleet"
    host_vars: Dict[str, dict] = field(default_factory=dict)
    group_vars: Dict[str, object] = field(default_factory=dict)
    groups: Dict[str, dict] = field(default_factory=dict)  # name -> {"hosts": [...], "vars": {...}}
    ssh_hosts: object = None  # tests.support.ssh_hosts.SshHosts: real SSH hosts instead of the local connection

    def __post_init__(self):
        self.hosts = sorted(self.ssh_hosts.hosts) if self.ssh_hosts else ["h%02d" % index for index in range(1, self.size + 1)]
        self.trust_dir = os.path.join(self.scratch, "trust-%s" % self.name)
        self.cache_dir = os.path.join(self.scratch, "host-cache")
        self.controller_tmp = os.path.join(self.scratch, "controller-tmp")
        self.collections = collections_path(self.scratch)
        for path in (self.cache_dir, self.controller_tmp):
            os.makedirs(path, exist_ok=True)
        self.write_inventory()

    # --- inventory and runs ---------------------------------------------------------------------
    def root(self, host) -> str:
        return os.path.join(self.scratch, "hosts", host)

    def write_inventory(self):
        hosts = {}
        for host in self.hosts:
            if self.ssh_hosts:  # the host's own files are where the role writes them: no enroll_root
                hosts[host] = dict(self.ssh_hosts.hosts[host].inventory_vars(), enroll_common_name="%s.fleet.test" % host)
            else:
                hosts[host] = {"enroll_root": self.root(host), "enroll_common_name": "%s.fleet.test" % host}
            hosts[host].update(self.host_vars.get(host, {}))
        group = {"enroll_endpoint_url": self.endpoint}
        if not self.ssh_hosts:
            group.update({"ansible_connection": "local", "ansible_python_interpreter": sys.executable})
        group.update(self.group_vars)
        children = {name: {"hosts": {host: {} for host in spec["hosts"]}, "vars": spec["vars"]} for name, spec in self.groups.items()}
        self.inventory = os.path.join(self.scratch, "inventory.yml")
        with open(self.inventory, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"all": {"vars": group, "hosts": hosts, "children": children}}, handle)

    def env(self, **extra) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
        env.update(TEST_KEYS)
        env.update({
            "PATH": BIN + os.pathsep + env.get("PATH", ""),
            "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region,
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_PIPELINING": "true", "ANSIBLE_FORKS": "10", "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_RETRY_FILES_ENABLED": "false", "ANSIBLE_NOCOLOR": "true", "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_LOCAL_TEMP": self.controller_tmp, "ANSIBLE_HOME": os.path.join(self.scratch, "ansible-home"),
            "XDG_CACHE_HOME": self.cache_dir,
            "NO_PROXY": "*", "no_proxy": "*",
        })
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "XDG_RUNTIME_DIR"):
            env.pop(name, None)  # no proxy; the helper's cache in XDG_CACHE_HOME, whatever the machine's session has
        env.update(extra)
        return env

    def playbook(self, name, *args, extra_vars: Optional[dict] = None, vars_file=None, timeout=900, env=None) -> Run:
        command = [os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, os.path.join(PLAYBOOKS, name + ".yml")]
        if vars_file:
            command += ["-e", "@" + vars_file]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        command += list(args)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env or self.env(), check=False)
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def vars_file(self, name=None) -> str:
        return os.path.join(self.scratch, "trust-%s" % (name or self.name), "enroll-vars.yml")

    def trust(self, name=None, group=None, **extra_vars) -> Run:
        """Run the trust playbook; its enroll variables go into the inventory (all hosts, or one group)."""
        name = name or self.name
        values = {"rolesanywhere_trust_dir": os.path.dirname(self.vars_file(name)), "rolesanywhere_trust_name": name,
                  "enroll_endpoint_url": self.endpoint}
        values.update(extra_vars)
        run = self.playbook("trust", extra_vars=values)
        if run.rc == 0:
            with open(self.vars_file(name), encoding="utf-8") as handle:
                trust_vars = yaml.safe_load(handle)
            if group:
                self.groups[group]["vars"].update(trust_vars)
            else:
                self.group_vars.update(trust_vars)
            self.write_inventory()
        return run

    # --- what the hosts hold ----------------------------------------------------------------------
    def certificate(self, host) -> x509.Certificate:
        path = os.path.join(self.root(host), "etc/rolesanywhere/current/certificate.pem")
        with open(path, "rb") as handle:
            return x509.load_pem_x509_certificate(handle.read())

    def serials(self) -> Dict[str, int]:
        return {host: self.certificate(host).serial_number for host in self.hosts}

    def config_file(self, host) -> str:
        """Where the host's enroll_user's AWS config is, seen from here."""
        user = self.host_vars.get(host, {}).get("enroll_user", "root")
        return os.path.join(self.root(host), "root/.aws/config" if user == "root" else "home/%s/.aws/config" % user)

    def config_file_here(self, host) -> str:
        """The host's AWS config, usable by a client here: on SSH hosts, a copy whose credential_process (the host's
        helper, key and certificate, by the host's paths) runs in the host's mount namespace."""
        if not self.ssh_hosts:
            return self.config_file(host)
        parser = configparser.RawConfigParser()
        parser.read(self.config_file(host))
        command = self.ssh_hosts.hosts[host].inside(shlex.split(parser.get("profile rolesanywhere", "credential_process")))
        parser.set("profile rolesanywhere", "credential_process", " ".join(shlex.quote(part) for part in command))
        wrapped = os.path.join(self.scratch, "%s-aws-config" % host)
        with open(wrapped, "w", encoding="utf-8") as handle:
            parser.write(handle)
        return wrapped

    def forget_cached_credentials(self):
        """Empty the helpers' cache, so the next call makes a real CreateSession."""
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        os.makedirs(self.cache_dir)

    def caller_identity(self, host) -> Run:
        """`aws sts get-caller-identity` through the host's profile, with no AWS key in the environment."""
        env = self.env(AWS_CONFIG_FILE=self.config_file_here(host), AWS_PROFILE="rolesanywhere")
        for key in TEST_KEYS:
            env.pop(key)
        completed = subprocess.run([os.path.join(BIN, "aws"), "sts", "get-caller-identity", "--endpoint-url", self.endpoint,
                                    "--output", "json"], capture_output=True, text=True, timeout=120, env=env, check=False)
        return Run(completed.returncode, completed.stdout, completed.stderr)

    def helper_identity(self, host) -> Run:
        """Run the profile's credential_process, then sts:GetCallerIdentity (boto3) with what it printed.

        Cheaper than the AWS CLI (no CLI start-up) for checks repeated over the whole fleet.
        """
        parser = configparser.RawConfigParser()
        parser.read(self.config_file(host))
        command = shlex.split(parser.get("profile rolesanywhere", "credential_process"))
        if self.ssh_hosts:  # the profile's paths are the host's: run it in the host's mount namespace
            command = self.ssh_hosts.hosts[host].inside(command)
        env = self.env()
        for key in TEST_KEYS:
            env.pop(key)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)
        if completed.returncode != 0:
            return Run(completed.returncode, "", completed.stderr)
        answer = json.loads(completed.stdout)
        sts = boto3.client("sts", region_name=self.region, endpoint_url=self.endpoint, aws_access_key_id=answer["AccessKeyId"],
                           aws_secret_access_key=answer["SecretAccessKey"], aws_session_token=answer["SessionToken"])
        return Run(0, json.dumps({"Arn": sts.get_caller_identity()["Arn"]}), "")

    def identities(self, hosts: Optional[List[str]] = None, cli=False) -> Dict[str, Run]:
        hosts = hosts or self.hosts
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            return dict(zip(hosts, pool.map(self.caller_identity if cli else self.helper_identity, hosts)))

    def boto3(self, service):
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint, **{k.lower(): v for k, v in TEST_KEYS.items()})


def session_serial(identity: Run) -> int:
    """The certificate serial a CreateSession used: the session name is the serial in hex when none is asked."""
    arn = json.loads(identity.stdout)["Arn"]
    return int(arn.rsplit("/", 1)[-1], 16)
