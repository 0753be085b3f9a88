# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``sign-string`` and ``read-certificate-data``: the official helper's output bytes, verified with cryptography."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.functional.helper.helpers import assert_error, run_helper
from tests.support import pki

HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


@pytest.fixture(scope="module", params=["EC", "RSA", "EC:P-384"])
def material(request, tmp_path_factory):
    key_type, _sep, curve = request.param.partition(":")
    ca = pki.make_ca()
    leaf = pki.make_leaf(ca, key_type=key_type, cn="sign.example.com", **({"curve": curve} if curve else {}))
    directory = tmp_path_factory.mktemp("sign")
    paths = leaf.write(str(directory), "leaf")
    return leaf, paths, directory


def expected_message(public_key):
    """"AWS Roles Anywhere Credential Helper Signing Test" || "1" || SHA256("IAM RA" || public key bytes)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        key_bytes = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    else:
        key_bytes = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return b"AWS Roles Anywhere Credential Helper Signing Test1" + hashlib.sha256(b"IAM RA" + key_bytes).digest()


def verify(public_key, signature, message, digest):
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, message, ec.ECDSA(HASHES[digest]()))
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), HASHES[digest]())


SIGN_CASES = [("EC", output_format, digest) for output_format in ("json", "text", "bin") for digest in HASHES] + [
    (key, output_format, digest) for key in ("RSA", "EC:P-384")
    for output_format, digest in (("bin", "SHA256"), ("text", "SHA384"), ("json", "SHA512"))
]


@pytest.mark.parametrize("material, output_format, digest", SIGN_CASES, indirect=["material"])
def test_sign_string(helper, helper_env, material, output_format, digest):
    leaf, paths, _directory = material
    result = run_helper(helper, ["sign-string", "--private-key", paths.private_key, "--format", output_format,
                                 "--digest", digest], helper_env)
    assert result.returncode == 0, result.stderr
    if output_format == "bin":
        signature = result.stdout
    elif output_format == "text":
        assert re.match(rb"^[0-9a-f]+$", result.stdout)
        signature = bytes.fromhex(result.stdout.decode())
    else:
        assert re.match(rb'^"[0-9a-f]+"$', result.stdout)
        signature = bytes.fromhex(json.loads(result.stdout))
    public_key = leaf.certificate.public_key()
    verify(public_key, signature, expected_message(public_key), digest)
    with pytest.raises(InvalidSignature):
        verify(public_key, signature, expected_message(public_key) + b"x", digest)


def test_sign_string_defaults_to_json_sha256(helper, helper_env, material):
    leaf, paths, _directory = material
    result = run_helper(helper, ["sign-string", "--private-key", paths.private_key], helper_env)
    assert result.stdout.startswith(b'"') and result.stdout.endswith(b'"')
    public_key = leaf.certificate.public_key()
    verify(public_key, bytes.fromhex(json.loads(result.stdout)), expected_message(public_key), "SHA256")


def test_sign_string_rsa_is_deterministic(helper, helper_env, tmp_path):
    leaf = pki.make_leaf(pki.make_ca(), key_type="RSA", cn="rsa.example.com")
    paths = leaf.write(str(tmp_path), "rsa")
    first = run_helper(helper, ["sign-string", "--private-key", paths.private_key, "--format", "text"], helper_env)
    second = run_helper(helper, ["sign-string", "--private-key", paths.private_key, "--format", "text"], helper_env)
    mine = leaf.private_key.sign(expected_message(leaf.certificate.public_key()), padding.PKCS1v15(), hashes.SHA256())
    assert first.stdout == second.stdout == mine.hex().encode()


def test_sign_string_key_from_stdin_and_combined_pem(helper, helper_env, tmp_path):
    leaf = pki.make_leaf(pki.make_ca(), key_type="EC", cn="stdin.example.com")
    result = run_helper(helper, ["sign-string", "--private-key", "-", "--format", "bin"], helper_env, stdin=leaf.key_pem)
    public_key = leaf.certificate.public_key()
    verify(public_key, result.stdout, expected_message(public_key), "SHA256")
    combined = tmp_path / "combined.pem"
    pki.write_combined_pem(str(combined), leaf)
    result = run_helper(helper, ["sign-string", "--certificate", str(combined), "--format", "bin"], helper_env)
    verify(public_key, result.stdout, expected_message(public_key), "SHA256")


@pytest.mark.parametrize("args, needles", [
    (["--format", "xml"], ["--format", "invalid choice"]),
    (["--digest", "MD5"], ["--digest", "invalid choice"]),
    ([], ["--private-key is required"]),
    (["--private-key", "/nonexistent/key.pem"], ["/nonexistent/key.pem", "does not exist"]),
    (["--private-key", "pkcs11:token=x"], ["sign-string with a pkcs11: key needs --certificate"]),
    (["--private-key", "handle:0x81000001"], ["TPM key handle:0x81000001 needs its password", "--no-tpm-key-password"]),
    (["--private-key", "handle:0x81000001", "--no-tpm-key-password", "--digest", "SHA256"], ["the TPM", "cannot be opened"]),
    (["--cert-selector", "Key=x509Subject,Value=CN=x"], ["--cert-selector", "not supported yet"]),
])
def test_sign_string_errors(helper, helper_env, args, needles):
    assert_error(run_helper(helper, ["sign-string"] + args, helper_env), *needles)


def test_read_certificate_data(helper, helper_env, material):
    leaf, paths, _directory = material
    result = run_helper(helper, ["read-certificate-data", "--certificate", paths.certificate], helper_env)
    assert result.returncode == 0, result.stderr
    key_type = "EC" if isinstance(leaf.certificate.public_key(), ec.EllipticCurvePublicKey) else "RSA"
    expected = ('{"keyType":"%s","certificateData":"%s","serialNumber":"%d","supportedAlgorithms":["%sSHA256","%sSHA384",'
                '"%sSHA512"]}' % (key_type, base64.b64encode(leaf.cert_der).decode(), leaf.serial, key_type, key_type, key_type))
    assert result.stdout.decode() == expected
    assert x509.load_der_x509_certificate(base64.b64decode(json.loads(result.stdout)["certificateData"])) == leaf.certificate


def test_read_certificate_data_first_certificate_of_a_bundle_and_stdin(helper, helper_env):
    ca = pki.make_ca()
    sub = pki.make_intermediate(ca)
    leaf = pki.make_leaf(sub, cn="bundle.example.com")
    result = run_helper(helper, ["read-certificate-data", "--certificate", "-"], helper_env, stdin=leaf.cert_pem + sub.cert_pem)
    assert json.loads(result.stdout)["serialNumber"] == str(leaf.serial)


@pytest.mark.parametrize("args, needles", [
    ([], ["--certificate is required"]),
    (["--certificate", "/nonexistent.pem"], ["/nonexistent.pem", "does not exist"]),
    (["--certificate", "pkcs11:object=x"], ["pkcs11:", "not supported yet"]),
    (["--system-store-name", "MY"], ["--system-store-name", "not supported yet"]),
    (["--pkcs11-lib", "/usr/lib/p11.so"], ["--certificate is required"]),  # accepted, as by AWS's helper
])
def test_read_certificate_data_errors(helper, helper_env, args, needles):
    assert_error(run_helper(helper, ["read-certificate-data"] + args, helper_env), *needles)
