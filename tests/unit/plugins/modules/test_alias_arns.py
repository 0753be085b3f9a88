# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alias ARNs end to end against the emulator: CreateSession (the helper's and the lookup's path), every module
that takes an ARN, and the places AWS refuses them (ImportCrl's trustAnchorArn).

AWS's rules: https://docs.aws.amazon.com/rolesanywhere/latest/userguide/resource-aliases.html and botocore's
rolesanywhere model (TrustAnchorIdentifier / ProfileIdentifier / CrlIdentifier take alias ARNs; ImportCrlRequest's
trustAnchorArn "doesn't support alias ARNs").
"""

from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as ra_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import AccessDeniedError, ResourceNotFoundError
from tests.support import pki
from tests.support.aliases import make_aliased_trust, needs_alias_model

from .conftest import unique

pytestmark = needs_alias_model


@pytest.fixture
def aliased(emulator, tmp_path):
    """A trust (anchor, profile, role) whose anchor and profile carry aliases: (trust, anchor alias ARN, profile alias ARN)."""
    return make_aliased_trust(emulator, tmp_path, unique("fleet"))


def _create_session(emulator, trust, anchor_arn, profile_arn):
    material = ra_x509.load_signing_material(trust.certificate, trust.private_key, trust.intermediates)
    return transport.create_session(material, anchor_arn, profile_arn, trust.role_arn, endpoint=emulator.endpoint, max_attempts=1)


def test_create_session_with_alias_arns(emulator, aliased):
    trust, anchor_alias, profile_alias = aliased
    result = _create_session(emulator, trust, anchor_alias, profile_alias)
    assert result.access_key_id and result.role_arn == trust.role_arn
    # The emulator resolves aliases of its own account and region only, as AWS does.
    other_account = anchor_alias.replace(":%s:" % anchor_alias.split(":")[4], ":210987654321:")
    with pytest.raises(AccessDeniedError):
        _create_session(emulator, trust, other_account, profile_alias.replace(":%s:" % profile_alias.split(":")[4], ":210987654321:"))
    # An alias that was removed no longer resolves.
    emulator.boto3_client("rolesanywhere").update_trust_anchor(trustAnchorId=trust.trust_anchor_id, aliasName="")
    with pytest.raises(AccessDeniedError):
        _create_session(emulator, trust, anchor_alias, profile_alias)


def test_info_and_resource_modules_take_alias_arns(modules, aliased):
    trust, anchor_alias, profile_alias = aliased
    anchors = modules.run("trust_anchor_info", trust_anchor_arn=anchor_alias)["trust_anchors"]
    assert [anchor["trust_anchor_arn"] for anchor in anchors] == [trust.trust_anchor_arn]
    profiles = modules.run("profile_info", profile_arn=profile_alias)["profiles"]
    assert [profile["profile_arn"] for profile in profiles] == [trust.profile_arn]

    changed = modules.run("trust_anchor", trust_anchor_arn=anchor_alias, tags={"via": "alias"})
    assert changed["changed"] is True and changed["trust_anchor"]["trust_anchor_id"] == trust.trust_anchor_id
    assert modules.run("trust_anchor", trust_anchor_arn=anchor_alias, tags={"via": "alias"})["changed"] is False
    notified = modules.run("trust_anchor", trust_anchor_arn=anchor_alias,
                           notification_settings=[{"event": "CA_CERTIFICATE_EXPIRY", "threshold": 30}])
    assert notified["changed"] is True  # PutNotificationSettings got the ID: it takes no alias ARN
    assert modules.run("profile", profile_arn=profile_alias, duration_seconds=1800)["profile"]["duration_seconds"] == 1800


def test_crl_module_resolves_an_alias_arn_trust_anchor(modules, emulator, aliased):
    trust, anchor_alias, _profile_alias = aliased
    name = unique("crl")
    crl = pki.make_crl(trust.ca, [])
    imported = modules.run("crl", name=name, crl_data=crl.pem.decode(), trust_anchor=anchor_alias)
    assert imported["changed"] is True and modules.changing_calls == {"ImportCrl": 1}
    assert imported["crl"]["trust_anchor_arn"] == trust.trust_anchor_arn  # ImportCrl got the canonical ARN
    client = emulator.boto3_client("rolesanywhere")
    crl_alias = client.update_crl(crlId=imported["crl"]["crl_id"], aliasName=unique("crl"))["crl"]["aliasArn"]
    assert modules.run("crl_info", crl_arn=crl_alias)["crls"][0]["crl_id"] == imported["crl"]["crl_id"]
    assert modules.run("crl", crl_arn=crl_alias, state="absent")["changed"] is True


def test_emulator_refuses_alias_arn_in_import_crl_as_aws_does(emulator, aliased):
    trust, anchor_alias, _profile_alias = aliased
    client = emulator.boto3_client("rolesanywhere")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.import_crl(name=unique("crl"), crlData=pki.make_crl(trust.ca, []).pem, trustAnchorArn=anchor_alias)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("module, option", [("trust_anchor_info", "trust_anchor_arn"), ("profile_info", "profile_arn")])
def test_alias_arn_of_another_region_is_refused_before_any_request(modules, module, option):
    kind = "trust-anchor" if module == "trust_anchor_info" else "profile"
    result = modules.run(module, **{option: "arn:aws:rolesanywhere:ap-south-1:123456789012:alias/%s/x" % kind})
    assert result["failed"] is True and "region ap-south-1 but the module connects to region" in result["msg"]
    assert not modules.changing_calls


def test_alias_arn_of_the_wrong_kind_is_refused(modules):
    result = modules.run("crl", name=unique("c"), crl_data="x", trust_anchor="arn:aws:rolesanywhere:us-east-1:123456789012:alias/profile/x")
    assert result["failed"] is True and "is not a Roles Anywhere trust-anchor ARN" in result["msg"]


def test_unknown_alias_is_a_clear_not_found(emulator, aliased):
    trust, anchor_alias, profile_alias = aliased
    with pytest.raises((AccessDeniedError, ResourceNotFoundError)):
        _create_session(emulator, trust, anchor_alias + "-gone", profile_alias)
