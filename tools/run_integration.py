"""Run the ansible-test integration targets against fresh local emulators.

Starts `python -m tests.emulator` (Roles Anywhere plus moto behind one loopback endpoint), writes
tests/integration/integration_config.yml (ansible-test hands its content to every target as variables,
and passes few environment variables through, so this file is how targets learn the endpoint), runs
`ansible-test integration` in the collection layout, and always stops the emulator.

With no arguments (what `make test` runs), the targets run in LANES lanes side by side: each lane is its own
copy of the layout (ansible-test keeps its state under the content root's tests/output) with its own emulator
(targets count the emulator's calls and resources), and takes the next target from one queue when it is done,
so a target that mostly waits (control_plane_throttled sleeps at AWS's 1 request/s) overlaps one that computes.
Each target's output is printed whole when it ends. With arguments (target names, options), one ansible-test
runs them as before.
Usage: tools/run_integration.py LAYOUT_DIR [ansible-test integration arguments...]
"""
import json
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

STARTUP_TIMEOUT = 60
LANES = 2
# The slowest targets first, so that the lanes end together (the rest follow in name order).
FIRST = ("trust_anchor", "credential_helper", "control_plane_throttled", "crl")


def start_emulator(layout):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0"],
        cwd=layout, stdout=subprocess.PIPE, text=True,
    )
    ready, dummy, dummy = select.select([proc.stdout], [], [], STARTUP_TIMEOUT)
    line = proc.stdout.readline() if ready else ""
    if not line:
        proc.kill()
        proc.wait(timeout=10)
        sys.exit("run_integration: the emulator exited before printing its endpoint (exit %s)" % proc.returncode)
    return proc, json.loads(line)


def stop_emulator(proc):
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def write_config(layout, info):
    config = {
        "aws_endpoint_url": info["endpoint"],
        "emulator_url": info["endpoint"],
        "emulator_ca_bundle": info.get("ca_bundle"),
        "moto_endpoint_url": info.get("moto_endpoint"),
        "aws_region": info["region"],
        "aws_account_id": info["account"],
        "aws_access_key": "testing",
        "aws_secret_key": "testing",
    }
    path = os.path.join(layout, "tests", "integration", "integration_config.yml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)  # JSON is YAML
    return path


def ansible_test(args):
    return ["ansible-test", "integration", "--local", "--python", "%d.%d" % sys.version_info[:2]] + args


def copy_layout(layout, scratch):
    """LAYOUT mirrored under SCRATCH/ansible_collections/<namespace>/<name>, beside links to the same
    dependency collections (ansible-test wants that path shape and resolves dependencies in the same tree)."""
    name_dir, namespace_dir = os.path.dirname(layout), os.path.dirname(os.path.dirname(layout))
    copy = os.path.join(scratch, "ansible_collections", os.path.basename(name_dir), os.path.basename(layout))
    output = os.path.join(layout, "tests", "output")
    shutil.copytree(layout, copy, symlinks=True,
                    ignore=lambda directory, names: [n for n in names if n == "__pycache__" or os.path.join(directory, n) == output])
    for entry in os.listdir(namespace_dir):
        if entry != os.path.basename(name_dir):
            os.symlink(os.path.realpath(os.path.join(namespace_dir, entry)),
                       os.path.join(scratch, "ansible_collections", entry))
    return copy


def ordered_targets(targets_dir):
    names = sorted(n for n in os.listdir(targets_dir) if os.path.isdir(os.path.join(targets_dir, n)))
    return [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]


def make_ansible_test_ssh_key():
    """ansible-test makes its SSH key ~/.ansible/test/id_rsa on its first run (ssh-keygen, which asks before it
    overwrites): lanes starting together on a fresh machine race for it and all but one fail at once, so it is made
    here first, as ansible-test would make it."""
    path = os.path.join(os.path.expanduser("~"), ".ansible", "test", "id_rsa")
    if not (os.path.isfile(path) and os.path.isfile(path + ".pub")):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        for stale in (path, path + ".pub"):
            if os.path.lexists(stale):
                os.unlink(stale)
        subprocess.run(["ssh-keygen", "-m", "PEM", "-q", "-t", "rsa", "-N", "", "-f", path], check=True)


def run_lanes(layout, targets):
    """Every target once, LANES at a time; returns the names of the targets that failed."""
    make_ansible_test_ssh_key()
    todo = queue.Queue()
    for name in targets:
        todo.put(name)
    failed, print_lock = [], threading.Lock()

    def lane(root):
        while True:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            start = time.monotonic()
            result = subprocess.run(ansible_test([name]), cwd=root, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, check=False)
            with print_lock:
                print("-- integration target %s: %s in %ds" % (
                    name, "passed" if result.returncode == 0 else "FAILED (exit %d)" % result.returncode,
                    time.monotonic() - start))
                sys.stdout.write(result.stdout)
                sys.stdout.flush()
                if result.returncode != 0:
                    failed.append(name)

    scratch = tempfile.mkdtemp(prefix="integration-lanes-", dir=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.dirname(layout)))))
    emulators = []
    try:
        roots = [layout] + [copy_layout(layout, os.path.join(scratch, str(i))) for i in range(1, LANES)]
        for root in roots:
            proc, info = start_emulator(layout)
            emulators.append(proc)
            write_config(root, info)
        threads = [threading.Thread(target=lane, args=(root,)) for root in roots]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for proc in emulators:
            stop_emulator(proc)
        shutil.rmtree(scratch, ignore_errors=True)
    return failed


def main():
    layout, args = os.path.abspath(sys.argv[1]), sys.argv[2:]
    targets_dir = os.path.join(layout, "tests", "integration", "targets")
    if not os.path.isdir(targets_dir) or not os.listdir(targets_dir):
        print("run_integration: no integration targets yet; nothing to run")
        return 0
    if not args:
        failed = run_lanes(layout, ordered_targets(targets_dir))
        if failed:
            print("run_integration: these targets failed: %s (rerun one: make integration INTEGRATION_ARGS=%s)"
                  % (", ".join(failed), failed[0]))
            return 1
        return 0
    proc, info = start_emulator(layout)
    try:
        write_config(layout, info)
        return subprocess.call(ansible_test(args), cwd=layout)
    finally:
        stop_emulator(proc)


if __name__ == "__main__":
    sys.exit(main())
