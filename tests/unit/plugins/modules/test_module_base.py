# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every control-plane module shares: collection info, documentation, action group, no leaks."""

from __future__ import annotations

import importlib
import os

import pytest
import yaml

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import modules as base

from .conftest import unique

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
CONTROL_PLANE_MODULES = ["trust_anchor", "trust_anchor_info", "profile", "profile_info", "crl", "crl_info", "subject_info"]


def test_collection_version_matches_galaxy_yml():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    assert base.COLLECTION_NAME == "%s.%s" % (galaxy["namespace"], galaxy["name"])
    assert base.COLLECTION_VERSION == galaxy["version"]


def test_every_module_is_in_the_aws_action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        group = yaml.safe_load(handle)["action_groups"]["aws"]
    assert set(CONTROL_PLANE_MODULES) <= set(item for item in group if isinstance(item, str))
    assert {"metadata": {"extend_group": ["amazon.aws.aws"]}} in group


@pytest.mark.parametrize("name", CONTROL_PLANE_MODULES)
def test_documentation_is_yaml_with_the_required_fragments(name):
    module = importlib.import_module("ansible_collections.rolesanywhere.fleet.plugins.modules." + name)
    documentation = yaml.safe_load(module.DOCUMENTATION)
    assert documentation["module"] == name
    fragments = documentation["extends_documentation_fragment"]
    for fragment in ("amazon.aws.common.modules", "amazon.aws.region.modules", "amazon.aws.boto3"):
        assert fragment in fragments
    if not name.endswith("_info"):
        assert "amazon.aws.tags" in fragments
    yaml.safe_load(module.EXAMPLES)
    yaml.safe_load(module.RETURN)


def test_a_private_key_in_any_option_never_comes_back(modules, emulator):
    key_pem = emulator_key = None
    from tests.support import pki  # pylint: disable=import-outside-toplevel

    ca = pki.make_ca("RSA", cn="Leaky CA")
    key_pem = ca.key_pem.decode()
    emulator_key = "".join(key_pem.splitlines()[1:-1])
    for module, params in (
        ("trust_anchor", dict(name=unique("leak"), certificate_bundle=key_pem)),
        ("crl", dict(name=unique("leak"), crl_data=key_pem)),
    ):
        result = modules.run(module, **params)
        assert result["failed"] is True
        output = modules.outputs[-1]
        for start in range(0, len(emulator_key) - 32, 32):
            assert emulator_key[start:start + 32] not in output
    assert modules.calls == {}
