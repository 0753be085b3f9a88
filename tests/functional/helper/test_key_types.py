# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ML-DSA-65 and EC P-521 certificates end to end: the built helper's credential-process against the emulator.

The algorithms are AWS's helper's (aws/rolesanywhere-credential-helper v1.8.0 signer.go:121-123):
AWS4-X509-MLDSA for ML-DSA keys, AWS4-X509-ECDSA-SHA256 for P-521 keys.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing
from tests.functional.helper.helpers import assert_error, run_helper, session_args
from tests.unit.plugins.module_utils.test_key_types import aws_layout_pkcs8, pem
from tests.support.scenario import make_trust

MLDSA = signing.mldsa_key_classes()


def _leaf_args(trust, leaf):
    args = session_args(trust)
    args[args.index("--certificate") + 1] = leaf.certificate
    args[args.index("--private-key") + 1] = leaf.private_key
    return args


def _assert_credentials(result, emulator):
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["AccessKeyId"] and document["SessionToken"]
    assert emulator.counters().get("CreateSession") == 1


@pytest.mark.skipif("ML-DSA-65" not in MLDSA, reason="the installed cryptography has no ML-DSA")
def test_mldsa65_certificate_gets_credentials(helper, emulator, helper_env, tmp_path):
    trust = make_trust(emulator, tmp_path / "trust", name_prefix="mldsa")
    key = MLDSA["ML-DSA-65"][0].generate()
    leaf = trust.issue("mldsa.example.com", private_key=key, name="mldsa65")
    emulator.reset_counters()
    _assert_credentials(run_helper(helper, ["credential-process"] + _leaf_args(trust, leaf), helper_env), emulator)
    # The key file as AWS's helper keeps it (seed and expanded key) works the same.
    aws_key = tmp_path / "aws-layout.key"
    aws_key.write_bytes(pem(aws_layout_pkcs8(key, "ML-DSA-65")))
    aws_key.chmod(0o600)
    leaf.private_key = str(aws_key)
    emulator.reset_counters()
    _assert_credentials(run_helper(helper, ["credential-process"] + _leaf_args(trust, leaf), helper_env), emulator)


@pytest.mark.skipif("ML-DSA-65" not in MLDSA, reason="the installed cryptography has no ML-DSA")
def test_mldsa_key_of_another_certificate_is_refused_before_any_request(helper, emulator, helper_env, tmp_path):
    trust = make_trust(emulator, tmp_path / "trust", name_prefix="mldsa")
    leaf = trust.issue("mldsa.example.com", private_key=MLDSA["ML-DSA-65"][0].generate(), name="one")
    other = trust.issue("mldsa2.example.com", private_key=MLDSA["ML-DSA-65"][0].generate(), name="two")
    leaf.private_key = other.private_key
    emulator.reset_counters()
    result = run_helper(helper, ["credential-process"] + _leaf_args(trust, leaf), helper_env)
    assert_error(result, "does not match")
    assert not emulator.counters().get("CreateSession")


def test_p521_certificate_gets_credentials(helper, emulator, helper_env, tmp_path):
    trust = make_trust(emulator, tmp_path / "trust", name_prefix="p521", curve="P-521")
    assert trust.leaf.issued.private_key.curve.name == "secp521r1"
    emulator.reset_counters()
    _assert_credentials(run_helper(helper, ["credential-process"] + session_args(trust), helper_env), emulator)


@pytest.mark.skipif("ML-DSA-65" not in MLDSA, reason="the installed cryptography has no ML-DSA")
def test_mldsa65_read_certificate_data_and_sign_string_as_aws_helper(helper, emulator, helper_env, tmp_path):
    """read-certificate-data names the ML-DSA variant as keyType and only algorithm, and sign-string signs the
    fixed string without the public-key suffix, pure ML-DSA (aws/rolesanywhere-credential-helper v1.8.0
    aws_signing_helper/signer.go ReadCertificateData; cmd/sign_string.go getFixedStringToSign)."""
    trust = make_trust(emulator, tmp_path / "trust", name_prefix="mldsa")
    key = MLDSA["ML-DSA-65"][0].generate()
    leaf = trust.issue("mldsa.example.com", private_key=key, name="mldsa65")
    result = run_helper(helper, ["read-certificate-data", "--certificate", leaf.certificate], helper_env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["keyType"] == "ML-DSA-65"
    assert document["supportedAlgorithms"] == ["ML-DSA-65"]
    result = run_helper(helper, ["sign-string", "--private-key", leaf.private_key, "--format", "bin", "--digest", "SHA384"], helper_env)
    assert result.returncode == 0, result.stderr
    key.public_key().verify(result.stdout, b"AWS Roles Anywhere Credential Helper Signing Test1")  # raises when it does not verify
