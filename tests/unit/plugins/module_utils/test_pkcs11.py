# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PKCS#11 keys without a token: RFC 7512 URIs, the PIN, the ECDSA encoding, token errors, the signer seam, cache keys.

The end-to-end behaviour with a real token (SoftHSM2) is in tests/functional/helper/test_pkcs11.py; here the bindings
are replaced by a fake where a token's answers (a locked PIN, a removed token) cannot be provoked in SoftHSM2.
"""

from __future__ import annotations

import os
import random

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import cache, pkcs11, signing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError, MaterialError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.pkcs11_uri import (
    format_uri, is_pkcs11_uri, parse_uri, read_pin, without_pin)


# --- RFC 7512 URIs --------------------------------------------------------------------------------------

def test_uri_attributes_are_percent_decoded():
    uri = parse_uri("pkcs11:token=My%20token;id=%01%ff;object=ra%3bkey;type=private;x-vendor=1?pin-value=12%2634&module-name=softhsm2")
    assert uri.path == {"token": b"My token", "id": b"\x01\xff", "object": b"ra;key", "type": b"private", "x-vendor": b"1"}
    assert uri.query == {"pin-value": b"12&34", "module-name": b"softhsm2"}
    assert uri.text("token") == "My token" and uri.text("serial") is None and uri.has_pin()
    assert "12&34" not in repr(uri) and "12%2634" not in repr(uri)


def test_format_and_parse_round_trip():
    path = {"token": b"a b;c", "id": bytes(range(0, 256, 17)), "object": "é".encode("utf-8")}
    assert parse_uri(format_uri(path, {})).path == path


@pytest.mark.parametrize("value, needle", [
    ("pkcs11:token=a;token=b", "gives token twice"),
    ("pkcs11:colour=red", "unknown path attribute 'colour'"),
    ("pkcs11:token=a?pin=1", "unknown query attribute 'pin'"),
    ("pkcs11:id=%1", "id has a malformed percent-encoding"),
    ("pkcs11:type=key", "type must be one of public, private, cert"),
    ("pkcs11:slot-id=first", "slot-id is not a number"),
    ("pkcs11:object=a?pin-value=1&pin-source=/p", "both pin-value and pin-source"),
    ("pkcs11:object=a?pin-value1234", "has a query part that is not name=value"),
    ("/etc/key.pem", "is not a pkcs11: URI"),
])
def test_malformed_uris_are_refused_by_name(value, needle):
    with pytest.raises(ConfigurationError, match="^--private-key") as raised:
        parse_uri(value)
    assert needle in str(raised.value)
    assert "1234" not in str(raised.value)  # a PIN written wrongly is not echoed


def test_without_pin_keeps_everything_else():
    assert without_pin("pkcs11:token=t;object=k?pin-value=1234") == "pkcs11:token=t;object=k"
    assert without_pin("pkcs11:object=k?module-name=x&pin-source=/p") == "pkcs11:object=k?module-name=x"
    assert without_pin("pkcs11:object=k") == "pkcs11:object=k"
    assert without_pin("/etc/pki/key.pem") == "/etc/pki/key.pem" and not is_pkcs11_uri("/etc/pki/key.pem")


# --- the PIN --------------------------------------------------------------------------------------------

def _pin_file(tmp_path, text, mode=0o600):
    path = tmp_path / "pin"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_pin_from_value_and_from_source(tmp_path):
    assert read_pin(parse_uri("pkcs11:object=k?pin-value=0000")) == "0000"
    assert read_pin(parse_uri("pkcs11:object=k")) is None
    path = _pin_file(tmp_path, "123456\n")
    for source in (path, "file:" + path, "file://" + path):
        assert read_pin(parse_uri("pkcs11:object=k?pin-source=" + source)) == "123456"


@pytest.mark.parametrize("text, mode, needle", [
    ("123456", 0o640, "is accessible by group or others (mode 0640)"),
    ("\n", 0o600, "is empty"),
])
def test_unusable_pin_source(tmp_path, text, mode, needle):
    uri = parse_uri("pkcs11:object=k?pin-source=" + _pin_file(tmp_path, text, mode), "--certificate")
    with pytest.raises(ConfigurationError, match="^--certificate: pin-source") as raised:
        read_pin(uri)
    assert needle in str(raised.value) and "123456" not in str(raised.value)


def test_pin_source_link_is_not_followed(tmp_path):
    target = _pin_file(tmp_path, "123456")
    os.symlink(target, str(tmp_path / "link"))
    with pytest.raises(ConfigurationError, match="cannot be read"):
        read_pin(parse_uri("pkcs11:object=k?pin-source=%s" % (tmp_path / "link")))


# --- ECDSA: PKCS#11's r||s as DER ------------------------------------------------------------------------

@pytest.mark.parametrize("size", [32, 48, 66])  # P-256, P-384, P-521 (66-byte halves: a long-form DER length)
def test_ecdsa_der_matches_cryptography(size):
    rng = random.Random(size)
    for _sample in range(200):
        r, s = rng.getrandbits(8 * size) >> rng.randrange(0, 16), rng.getrandbits(8 * size)
        raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
        assert pkcs11.ecdsa_der(raw) == encode_dss_signature(r, s)


# --- token errors, with fake bindings ---------------------------------------------------------------------

class FakeError(Exception):
    def __init__(self, value):
        super().__init__(value)
        self.value = value


class FakeBindings(object):
    PyKCS11Error = FakeError
    CKU_USER, CKU_CONTEXT_SPECIFIC = 1, 2
    CKM_ECDSA, CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS = 0x1041, 0x1, 0x40
    CKR = {0xA0: "CKR_PIN_INCORRECT", 0xA4: "CKR_PIN_LOCKED", 0x100: "CKR_USER_ALREADY_LOGGED_IN", 0x32: "CKR_DEVICE_REMOVED",
           0x101: "CKR_USER_NOT_LOGGED_IN", 0x63: "CKR_KEY_TYPE_INCONSISTENT"}
    CKM = {}

    class Mechanism(object):
        def __init__(self, mechanism, parameter):
            self.mechanism = mechanism


@pytest.fixture
def fake_bindings(monkeypatch):
    monkeypatch.setattr(pkcs11, "bindings", lambda: FakeBindings)
    return FakeBindings


class FakeSession(object):
    def __init__(self, login_error=None, sign_errors=(), signer_key=None):
        self.login_error = login_error
        self.sign_errors = list(sign_errors)
        self.key = signer_key
        self.logins = []
        self.closed = False

    def login(self, pin, user_type):
        self.logins.append(user_type)
        if self.login_error:
            raise FakeError(self.login_error)

    def sign(self, _handle, payload, mechanism):
        if self.sign_errors:
            raise FakeError(self.sign_errors.pop(0))
        assert mechanism.mechanism == FakeBindings.CKM_ECDSA and len(payload) == 32
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
        r, s = decode_dss_signature(self.key.sign(payload, ec.ECDSA(Prehashed(hashes.SHA256()))))
        return list(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def closeSession(self):  # noqa: N802  (PyKCS11's name)
        self.closed = True


class FakeToken(object):
    name = "token 'fake' (serial 1)"
    slot = 0


@pytest.mark.parametrize("code, needle", [
    (0xA0, "the PIN of token 'fake' (serial 1) is wrong"),
    (0xA4, "token 'fake' (serial 1) is locked: too many wrong PINs"),
    (0x63, "logging in to token 'fake' (serial 1) failed: CKR_KEY_TYPE_INCONSISTENT"),
])
def test_login_errors_are_one_clear_line(fake_bindings, code, needle):
    with pytest.raises(MaterialError) as raised:
        pkcs11.log_in(FakeSession(login_error=code), FakeToken(), "999999", "pkcs11:token=fake")
    assert needle in str(raised.value) and "999999" not in str(raised.value) and "\n" not in str(raised.value)


def test_already_logged_in_is_fine(fake_bindings):
    pkcs11.log_in(FakeSession(login_error=0x100), FakeToken(), "1", "uri")


def _signer(key, session, always_authenticate=False, reuse_pin=False):
    certificate_stub = type("Certificate", (), {"public_key": lambda self: key.public_key()})()
    signer = pkcs11.Pkcs11Signer(None, certificate_stub, "EC", "pkcs11:object=k in token 'fake'", always_authenticate, "1234",
                                 reuse_pin)
    signer.attach(session, 7, FakeToken())
    return signer


def test_signer_signs_where_the_signing_core_asks(fake_bindings):
    key = ec.generate_private_key(ec.SECP256R1())
    signer = _signer(key, FakeSession(signer_key=key))
    assert signing.algorithm_for_key(signer) == signing.ALGORITHM_ECDSA
    signature = signing.sign_string(signer, "AWS4-X509-ECDSA-SHA256\n20260101T000000Z\nscope\nhash")
    key.public_key().verify(signature, b"AWS4-X509-ECDSA-SHA256\n20260101T000000Z\nscope\nhash", ec.ECDSA(hashes.SHA256()))


def test_signer_logs_in_again_after_the_token_came_back(fake_bindings):
    key = ec.generate_private_key(ec.SECP256R1())
    stale = FakeSession(sign_errors=[0x32], signer_key=key)
    fresh = FakeSession(signer_key=key)
    signer = _signer(key, stale)
    located = []
    signer._locate = lambda: located.append(1) or (fresh, 8, FakeToken())  # pylint: disable=protected-access
    signature = signer.sign(b"data")
    key.public_key().verify(signature, b"data", ec.ECDSA(hashes.SHA256()))
    assert located == [1] and stale.closed
    signing.release_key(signer)
    assert fresh.closed


def test_signer_gives_up_after_one_fresh_try(fake_bindings):
    key = ec.generate_private_key(ec.SECP256R1())
    signer = _signer(key, FakeSession(sign_errors=[0x32], signer_key=key))
    signer._locate = lambda: (FakeSession(sign_errors=[0x32], signer_key=key), 8, FakeToken())  # pylint: disable=protected-access
    with pytest.raises(MaterialError, match="signing with pkcs11:object=k in token 'fake' failed: CKR_DEVICE_REMOVED"):
        signer.sign(b"data")


class RsaSession(FakeSession):
    """A token that has only CKM_RSA_PKCS (raw PKCS#1 v1.5 over what it is given), as many smart cards."""

    def sign(self, _handle, payload, mechanism):
        assert mechanism.mechanism == FakeBindings.CKM_RSA_PKCS
        numbers = self.key.private_numbers()
        size = (numbers.public_numbers.n.bit_length() + 7) // 8
        block = b"\x00\x01" + b"\xff" * (size - 3 - len(payload)) + b"\x00" + payload  # EMSA-PKCS1-v1_5 padding
        return list(pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n).to_bytes(size, "big"))


