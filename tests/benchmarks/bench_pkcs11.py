# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing latency per key store: a key file against the same kind of key in a SoftHSM2 token.

Rows: "build+sign" (one CreateSession request signed, the token's session open), "load" (for a token: load the
module once, find the certificate, log in, find and prove the key; for a file: read and parse both files). Then the
cost of a ``credential-process --cache`` hit with the token key against ``python3 -c pass`` (a hit never touches the
token, so it costs what a hit with a key file costs).
Skipped, with a line saying why, without SoftHSM2 or PyKCS11. Run from the repository root with PYTHONPATH pointing
at the collection layout (``make bench`` does):
    python tests/benchmarks/bench_pkcs11.py [iterations]
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.benchmarks.bench_signing import ANCHOR, ENDPOINT, PROFILE, ROLE, measure, summary  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import pki  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.softhsm import PIN, TOKEN, PublicOnly, SoftHsm, missing_parts  # noqa: E402  pylint: disable=wrong-import-position


def main(iterations):
    missing = missing_parts()
    if missing:
        print("skipped: needs %s" % " and ".join(missing))
        return 0
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing  # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.x509 import load_signing_material  # pylint: disable=import-outside-toplevel

    now = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-pkcs11-") as directory:
        hsm = SoftHsm(directory)
        os.environ.update(hsm.env)  # before this process loads SoftHSM2: it reads SOFTHSM2_CONF once
        hsm.init_token(TOKEN, pin=PIN)
        ca = pki.make_ca("EC")
        for index, (label, key_type) in enumerate((("RSA-2048", "RSA"), ("EC P-256", "EC")), start=1):
            key_id = bytes([index])
            public_key = hsm.generate_key(TOKEN, PIN, "bench-%d" % index, key_id, key_type)
            token_leaf = pki.make_leaf(ca, private_key=PublicOnly(public_key))
            hsm.import_certificate(TOKEN, PIN, token_leaf.cert_der, "bench-%d" % index, key_id)
            uri = "pkcs11:token=%s;object=bench-%d?pin-value=%s" % (TOKEN, index, PIN)
            file_leaf = pki.make_leaf(ca, key_type=key_type)
            stores = (
                ("file", lambda leaf=file_leaf: load_signing_material(leaf.cert_pem, leaf.key_pem)),
                ("SoftHSM2", lambda uri=uri: load_signing_material(uri, pkcs11_module=hsm.module)),
            )
            for store, load in stores:
                material = load()

                def build(material=material):
                    return signing.build_create_session_request(material, ANCHOR, PROFILE, ROLE, endpoint=ENDPOINT, now=now)

                rows.append((label, store, "build+sign", summary(measure(build, iterations)), iterations))
                signing.release_key(material.private_key)
                load_iterations = max(5, iterations // 10)
                rows.append((label, store, "load", summary(measure(lambda load=load: signing.release_key(load().private_key),
                                                                   load_iterations)), load_iterations))
    print("%-9s %-9s %-11s %10s %10s %6s" % ("key", "store", "step", "median ms", "p95 ms", "n"))
    for label, store, step, (median, p95), count in rows:
        print("%-9s %-9s %-11s %10.2f %10.2f %6d" % (label, store, step, median, p95, count))
    cache_hit_ratio()
    return 0


def cache_hit_ratio():
    """credential-process --cache hits, token key and key file, against python3 -c pass (interleaved)."""
    from tests.benchmarks.bench_helper import hardware_hit_ratios  # pylint: disable=import-outside-toplevel
    from tests.functional.helper.helpers import session_args  # pylint: disable=import-outside-toplevel
    from tests.support.softhsm import TokenTrust  # pylint: disable=import-outside-toplevel

    def make_store(emulator, directory):
        token = TokenTrust(emulator, directory)
        return token.hsm.env, {"token key": token.args(token.uri("object=ra-ec")), "key file": session_args(token.trust)}, None

    hardware_hit_ratios("bench-pkcs11-hit-", make_store)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
