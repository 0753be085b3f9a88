# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials lookup with keys in a SoftHSM2 token: the same pkcs11: URIs as the helper's flags."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import pkcs11
from tests.support.hardware_keys import lookup_fixture
from tests.support.softhsm import PIN, TOKEN, TokenTrust, missing_parts

from .conftest import options_for

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="PKCS#11 tests need %s" % " and ".join(MISSING))


def forget_module(made):
    pkcs11._MODULES.pop(made.hsm.module, None)  # pylint: disable=protected-access  # finalised when collected


# One token for this process: SoftHSM2 reads SOFTHSM2_CONF once, when the module is first loaded here.
token = lookup_fixture("pkcs11-lookup", TokenTrust, lambda made: {"SOFTHSM2_CONF": made.hsm.conf}, forget_module)


def test_ec_key_and_certificate_in_the_token(token, emulator, run_lookup):
    options = options_for(token.trust, emulator, certificate=token.uri("object=ra-ec"), pkcs11_lib=token.hsm.module)
    del options["private_key"]
    assert run_lookup(**options)["source_identity"] == "hsm-ec.example.com"


def test_rsa_key_in_the_token_certificate_in_a_file(token, emulator, run_lookup):
    options = options_for(token.trust, emulator, certificate=token.rsa_certificate, private_key=token.uri("id=%02"),
                          pkcs11_lib=token.hsm.module)
    assert run_lookup(**options)["source_identity"] == "hsm-rsa.example.com"


def test_wrong_pin_is_one_clear_message(token, emulator, run_lookup):
    uri = "pkcs11:token=%s;object=ra-rsa?pin-value=000000" % TOKEN
    options = options_for(token.trust, emulator, certificate=token.rsa_certificate, private_key=uri, pkcs11_lib=token.hsm.module)
    with pytest.raises(AnsibleLookupError, match="the PIN of token 'fleet'.* is wrong") as raised:
        run_lookup(**options)
    assert "000000" not in str(raised.value) and PIN not in str(raised.value)
