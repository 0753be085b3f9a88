# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""trust_anchor's crl_dp_revocation_enabled: the API's crlDpRevocationEnabled on CreateTrustAnchor,
UpdateTrustAnchor and TrustAnchorDetail (botocore rolesanywhere 2018-05-10 model)."""

from __future__ import annotations

import botocore.session
import pytest

from tests.support import pki

from .conftest import unique


@pytest.fixture(scope="module")
def bundle():
    return pki.cert_pem(pki.make_ca("EC", cn="CRL DP Root").certificate).decode()


def test_the_field_is_in_botocores_model():
    model = botocore.session.get_session().get_service_model("rolesanywhere")
    for shape in ("CreateTrustAnchorRequest", "UpdateTrustAnchorRequest", "TrustAnchorDetail"):
        assert model.shape_for(shape).members["crlDpRevocationEnabled"].type_name == "boolean"


def test_create_with_it_then_turn_it_off(modules, bundle):
    name = unique("crldp")
    try:
        predicted, applied, calls, again = modules.rhythm("trust_anchor", name=name, certificate_bundle=bundle, crl_dp_revocation_enabled=True)
        assert calls == {"CreateTrustAnchor": 1}  # sent in the create call, not as a later update
        assert predicted["trust_anchor"]["crl_dp_revocation_enabled"] is True
        assert applied["trust_anchor"]["crl_dp_revocation_enabled"] is True
        assert again["trust_anchor"] == applied["trust_anchor"]
        arn = applied["trust_anchor"]["trust_anchor_arn"]
        [read_back] = modules.run("trust_anchor_info", trust_anchor_arn=arn)["trust_anchors"]
        assert read_back["crl_dp_revocation_enabled"] is True

        # Leaving the option unset keeps the anchor's value.
        assert modules.run("trust_anchor", trust_anchor_arn=arn, enabled=True)["trust_anchor"]["crl_dp_revocation_enabled"] is True

        predicted, applied, calls, _again = modules.rhythm("trust_anchor", trust_anchor_arn=arn, crl_dp_revocation_enabled=False)
        assert calls == {"UpdateTrustAnchor": 1}
        assert predicted["diff"]["before"]["crl_dp_revocation_enabled"] is True
        assert predicted["diff"]["after"]["crl_dp_revocation_enabled"] is False
        assert applied["trust_anchor"]["crl_dp_revocation_enabled"] is False
        [read_back] = modules.run("trust_anchor_info", trust_anchor_arn=arn)["trust_anchors"]
        assert read_back["crl_dp_revocation_enabled"] is False
    finally:
        modules.run("trust_anchor", name=name, state="absent")


def test_unset_option_is_not_sent(modules, bundle, emulator):
    name = unique("crldp")
    try:
        created = modules.run("trust_anchor", name=name, certificate_bundle=bundle)["trust_anchor"]
        # The emulator stores False when the field is absent; the module reports what the service says.
        detail = emulator.boto3_client("rolesanywhere").get_trust_anchor(trustAnchorId=created["trust_anchor_id"])["trustAnchor"]
        assert created["crl_dp_revocation_enabled"] is detail["crlDpRevocationEnabled"] is False
        assert modules.run("trust_anchor", name=name, crl_dp_revocation_enabled=False)["changed"] is False
    finally:
        modules.run("trust_anchor", name=name, state="absent")
