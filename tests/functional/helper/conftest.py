# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the credential helper tests: the built helper file, trust on the emulator, a runner."""

from __future__ import annotations

import sys

import pytest

from tests.support.commands import build_helper
from tests.support.scenario import make_trust


@pytest.fixture(scope="session")
def helper(tmp_path_factory):
    """Path of the helper file built from this checkout, run by the test interpreter (it has cryptography)."""
    path = tmp_path_factory.mktemp("helper") / "rolesanywhere-credential-helper"
    path.write_bytes(build_helper(interpreter=sys.executable))
    path.chmod(0o755)
    return str(path)


@pytest.fixture(scope="module")
def trust(emulator, tmp_path_factory):
    """An EC trust (CA, anchor, role, profile accepting session names) on the plain emulator."""
    return make_trust(emulator, tmp_path_factory.mktemp("trust"), accept_role_session_name=True)


@pytest.fixture
def helper_env(emulator, tmp_path):
    """Environment for the helper: no AWS keys, no proxies, a private cache and credentials file."""
    env = emulator.env()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    env.pop("XDG_RUNTIME_DIR", None)  # the cache in XDG_CACHE_HOME, whatever the machine's session has
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "aws" / "credentials")
    return env
