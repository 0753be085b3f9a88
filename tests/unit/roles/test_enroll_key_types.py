# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's enroll_key_type choices: each has a key spec that the role's key maker
(plugins/module_utils/_enroll/request.make_key, run on the host by enroll_slot) turns into a key of that type and
size or curve, and the signing core accepts the key it makes (EC P-521 included). ML-DSA is not offered: AWS's
signing helper and the SigV4-X509 algorithms Roles Anywhere documents are RSA and ECDSA only
(AWS4-X509-RSA-SHA256, AWS4-X509-ECDSA-SHA256)."""

from __future__ import annotations

import os

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as material_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll import request

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "enroll")


def _yaml(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


CHOICES = _yaml("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]["enroll_key_type"]["choices"]
SPECS = _yaml("vars", "main.yml")["__enroll_key_types"]


def test_every_choice_has_a_spec_and_none_is_ml_dsa():
    assert sorted(CHOICES) == sorted(SPECS)
    assert "ec-p521" in CHOICES and not [choice for choice in CHOICES if "ml" in choice.lower()]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_key_maker_makes_the_key_the_choice_names(name):
    key_spec = SPECS[name]
    key = request.make_key(key_spec)
    if key_spec["type"] == "RSA":
        assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == key_spec["size"], name
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == key_spec["curve"], name


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_signing_core_takes_every_choice(tmp_path, name):
    key_spec = SPECS[name]
    key = request.make_key(key_spec)
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    loaded = material_x509.load_private_key(str(path))
    assert signing.algorithm_for_key(loaded) == ("AWS4-X509-RSA-SHA256" if key_spec["type"] == "RSA" else "AWS4-X509-ECDSA-SHA256")
