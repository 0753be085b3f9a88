# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's enroll_key_type choices: each has a key spec that community.crypto can make, and the
signing core accepts the key it makes (EC P-521 included). ML-DSA is not offered: community.crypto has an ML-DSA
type only from 3.3.0 on, and the floor of the supported range (community.crypto 2.22) has none."""

from __future__ import annotations

import json
import os

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

try:
    from ansible_collections.community.crypto.plugins.module_utils._crypto.module_backends import privatekey
except ImportError:  # community.crypto < 3 (the floor of the supported range, `make floor`) had no leading underscore
    from ansible_collections.community.crypto.plugins.module_utils.crypto.module_backends import privatekey  # type: ignore[no-redef]
import ansible_collections.community.crypto as community_crypto
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as material_x509
from tests.support import pki

ROLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "enroll")


def _yaml(*parts):
    with open(os.path.join(ROLE, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


CHOICES = _yaml("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]["enroll_key_type"]["choices"]
SPECS = _yaml("vars", "main.yml")["__enroll_key_types"]


def test_every_choice_has_a_spec_community_crypto_can_make():
    assert sorted(CHOICES) == sorted(SPECS)
    assert "ec-p521" in CHOICES and not [choice for choice in CHOICES if "ml" in choice.lower()]
    spec = privatekey.get_privatekey_argument_spec().argument_spec
    for name, key_spec in SPECS.items():
        assert key_spec["type"] in spec["type"]["choices"], name
        if "curve" in key_spec:
            assert key_spec["curve"] in spec["curve"]["choices"], name
    # community.crypto 3.3.0 added ML-DSA-44/65/87 (its changelog, openssl_privatekey, PR 1058); before it, none. The
    # role can offer ML-DSA once the floor of the supported range reaches 3.3.0.
    ml_dsa = sorted(t for t in spec["type"]["choices"] if "DSA" in t.upper() and t != "DSA")
    assert ml_dsa == (["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"] if community_crypto_version() >= (3, 3) else []), ml_dsa


def community_crypto_version():
    with open(os.path.join(list(community_crypto.__path__)[0], "MANIFEST.json"), encoding="utf-8") as handle:
        return tuple(int(part) for part in json.load(handle)["collection_info"]["version"].split(".")[:2])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_signing_core_takes_every_choice(tmp_path, name):
    key_spec = SPECS[name]
    if key_spec["type"] == "RSA":
        key = pki.generate_key("RSA", key_size=key_spec["size"])
    else:
        key = pki.generate_key("EC", curve={"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key_spec["curve"]])
    path = tmp_path / "key.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    loaded = material_x509.load_private_key(str(path))
    assert signing.algorithm_for_key(loaded) == ("AWS4-X509-RSA-SHA256" if key_spec["type"] == "RSA" else "AWS4-X509-ECDSA-SHA256")
