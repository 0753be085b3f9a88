# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_user is an unprivileged user: key, material and AWS config are its own, the proof runs as it (become).

The play runs as root (this machine's user); a throwaway user is made with useradd and removed afterwards.
become_method is su (root needs no password; this machine may have no sudo). The host's Python is the system one
(/usr/bin/python3): the test venv's may live where other users cannot go (/root), and the user runs the helper.
"""

from __future__ import annotations

import configparser
import json
import os
import pwd
import re
import shlex
import shutil
import stat
import subprocess
import uuid

import boto3
import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.fleet import TEST_KEYS
from .conftest import new_fleet


def owner_and_mode(path):
    info = os.lstat(path)
    return pwd.getpwuid(info.st_uid).pw_name, stat.S_IMODE(info.st_mode)


SYSTEM_PYTHON = "/usr/bin/python3"


def python_for(user):
    """The system Python, when the user can run it with cryptography (the helper's one dependency)."""
    probe = subprocess.run(["runuser", "-u", user, "--", SYSTEM_PYTHON, "-c", "import cryptography"],
                           capture_output=True, text=True, timeout=60, check=False)
    if probe.returncode != 0:
        pytest.skip("%s cannot run %s with the cryptography library: %s" % (user, SYSTEM_PYTHON, probe.stderr.strip()[-200:]))
    return SYSTEM_PYTHON


@pytest.fixture
def throwaway_user():
    if os.geteuid() != 0:
        pytest.skip("making a throwaway user needs root; this run is uid %d" % os.geteuid())
    if not shutil.which("useradd") or not shutil.which("runuser"):
        pytest.skip("useradd or runuser is missing on this machine: cannot make a throwaway user")
    name = "rafleet%s" % uuid.uuid4().hex[:8]
    made = subprocess.run(["useradd", "--no-create-home", "--home-dir", "/home/" + name, "--shell", "/bin/sh", name],
                          capture_output=True, text=True, timeout=60, check=False)
    if made.returncode != 0:
        pytest.skip("useradd could not make a user here: %s" % made.stderr.strip())
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=60, check=False)


def test_enroll_user_owns_its_material_and_profile(emulator, trust_vars, shared_scratch, throwaway_user):
    user = throwaway_user
    fleet = new_fleet(shared_scratch, emulator, trust_vars, "become", enroll_user=user, ansible_become_method="su",
                      ansible_python_interpreter=python_for(user))
    run = fleet.playbook("enroll", "-vvv")  # -vvv shows the become command lines
    assert run.rc == 0, run.tail()
    # the proof (the one task that runs as the user) went through su to the user
    assert re.search(r"su +%s -c " % user, run.stdout), "the proof did not run as %s" % user

    root = fleet.root("h01")
    base = os.path.join(root, "etc/rolesanywhere")
    slot = os.path.join(base, os.readlink(os.path.join(base, "current")))
    home = os.path.join(root, "home", user)
    assert owner_and_mode(base) == (user, 0o700)
    assert owner_and_mode(slot) == (user, 0o700)
    assert owner_and_mode(os.path.join(slot, "private-key.pem")) == (user, 0o600)
    with open(os.path.join(slot, "private-key.pem"), "rb") as handle:
        key_pem = handle.read()
    # base64 lines 1-2 of an EC P-256 PKCS#8 key hold the private scalar; line 3 only public key bytes (in the CSR)
    secrets = key_pem.decode("ascii").splitlines()[1:3]
    secrets.append("%064x" % serialization.load_pem_private_key(key_pem, password=None).private_numbers().private_value)
    assert not [text for text in secrets if text in run.stdout + run.stderr], "the private key reached the -vvv output"
    assert owner_and_mode(os.path.join(slot, "certificate.pem")) == (user, 0o644)
    assert owner_and_mode(os.path.join(home, ".aws")) == (user, 0o700)
    assert owner_and_mode(os.path.join(home, ".aws/config")) == (user, 0o600)
    # the helper is a program: root's, so that the user cannot swap it under a unit or another user
    assert owner_and_mode(os.path.join(root, "usr/local/bin/rolesanywhere-credential-helper")) == ("root", 0o755)
    assert not os.path.exists(os.path.join(root, "root/.aws")), "root got a profile it was not asked for"

    # the user runs its profile's credential_process itself (its own key, its own helper cache); STS then
    # accepts what it printed. The AWS CLI cannot run as the user: it lives in the test venv, which may be
    # under /root.
    cache = os.path.join(shared_scratch, "user-cache")
    os.makedirs(cache, mode=0o700)
    os.chown(cache, pwd.getpwnam(user).pw_uid, -1)
    config = configparser.RawConfigParser()
    config.read(os.path.join(home, ".aws/config"))
    process = shlex.split(config.get("profile rolesanywhere", "credential_process"))
    assert process[:2] == [os.path.join(root, "usr/local/bin/rolesanywhere-credential-helper"), "credential-process"]
    env = fleet.env(HOME=home, XDG_CACHE_HOME=cache)
    for key in TEST_KEYS:
        env.pop(key)
    printed = subprocess.run(["runuser", "-u", user, "--"] + process, capture_output=True, text=True, timeout=120, env=env,
                             check=False)
    assert printed.returncode == 0, printed.stderr
    answer = json.loads(printed.stdout)
    sts = boto3.client("sts", region_name=fleet.region, endpoint_url=fleet.endpoint, aws_access_key_id=answer["AccessKeyId"],
                       aws_secret_access_key=answer["SecretAccessKey"], aws_session_token=answer["SessionToken"])
    arn = sts.get_caller_identity()["Arn"]
    assert int(arn.rsplit("/", 1)[-1], 16) == fleet.certificate("h01").serial_number
    assert os.listdir(cache), "the user's helper cached nothing"

    # another user cannot use this profile: the key is the user's alone
    denied = subprocess.run(["runuser", "-u", "nobody", "--"] + process, capture_output=True, text=True, timeout=120, env=env,
                            check=False)
    assert denied.returncode != 0
    assert "ermission denied" in denied.stderr, denied.stderr
