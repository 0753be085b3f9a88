# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the fleet tests: an emulator whose moto also publishes ACM PCA CRLs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def pca_emulator(tmp_path_factory):
    """Emulator + moto + CRL publisher in a child process; stops with the module (or by itself after 15 min)."""
    log = tmp_path_factory.mktemp("pca-emulator") / "emulator.log"
    with open(log, "wb") as errors:
        process = subprocess.Popen([sys.executable, os.path.join(HERE, "pca_emulator.py"), "--max-lifetime", "900"],
                                   stdout=subprocess.PIPE, stderr=errors, cwd=os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator did not start; see %s" % log)
        yield json.loads(line)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
