# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.profile and profile_info against the emulator (and a real CreateSession)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as ra_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import AccessDeniedError
from tests.support import pki
from tests.support.scenario import trust_policy

from .conftest import unique

ROLE = "arn:aws:iam::123456789012:role/fleet-%s"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
    ],
}


def _mappings(result):
    return {item["certificate_field"]: [rule["specifier"] for rule in item["mapping_rules"]] for item in result["profile"]["attribute_mappings"]}


def test_create_update_delete_rhythm(modules):
    name = unique("profile")
    params = dict(
        name=name,
        role_arns=[ROLE % "a", ROLE % "b"],
        managed_policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        session_policy=POLICY,
        duration_seconds=7200,
        accept_role_session_name=True,
        require_instance_properties=False,
        enabled=True,
        tags={"env": "test"},
        attribute_mappings=[{"certificate_field": "x509Subject", "specifiers": ["CN"]}],
    )
    predicted, applied, calls, again = modules.rhythm("profile", **params)
    assert calls == {"CreateProfile": 1, "DeleteAttributeMapping": 1, "PutAttributeMapping": 1}
    profile = applied["profile"]
    assert profile["name"] == name and profile["enabled"] is True and profile["duration_seconds"] == 7200
    assert sorted(profile["role_arns"]) == [ROLE % "a", ROLE % "b"]
    assert profile["accept_role_session_name"] is True and profile["tags"] == {"env": "test"}
    assert json.loads(profile["session_policy"]) == POLICY
    assert _mappings(applied) == {"x509Subject": ["CN"], "x509Issuer": ["*"], "x509SAN": ["DNS", "URI", "Name/*"]}
    assert _mappings(predicted) == _mappings(applied)  # check mode predicted AWS's defaults plus the change
    assert again["profile"] == profile

    # Semantically equal policy, other role order, JSON text instead of a mapping: no change.
    reversed_policy = json.dumps({"Statement": list(reversed(POLICY["Statement"])), "Version": "2012-10-17"})
    reordered = dict(params, role_arns=[ROLE % "b", ROLE % "a"], session_policy=reversed_policy)
    assert modules.run("profile", **reordered)["changed"] is False
    assert not modules.changing_calls

    [read_back] = modules.run("profile_info", name=name)["profiles"]
    assert read_back == profile

    deny_only = {"Version": "2012-10-17", "Statement": [POLICY["Statement"][1]]}
    updated, calls = modules.rhythm(
        "profile", profile_id=profile["profile_id"], role_arns=[ROLE % "c"], duration_seconds=900, enabled=False, session_policy=deny_only
    )[1:3]
    assert calls == {"UpdateProfile": 1, "DisableProfile": 1}
    assert updated["profile"]["role_arns"] == [ROLE % "c"] and updated["profile"]["duration_seconds"] == 900
    assert updated["profile"]["managed_policy_arns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]  # unset: untouched
    assert updated["profile"]["tags"] == {"env": "test"}

    deleted, calls = modules.rhythm("profile", name=name, state="absent")[1:3]
    assert calls == {"DeleteProfile": 1} and deleted["profile"] == {}
    assert modules.run("profile_info", name=name)["profiles"] == []


def test_require_instance_properties_is_create_only(modules):
    name = unique("profile")
    created = modules.run("profile", name=name, role_arns=[ROLE % "a"], require_instance_properties=True)
    try:
        assert created["profile"]["require_instance_properties"] is True
        for check_mode in (True, False):
            result = modules.run("profile", name=name, require_instance_properties=False, duration_seconds=1800, check_mode=check_mode)
            assert result["failed"] is True
            assert "require_instance_properties is true" in result["msg"] and "can only be set when a profile is created" in result["msg"]
            assert not modules.changing_calls  # nothing else was changed either
        assert modules.run("profile", name=name, require_instance_properties=True)["changed"] is False
    finally:
        modules.run("profile", name=name, state="absent")


def test_purge_attribute_mappings_fixes_an_issuer_that_cannot_be_a_session_tag(modules, emulator, tmp_path):
    # An issuer CN with '&' cannot become a session tag: CreateSession fails until the mapping goes.
    ca = pki.make_ca("EC", cn="R&D Root CA")
    paths = pki.make_leaf(ca, cn="host1.example.com", sans=["host1.example.com"]).write(str(tmp_path), "leaf")
    rolesanywhere = emulator.boto3_client("rolesanywhere")
    source = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca.cert_pem.decode("ascii")}}
    anchor_arn = rolesanywhere.create_trust_anchor(name=unique("rnd"), enabled=True, source=source)["trustAnchor"]["trustAnchorArn"]
    role_arn = emulator.boto3_client("iam").create_role(RoleName=unique("rnd"), AssumeRolePolicyDocument=json.dumps(trust_policy(anchor_arn)))["Role"]["Arn"]
    profile_arn = rolesanywhere.create_profile(name=unique("rnd"), roleArns=[role_arn], enabled=True)["profile"]["profileArn"]
    material = ra_x509.load_signing_material(paths.certificate, paths.private_key)

    def create_session():
        return transport.create_session(material, anchor_arn, profile_arn, role_arn, endpoint=emulator.endpoint, max_attempts=1)

    with pytest.raises(AccessDeniedError, match="failed to be mapped"):
        create_session()
    params = dict(
        profile_arn=profile_arn,
        attribute_mappings=[{"certificate_field": "x509Subject", "specifiers": ["CN"]}, {"certificate_field": "x509SAN", "specifiers": ["DNS"]}],
        purge_attribute_mappings=True,
    )
    applied, calls = modules.rhythm("profile", **params)[1:3]
    assert calls == {"DeleteAttributeMapping": 3, "PutAttributeMapping": 1}
    assert _mappings(applied) == {"x509Subject": ["CN"], "x509SAN": ["DNS"]}
    assert create_session().access_key_id


def test_empty_specifiers_remove_one_field(modules):
    name = unique("profile")
    created = modules.run("profile", name=name, role_arns=[])
    try:
        no_issuer = [{"certificate_field": "x509Issuer", "specifiers": []}]
        applied, calls = modules.rhythm("profile", profile_id=created["profile"]["profile_id"], attribute_mappings=no_issuer)[1:3]
        assert calls == {"DeleteAttributeMapping": 1}
        assert "x509Issuer" not in _mappings(applied) and "x509Subject" in _mappings(applied)
    finally:
        modules.run("profile", name=name, state="absent")


def test_bad_input_is_refused_before_any_request(modules):
    twice = [{"certificate_field": "x509SAN", "specifiers": ["DNS"]}, {"certificate_field": "x509SAN", "specifiers": []}]
    anchor_arn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"
    cases = [
        (dict(name=unique("p"), role_arns=["arn:aws:iam::123456789012:user/bob"]), "not valid ARNs"),
        (dict(name=unique("p"), duration_seconds=60), "900 to 43200"),
        (dict(name=unique("p"), session_policy="{oops"), "session_policy is not valid JSON"),
        (dict(name=unique("p"), session_policy=""), "cannot remove a session policy"),
        (dict(name=unique("p"), managed_policy_arns=["ReadOnlyAccess"]), "managed_policy_arns"),
        (dict(name=unique("p"), attribute_mappings=twice), "twice"),
        (dict(profile_arn=anchor_arn), "not a Roles Anywhere profile ARN"),
        (dict(name="x" * 256), "not a valid Roles Anywhere name"),
    ]
    for params, message in cases:
        result = modules.run("profile", **params)
        assert result.get("failed") is True, params
        assert message in result["msg"], (params, result["msg"])
        assert "exception" not in result
        assert modules.calls == {}, (params, modules.calls)
