# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper with keys in a PKCS#11 token (SoftHSM2): the key is made in the token and never leaves it.

AWS's flags and URIs (aws/rolesanywhere-credential-helper README.md "PKCS#11 Integration"): --certificate and
--private-key take RFC 7512 pkcs11: URIs, --pkcs11-lib names the module, --reuse-pin. The emulator verifies every
signature against the certificate's public key, so a wrong signature fails the test.
"""

from __future__ import annotations

import configparser
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.functional.helper.helpers import assert_error, run_helper
from tests.functional.helper.helpers import credential_document as credentials
from tests.support.hardware_keys import assert_serve_refreshes
from tests.support.softhsm import PIN, TOKEN, TokenTrust, missing_parts

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="PKCS#11 tests need %s" % " and ".join(MISSING))


@pytest.fixture(scope="module")
def token(emulator, tmp_path_factory):
    return TokenTrust(emulator, str(tmp_path_factory.mktemp("pkcs11")))


@pytest.fixture
def env(helper_env, token):
    return token.hsm.environ(helper_env)


def test_keys_were_made_in_the_token_and_cannot_leave_it(token):
    for label in ("ra-ec", "ra-rsa"):
        assert token.hsm.key_attributes(TOKEN, PIN, label) == {
            "CKA_EXTRACTABLE": False, "CKA_SENSITIVE": True, "CKA_NEVER_EXTRACTABLE": True, "CKA_ALWAYS_SENSITIVE": True}


def test_ec_key_and_certificate_in_the_token(helper, token, emulator, env):
    emulator.reset_counters()
    result = run_helper(helper, ["credential-process"] + token.args(token.uri("object=ra-ec")), env)
    credentials(result)
    assert emulator.counters().get("CreateSession") == 1
    assert PIN.encode() not in result.stdout + result.stderr


def test_rsa_key_in_the_token_certificate_in_a_file(helper, token, env):
    # pin-value in the URI and the key selected by its CKA_ID, percent-encoded (RFC 7512 section 2.3)
    key = "pkcs11:token=%s;id=%%02?pin-value=%s" % (TOKEN, PIN)
    credentials(run_helper(helper, ["credential-process"] + token.args(token.rsa_certificate, key), env))


def test_key_found_by_the_certificates_id_when_its_label_differs(helper, token, env, tmp_path):
    # draft-woodhouse-cert-best-practice 8.2, as AWS's getPKCS11Key: no key has the label of this certificate
    token.hsm.import_certificate(TOKEN, PIN, token.rsa_leaf.cert_der, "rsa-certificate", b"\x02")
    credentials(run_helper(helper, ["credential-process"] + token.args(token.uri("object=rsa-certificate")), env))


def test_sign_string_verifies_with_the_certificate(helper, token, env):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.certificate_commands import signing_test_message

    for certificate, key, verify in (
            (token.uri("object=ra-ec"), None, lambda k, s, m: k.verify(s, m, ec.ECDSA(hashes.SHA256()))),
            (token.rsa_certificate, token.uri("id=%02"), lambda k, s, m: k.verify(s, m, padding.PKCS1v15(), hashes.SHA256()))):
        args = ["sign-string", "--certificate", certificate, "--format", "text", "--pkcs11-lib", token.hsm.module]
        result = run_helper(helper, args + (["--private-key", key] if key else []), env)
        assert result.returncode == 0, result.stderr
        leaf = token.ec_leaf if key is None else token.rsa_leaf
        public_key = leaf.certificate.public_key()
        verify(public_key, bytes.fromhex(result.stdout.decode()), signing_test_message(public_key))


def test_update_writes_credentials_from_the_token(helper, token, env):
    result = run_helper(helper, ["update", "--once"] + token.args(token.uri("object=ra-ec")), env)
    assert result.returncode == 0, result.stderr
    parser = configparser.RawConfigParser()
    parser.read(env["AWS_SHARED_CREDENTIALS_FILE"])
    assert parser["default"]["aws_access_key_id"].startswith("ASIA")


def test_serve_refreshes_with_the_token(helper, token, env, tmp_path):
    """Every refresh opens a new session, logs in and signs in the token again."""
    assert_serve_refreshes(helper, token.args(token.uri("object=ra-ec")), env, tmp_path / "serve.log",
                           token.trust.role_name, PIN)


def test_cache_hit_does_not_touch_the_token(helper, token, emulator, env, tmp_path):
    args = ["credential-process", "--cache"] + token.args(token.uri("object=ra-ec"))
    emulator.reset_counters()
    first = credentials(run_helper(helper, args, env))
    # The token is gone: a hit must not need it (nor the PIN file), a miss would fail.
    gone = dict(env, SOFTHSM2_CONF=str(tmp_path / "no-such.conf"))
    second = credentials(run_helper(helper, args, gone))
    assert second == first
    assert emulator.counters().get("CreateSession") == 1
    # Another PIN spelling is the same key: the PIN is no part of the entry's identity.
    other = ["credential-process", "--cache"] + token.args(token.uri("object=ra-ec", pin=False) + "?pin-value=" + PIN)
    assert credentials(run_helper(helper, other, gone)) == first


def test_wrong_pin(helper, token, env):
    uri = "pkcs11:token=%s;object=ra-ec?pin-value=999999" % TOKEN
    stderr = assert_error(run_helper(helper, ["credential-process"] + token.args(uri), env), "PIN of token 'fleet'", "is wrong")
    assert "999999" not in stderr


@pytest.mark.parametrize("certificate, key, needles", [
    ("object=no-such", None, ["no certificate in token 'fleet'", "object=no-such"]),
    (None, "object=no-such", ["no private key in token 'fleet'", "object=no-such"]),
    ("object=ra-ec", "object=ra-rsa", ["no private key", "matches", "certificate serial"]),  # the RSA key is not the EC certificate's
])
def test_missing_objects(helper, token, env, certificate, key, needles):
    certificate = token.uri(certificate) if certificate else token.rsa_certificate
    args = token.args(certificate, token.uri(key) if key else None)
    assert_error(run_helper(helper, ["credential-process"] + args, env), *needles)


def test_several_certificates_match(helper, token, env):
    token.hsm.import_certificate(TOKEN, PIN, token.ec_leaf.cert_der, "ra-ec-copy", b"\x01")  # same id, another label
    assert_error(run_helper(helper, ["credential-process"] + token.args(token.uri("id=%01")), env),
                 "2 certificates match pkcs11:token=fleet;id=%01", "Narrow the URI")


def test_no_matching_token(helper, token, env):
    uri = "pkcs11:token=elsewhere;object=ra-ec?pin-source=" + token.pin_file
    assert_error(run_helper(helper, ["credential-process"] + token.args(uri), env), "no PKCS#11 token matches", "token=elsewhere")


def test_missing_module(helper, token, env):
    args = token.args(token.uri("object=ra-ec"), module="/nonexistent/libpkcs11.so")
    assert_error(run_helper(helper, ["credential-process"] + args, env), "PKCS#11 module /nonexistent/libpkcs11.so cannot be loaded")


def test_default_module_is_p11_kits_proxy(helper, token, env):
    """Without --pkcs11-lib, AWS's helper loads p11-kit-proxy.so (pkcs11_signer.go initializePKCS11Module)."""
    import ctypes
    try:
        ctypes.CDLL("p11-kit-proxy.so")
        pytest.skip("p11-kit's proxy is installed here: it would find the token through SoftHSM2's p11-kit module")
    except OSError:
        pass
    args = [arg for arg in token.args(token.uri("object=ra-ec")) if arg not in ("--pkcs11-lib", token.hsm.module)]
    assert_error(run_helper(helper, ["credential-process"] + args, env), "PKCS#11 module p11-kit-proxy.so cannot be loaded",
                 "--pkcs11-lib")


