# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing-core timings: build+sign and verify per request, material loading, endpoint resolution.

Run from the repository root with PYTHONPATH pointing at the collection layout (``make bench`` does):
    python tests/benchmarks/bench_signing.py [iterations]
"""

from __future__ import annotations

import datetime
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.x509 import load_signing_material  # noqa: E402  pylint: disable=wrong-import-position
from tests.emulator import verify as server_verify  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import pki  # noqa: E402  pylint: disable=wrong-import-position

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0b5c4b2a-6f3e-4c1e-9d0a-1f2e3d4c5b6a"
PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/7c6b5a49-3827-4160-a5b4-c3d2e1f0a9b8"
ROLE = "arn:aws:iam::123456789012:role/HostRole"
ENDPOINT = "https://rolesanywhere.us-east-1.amazonaws.com"


def measure(function, iterations):
    """Per-call times in milliseconds."""
    samples = []
    for _iteration in range(iterations):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000.0)
    return samples


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def material_for(key_type, curve="P-256", key_size=2048):
    ca = pki.make_ca("EC")
    intermediate = pki.make_intermediate(ca)
    leaf = pki.make_leaf(intermediate, key_type=key_type, curve=curve, key_size=key_size)
    return leaf, intermediate


def signing_rows(iterations):
    rows = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for label, key_type, curve, key_size in (("RSA-2048", "RSA", "P-256", 2048), ("RSA-3072", "RSA", "P-256", 3072),
                                             ("EC P-256", "EC", "P-256", 2048), ("EC P-384", "EC", "P-384", 2048)):
        leaf, intermediate = material_for(key_type, curve, key_size)
        material = load_signing_material(leaf.cert_pem, leaf.key_pem, intermediate.cert_pem)

        def build(material=material):
            return signing.build_create_session_request(material, ANCHOR, PROFILE, ROLE, endpoint=ENDPOINT, now=now)

        prepared = build()
        parts = urlsplit(prepared.url)

        def verify(prepared=prepared, parts=parts):
            return server_verify.verify_create_session_request("POST", parts.path, parts.query, prepared.headers, prepared.body, now=now)

        def load(leaf=leaf, intermediate=intermediate):
            return load_signing_material(leaf.cert_pem, leaf.key_pem, intermediate.cert_pem)

        rows.append((label, "build+sign", summary(measure(build, iterations)), iterations))
        rows.append((label, "verify", summary(measure(verify, iterations)), iterations))
        load_iterations = max(5, iterations // 20)  # RSA key loading checks the key: slow, and not per request
        rows.append((label, "load material (PEM)", summary(measure(load, load_iterations)), load_iterations))
    return rows


ENDPOINT_PROGRAMS = {
    "botocore EndpointProvider (ours)": (
        "from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.endpoints import resolve_endpoint as r\n"
        "import time; t=time.perf_counter(); r('eu-west-1'); a=time.perf_counter(); r('eu-west-2', True); b=time.perf_counter()\n"
        "print((a-t)*1000, (b-a)*1000)"
    ),
    "boto3.client(...).meta.endpoint_url": (
        "import time; t=time.perf_counter()\n"
        "import boto3; from botocore import UNSIGNED; from botocore.config import Config\n"
        "u=boto3.client('rolesanywhere', region_name='eu-west-1', config=Config(signature_version=UNSIGNED)).meta.endpoint_url\n"
        "a=time.perf_counter()\n"
        "u=boto3.client('rolesanywhere', region_name='eu-west-2', config=Config(signature_version=UNSIGNED, use_fips_endpoint=True)).meta.endpoint_url\n"
        "b=time.perf_counter(); print((a-t)*1000, (b-a)*1000)"
    ),
}


def endpoint_rows(runs=5):
    """Each approach in a fresh interpreter (imports included), first call cold and a second one warm."""
    rows = []
    for label, program in ENDPOINT_PROGRAMS.items():
        cold, warm = [], []
        for _run in range(runs):
            output = subprocess.run([sys.executable, "-c", program], check=True, capture_output=True, text=True, cwd=ROOT).stdout.split()
            cold.append(float(output[0]))
            warm.append(float(output[1]))
        rows.append((label, "first call (cold, with imports)", summary(cold), runs))
        rows.append((label, "next call, other region", summary(warm), runs))
    return rows


def print_table(title, rows):
    print(title)
    print("| %-36s | %-32s | %11s | %11s | %5s |" % ("subject", "operation", "median ms", "p95 ms", "n"))
    print("|%s|%s|%s|%s|%s|" % ("-" * 38, "-" * 34, "-" * 13, "-" * 13, "-" * 7))
    for subject, operation, (median, p95), count in rows:
        print("| %-36s | %-32s | %11.3f | %11.3f | %5d |" % (subject, operation, median, p95, count))
    print()


def main():
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print_table("SigV4-X509 CreateSession signing (per request, Python %s)" % sys.version.split()[0], signing_rows(iterations))
    print_table("Roles Anywhere endpoint resolution (fresh interpreter each run)", endpoint_rows())


if __name__ == "__main__":
    main()
