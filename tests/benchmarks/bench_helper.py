# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential helper benchmark: cache-hit cost vs a bare interpreter, cold CreateSession over HTTPS, serve rate.

Run by ``make bench`` (cwd = collection root, PYTHONPATH = the layout). Prints one table with the goals of
issue 12: a cache hit at most 1.1 x ``python3 -c pass``, a cold credential-process at most 120 ms. The
helper is executed as AWS SDKs execute credential_process commands (through its shebang, which starts the
interpreter with -S). For the choice between the bootstrap and a plain zipapp, the same hit runs as
``python3 helper`` (site-packages loaded, as with ``#!/usr/bin/env python3``) and as a zipapp.
The cold call is measured beside cold_floor.py, the same public libraries doing the same steps without the
helper's code: the difference is the helper's own share, the floor what no change to the helper can remove.
Wall times depend on the machine's load; CPU times (user + system of the child) much less.
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

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import (  # noqa: E402
    build_zipapp,
    helper_sources,
)
from tests.emulator.client import EmulatorProcess  # noqa: E402
from tests.support.commands import build_helper  # noqa: E402
from tests.functional.helper.helpers import Serving, session_args  # noqa: E402
from tests.support.scenario import make_trust  # noqa: E402

HIT_RUNS = 40
COLD_RUNS = 10
SERVE_SECONDS = 3.0
SERVE_CLIENTS = 4
GOAL_HIT_RATIO = 1.1
GOAL_COLD_MS = 120.0
COLD_FLOOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cold_floor.py")


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


def hardware_hit_ratios(prefix, make_store, runs=30):
    """``credential-process --cache`` hits with keys in hardware against ``python3 -c pass`` (bench_pkcs11, bench_tpm).

    ``make_store(emulator, directory)`` sets the key store up and returns (environment additions, {name: helper
    arguments}, stop); a key file's hit ("key file") is measured beside them. Prints one line per name.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        helper = os.path.join(directory, "helper")
        with open(helper, "wb") as handle:
            handle.write(build_helper(sys.executable))
        os.chmod(helper, 0o755)
        emulator = EmulatorProcess.start(log_path=os.path.join(directory, "emulator.log"))
        stop = None
        try:
            extra_env, arguments, stop = make_store(emulator, directory)
            env = dict(helper_env(emulator, directory), **extra_env)  # as the hits above: no endpoint variable
            commands = {"bare": [sys.executable, "-c", "pass"]}
            commands.update((name, [helper, "credential-process", "--cache"] + args) for name, args in arguments.items())
            for name in arguments:
                subprocess.run(commands[name], stdout=subprocess.DEVNULL, env=env, check=True)  # fill the cache
            times = interleaved(commands, env, runs)
        finally:
            if stop is not None:
                stop()
            emulator.stop()
    bare = times["bare"][0]
    print("\ncredential-process --cache hit   median ms   / python3 -c pass")
    for name in arguments:
        print("  %-28s %9.1f   %.2f" % (name, times[name][0], times[name][0] / bare))


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


def verdict(value, goal):
    return "goal <= %s: %s" % (goal, "met" if value <= goal else "NOT met")


def main():  # pylint: disable=too-many-locals
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        helper = os.path.join(scratch, "rolesanywhere-credential-helper")
        with open(helper, "wb") as handle:
            handle.write(build_helper(sys.executable))
        os.chmod(helper, 0o755)
        zipapp = os.path.join(scratch, "helper.pyz")
        with open(zipapp, "wb") as handle:
            handle.write(build_zipapp(helper_sources()))
        emulator = EmulatorProcess.start(log_path=os.path.join(scratch, "emulator.log"))
        tls = EmulatorProcess.start(tls_dir=os.path.join(scratch, "tls"), log_path=os.path.join(scratch, "tls.log"))
        try:
            env = helper_env(emulator, scratch)
            trust = make_trust(emulator, os.path.join(scratch, "trust"))
            arguments = ["credential-process", "--cache"] + session_args(trust)
            subprocess.run([helper] + arguments, stdout=subprocess.DEVNULL, env=env, check=True)  # fill the cache
            times = interleaved({
                "bare": [sys.executable, "-c", "pass"],
                "hit": [helper] + arguments,
                "hit with site": [sys.executable, helper] + arguments,
                "zipapp hit": [sys.executable, zipapp] + arguments,
            }, env, HIT_RUNS)
            bare = times["bare"]
            rows.append(("python3 -c pass (baseline)", "%.1f ms" % bare[0], "best %.1f ms, CPU %.1f ms" % (bare[1], bare[2])))
            for name, label in (("hit", "credential-process --cache, hit (shebang, -S)"),
                                ("hit with site", "  same hit as python3 helper (site loaded)"),
                                ("zipapp hit", "  same hit from the plain zipapp")):
                wall_ms, best, cpu = times[name]
                rows.append((label, "%.1f ms" % wall_ms, "best %.1f ms, CPU %.1f ms" % (best, cpu)))
                ratio = wall_ms / bare[0]
                rows.append(("    / baseline, wall", "%.2f" % ratio, verdict(round(ratio, 2), GOAL_HIT_RATIO)
                             + "; best %.2f, CPU %.2f" % (best / bare[1], cpu / bare[2])))

            tls_env = helper_env(tls, scratch)
            tls_trust = make_trust(tls, os.path.join(scratch, "tls-trust"))
            cold_times = interleaved({
                "cold": [helper, "credential-process"] + session_args(tls_trust),
                "floor": [sys.executable, "-S", COLD_FLOOR] + session_args(tls_trust),
            }, tls_env, COLD_RUNS)
            cold, floor = cold_times["cold"], cold_times["floor"]
            rows.append(("credential-process, cold, HTTPS", "%.0f ms" % cold[0], "best %.0f ms, CPU %.0f ms; %s" % (
                cold[1], cold[2], verdict(round(cold[0]), GOAL_COLD_MS))))
            rows.append(("  floor: the same libraries, none of the helper", "%.0f ms" % floor[0],
                         "best %.0f ms, CPU %.0f ms (cold_floor.py)" % (floor[1], floor[2])))
            rows.append(("  helper's own share (cold - floor)", "%.0f ms" % (cold[0] - floor[0]),
                         "CPU %.0f ms" % (cold[2] - floor[2])))

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