class FakeLibrary(object):
    def __init__(self, mechanisms):
        self.mechanisms = mechanisms

    def getMechanismList(self, _slot):  # noqa: N802  (PyKCS11's name)
        return self.mechanisms


def test_rsa_key_on_a_token_without_sha256_rsa_pkcs(fake_bindings):
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    key = rsa.generate_private_key(65537, 2048)
    certificate_stub = type("Certificate", (), {"public_key": lambda self: key.public_key()})()
    signer = pkcs11.Pkcs11Signer(FakeLibrary([FakeBindings.CKM_RSA_PKCS, 0x1]), certificate_stub, "RSA", "k", False, None, False)
    signer.attach(RsaSession(signer_key=key), 7, FakeToken())
    assert signing.algorithm_for_key(signer) == signing.ALGORITHM_RSA
    key.public_key().verify(signer.sign(b"string to sign"), b"string to sign", padding.PKCS1v15(), hashes.SHA256())


def test_rsa_prefers_sha256_rsa_pkcs_as_aws_helper(fake_bindings):
    signer = pkcs11.Pkcs11Signer(FakeLibrary([0x1, 0x40]), None, "RSA", "k", False, None, False)
    signer.attach(None, 7, FakeToken())
    assert signer._mechanism_for() == FakeBindings.CKM_SHA256_RSA_PKCS  # pylint: disable=protected-access


