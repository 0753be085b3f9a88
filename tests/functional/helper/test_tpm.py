# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper with keys in a TPM 2.0 (swtpm, keys made by tpm2-tools): the key signs inside the TPM.

AWS's flags (aws/rolesanywhere-credential-helper README.md "TPMv2 Integration", aws_signing_helper/tpm_signer.go):
--private-key takes a TSS2 PRIVATE KEY file or handle:0x81xxxxxx, --tpm-key-password / --no-tpm-key-password. The
emulator verifies every signature against the certificate's public key, so a wrong signature fails the test.
"""

from __future__ import annotations

import configparser

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.functional.helper.helpers import assert_error, run_helper
from tests.functional.helper.helpers import credential_document as credentials
from tests.support.hardware_keys import assert_serve_refreshes
from tests.support.swtpm import KEY_PASSWORD, TpmTrust, missing_parts

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="TPM tests need the Debian packages %s (make system-packages)"
                                % ", ".join(MISSING))
KEYS = ("rsa-file", "ec-file", "rsa-handle", "ec-handle")


@pytest.fixture(scope="module")
def tpm(emulator, tmp_path_factory):
    trust = TpmTrust(emulator, str(tmp_path_factory.mktemp("tpm")))
    yield trust
    trust.stop()


@pytest.fixture
def env(helper_env, tpm):
    return tpm.tpm.environ(helper_env)


def test_key_files_hold_no_private_key_in_the_clear(tpm):
    """A TSS2 file holds the key wrapped by the TPM's storage key: no PEM private key, nothing cryptography can load."""
    from cryptography.hazmat.primitives import serialization
    for name in ("rsa-file", "ec-file"):
        with open(tpm.keys[name].pem, "rb") as stream:
            data = stream.read()
        assert data.startswith(b"-----BEGIN TSS2 PRIVATE KEY-----") and b"BEGIN PRIVATE KEY" not in data
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(data, None)


@pytest.mark.parametrize("name", KEYS)
def test_credential_process(helper, tpm, emulator, env, name):
    emulator.reset_counters()
    result = run_helper(helper, ["credential-process"] + tpm.args(name), env)
    credentials(result)
    assert emulator.counters().get("CreateSession") == 1
    assert KEY_PASSWORD.encode() not in result.stdout + result.stderr


def test_debug_never_prints_the_password(helper, tpm, env):
    result = run_helper(helper, ["credential-process", "--debug"] + tpm.args("ec-file"), env)
    credentials(result)
    assert KEY_PASSWORD.encode() not in result.stderr


@pytest.mark.parametrize("name", KEYS)
def test_sign_string_verifies_with_the_certificate(helper, tpm, env, name):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.certificate_commands import signing_test_message

    args = ["sign-string", "--format", "text"] + tpm.key_args(name)
    result = run_helper(helper, args, env)
    assert result.returncode == 0, result.stderr
    public_key = tpm.leaves[name].certificate.public_key()
    signature, message = bytes.fromhex(result.stdout.decode()), signing_test_message(public_key)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())


def test_update_writes_credentials(helper, tpm, env):
    result = run_helper(helper, ["update", "--once"] + tpm.args("rsa-handle"), env)
    assert result.returncode == 0, result.stderr
    parser = configparser.RawConfigParser()
    parser.read(env["AWS_SHARED_CREDENTIALS_FILE"])
    assert parser["default"]["aws_access_key_id"].startswith("ASIA")


def test_serve_refreshes_with_the_tpm(helper, tpm, env, tmp_path):
    """Every refresh loads the key under its parent, signs in the TPM and flushes it again."""
    assert_serve_refreshes(helper, tpm.args("ec-file"), env, tmp_path / "serve.log", tpm.trust.role_name, KEY_PASSWORD)
    # nothing was left loaded in the TPM (swtpm has no resource manager: a leak would exhaust its 3 slots)
    assert b"0x80" not in tpm.tpm.tool("tpm2_getcap", "handles-transient")


@pytest.mark.parametrize("name", ("ec-file", "rsa-handle"))
def test_cache_hit_does_not_touch_the_tpm(helper, tpm, emulator, env, tmp_path, name):
    args = ["credential-process", "--cache", "--cache-dir", str(tmp_path / "cache")] + tpm.args(name)
    emulator.reset_counters()
    first = credentials(run_helper(helper, args, env))
    gone = dict(env, TPM2TOOLS_TCTI="swtpm:path=%s" % (tmp_path / "no-such.sock"))  # no TPM: a miss would fail
    assert credentials(run_helper(helper, args, gone)) == first
    assert emulator.counters().get("CreateSession") == 1


