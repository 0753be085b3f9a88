# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` end to end: tools/demo.py, run against the installed release artifact.

One run (kept with --keep so the test can look inside, then removed here) checks the three ways of using the
credentials, that every way assumed the demo role with the enrolled certificate, that nothing secret reached the
output, that the enrolled key is 0600 in a 0700 directory, and that the demo leaves no process behind.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEMO = os.path.join(REPO, "tools", "demo.py")
ROLE_ARN = re.compile(r"arn:aws:sts::123456789012:assumed-role/rolesanywhere-demo/([0-9a-f]+)")
SANDBOX = re.compile(r"everything happens in (\S+)")


def run_demo(*args, timeout=600):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, DEMO] + list(args), capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=REPO, check=False)


def secret_fragments(sandbox):
    """Pieces of the secrets the demo handled: the host's private key and the own CA's key (PEM body lines)."""
    fragments = []
    for path in (os.path.join(sandbox, "host/etc/rolesanywhere/current/private-key.pem"), os.path.join(sandbox, "trust/ca-key.pem")):
        with open(path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), None)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        encoded = base64.b64encode(der).decode()
        fragments += [encoded[index:index + 24] for index in range(0, len(encoded) - 24, 24)]
    return fragments


def leftover_processes(sandbox):
    """Processes whose command line names the demo's directory (emulator, helper)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if sandbox in command:
            found.append(command)
    return found


@pytest.fixture(scope="module")
def installed_collection(tmp_path_factory):
    """The collection as users get it: the built artifact installed into an empty collections path.

    Running the demo from it proves the artifact works once installed (only the emulator comes from the
    checkout), and doing so here means `make test` runs the demo once, not twice."""
    sys.path.insert(0, os.path.join(REPO, "tools"))
    import check_artifact  # pylint: disable=import-outside-toplevel,import-error

    output = tmp_path_factory.mktemp("artifact")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    galaxy = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    built = subprocess.run([galaxy, "collection", "build", "--force", "--output-path", str(output), REPO],
                           capture_output=True, text=True, timeout=600, env=env, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    collections = str(tmp_path_factory.mktemp("collections"))
    installed = check_artifact.install(str(output / "rolesanywhere-fleet-0.1.0.tar.gz"), collections)
    assert not os.path.exists(os.path.join(installed, "tests")), "the artifact must hold no tests"
    return collections, installed


@pytest.fixture(scope="module")
def demo_run(installed_collection):
    collections, installed = installed_collection
    completed = run_demo("--keep", "--collections-path", collections)
    assert "collection: %s" % installed in completed.stdout, completed.stdout + completed.stderr
    found = SANDBOX.search(completed.stdout)
    sandbox = found.group(1) if found else None
    try:
        yield completed, sandbox
    finally:
        if sandbox and os.path.basename(sandbox).startswith("rolesanywhere-demo-"):
            shutil.rmtree(sandbox, ignore_errors=True)


def test_demo_passes_and_shows_each_way(demo_run):
    completed, sandbox = demo_run
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert sandbox and os.path.isdir(sandbox)
    lines = completed.stdout.splitlines()
    for number, step in enumerate(("trust:", "enroll:", "AWS CLI via credential_process", "play, lookup + amazon.aws", "boto3 via serve"), 1):
        assert any(line.startswith("%d/5 %s" % (number, step)) for line in lines), completed.stdout
    assert lines[-1].startswith("demo passed in ")
    assert len(lines) <= 15 and max(len(line) for line in lines) <= 160, "the demo's output should stay a few readable lines"


def test_every_way_used_the_enrolled_certificate(demo_run):
    completed, sandbox = demo_run
    sessions = ROLE_ARN.findall(completed.stdout)
    assert len(sessions) == 3, completed.stdout
    with open(os.path.join(sandbox, "host/etc/rolesanywhere/current/certificate.pem"), "rb") as handle:
        serial = x509.load_pem_x509_certificate(handle.read()).serial_number
    assert {int(session, 16) for session in sessions} == {serial}


def test_no_secret_in_the_output(demo_run):
    completed, sandbox = demo_run
    output = completed.stdout + completed.stderr
    assert "PRIVATE KEY" not in output and "SecretAccessKey" not in output and "secret_key" not in output
    leaked = [fragment for fragment in secret_fragments(sandbox) if fragment in output]
    assert not leaked


def test_key_files_are_private(demo_run):
    _completed, sandbox = demo_run
    key_dir = os.path.join(sandbox, "host/etc/rolesanywhere")
    assert os.stat(key_dir).st_mode & 0o777 == 0o700
    assert os.stat(os.path.join(key_dir, "current/private-key.pem")).st_mode & 0o777 == 0o600
    assert os.stat(sandbox).st_mode & 0o777 == 0o700


def test_no_process_left_behind(demo_run):
    _completed, sandbox = demo_run
    assert not leftover_processes(sandbox)


def test_bad_collections_path_is_refused_before_anything_starts(tmp_path):
    completed = run_demo("--collections-path", str(tmp_path), timeout=60)
    assert completed.returncode == 2
    assert "holds no rolesanywhere.fleet collection" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert "everything happens in" not in completed.stdout
