# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the tests and benches of keys in hardware share, a PKCS#11 token (SoftHSM2) or a TPM (swtpm).

    leaf = pki.make_leaf(ca, private_key=PublicOnly(public_key))     # certify a key whose private half stays inside
    token = lookup_fixture("pkcs11-lookup", TokenTrust, lambda made: {"SOFTHSM2_CONF": made.hsm.conf})
    assert_serve_refreshes(helper, args, env, log, role_name, secret)  # serve signs again in the token / TPM
    rows += key_store_rows("EC P-256", stores, counts)                 # the benches' latency rows, then print_rows
"""

from __future__ import annotations

import datetime
import json
import sys


class PublicOnly(object):
    """What pki.make_leaf needs of a key it certifies: its public half (the private one stays in the token or TPM)."""

    def __init__(self, public_key):
        self._public_key = public_key

    def public_key(self):
        return self._public_key


# --- tests -----------------------------------------------------------------------------------------

def lookup_fixture(directory, make, environment_of, finish=None):
    """A module-scoped pytest fixture: ``make(emulator, directory)`` (a TokenTrust, a TpmTrust), with the variables
    ``environment_of(made)`` set in this process while the module's tests run (the lookup runs in it), then
    ``finish(made)``."""
    import pytest  # pylint: disable=import-outside-toplevel  # the benches import this module without pytest

    @pytest.fixture(scope="module")
    def fixture(emulator, tmp_path_factory):
        made = make(emulator, str(tmp_path_factory.mktemp(directory)))
        patch = pytest.MonkeyPatch()
        for name, value in environment_of(made).items():
            patch.setenv(name, value)
        try:
            yield made
        finally:
            patch.undo()
            if finish is not None:
                finish(made)

    return fixture


def assert_serve_refreshes(helper, args, env, log_path, role_name, secret):
    """``serve`` with ``args`` (a short session: it refreshes about every 2 s) serves credentials, refreshes them by
    signing again with the key, and never logs ``secret`` (the PIN, the key's password)."""
    from tests.functional.helper.helpers import Serving  # pylint: disable=import-outside-toplevel
    from tests.functional.helper.test_serve import credentials as served, wait_until  # pylint: disable=import-outside-toplevel
    args = list(args) + ["--session-duration", "900", "--refresh-margin", "898"]
    with Serving(helper, args, env, log_path) as serving:
        serving.role_name = role_name
        status, _headers, body = served(serving)
        assert status == 200, body
        first = json.loads(body)["AccessKeyId"]
        assert wait_until(lambda: json.loads(served(serving)[2])["AccessKeyId"] != first)
        assert "Credentials refreshed" in serving.log() and secret not in serving.log()


# --- benches ---------------------------------------------------------------------------------------

def run_bench(measure_rows, missing, hit_ratio, argv=None):
    """A bench's main: skipped with a line when ``missing`` (what this machine lacks) is not empty; else the table of
    ``measure_rows(iterations)`` (key_store_rows), then ``hit_ratio()`` (the cache-hit figures). The exit status."""
    if missing:
        print("skipped: needs %s" % missing)
        return 0
    print_rows(measure_rows(bench_iterations(argv)))
    hit_ratio()
    return 0


def bench_iterations(argv=None, default=200):
    """The benches' one argument: how many signatures per row."""
    argv = sys.argv[1:] if argv is None else argv
    return int(argv[0]) if argv else default


def key_store_rows(label, stores, counts, release=False):
    """Per ``(store, load)`` of ``stores``: the rows (label, store, step, (median ms, p95 ms), n) of "build+sign"
    (one CreateSession request signed with the loaded material) and "load" (``load()`` again); ``counts(store)`` is
    (signatures, loads); ``release`` closes a token key's session after each (its signer reopens it)."""
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing  # pylint: disable=import-outside-toplevel
    from tests.benchmarks.bench_signing import ANCHOR, ENDPOINT, PROFILE, ROLE, measure, summary  # pylint: disable=import-outside-toplevel
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for store, load in stores:
        material = load()
        signatures, loads = counts(store)

        def build(material=material):
            return signing.build_create_session_request(material, ANCHOR, PROFILE, ROLE, endpoint=ENDPOINT, now=now)

        def load_once(load=load):
            loaded = load()
            if release:
                signing.release_key(loaded.private_key)

        rows.append((label, store, "build+sign", summary(measure(build, signatures)), signatures))
        if release:
            signing.release_key(material.private_key)
        rows.append((label, store, "load", summary(measure(load_once, loads)), loads))
    return rows


def print_rows(rows):
    """The benches' table: one line per row of key_store_rows (or a row of the same shape)."""
    width = max([len("store")] + [len(row[1]) for row in rows])
    print("%-9s %-*s %-11s %10s %10s %6s" % ("key", width, "store", "step", "median ms", "p95 ms", "n"))
    for label, store, step, (median, p95), count in rows:
        print("%-9s %-*s %-11s %10.2f %10.2f %6d" % (label, width, store, step, median, p95, count))
