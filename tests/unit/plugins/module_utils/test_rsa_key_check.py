# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RSA keys load without OpenSSL's primality tests, and are checked as Go's rsa.PrivateKey.Validate checks them."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import MaterialError


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def tampered(key, **changes):
    numbers = key.private_numbers()
    values = dict(p=numbers.p, q=numbers.q, d=numbers.d, dmp1=numbers.dmp1, dmq1=numbers.dmq1, iqmp=numbers.iqmp)
    values.update(changes)
    broken = rsa.RSAPrivateNumbers(public_numbers=numbers.public_numbers, **values)
    return broken.private_key(unsafe_skip_rsa_key_validation=True)


def test_a_good_key_loads(rsa_key):
    loaded = x509.load_private_key(pem(rsa_key))
    assert loaded.private_numbers() == rsa_key.private_numbers()


@pytest.mark.parametrize("field", ["d", "dmp1", "dmq1", "iqmp"])
def test_inconsistent_keys_are_refused(rsa_key, field):
    numbers = rsa_key.private_numbers()
    with pytest.raises(MaterialError, match="is not a consistent RSA key"):
        x509.load_private_key(pem(tampered(rsa_key, **{field: getattr(numbers, field) + 2})))


def test_loading_skips_the_primality_tests(rsa_key):
    """The reason for the switch: loading is cheaper than OpenSSL's full check (about 30 ms for RSA-2048)."""
    data = pem(rsa_key)
    started = time.perf_counter()
    for _run in range(5):
        x509.load_private_key(data)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for _run in range(5):
        serialization.load_pem_private_key(data, password=None)
    checked = time.perf_counter() - started
    assert x509._rsa_load_options() == {"unsafe_skip_rsa_key_validation": True}  # pylint: disable=protected-access
    assert ours < checked
