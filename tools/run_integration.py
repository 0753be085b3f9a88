"""Run the ansible-test integration targets against a fresh local emulator.

Starts `python -m tests.emulator` (Roles Anywhere plus moto behind one loopback endpoint), writes
tests/integration/integration_config.yml (ansible-test hands its content to every target as variables,
and passes few environment variables through, so this file is how targets learn the endpoint), runs
`ansible-test integration` in the collection layout, and always stops the emulator.
Usage: tools/run_integration.py LAYOUT_DIR [ansible-test integration arguments...]
"""
import json
import os
import select
import subprocess
import sys

STARTUP_TIMEOUT = 60


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


def main():
    layout, args = sys.argv[1], sys.argv[2:]
    targets_dir = os.path.join(layout, "tests", "integration", "targets")
    if not os.path.isdir(targets_dir) or not os.listdir(targets_dir):
        print("run_integration: no integration targets yet; nothing to run")
        return 0
    proc, info = start_emulator(layout)
    try:
        write_config(layout, info)
        command = ["ansible-test", "integration", "--local", "--python", "%d.%d" % sys.version_info[:2]] + args
        return subprocess.call(command, cwd=layout)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
