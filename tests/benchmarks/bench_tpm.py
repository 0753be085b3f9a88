# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing latency per key store: a key file against the same kind of key in a software TPM (swtpm).

Rows: "build+sign" (one CreateSession request signed: for a TSS2 key file the primary is made, the key loaded,
TPM2_Sign run and both flushed, as AWS's helper does at every signature; for a persistent handle, TPM2_Sign only),
"load" (read the files; for a handle, TPM2_ReadPublic). Then the same signature made by tpm2-tools as a subprocess
(tpm2_createprimary, tpm2_load, tpm2_sign, tpm2_flushcontext), the other way the helper could have reached the TPM, and
the cost of a ``credential-process --cache`` hit with a TPM key against ``python3 -c pass`` (a hit never touches the
TPM). Skipped, with a line saying why, without swtpm and tpm2-tools. Run from the repository root with PYTHONPATH
pointing at the collection layout (``make bench`` does):
    python tests/benchmarks/bench_tpm.py [iterations]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.benchmarks.bench_signing import summary  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import pki  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.hardware_keys import PublicOnly, key_store_rows, run_bench  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.swtpm import PRIMARY, SoftTpm, missing_parts  # noqa: E402  pylint: disable=wrong-import-position


def measure_rows(iterations):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.tpm import TpmKeyOptions  # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.x509 import load_signing_material  # pylint: disable=import-outside-toplevel

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tpm-") as directory:
        tpm = SoftTpm(directory)
        try:
            options = TpmKeyOptions(no_password=True, environ=tpm.env)
            ca = pki.make_ca("EC")
            for index, (label, algorithm, key_type) in enumerate((("RSA-2048", "rsa2048", "RSA"), ("EC P-256", "ecc256", "EC")), 1):
                key = tpm.make_key("bench-%d" % index, algorithm, persistent=0x81000100 + index)
                certificate = pki.make_leaf(ca, private_key=PublicOnly(key.public_key)).cert_pem
                file_leaf = pki.make_leaf(ca, key_type=key_type)
                stores = (
                    ("file", lambda leaf=file_leaf: load_signing_material(leaf.cert_pem, leaf.key_pem)),
                    ("TSS2 file", lambda c=certificate, k=key: load_signing_material(c, k.pem, tpm=options)),
                    ("handle", lambda c=certificate, k=key: load_signing_material(c, k.handle, tpm=options)),
                )
                rows += key_store_rows(label, stores, lambda store: signatures_and_loads(store, iterations))
                rows.append((label, "tpm2-tools", "sign", summary(tools_signature(tpm, key, directory, 10)), 10))
        finally:
            tpm.stop()
    return rows


def signatures_and_loads(store, iterations):
    """Fewer TPM signatures than file ones (each costs milliseconds), and a quarter as many loads."""
    signatures = iterations if store == "file" else max(10, iterations // 4)
    return signatures, max(5, signatures // 4)


def tools_signature(tpm, key, directory, runs):
    """Milliseconds of one TSS2-key signature made by tpm2-tools processes (with the flushes swtpm needs)."""
    digest = os.path.join(directory, "digest")
    with open(digest, "wb") as handle:
        handle.write(b"x" * 32)
    primary, context = os.path.join(directory, "p.ctx"), os.path.join(directory, "k.ctx")
    steps = (["tpm2_createprimary", "-Q"] + PRIMARY + ["-c", primary], ["tpm2_flushcontext", "-t"],
             ["tpm2_load", "-Q", "-C", primary, "-u", key.pem[:-4] + ".pub", "-r", key.pem[:-4] + ".priv", "-c", context],
             ["tpm2_flushcontext", "-t"], ["tpm2_sign", "-Q", "-c", context, "-g", "sha256", "-d", "-o", os.path.join(directory, "s"), digest],
             ["tpm2_flushcontext", "-t"])
    times = []
    for _run in range(runs):
        start = time.perf_counter()
        for step in steps:
            subprocess.run(step, env=tpm.environ(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return times


def cache_hit_ratio():
    """credential-process --cache hits, TPM key file, TPM handle and key file, against python3 -c pass."""
    from tests.benchmarks.bench_helper import hardware_hit_ratios  # pylint: disable=import-outside-toplevel
    from tests.functional.helper.helpers import session_args  # pylint: disable=import-outside-toplevel
    from tests.support.swtpm import TpmTrust  # pylint: disable=import-outside-toplevel

    def make_store(emulator, directory):
        trust = TpmTrust(emulator, directory)
        arguments = {"TPM key file": trust.args("ec-file"), "TPM handle": trust.args("rsa-handle"),
                     "key file": session_args(trust.trust)}
        return trust.tpm.env, arguments, trust.stop

    hardware_hit_ratios("bench-tpm-hit-", make_store)


if __name__ == "__main__":
    missing = missing_parts()
    sys.exit(run_bench(measure_rows, "the Debian packages %s" % ", ".join(missing) if missing else "", cache_hit_ratio))
