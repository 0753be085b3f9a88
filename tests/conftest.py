# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest fixtures: the local Roles Anywhere emulator (plain HTTP and HTTPS).

``emulator`` / ``emulator_tls`` are session-scoped (one process per pytest worker) and offer
``.endpoint``, ``.moto_endpoint``, ``.ca_bundle``, ``.region``, ``.account``, ``.counters()``,
``.reset_counters()``, ``.set_faults(**kw)``, ``.clear_faults()``, ``.failures()``,
``.boto3_client(service)`` and ``.env()``. Tests that set faults must clear them (use
``emulator_faults`` for that). Build trust with ``tests.support.scenario.make_trust``.
"""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # `tests.support...` and `tests.emulator` import from the repository root
    sys.path.insert(0, ROOT)

from tests.emulator.client import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position


# Every test of a pytest worker shares one emulator account, and many make a trust anchor of their own: more than
# AWS's 50 per region. Tests of the quota itself start an emulator with the default.
SHARED_ACCOUNT_ARGS = ["--trust-anchor-quota", "1000"]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    """The emulator over plain HTTP, with moto in the same process (one endpoint for every service)."""
    log = tmp_path_factory.mktemp("emulator") / "emulator.log"
    process = EmulatorProcess.start(log_path=str(log), extra_args=SHARED_ACCOUNT_ARGS)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def emulator_tls(tmp_path_factory):
    """The emulator over HTTPS; ``.ca_bundle`` is the PEM CA that signed its server certificate."""
    directory = tmp_path_factory.mktemp("emulator-tls")
    process = EmulatorProcess.start(tls_dir=str(directory / "tls"), log_path=str(directory / "emulator.log"),
                                    extra_args=SHARED_ACCOUNT_ARGS)
    yield process
    process.stop()


@pytest.fixture
def emulator_faults(emulator):
    """The plain emulator with fault settings cleared after the test, whatever it set."""
    emulator.clear_faults()
    yield emulator
    emulator.clear_faults()
