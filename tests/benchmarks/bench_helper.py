# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential helper benchmark: cache-hit cost vs a bare interpreter, cold CreateSession over HTTPS, serve rate.

Run by ``make bench`` (cwd = collection root, PYTHONPATH = the layout). Prints one table.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import build_helper  # noqa: E402
from tests.emulator.client import EmulatorProcess  # noqa: E402
from tests.functional.helper.helpers import Serving, session_args  # noqa: E402
from tests.support.scenario import make_trust  # noqa: E402

HIT_RUNS = 40
COLD_RUNS = 8
SERVE_SECONDS = 3.0
SERVE_CLIENTS = 4
GOAL_RATIO = 1.3


def wall(command, env, runs):
    """Median and best wall time in ms of ``runs`` executions of command."""
    samples = []
    for _run in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples)


def interleaved(commands, env, runs):
    """Alternate the commands so that machine load hits them alike.

    Returns {name: (median wall ms, best wall ms, median CPU ms)}; CPU time (user + system, from wait4)
    is what the helper itself costs, whatever else the machine is doing.
    """
    samples = {name: ([], []) for name in commands}
    for _run in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            _pid, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode:
                raise RuntimeError("%s failed with %d" % (command, process.returncode))
            samples[name][0].append((time.perf_counter() - started) * 1000)
            samples[name][1].append((usage.ru_utime + usage.ru_stime) * 1000)
    return {name: (statistics.median(walls), min(walls), statistics.median(cpus)) for name, (walls, cpus) in samples.items()}


def helper_env(emulator, scratch):
    env = emulator.env()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env["XDG_CACHE_HOME"] = os.path.join(scratch, "cache")
    return env


def serve_rate(serving, role_name):
    """Credential requests per second with SERVE_CLIENTS keep-alive clients, each with its own token."""
    host, port = serving.url[len("http://"):].rsplit(":", 1)
    counts = []
    deadline = time.monotonic() + SERVE_SECONDS

    def client():
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.request("PUT", "/latest/api/token")
        token = connection.getresponse().read().decode()
        done = 0
        while time.monotonic() < deadline:
            connection.request("GET", "/latest/meta-data/iam/security-credentials/" + role_name,
                               headers={"X-aws-ec2-metadata-token": token})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            done += 1
        connection.close()
        counts.append(done)

    threads = [threading.Thread(target=client) for _client in range(SERVE_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / SERVE_SECONDS


def main():
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        helper = os.path.join(scratch, "rolesanywhere-credential-helper")
        with open(helper, "wb") as handle:
            handle.write(build_helper(sys.executable))
        os.chmod(helper, 0o755)
        emulator = EmulatorProcess.start(log_path=os.path.join(scratch, "emulator.log"))
        tls = EmulatorProcess.start(tls_dir=os.path.join(scratch, "tls"), log_path=os.path.join(scratch, "tls.log"))
        try:
            env = helper_env(emulator, scratch)
            trust = make_trust(emulator, os.path.join(scratch, "trust"))
            cached = [sys.executable, helper, "credential-process", "--cache"] + session_args(trust)
            subprocess.run(cached, stdout=subprocess.DEVNULL, env=env, check=True)  # fill the cache
            times = interleaved({"bare": [sys.executable, "-c", "pass"], "hit": cached}, env, HIT_RUNS)
            ratio = times["hit"][0] / times["bare"][0]
            rows.append(("python3 -c pass (baseline)", "%.1f ms" % times["bare"][0], "best %.1f ms" % times["bare"][1]))
            rows.append(("credential-process --cache, hit", "%.1f ms" % times["hit"][0], "best %.1f ms" % times["hit"][1]))
            rows.append(("  hit / baseline, wall (goal <= %.1f)" % GOAL_RATIO, "%.2f" % ratio,
                         "best %.2f" % (times["hit"][1] / times["bare"][1])))
            rows.append(("  hit / baseline, CPU time", "%.2f" % (times["hit"][2] / times["bare"][2]),
                         "%.1f / %.1f ms" % (times["hit"][2], times["bare"][2])))

            tls_env = helper_env(tls, scratch)
            tls_trust = make_trust(tls, os.path.join(scratch, "tls-trust"))
            cold = [sys.executable, helper, "credential-process"] + session_args(tls_trust)
            median, best = wall(cold, tls_env, COLD_RUNS)
            rows.append(("credential-process, cold, HTTPS", "%.0f ms" % median, "best %.0f ms" % best))

            with Serving(helper, session_args(trust), emulator.env(), os.path.join(scratch, "serve.log")) as serving:
                rate = serve_rate(serving, trust.role_name)
            rows.append(("serve, credential GETs (%d keep-alive clients)" % SERVE_CLIENTS, "%.0f req/s" % rate, ""))
        finally:
            emulator.stop()
            tls.stop()
    width = max(len(row[0]) for row in rows)
    print("%-*s  %12s  %s" % (width, "credential helper", "median", ""))
    for name, value, extra in rows:
        print("%-*s  %12s  %s" % (width, name, value, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
