# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials lookup with EC P-521 and ML-DSA-65 certificates against the emulator (same signing core as the
helper: AWS4-X509-ECDSA-SHA256 over SHA-256 for P-521, AWS4-X509-MLDSA for ML-DSA, as AWS's helper 1.8 signs)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing
from tests.support.scenario import make_trust

from .conftest import options_for


def test_p521_certificate(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path, cn="p521.example.com", curve="P-521")
    assert run_lookup(**options_for(trust, emulator))["source_identity"] == "p521.example.com"


@pytest.mark.skipif("ML-DSA-65" not in signing.mldsa_key_classes(), reason="the installed cryptography has no ML-DSA")
def test_mldsa65_certificate(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path)
    leaf = trust.issue("mldsa.example.com", private_key=signing.mldsa_key_classes()["ML-DSA-65"][0].generate())
    options = options_for(trust, emulator, certificate=leaf.certificate, private_key=leaf.private_key)
    assert run_lookup(**options)["source_identity"] == "mldsa.example.com"
