# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet-wide rotation (ACM PCA signer) against the emulator's quota mode, paced by the role (issue 17).

Rotates HOSTS hosts in one batch three times: without quotas and without pacing (the fixed cost), with the
emulator's quotas scaled down (CreateSession 2/s, IssueCertificate 1/s, tests/support/rotation.py) but no pacing,
then with the role's rates just below those quotas. Prints a table: wall time, failed hosts, throttled requests, and the paced run against its
bound, 1.2 x N x (1 / IssueCertificate quota + 1 / CreateSession quota) + the fixed cost (signing and proving are
two tasks, one after the other).
Usage: python tests/benchmarks/bench_rotation.py [HOSTS] [FORKS]
"""

from __future__ import annotations

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.emulator.client import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import rotation  # noqa: E402  pylint: disable=wrong-import-position


def main():
    hosts = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    forks = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    quotas = rotation.SCALED_QUOTAS
    with EmulatorProcess.start() as emulator, tempfile.TemporaryDirectory(prefix="bench-rotation-") as scratch:
        fleet = rotation.make_acm_pca_fleet(scratch, emulator, hosts)
        unpaced = rotation.rotate(fleet, emulator, forks=forks)
        burst = rotation.rotate(fleet, emulator, quotas, forks=forks, paced=False)
        paced = rotation.rotate(fleet, emulator, quotas, forks=forks)
    limit = rotation.bound(hosts, quotas, unpaced.seconds)
    print("rotation of %d hosts (ACM PCA), forks %d, %d CPUs; quotas CreateSession %g/s, IssueCertificate %g/s; "
          "role's rates %d%% of them" % (hosts, forks, os.cpu_count() or 0, quotas["session"], quotas["issue-certificate"],
                                         round(rotation.HEADROOM * 100)))
    print("%-34s %10s %16s %8s %12s %12s" % ("run", "wall (s)", "paced tasks (s)", "failed", "CS throttled", "IC throttled"))
    for label, run in (("no quotas, no pacing (fixed cost)", unpaced), ("quotas, no pacing", burst), ("quotas, paced", paced)):
        throttled = run.throttled()
        print("%-34s %10.1f %16.1f %8d %12d %12d" % (
            label, run.seconds, run.paced_task_seconds(), len(run.failed_hosts()), throttled["CreateSession:throttled"],
            throttled["IssueCertificate:throttled"]))
    met = paced.seconds <= limit and not paced.failed_hosts()
    print("paced wall: %.1f s against the bound 1.2 x N / quota (both phases) + fixed cost = %.1f s: %s"
          % (paced.seconds, limit, "met" if met else "NOT met"))
    task_limit = rotation.bound(hosts, quotas, unpaced.paced_task_seconds())
    print("paced tasks: %.1f s against 1.2 x N / quota (both phases) + their unpaced time = %.1f s: %s"
          % (paced.paced_task_seconds(), task_limit, "met" if paced.paced_task_seconds() <= task_limit else "NOT met"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