def test_pin_missing(helper, token, env):
    args = token.args(token.rsa_certificate, token.uri("object=ra-rsa", pin=False))
    assert_error(run_helper(helper, ["credential-process"] + args, env), "needs its user PIN", "pin-source")


def test_pin_source_readable_by_others(helper, token, env, tmp_path):
    path = tmp_path / "pin"
    path.write_text(PIN)
    path.chmod(0o644)
    uri = "pkcs11:token=%s;object=ra-ec?pin-source=file://%s" % (TOKEN, path)
    stderr = assert_error(run_helper(helper, ["credential-process"] + token.args(uri), env), "accessible by group or others",
                          "chmod 600")
    assert PIN not in stderr


@pytest.mark.parametrize("uri, needle", [
    ("pkcs11:token=fleet;object=a;object=b", "gives object twice"),
    ("pkcs11:token=fleet;colour=red", "unknown path attribute 'colour'"),
    ("pkcs11:token=fleet;id=%zz", "malformed percent-encoding"),
    ("pkcs11:object=a?pin-value=1&pin-source=/p", "both pin-value and pin-source"),
])
def test_malformed_uri(helper, token, env, uri, needle):
    assert_error(run_helper(helper, ["credential-process"] + token.args(uri), env), "--certificate", needle)


def test_bindings_not_installed(helper, token, env, tmp_path):
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "PyKCS11.py").write_text("raise ImportError('hidden by the test')\n")
    env = dict(env, PYTHONPATH=str(shadow) + os.pathsep + env.get("PYTHONPATH", ""))
    assert_error(run_helper(helper, ["credential-process"] + token.args(token.uri("object=ra-ec")), env),
                 "PyKCS11, which is not installed", "apt-get install python3-pykcs11", "pip install PyKCS11")


def test_file_keys_do_not_import_the_bindings(helper, token, env, tmp_path):
    """A host with key files needs nothing new: the helper never imports PyKCS11 for them."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "PyKCS11.py").write_text("raise SystemExit('PyKCS11 imported')\n")
    env = dict(env, PYTHONPATH=str(shadow) + os.pathsep + env.get("PYTHONPATH", ""))
    trust = token.trust
    args = ["credential-process", "--certificate", trust.certificate, "--private-key", trust.private_key,
            "--trust-anchor-arn", trust.trust_anchor_arn, "--profile-arn", trust.profile_arn, "--role-arn", trust.role_arn,
            "--endpoint", trust.endpoint]
    credentials(run_helper(helper, args, env))
