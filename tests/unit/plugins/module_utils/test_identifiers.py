# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""identifiers.py against AWS's own rules: botocore's service models, read from the installed botocore.

A model change (pattern, min, max) fails test_model_shapes_are_botocores; every value we accept must also
be accepted by the model's (unanchored, here applied as full-match) pattern; and no other file of the
collection carries an ARN pattern of its own.
"""

from __future__ import annotations

import os
import re

import pytest
from botocore.loaders import create_loader

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers as ids
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from tests.support.aliases import needs_alias_model

LOADER = create_loader()
MODELS = {service: LOADER.load_service_model(service, "service-2") for service in ("rolesanywhere", "acm-pca", "iam", "sts")}
ACCOUNT = "123456789012"
ANCHOR_ID = "0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"
ANCHOR_ARN = "arn:aws:rolesanywhere:eu-west-1:%s:trust-anchor/%s" % (ACCOUNT, ANCHOR_ID)
ANCHOR_ALIAS_ARN = "arn:aws:rolesanywhere:eu-west-1:%s:alias/trust-anchor/production-ca" % ACCOUNT
PROFILE_ALIAS_ARN = "arn:aws:rolesanywhere:eu-west-1:%s:alias/profile/team/web-fleet_1" % ACCOUNT
CRL_ALIAS_ARN = "arn:aws:rolesanywhere:eu-west-1:%s:alias/crl/fleet-crl" % ACCOUNT
ROLE_ARN = "arn:aws:iam::%s:role/fleet/HostRole" % ACCOUNT
COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def model_shape(service, name):
    return MODELS[service]["shapes"][name]


def model_fullmatch(service, name, value):
    shape = model_shape(service, name)
    return (shape.get("min", 0) <= len(value) <= shape.get("max", len(value))
            and re.fullmatch(shape.get("pattern", ".*"), value) is not None)


# --- the rules are botocore's --------------------------------------------------------------------------------

@needs_alias_model
@pytest.mark.parametrize("key", sorted(ids.MODEL_SHAPES))
def test_model_shapes_are_botocores(key):
    service, name = key
    shape = model_shape(service, name)
    assert {field: shape.get(field) for field in ids.MODEL_SHAPES[key]} == ids.MODEL_SHAPES[key]


@needs_alias_model
def test_alias_arn_shapes_are_where_the_model_says():
    shapes = MODELS["rolesanywhere"]["shapes"]
    assert shapes["TrustAnchorDetail"]["members"]["aliasArn"]["shape"] == "TrustAnchorAliasArn"
    assert shapes["ProfileDetail"]["members"]["aliasArn"]["shape"] == "ProfileAliasArn"
    assert shapes["CrlDetail"]["members"]["aliasArn"]["shape"] == "CrlAliasArn"
    assert shapes["ImportCrlRequest"]["members"]["trustAnchorArn"]["shape"] == "TrustAnchorIdentifierArn"
    assert "doesn't support alias ARNs" in shapes["ImportCrlRequest"]["members"]["trustAnchorArn"]["documentation"]
    assert shapes["PutNotificationSettingsRequest"]["members"]["trustAnchorId"]["shape"] == "Uuid"


@pytest.mark.parametrize("value", [ANCHOR_ID, "00000000-0000-0000-0000-000000000000"])
def test_resource_ids_the_model_accepts(value):
    assert ids.is_resource_id(value) and model_fullmatch("rolesanywhere", "Uuid", value)


@pytest.mark.parametrize("value", [ANCHOR_ID.upper(), ANCHOR_ID[:-1], ANCHOR_ID + "0", "g" * 8 + ANCHOR_ID[8:], "", None])
def test_resource_ids_the_model_refuses(value):
    assert not ids.is_resource_id(value)
    if isinstance(value, str):
        assert not model_fullmatch("rolesanywhere", "Uuid", value)
    with pytest.raises(ConfigurationError, match="lower-case UUIDs"):
        ids.check_resource_id(value)


@needs_alias_model
@pytest.mark.parametrize("kind, arn, shape", [
    ("trust-anchor", ANCHOR_ARN, "TrustAnchorResourceArn"),
    ("trust-anchor", ANCHOR_ALIAS_ARN, "TrustAnchorAliasArn"),
    ("profile", "arn:aws-us-gov:rolesanywhere:us-gov-west-1:%s:profile/%s" % (ACCOUNT, ANCHOR_ID), "ProfileResourceArn"),
    ("profile", PROFILE_ALIAS_ARN, "ProfileAliasArn"),
    ("crl", "arn:aws-cn:rolesanywhere:cn-north-1:%s:crl/%s" % (ACCOUNT, ANCHOR_ID), "CrlResourceArn"),
    ("crl", CRL_ALIAS_ARN, "CrlAliasArn"),
])
def test_arns_we_accept_fit_the_models_shapes(kind, arn, shape):
    parts = ids.parse_rolesanywhere_arn(arn, kind)
    assert model_fullmatch("rolesanywhere", shape, arn)
    identifier_shape = {"trust-anchor": "TrustAnchorIdentifier", "profile": "ProfileIdentifier", "crl": "CrlIdentifier"}[kind]
    assert model_fullmatch("rolesanywhere", identifier_shape, arn)
    assert parts["resource_type"] == kind and parts["account"] == ACCOUNT and parts["arn"] == arn
    assert (parts["alias_name"] is None) == (parts["resource_id"] is not None)


def test_alias_arn_parts():
    parts = ids.parse_rolesanywhere_arn(PROFILE_ALIAS_ARN, "profile")
    assert parts == {"partition": "aws", "region": "eu-west-1", "account": ACCOUNT, "resource_type": "profile",
                     "resource_id": None, "alias_name": "team/web-fleet_1", "arn": PROFILE_ALIAS_ARN}
    assert ids.is_alias_arn(parts)


@pytest.mark.parametrize("arn", [
    ANCHOR_ARN.replace("trust-anchor", "profile"),  # wrong type
    ANCHOR_ARN[:-1],  # id too short
    ANCHOR_ARN.upper().replace("ARN:AWS:ROLESANYWHERE", "arn:aws:rolesanywhere"),
    ANCHOR_ALIAS_ARN.replace("alias/trust-anchor", "alias/profile"),
    ANCHOR_ALIAS_ARN.replace("production-ca", "1prod"),  # alias names start with a letter
    ANCHOR_ALIAS_ARN.replace("production-ca", "aws/prod"),  # reserved prefix
    ANCHOR_ALIAS_ARN.replace("production-ca", "a//b"),
    ANCHOR_ALIAS_ARN.replace("production-ca", ""),
    ANCHOR_ALIAS_ARN.replace("production-ca", "x" * 257),
    ANCHOR_ALIAS_ARN.replace(":eu-west-1:", "::"),  # alias ARNs name their region too
    ANCHOR_ALIAS_ARN.replace(ACCOUNT, "12345"),  # ... and a 12-digit account
    ANCHOR_ARN + "\n",
    "arn:aws:iam::123456789012:role/x",
    "not-an-arn", "", None,
])
def test_bad_trust_anchor_arns(arn):
    with pytest.raises(ConfigurationError, match="trust_anchor"):
        ids.parse_rolesanywhere_arn(arn, "trust-anchor", "trust_anchor")


def test_alias_arn_refused_where_aws_refuses_it():
    with pytest.raises(ConfigurationError, match="alias ARN, and AWS does not accept alias ARNs here"):
        ids.parse_rolesanywhere_arn(ANCHOR_ALIAS_ARN, "trust-anchor", "trustAnchorArn", allow_alias=False)
    assert ids.parse_rolesanywhere_arn(ANCHOR_ARN, "trust-anchor", allow_alias=False)["resource_id"] == ANCHOR_ID


def test_subject_arns_have_no_alias():
    assert ids.parse_rolesanywhere_arn(ANCHOR_ARN.replace("trust-anchor", "subject"), "subject")["resource_id"] == ANCHOR_ID
    with pytest.raises(ConfigurationError):
        ids.parse_rolesanywhere_arn(ANCHOR_ALIAS_ARN.replace("trust-anchor", "subject"), "subject")


def test_region_and_account_checks_apply_to_alias_arns():
    parts = ids.parse_rolesanywhere_arn(ANCHOR_ALIAS_ARN, "trust-anchor")
    ids.check_arn_region(parts, "eu-west-1")
    with pytest.raises(ConfigurationError, match="region eu-west-1 but the module connects to region us-east-1"):
        ids.check_arn_region(parts, "us-east-1")
    assert ids.validate_arns(ANCHOR_ALIAS_ARN, PROFILE_ALIAS_ARN, ROLE_ARN)["alias_name"] == "production-ca"
    with pytest.raises(ConfigurationError, match="not in the same region and account"):
        ids.validate_arns(ANCHOR_ALIAS_ARN, PROFILE_ALIAS_ARN.replace("eu-west-1", "us-east-1"), ROLE_ARN)
    with pytest.raises(ConfigurationError, match="not in the same region and account"):
        ids.validate_arns(ANCHOR_ALIAS_ARN, PROFILE_ALIAS_ARN.replace(ACCOUNT, "210987654321"), ROLE_ARN)


# --- names, alias names, session names ------------------------------------------------------------------------

@needs_alias_model
@pytest.mark.parametrize("alias, ok", [
    ("prod", True), ("team/prod-ca_1", True), ("A", True), ("x" * 256, True),
    ("1abc", False), ("a/", False), ("a//b", False), ("-x", False), ("x" * 257, False), ("sp ace", False),
])
def test_alias_names_follow_the_model(alias, ok):
    assert ids.is_alias_name(alias) is ok
    assert model_fullmatch("rolesanywhere", "AliasName", alias) is ok


@needs_alias_model
@pytest.mark.parametrize("alias", ["aws/x", "AWS/x", "Aws/anything"])
def test_reserved_alias_prefix_is_refused_though_the_pattern_allows_it(alias):
    assert model_fullmatch("rolesanywhere", "AliasName", alias)
    with pytest.raises(ConfigurationError, match="not a valid alias"):
        ids.check_alias_name(alias)


@pytest.mark.parametrize("name, ok", [("a", True), ("Fleet CA-2_x", True), ("x" * 255, True), ("", False), ("x" * 256, False),
                                      ("fleet/ca", False), ("café", False)])
def test_resource_names_follow_the_model(name, ok):
    assert model_fullmatch("rolesanywhere", "ResourceName", name) is ok
    if ok:
        assert ids.check_name(name) == name
    else:
        with pytest.raises(ConfigurationError, match="letters, digits, spaces"):
            ids.check_name(name)


@pytest.mark.parametrize("name, ok", [("ab", True), ("host-1.example.com@x=y,z+_", True), ("x" * 64, True),
                                      ("a", False), ("x" * 65, False), ("has space", False), ("semi;colon", False)])
def test_role_session_names_follow_sts(name, ok):
    assert model_fullmatch("sts", "roleSessionNameType", name) is ok
    assert ids.is_role_session_name(name) is ok


# --- IAM and ACM PCA ARNs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("arn, ok", [
    (ROLE_ARN, True), ("arn:aws:iam::%s:role/web" % ACCOUNT, True), ("arn:aws-cn:iam::%s:role/a/b/c/Name" % ACCOUNT, True),
    ("arn:aws:iam::%s:role/%s" % (ACCOUNT, "r" * 64), True),
    ("arn:aws:iam::%s:role/%s" % (ACCOUNT, "r" * 65), False),  # iam roleNameType max 64
    ("arn:aws:iam::%s:user/bob" % ACCOUNT, False), ("arn:aws:iam::12345:role/x", False),
    ("arn:aws:iam::%s:role/" % ACCOUNT, False), ("arn:aws:iam::%s:role/sp ace" % ACCOUNT, False),
])
def test_role_arns(arn, ok):
    assert ids.is_role_arn(arn) is ok
    if ok:
        assert model_fullmatch("rolesanywhere", "RoleArn", arn)
        name = ids.parse_role_arn(arn)["role_name"]
        assert model_fullmatch("iam", "roleNameType", name)


@pytest.mark.parametrize("arn, ok", [
    ("arn:aws:iam::aws:policy/ReadOnlyAccess", True), ("arn:aws-us-gov:iam::%s:policy/mine" % ACCOUNT, True),
    ("arn:aws:iam::aws:policy/service-role/AWSLambdaRole", True),
    ("ReadOnlyAccess", False), ("arn:aws:iam::aws:policy/%s" % ("p" * 129), False),
])
def test_policy_arns(arn, ok):
    assert ids.is_policy_arn(arn) is ok


def test_acm_pca_arns_fit_the_model():
    arn = "arn:aws:acm-pca:eu-west-1:%s:certificate-authority/%s" % (ACCOUNT, ANCHOR_ID)
    assert ids.parse_acm_pca_arn(arn)["region"] == "eu-west-1"
    assert model_fullmatch("acm-pca", "Arn", arn)
    for bad in (ANCHOR_ARN, arn.replace("eu-west-1", ""), arn[:-1], arn.replace(ACCOUNT, "1")):
        with pytest.raises(ConfigurationError, match="not an ACM Private CA ARN"):
            ids.parse_acm_pca_arn(bad)


# --- regions and durations -------------------------------------------------------------------------------------

def test_every_region_botocore_knows_is_a_region():
    names = set()
    for data in (LOADER.load_data("partitions"), LOADER.load_data("endpoints")):
        for partition in data["partitions"]:
            names.update(name for name in partition["regions"] if not name.startswith("aws-") and "fips" not in name)
    assert len(names) > 30
    assert [name for name in sorted(names) if not ids.is_region(name)] == []


@pytest.mark.parametrize("region", ["us-east-1\n", "US-EAST-1", "moon", "us-east", ""])
def test_not_regions(region):
    assert not ids.is_region(region)


def test_duration_bounds_are_the_models():
    shape = model_shape("rolesanywhere", "CreateProfileRequestDurationSecondsInteger")
    assert (ids.MIN_DURATION_SECONDS, ids.MAX_DURATION_SECONDS) == (shape["min"], shape["max"])
    assert ids.validate_duration("900") == 900
    for bad in (899, 43201, True, "x"):
        with pytest.raises(ConfigurationError, match="900 to 43200"):
            ids.validate_duration(bad)


# --- one place -------------------------------------------------------------------------------------------------

ARN_PATTERN_MARKERS = (
    re.compile(r":rolesanywhere:\(|rolesanywhere:\[|:acm-pca:\(|:acm-pca:\[|:iam::\(|:iam::\\d|:iam::\[|trust-anchor\|profile|arn:aws\[a-z-\]"),
    re.compile(r"\[0-9a-f\]\{8\}|\[a-f0-9\]\{8\}|\[0-9a-fA-F-\]\{36\}|\[0-9a-f-\]\{36\}"),
)


def test_no_other_file_holds_an_arn_pattern():
    """grep for ARN/UUID regular expressions: only identifiers.py may hold them (plugins, roles, playbooks, emulator)."""
    offenders = []
    for top in ("plugins", "roles", "playbooks", os.path.join("tests", "emulator")):
        for directory, _dirs, files in os.walk(os.path.join(COLLECTION_ROOT, top)):
            for name in files:
                if not name.endswith((".py", ".yml", ".yaml", ".j2")) or name == "identifiers.py":
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                if any(marker.search(text) for marker in ARN_PATTERN_MARKERS):
                    offenders.append(os.path.relpath(path, COLLECTION_ROOT))
    assert offenders == []


ARN_FIELD_SPLIT = re.compile(r"""\.split\(\s*["']:["']\s*\)\s*\[\s*\d\s*\]""")


def test_no_other_file_picks_arn_fields_by_splitting():
    """ARN fields (region, account) come from identifiers.py's parsers, not from split(":")[N] (plugins, emulator)."""
    offenders = []
    for top in ("plugins", "roles", os.path.join("tests", "emulator")):
        for directory, _dirs, files in os.walk(os.path.join(COLLECTION_ROOT, top)):
            for name in files:
                if name.endswith((".py", ".yml", ".yaml", ".j2")):
                    with open(os.path.join(directory, name), encoding="utf-8") as handle:
                        if ARN_FIELD_SPLIT.search(handle.read()):
                            offenders.append(os.path.relpath(os.path.join(directory, name), COLLECTION_ROOT))
    assert offenders == []
