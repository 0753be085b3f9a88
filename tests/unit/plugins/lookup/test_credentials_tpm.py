# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credentials lookup with keys in a software TPM (swtpm): the same key references as the helper's --private-key."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from tests.support.hardware_keys import lookup_fixture
from tests.support.swtpm import KEY_PASSWORD, TpmTrust, missing_parts

from .conftest import options_for

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="TPM tests need the Debian packages %s (make system-packages)"
                                % ", ".join(MISSING))


tpm = lookup_fixture("tpm-lookup", TpmTrust, lambda made: {"TPM2TOOLS_TCTI": made.tpm.tcti}, lambda made: made.stop())


def test_tss2_key_file_with_its_password(tpm, emulator, run_lookup):
    options = options_for(tpm.trust, emulator, certificate=tpm.certificates["ec-file"], private_key=tpm.keys["ec-file"].pem,
                          tpm_key_password=KEY_PASSWORD)
    assert run_lookup(**options)["source_identity"] == "tpm-ec-file.example.com"


def test_persistent_handle_without_a_password(tpm, emulator, run_lookup):
    options = options_for(tpm.trust, emulator, certificate=tpm.certificates["ec-handle"], private_key=tpm.keys["ec-handle"].handle,
                          no_tpm_key_password=True)
    assert run_lookup(**options)["source_identity"] == "tpm-ec-handle.example.com"


def test_wrong_password_is_one_clear_message(tpm, emulator, run_lookup):
    options = options_for(tpm.trust, emulator, certificate=tpm.certificates["rsa-handle"], private_key=tpm.keys["rsa-handle"].handle,
                          tpm_key_password="not-it")
    with pytest.raises(AnsibleLookupError, match="incorrect TPM key password for handle:0x81000011") as raised:
        run_lookup(**options)
    assert "not-it" not in str(raised.value) and KEY_PASSWORD not in str(raised.value)
