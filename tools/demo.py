# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline demo behind ``make demo``.

Starts the local Roles Anywhere emulator (HTTPS, with moto inside for IAM and STS), runs the collection's
``trust`` and ``enroll`` playbooks against localhost with a local CA, then uses the result three ways:
the AWS CLI through the installed credential helper, a play with the ``credentials`` lookup and an
amazon.aws module, and boto3 through the helper's ``serve`` (IMDSv2) endpoint. Everything happens in one
temporary directory (localhost is enrolled under a root prefix there), which is removed at the end.

    python tools/demo.py [--collections-path DIR] [--keep] [--verbose]

Run it from the collection layout (``make demo``) or from the checkout. ``--collections-path`` runs the
playbooks of a collection installed there (for example from the built artifact) while the emulator still
comes from this checkout.
"""

from __future__ import annotations

import argparse
import ctypes
import getpass
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
STEPS = 5
TRUST_NAME = "demo"
HOST_NAME = "demo-host.example.com"
AWS_PROFILE = "rolesanywhere"
HELPER = "usr/local/bin/rolesanywhere-credential-helper"
MATERIAL = "etc/rolesanywhere/current"
TEST_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # moto takes any key: not a secret
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
EMULATOR_LIFETIME = 900  # seconds: the emulator stops by itself even if this script is killed
START_TIMEOUT = 90
ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:sts::\d{12}:assumed-role/[A-Za-z0-9+=,.@_/-]+")
BOTO3_THROUGH_IMDS = """
import boto3
session = boto3.session.Session()
credentials = session.get_credentials()
if credentials is None:
    raise SystemExit("boto3 found no credentials")
