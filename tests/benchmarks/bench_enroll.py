# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enrolment of a fleet of 50 hosts (local connection, one root directory each) against the emulator.

Prints a table: first run and no-op re-run, wall time, and CPU of the controller's process tree per host.
With the local connection the modules run on this machine too, so "CPU" counts the host side as well: it is an
upper bound of what the controller spends. Usage: python tests/benchmarks/bench_enroll.py [HOSTS] [FORKS]
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.emulator.client import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.functional.fleet.fleetlib import Fleet  # noqa: E402  pylint: disable=wrong-import-position


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(fleet, label, forks):
    cpu, wall = children_cpu(), time.monotonic()
    run = fleet.playbook("enroll", env=fleet.env(ANSIBLE_FORKS=str(forks)), timeout=3600)
    wall, cpu = time.monotonic() - wall, children_cpu() - cpu
    recap = run.recap()
    if run.rc != 0:
        sys.exit("bench_enroll: %s failed:\n%s" % (label, run.tail()))
    changed = sum(1 for host in recap.values() if host["changed"])
    return label, wall, cpu / len(fleet.hosts), changed


def main():
    hosts = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    forks = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with EmulatorProcess.start() as emulator, tempfile.TemporaryDirectory(prefix="bench-enroll-") as scratch:
        fleet = Fleet(scratch, emulator.endpoint, emulator.region, size=hosts, name="bench")
        trust = fleet.trust()
        if trust.rc != 0:
            sys.exit("bench_enroll: trust failed:\n%s" % trust.tail())
        rows = [measure(fleet, "first run (enrol)", forks), measure(fleet, "no-op re-run", forks)]
    print("enroll role, %d hosts, forks %d, %d CPUs" % (hosts, forks, os.cpu_count() or 0))
    print("%-20s %10s %14s %16s" % ("run", "wall (s)", "CPU/host (s)", "hosts changed"))
    for label, wall, cpu, changed in rows:
        print("%-20s %10.1f %14.2f %16d" % (label, wall, cpu, changed))


if __name__ == "__main__":
    main()