def test_wrong_password(helper, tpm, env):
    args = tpm.args("ec-file", password=False) + ["--tpm-key-password", "wrong-one"]
    stderr = assert_error(run_helper(helper, ["credential-process"] + args, env), "incorrect TPM key password",
                          tpm.keys["ec-file"].pem)
    assert "wrong-one" not in stderr


def test_wrong_password_for_a_handle(helper, tpm, env):
    args = tpm.args("rsa-handle", password=False) + ["--tpm-key-password", "wrong-one"]
    stderr = assert_error(run_helper(helper, ["credential-process"] + args, env), "incorrect TPM key password", "handle:0x81000011")
    assert "wrong-one" not in stderr


@pytest.mark.parametrize("name, extra, needles", [
    ("ec-file", [], ["needs its password", "--tpm-key-password"]),  # AWS's helper would prompt on the terminal
    ("rsa-handle", [], ["needs its password", "--no-tpm-key-password"]),
    ("rsa-file", ["--tpm-key-password", "x"], ["--tpm-key-password is given", "has no password"]),
    ("rsa-handle", ["--tpm-key-password", "x", "--no-tpm-key-password"], ["not allowed with argument"]),
])
def test_password_options(helper, tpm, env, name, extra, needles):
    args = tpm.args(name, password=False) + extra
    assert_error(run_helper(helper, ["credential-process"] + args, env), *needles)


def test_no_tpm(helper, tpm, env, tmp_path):
    no_tpm = dict(env, TPM2TOOLS_TCTI="swtpm:path=%s" % (tmp_path / "no-such.sock"))
    assert_error(run_helper(helper, ["credential-process"] + tpm.args("rsa-file"), no_tpm), "the TPM", "cannot be opened",
                 "TPM2TOOLS_TCTI")
    no_device = dict(env, TPM2TOOLS_TCTI="device:%s" % (tmp_path / "tpmrm0"))
    assert_error(run_helper(helper, ["credential-process"] + tpm.args("rsa-handle"), no_device), "cannot be opened")


def test_tcti_that_is_not_spoken(helper, tpm, env):
    tabrmd = dict(env, TPM2TOOLS_TCTI="tabrmd:bus_type=system")
    assert_error(run_helper(helper, ["credential-process"] + tpm.args("rsa-file"), tabrmd), "TPM2TOOLS_TCTI=tabrmd",
                 "not a TCTI this helper speaks", "/dev/tpmrm0")


@pytest.mark.parametrize("handle, needles", [
    ("handle:0x81000999", ["has no key at handle:0x81000999", "tpm2_getcap handles-persistent"]),
    ("handle:0x80000001", ["not a TPM persistent handle"]),
    ("handle:nothex", ["not a TPM persistent handle"]),
])
def test_bad_handles(helper, tpm, env, handle, needles):
    args = tpm.args("rsa-handle")
    args[args.index("--private-key") + 1] = handle
    assert_error(run_helper(helper, ["credential-process"] + args, env), *needles)


def test_key_of_another_certificate(helper, tpm, env):
    args = tpm.args("rsa-file")
    args[args.index("--certificate") + 1] = tpm.certificates["rsa-handle"]
    assert_error(run_helper(helper, ["credential-process"] + args, env), "does not match certificate")


def test_key_file_of_another_tpm(helper, tpm, env, tmp_path):
    """A key wrapped by another TPM's storage key does not load here (TPM_RC_INTEGRITY): one line, no traceback."""
    from tests.support.swtpm import SoftTpm
    other = SoftTpm(tmp_path / "other")
    try:
        key = other.make_key("stranger", "rsa2048")
    finally:
        other.stop()
    args = tpm.args("rsa-file")
    args[args.index("--private-key") + 1] = key.pem
    args[args.index("--certificate") + 1] = _certificate_for(tpm, key, tmp_path)
    assert_error(run_helper(helper, ["credential-process"] + args, env), "cannot be loaded under its parent")


def _certificate_for(tpm, key, tmp_path):
    from tests.support import pki
    from tests.support.hardware_keys import PublicOnly
    leaf = pki.make_leaf(tpm.trust.issuer, cn="stranger.example.com", private_key=PublicOnly(key.public_key))
    path = str(tmp_path / "stranger.pem")
    pki.write_cert_pem(path, leaf.certificate)
    return path


def test_digest_other_than_sha256(helper, tpm, env):
    assert_error(run_helper(helper, ["sign-string", "--digest", "SHA384"] + tpm.key_args("rsa-file"), env),
                 "--digest SHA384 is not available", "TPM")