print(credentials.method, session.client("sts").get_caller_identity()["Arn"])
"""


class Terminated(Exception):
    """SIGTERM arrived: stop and clean up as for Ctrl-C."""


def _terminate(*_):
    raise Terminated()


class DemoError(Exception):
    """A step failed: ``detail`` holds the end of what the failing program printed."""

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.detail = detail


# --- small helpers ---------------------------------------------------------------------------------

def say(text=""):
    print(text, flush=True)


def tail(text, lines=40):
    return "\n".join(text.strip().splitlines()[-lines:])


def program(name):
    """A program of the Python environment running this script, else from PATH."""
    beside = os.path.join(BIN, name)
    if os.access(beside, os.X_OK):
        return beside
    found = shutil.which(name)
    if not found:
        raise DemoError("%s is not installed" % name, "Install the development requirements: make venv")
    return found


def _load_libc():
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None  # not Linux: the children still stop at the end of the demo or by their own timeouts


LIBC = _load_libc()  # loaded here, not in the forked child, where only async-signal-safe work belongs


def _die_with_parent():
    """Runs in each child before exec: on Linux the kernel stops the child when this script dies."""
    if LIBC is not None:
        LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def read_first_line(stream, timeout):
    """The first line of a child's stream, or None after ``timeout`` seconds."""
    result = {}
    reader = threading.Thread(target=lambda: result.setdefault("line", stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result.get("line")


def default_collections_path(sandbox):
    """The directory that holds ansible_collections/rolesanywhere/fleet for this checkout."""
    parts = CHECKOUT.split(os.sep)
    if parts[-3:] == ["ansible_collections", "rolesanywhere", "fleet"]:
        return os.sep.join(parts[:-3])
    link = os.path.join(sandbox, "collections", "ansible_collections", "rolesanywhere", "fleet")
    os.makedirs(os.path.dirname(link))
    os.symlink(CHECKOUT, link)
    return os.path.join(sandbox, "collections")


# --- the sandbox -----------------------------------------------------------------------------------

class Sandbox:
    """One temporary directory for everything the demo writes, and the environment of its programs."""

    def __init__(self, collections_path=None, verbose=False):
        self.verbose = verbose
        self.root = tempfile.mkdtemp(prefix="rolesanywhere-demo-")
        os.chmod(self.root, 0o700)
        for name in ("home", "tmp", "cache", "ansible", "trust", "host"):
            os.mkdir(self.path(name), 0o700)
        self.collections = os.path.abspath(collections_path) if collections_path else default_collections_path(self.root)
        self.children = []
        self.emulator = {}
        self.inventory = None

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    @property
    def host_root(self):
        return self.path("host")

    @property
    def user_config(self):
        """The AWS config file the role wrote for the current user, under the host's root prefix."""
        return self.host_root + pwd.getpwuid(os.getuid()).pw_dir + "/.aws/config"

    def env(self, keys=False, **extra):
        """A clean environment: nothing of the caller's AWS or Ansible configuration, every file in the sandbox."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("AWS_", "ANSIBLE_")) and name not in PROXY_VARIABLES + ("PYTHONPATH",)}
        env.update({
            "PATH": BIN + os.pathsep + env.get("PATH", ""),
            "HOME": self.path("home"), "TMPDIR": self.path("tmp"), "XDG_CACHE_HOME": self.path("cache"),
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "AWS_CONFIG_FILE": self.path("home", "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": self.path("home", "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "ANSIBLE_COLLECTIONS_PATH": self.collections, "ANSIBLE_HOME": self.path("ansible"),
            "ANSIBLE_LOCAL_TEMP": self.path("ansible", "tmp"), "ANSIBLE_REMOTE_TEMP": self.path("ansible", "remote-tmp"),
            "ANSIBLE_NOCOLOR": "true", "ANSIBLE_RETRY_FILES_ENABLED": "false", "ANSIBLE_PIPELINING": "true",
            "ANSIBLE_DEPRECATION_WARNINGS": "false", "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        })
        if self.verbose:
            env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"  # where the time goes
        if self.emulator:
            env.update({"AWS_REGION": self.emulator["region"], "AWS_DEFAULT_REGION": self.emulator["region"]})
        if keys:
            env.update(TEST_KEYS)
        env.update(extra)
        return env

    def start(self, command, **kwargs):
        """A child process that stops with this script (and at the end of the demo)."""
        kwargs.setdefault("preexec_fn", _die_with_parent)
        child = subprocess.Popen(command, **kwargs)  # pylint: disable=consider-using-with  # stopped in close()
        self.children.append(child)
        return child

    def close(self, keep=False):
        for child in reversed(self.children):
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(5)
            for stream in (child.stdout, child.stderr):
                if stream:
                    stream.close()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


# --- the steps -------------------------------------------------------------------------------------

def start_emulator(sandbox):
    """The emulator over HTTPS (its CA in the sandbox), with moto in the same process."""
    command = [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0",
               "--tls-dir", sandbox.path("tls"), "--max-lifetime", str(EMULATOR_LIFETIME), "--watch-pid", str(os.getpid())]
    env = sandbox.env(PYTHONPATH=CHECKOUT)
    with open(sandbox.path("emulator.log"), "wb") as log:
        child = sandbox.start(command, cwd=CHECKOUT, env=env, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    line = read_first_line(child.stdout, START_TIMEOUT)
    if not line:
        with open(sandbox.path("emulator.log"), encoding="utf-8", errors="replace") as log:
            raise DemoError("the emulator did not start", tail(log.read()))
    sandbox.emulator = json.loads(line)
    return sandbox.emulator


def run(sandbox, command, env, timeout, verbose):
    """Run a program to the end; DemoError with the end of its output when it fails."""
    try:
        completed = subprocess.run(command, cwd=sandbox.root, env=env, capture_output=True, text=True, timeout=timeout,
                                   stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, check=False)
    except subprocess.TimeoutExpired as error:
        raise DemoError("%s did not finish within %d s" % (os.path.basename(command[0]), timeout),
                        tail(str(error.stdout or ""))) from None
    if verbose:
        say(completed.stdout.rstrip())
        if completed.stderr.strip():
            say(completed.stderr.rstrip())
    if completed.returncode != 0:
        raise DemoError("%s exited with %d" % (" ".join(os.path.basename(part) for part in command[:2]), completed.returncode),
                        tail(completed.stdout + "\n" + completed.stderr))
    return completed.stdout


def playbook(sandbox, name, extra_vars, args, env=None):
    command = [program("ansible-playbook"), "rolesanywhere.fleet." + name, "-i", sandbox.inventory]
    for values in extra_vars:
        command += ["-e", values if isinstance(values, str) else json.dumps(values)]
    return run(sandbox, command, env or sandbox.env(), args.timeout, args.verbose)


def emulator_vars(sandbox):
    return {"enroll_endpoint_url": sandbox.emulator["endpoint"],
            "enroll_ca_bundle": sandbox.emulator["ca_bundle"]}


def step_trust(sandbox, args):
    extra = dict(emulator_vars(sandbox), rolesanywhere_trust_name=TRUST_NAME, rolesanywhere_trust_dir=sandbox.path("trust"))
    playbook(sandbox, "trust", [extra], args, env=sandbox.env(keys=True))
    vars_file = sandbox.path("trust", "enroll-vars.yml")
    if not os.path.isfile(vars_file):
        raise DemoError("the trust playbook wrote no %s" % vars_file)
    return vars_file


def write_inventory(sandbox):
    """localhost, reached without SSH, enrolled under the sandbox's root prefix by the current user."""
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "enroll_root": sandbox.host_root, "enroll_common_name": HOST_NAME,
            "enroll_user": getpass.getuser(), "enroll_aws_profile": AWS_PROFILE}
    host.update(emulator_vars(sandbox))
    path = sandbox.path("inventory.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"all": {"hosts": {"localhost": host}}}, handle)  # JSON is YAML: the yaml inventory plugin reads it
    return path


def step_enroll(sandbox, vars_file, args):
    playbook(sandbox, "enroll", ["@" + vars_file], args)
    for relative in (HELPER, MATERIAL + "/certificate.pem", MATERIAL + "/private-key.pem"):
        if not os.path.exists(os.path.join(sandbox.host_root, relative)):
            raise DemoError("the enroll playbook left no %s under %s" % (relative, sandbox.host_root))
    if not os.path.isfile(sandbox.user_config):
        raise DemoError("the enroll playbook wrote no AWS config file at %s" % sandbox.user_config)


def caller_arn(text, how):
    found = ARN_PATTERN.search(text)
    if not found:
        raise DemoError("%s printed no assumed-role ARN" % how, tail(text))
    return found.group(0)


def step_aws_cli(sandbox, args):
    """The AWS CLI runs the helper through credential_process: no AWS key anywhere in its environment."""
    env = sandbox.env(AWS_CONFIG_FILE=sandbox.user_config, AWS_PROFILE=AWS_PROFILE,
                      AWS_ENDPOINT_URL=sandbox.emulator["endpoint"], AWS_CA_BUNDLE=sandbox.emulator["ca_bundle"])
    output = run(sandbox, [program("aws"), "sts", "get-caller-identity", "--output", "json"], env, args.timeout, args.verbose)
    return caller_arn(output, "aws sts get-caller-identity")


def step_lookup(sandbox, vars_file, args):
    extra = dict(emulator_vars(sandbox), rolesanywhere_demo_root=sandbox.host_root)
    output = playbook(sandbox, "demo", ["@" + vars_file, extra], args)
    found = re.search(r"lookup caller: (\S+?)\"", output)
    return caller_arn(found.group(1) if found else output, "the demo play")


def helper_command(sandbox, vars_file):
    """``serve`` with the same material and ARNs as the AWS config profile the role wrote."""
    with open(vars_file, encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    material = os.path.join(sandbox.host_root, MATERIAL)
    return [os.path.join(sandbox.host_root, HELPER), "serve", "--port", "0",
            "--certificate", os.path.join(material, "certificate.pem"), "--private-key", os.path.join(material, "private-key.pem"),
            "--trust-anchor-arn", values["enroll_trust_anchor_arn"],
            "--profile-arn", values["enroll_profile_arn"], "--role-arn", values["enroll_role_arn"],
            "--endpoint", sandbox.emulator["endpoint"]]


def wait_for_port(child, timeout):
    """The port ``serve`` announces on stderr ("Local server started on port: N")."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = read_first_line(child.stderr, max(0.1, deadline - time.monotonic()))
        if not line:
            break
        seen.append(line)
        found = re.search(r"started on port: (\d+)", line)
        if found:
            return int(found.group(1))
    raise DemoError("the helper's serve did not start", tail("".join(seen)))


def step_serve(sandbox, vars_file, args):
    """boto3 with no configuration finds the credentials at the IMDSv2 endpoint that ``serve`` runs."""
    env = sandbox.env(AWS_CA_BUNDLE=sandbox.emulator["ca_bundle"])
    child = sandbox.start(helper_command(sandbox, vars_file), cwd=sandbox.root, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = wait_for_port(child, START_TIMEOUT)
    client_env = sandbox.env(AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d/" % port,
                             AWS_ENDPOINT_URL=sandbox.emulator["endpoint"], AWS_CA_BUNDLE=sandbox.emulator["ca_bundle"])
    del client_env["AWS_EC2_METADATA_DISABLED"]
    output = run(sandbox, [sys.executable, "-c", BOTO3_THROUGH_IMDS], client_env, args.timeout, args.verbose)
    method = output.split()[0] if output.split() else ""
    if method != "iam-role":
        raise DemoError("boto3 took its credentials from %r, not from the helper's IMDS endpoint" % method, output)
    child.terminate()
    return port, caller_arn(output, "boto3")


# --- main ------------------------------------------------------------------------------------------

def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(prog="tools/demo.py", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--collections-path", metavar="DIR",
                        help="run the playbooks of the rolesanywhere.fleet collection installed in DIR "
                             "(DIR/ansible_collections/rolesanywhere/fleet); default: this checkout")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (its path is printed)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the output of every program, with the time of each task")
    parser.add_argument("--timeout", type=int, default=300, help="seconds each program may take (default 300)")
    args = parser.parse_args(argv)
    if args.collections_path:
        installed = os.path.join(args.collections_path, "ansible_collections", "rolesanywhere", "fleet", "playbooks")
        if not os.path.isdir(installed):
            parser.error("--collections-path %s holds no rolesanywhere.fleet collection (no %s); install it there with "
                         "ansible-galaxy collection install <artifact> -p %s" % (args.collections_path, installed, args.collections_path))
    if args.timeout < 10:
        parser.error("--timeout must be at least 10 seconds")
    return args


def demo(sandbox, args):
    clock = Stopwatch()
    emulator = start_emulator(sandbox)
    say("    emulator: Roles Anywhere + moto (IAM, STS) on %s, TLS from its own CA %s" % (emulator["endpoint"], clock.lap()))
    say("    collection: %s" % os.path.join(sandbox.collections, "ansible_collections", "rolesanywhere", "fleet"))
    sandbox.inventory = write_inventory(sandbox)

    vars_file = step_trust(sandbox, args)
    say("1/%d trust: CA, trust anchor, IAM role and profile created %s" % (STEPS, clock.lap()))

    step_enroll(sandbox, vars_file, args)
    say("2/%d enroll: localhost has its own key, a certificate, the helper and AWS profile %r %s" % (STEPS, AWS_PROFILE, clock.lap()))

    arn = step_aws_cli(sandbox, args)
    say("3/%d AWS CLI via credential_process:  %s" % (STEPS, arn))

    arn = step_lookup(sandbox, vars_file, args)
    say("4/%d play, lookup + amazon.aws.aws_caller_info:  %s" % (STEPS, arn))

    port, arn = step_serve(sandbox, vars_file, args)
    say("5/%d boto3 via serve (IMDSv2 on 127.0.0.1:%d):  %s" % (STEPS, port, arn))


class Stopwatch:
    """Seconds since the previous lap, shown as "(12 s)"."""

    def __init__(self):
        self.last = time.monotonic()

    def lap(self):
        now = time.monotonic()
        elapsed, self.last = now - self.last, now
        return "(%d s)" % round(elapsed)


def main(argv=None):
    args = parse_arguments(argv)
    signal.signal(signal.SIGTERM, _terminate)  # run the clean-up below on a plain kill too
    started = time.monotonic()
    sandbox = Sandbox(args.collections_path, args.verbose)
    say("rolesanywhere.fleet offline demo: everything happens in %s" % sandbox.root)
    status = 0
    try:
        demo(sandbox, args)
    except DemoError as error:
        status = 1
        say("demo FAILED: %s" % error)
        if error.detail:
            say("---- end of its output ----\n%s\n----" % error.detail)
    except (KeyboardInterrupt, Terminated) as stop:
        status = 143 if isinstance(stop, Terminated) else 130
        say("demo interrupted")
    finally:
        sandbox.close(keep=args.keep)
    say("    cleanup: emulator and helper stopped, %s %s" % (sandbox.root, "kept" if args.keep else "removed"))
    if status == 0:
        say("demo passed in %d s" % (time.monotonic() - started))
    return status


if __name__ == "__main__":
    sys.exit(main())