def test_always_authenticate_key_needs_reuse_pin(fake_bindings):
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(MaterialError, match=r"asks for its PIN at every signature \(CKA_ALWAYS_AUTHENTICATE\).*--reuse-pin"):
        _signer(key, FakeSession(signer_key=key), always_authenticate=True).sign(b"data")
    session = FakeSession(signer_key=key)
    _signer(key, session, always_authenticate=True, reuse_pin=True).sign(b"data")
    assert session.logins == [FakeBindings.CKU_CONTEXT_SPECIFIC]


def test_missing_bindings_name_the_package(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "PyKCS11", None)  # import PyKCS11 -> ImportError
    with pytest.raises(ConfigurationError, match="PyKCS11, which is not installed.*apt-get install python3-pykcs11"):
        pkcs11.bindings()


# --- the credential cache --------------------------------------------------------------------------------

def test_cache_identity_of_a_token_key_holds_no_pin_and_names_the_module():
    base = {"certificate": "pkcs11:token=t;object=k?pin-value=1234", "trust_anchor_arn": "a", "profile_arn": "p", "role_arn": "r"}
    other_pin = dict(base, certificate="pkcs11:token=t;object=k?pin-source=/etc/pin")
    assert cache.identity_key(cache.with_pkcs11_module(dict(base), "/lib/a.so")) == \
        cache.identity_key(cache.with_pkcs11_module(dict(other_pin), "/lib/a.so"))
    assert cache.identity_key(cache.with_pkcs11_module(dict(base), "/lib/a.so")) != \
        cache.identity_key(cache.with_pkcs11_module(dict(base), "/lib/b.so"))
    files = {"certificate": "/c.pem", "private_key": "/k.pem"}
    assert cache.with_pkcs11_module(dict(files), "/lib/a.so") == files  # file keys keep the keys they always had
    assert cache.certificate_state("pkcs11:token=t;object=k?pin-value=1234") == "pkcs11 pkcs11:token=t;object=k"
