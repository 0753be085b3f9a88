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

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support import pki  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.hardware_keys import PublicOnly, key_store_rows, run_bench  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.softhsm import PIN, TOKEN, SoftHsm, missing_parts  # noqa: E402  pylint: disable=wrong-import-position


def measure_rows(iterations):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.x509 import load_signing_material  # pylint: disable=import-outside-toplevel

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
            rows += key_store_rows(label, stores, lambda _store: (iterations, max(5, iterations // 10)), release=True)
    return rows


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
    sys.exit(run_bench(measure_rows, " and ".join(missing_parts()), cache_hit_ratio))
