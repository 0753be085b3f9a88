# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the credentials lookup costs a real play: wall time with the lookup / wall time with static keys.

Run from the repository root (``make bench`` does). Starts the emulator, builds a Roles Anywhere trust, then
runs the same 200-host play (local connection, amazon.aws.aws_caller_info on every host against the
emulator) alternately with static credentials in module_defaults and with the lookup in module_defaults,
``--rounds`` times each, and compares the best wall times (the least disturbed by other load on the machine).
Goal: ratio <= 1.10, and exactly one CreateSession per lookup run. Exit status 1 when either is missed.
The CPU-time ratio of the two plays (ansible-playbook and all it waited for) is printed too: it barely moves
with other load on the machine, so it tells a real regression from a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.emulator.client import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.lookup import runner  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.scenario import make_trust  # noqa: E402  pylint: disable=wrong-import-position

GOAL = 1.10
PLAYBOOKS = os.path.join(ROOT, "tests", "functional", "lookup", "playbooks")


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(emulator, playbook, inventory, variables, forks, directory, extra_environment=None):
    """(wall seconds, CPU seconds of ansible-playbook and everything it waited for, CreateSessions, callers)."""
    before = emulator.counters().get("CreateSession", 0)
    cpu_before = children_cpu_seconds()
    result_file = os.path.join(directory, "callers.json")
    if os.path.exists(result_file):
        os.unlink(result_file)
    # Every run starts with an empty credential cache (a run after another would find its session there).
    runtime = tempfile.mkdtemp(prefix="runtime-", dir=directory)
    environment = runner.ansible_environment(emulator, directory, dict(extra_environment or {}, XDG_RUNTIME_DIR=runtime))
    run = runner.run_playbook(os.path.join(PLAYBOOKS, playbook), inventory, environment,
                              dict(variables, result_file=result_file), forks=forks, directory=directory).check()
    cpu = children_cpu_seconds() - cpu_before
    with open(result_file, encoding="utf-8") as handle:
        callers = json.load(handle)
    return run.seconds, cpu, emulator.counters().get("CreateSession", 0) - before, len(callers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--compare", metavar="COLLECTIONS_PATH",
                        help="also run the lookup of the collection installed under this ansible_collections root "
                             "(another version, e.g. main's), in the same rounds: before and after in one run")
    options = parser.parse_args()

    labels = [("static credentials", "fleet_static.yml", None), ("rolesanywhere lookup", "fleet.yml", None)]
    if options.compare:
        labels.append(("lookup of --compare", "fleet.yml", {"ANSIBLE_COLLECTIONS_PATH": os.path.abspath(options.compare)}))
    walls = {label: [] for label, _playbook, _extra in labels}
    cpus = {label: [] for label, _playbook, _extra in labels}
    sessions = {label: [] for label, _playbook, _extra in labels}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-lookup-") as directory, EmulatorProcess.start() as emulator:
        trust = make_trust(emulator, os.path.join(directory, "trust"), cn="controller.example.com")
        inventory = runner.write_inventory(os.path.join(directory, "inventory.json"), options.hosts)
        variables = runner.trust_vars(trust, emulator, static_access_key="AKIAIOSFODNN7EXAMPLE", static_secret_key="static-bench-secret")
        for _round in range(options.rounds):  # alternate, so that changing machine load hits both alike
            for label, playbook, extra in labels:
                wall, cpu, created, callers = run_once(emulator, playbook, inventory, variables, options.forks, directory, extra)
                if callers != options.hosts:
                    raise SystemExit("%s: only %d of %d hosts reported a caller" % (label, callers, options.hosts))
                walls[label].append(wall)
                cpus[label].append(cpu)
                sessions[label].append(created)

    runs = " ".join("%8s" % ("run %d" % (n + 1)) for n in range(options.rounds))
    print("%-22s %5s %5s %s %9s %9s %13s" % ("play", "hosts", "forks", runs, "best wall", "best CPU", "CreateSession"))
    for label, _playbook, _extra in labels:
        times = " ".join("%7.1fs" % t for t in walls[label])
        created = "/".join(str(n) for n in sessions[label])
        print("%-22s %5d %5d %s %8.1fs %8.1fs %13s" % (label, options.hosts, options.forks, times, min(walls[label]), min(cpus[label]), created))
    static = "static credentials"
    for label in [label for label, _playbook, _extra in labels if label != static]:
        print("%-22s %5.3f wall, %5.3f CPU" % ("ratio " + ("lookup" if label == "rolesanywhere lookup" else "--compare"),
                                               min(walls[label]) / min(walls[static]), min(cpus[label]) / min(cpus[static])))
    ratio = min(walls["rolesanywhere lookup"]) / min(walls[static])
    cpu_ratio = min(cpus["rolesanywhere lookup"]) / min(cpus[static])
    one_session = all(n == 1 for n in sessions["rolesanywhere lookup"])
    verdict = "OK" if ratio <= GOAL and one_session else "MISSED"
    print("%-22s %5.3f  (goal <= %.2f; one CreateSession per run: %s) %s" % ("ratio lookup/static", ratio, GOAL, one_session, verdict))
    load_after = os.getloadavg()[0]
    print("%-22s %5.3f  (CPU time of the plays; load average %.1f before, %.1f after)" % ("CPU ratio", cpu_ratio, load_before, load_after))
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
