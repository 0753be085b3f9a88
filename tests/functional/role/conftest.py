# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the enroll role path tests: one trust per module, one-host fleets of tests/functional/fleet.

The emulator is the session one of tests/conftest.py (Roles Anywhere + moto on one loopback port). The trust is
made directly on it (tests.support.scenario: root CA as trust anchor, an intermediate CA that signs, role,
profile), which is much faster than the trust playbook that the fleet tests already cover.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from tests.support.fleet import Fleet
from tests.support.scenario import make_trust

__all__ = ["Fleet", "new_fleet"]


def new_fleet(scratch, emulator, trust_vars, name, **extra_group_vars) -> Fleet:
    """A one-host fleet (host h01) that enrols against the module's trust."""
    group_vars = dict(trust_vars)
    group_vars.update(extra_group_vars)
    return Fleet(str(scratch), emulator.endpoint, emulator.region, size=1, name=name, group_vars=group_vars)


@pytest.fixture(scope="module")
def trust_vars(emulator, tmp_path_factory):
    """The enroll variables of a trust whose intermediate CA signs as the role's own CA (with its chain)."""
    directory = tmp_path_factory.mktemp("role-trust")
    trust = make_trust(emulator, directory, intermediate=True, name_prefix="rolepaths")
    issuer = trust.intermediate.write(directory, "issuer")
    chain = os.path.join(directory, "issuer-as-chain.pem")
    shutil.copyfile(issuer.certificate, chain)
    return {"enroll_trust_anchor_arn": trust.trust_anchor_arn, "enroll_profile_arn": trust.profile_arn,
            "enroll_role_arn": trust.role_arn, "enroll_signer": "own_ca", "enroll_own_ca_certificate": issuer.certificate,
            "enroll_own_ca_private_key": issuer.private_key, "enroll_own_ca_chain": chain}


@pytest.fixture
def shared_scratch():
    """A scratch directory other users can traverse (pytest's tmp_path lives in a 0700 directory of root)."""
    path = tempfile.mkdtemp(prefix="rolesanywhere-role-")
    os.chmod(path, 0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)
