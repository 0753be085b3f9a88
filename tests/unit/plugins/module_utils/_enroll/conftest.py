# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The software TPM of the enroll role's TPM tests (test_tpm_key.py, test_tpm_handle.py)."""

from __future__ import annotations

import pytest

from tests.support.swtpm import SoftTpm, missing_parts


@pytest.fixture
def soft_tpm(tmp_path):
    """swtpm on a private socket (tests/support/swtpm.py); the test is skipped where its packages are missing."""
    missing = missing_parts()
    if missing:
        pytest.skip("needs the Debian packages %s" % " and ".join(missing))
    soft = SoftTpm(tmp_path / "tpm")
    yield soft
    soft.stop()
