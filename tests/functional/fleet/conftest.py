# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the fleet tests: an emulator of their own (its moto publishes ACM PCA CRLs, as every emulator's does)."""

from __future__ import annotations

import pytest

from tests.emulator.client import EmulatorProcess


@pytest.fixture(scope="module")
def pca_emulator(tmp_path_factory):
    """The emulator's first line as a dict (endpoint, moto_endpoint, ca_bundle, region, account), one per module.

    A fresh process per module keeps each fleet's IAM, ACM PCA and S3 state apart from the session's emulator;
    it stops with the module, or by itself when pytest is gone.
    """
    log = tmp_path_factory.mktemp("pca-emulator") / "emulator.log"
    process = EmulatorProcess.start(log_path=str(log))
    try:
        yield {"endpoint": process.endpoint, "moto_endpoint": process.moto_endpoint, "ca_bundle": process.ca_bundle,
               "region": process.region, "account": process.account}
    finally:
        process.stop()
