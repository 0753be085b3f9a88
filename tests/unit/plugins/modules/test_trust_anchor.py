# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.trust_anchor and trust_anchor_info against the emulator."""

from __future__ import annotations

import botocore.session
import pytest

from tests.support import pki

from .conftest import unique

# crl_dp_revocation_enabled and alias_name need a botocore that knows the fields (the module says so otherwise);
# the floor of the supported range (`make floor`, botocore 1.35.0) does not.
UPDATE_FIELDS = set(botocore.session.get_session().get_service_model("rolesanywhere").operation_model("UpdateTrustAnchor").input_shape.members)
needs_newer_fields = pytest.mark.skipif(not {"crlDpRevocationEnabled", "aliasName"} <= UPDATE_FIELDS,
                                        reason="botocore without crlDpRevocationEnabled/aliasName")


@pytest.fixture(scope="module")
def cas():
    return pki.make_ca("EC", cn="Anchor Root A"), pki.make_ca("RSA", cn="Anchor Root B")


def _settings(result):
    return {item["event"]: item for item in result["trust_anchor"]["notification_settings"]}


def _info(modules, **params):
    return modules.run("trust_anchor_info", **params)["trust_anchors"]


def test_create_update_delete_rhythm(modules, cas, tmp_path):
    name = unique("anchor")
    der = tmp_path / "root.der"
    der.write_bytes(cas[0].cert_der)
    params = dict(
        name=name,
        certificate_bundle_path=str(der),
        enabled=True,
        tags={"team": "platform"},
        notification_settings=[{"event": "CA_CERTIFICATE_EXPIRY", "threshold": 30}],
    )
    predicted, applied, calls, again = modules.rhythm("trust_anchor", **params)
    assert calls == {"CreateTrustAnchor": 1}  # everything in one call
    assert predicted["trust_anchor"]["name"] == name and predicted["diff"]["before"] == {}
    anchor = applied["trust_anchor"]
    assert anchor["enabled"] is True and anchor["tags"] == {"team": "platform"}
    assert anchor["source"]["source_type"] == "CERTIFICATE_BUNDLE"
    assert _settings(applied)["CA_CERTIFICATE_EXPIRY"]["threshold"] == 30
    assert _settings(applied)["END_ENTITY_CERTIFICATE_EXPIRY"]["threshold"] == 45
    assert again["trust_anchor"] == anchor

    # The same CA given as PEM content is the same bundle: no change.
    same = dict(params, certificate_bundle=pki.cert_pem(cas[0].certificate).decode())
    del same["certificate_bundle_path"]
    assert modules.run("trust_anchor", **same)["changed"] is False
    assert not modules.changing_calls

    [read_back] = _info(modules, name=name)
    assert read_back == anchor
    assert _info(modules, trust_anchor_arn=anchor["trust_anchor_arn"]) == [anchor]
    assert _info(modules, trust_anchor_id=anchor["trust_anchor_id"]) == [anchor]

    gone = modules.run("trust_anchor", name=name, state="absent", check_mode=True)
    assert gone["changed"] is True and not modules.changing_calls
    assert modules.run("trust_anchor", name=name, state="absent")["changed"] is True
    assert modules.changing_calls == {"DeleteTrustAnchor": 1}
    assert modules.run("trust_anchor", name=name, state="absent")["changed"] is False
    assert not modules.changing_calls
    assert _info(modules, name=name) == []


def test_notification_settings_change_in_place_per_event(modules, cas):
    name = unique("anchor")
    bundle = pki.cert_pem(cas[0].certificate).decode()
    created = modules.run(
        "trust_anchor", name=name, certificate_bundle=bundle, notification_settings=[{"event": "CA_CERTIFICATE_EXPIRY", "threshold": 20}]
    )
    anchor_id = created["trust_anchor"]["trust_anchor_id"]
    try:
        params = dict(trust_anchor_id=anchor_id, notification_settings=[{"event": "END_ENTITY_CERTIFICATE_EXPIRY", "enabled": False}])
        applied, calls = modules.rhythm("trust_anchor", **params)[1:3]
        assert calls == {"PutNotificationSettings": 1}
        settings = _settings(applied)
        assert settings["END_ENTITY_CERTIFICATE_EXPIRY"]["enabled"] is False
        assert settings["END_ENTITY_CERTIFICATE_EXPIRY"]["threshold"] == 45  # unset key kept
        assert settings["CA_CERTIFICATE_EXPIRY"]["threshold"] == 20  # other event untouched

        purge = dict(params, purge_notification_settings=True)
        applied, calls = modules.rhythm("trust_anchor", **purge)[1:3]
        assert calls == {"ResetNotificationSettings": 1}
        settings = _settings(applied)
        assert settings["CA_CERTIFICATE_EXPIRY"]["threshold"] == 45
        assert settings["CA_CERTIFICATE_EXPIRY"]["configured_by"] == "rolesanywhere.amazonaws.com"
        assert settings["END_ENTITY_CERTIFICATE_EXPIRY"]["enabled"] is False
    finally:
        modules.run("trust_anchor", trust_anchor_id=anchor_id, state="absent")


@needs_newer_fields
def test_update_by_arn_renames_and_changes_source_enabled_tags_alias(modules, cas):
    name = unique("anchor")
    created = modules.run("trust_anchor", name=name, certificate_bundle=pki.cert_pem(cas[0].certificate).decode(), tags={"a": "1", "b": "2"})
    arn = created["trust_anchor"]["trust_anchor_arn"]
    try:
        new_name = unique("renamed")
        params = dict(
            trust_anchor_arn=arn,
            name=new_name,
            certificate_bundle=pki.cert_pem(cas[1].certificate, cas[0].certificate).decode(),
            enabled=True,
            crl_dp_revocation_enabled=True,
            alias_name=unique("alias"),
            tags={"a": "1", "c": "3"},
        )
        predicted, applied, calls = modules.rhythm("trust_anchor", **params)[0:3]
        assert calls == {"UpdateTrustAnchor": 1, "EnableTrustAnchor": 1, "UntagResource": 1, "TagResource": 1}
        anchor = applied["trust_anchor"]
        assert anchor["name"] == new_name and anchor["enabled"] is True and anchor["crl_dp_revocation_enabled"] is True
        assert anchor["alias_name"] == params["alias_name"] and anchor["alias_arn"].endswith(":alias/trust-anchor/" + params["alias_name"])
        assert anchor["tags"] == {"a": "1", "c": "3"}
        assert anchor["source"]["source_data"]["x509_certificate_data"].count("BEGIN CERTIFICATE") == 2
        # The check-mode prediction matched what was applied, for every field the user set.
        for key in ("name", "enabled", "crl_dp_revocation_enabled", "alias_name", "tags"):
            assert predicted["trust_anchor"][key] == anchor[key]
        assert predicted["diff"]["before"]["name"] == name

        # Tags merge without purge; unset options are never touched.
        merged = modules.run("trust_anchor", trust_anchor_arn=arn, tags={"d": "4"}, purge_tags=False)
        assert merged["trust_anchor"]["tags"] == {"a": "1", "c": "3", "d": "4"}
        assert merged["trust_anchor"]["enabled"] is True and merged["trust_anchor"]["name"] == new_name
        assert modules.changing_calls == {"TagResource": 1}

        # Removing the alias.
        removed = modules.run("trust_anchor", trust_anchor_arn=arn, alias_name="")
        assert removed["changed"] is True and "alias_name" not in removed["trust_anchor"]
    finally:
        modules.run("trust_anchor", trust_anchor_arn=arn, state="absent")


def test_bad_input_is_refused_before_any_request(modules, cas):
    leaf = pki.make_leaf(cas[0], cn="host1.example.com")
    cases = [
        (dict(name="bad/name", certificate_bundle=pki.cert_pem(cas[0].certificate).decode()), "is not a valid Roles Anywhere name"),
        (dict(name=unique("a"), certificate_bundle=leaf.cert_pem.decode()), "is not a CA certificate"),
        (dict(name=unique("a"), certificate_bundle="hello"), "could not be read as an X.509 certificate"),
        (dict(name=unique("a"), certificate_bundle=""), "could not be read as an X.509 certificate"),
        (dict(name=unique("a"), certificate_bundle_path="/nonexistent/ca.pem"), "could not be read"),
        (dict(name=unique("a"), notification_settings=[{"event": "CA_CERTIFICATE_EXPIRY", "threshold": 400}]), "1 to 360 days"),
        (dict(trust_anchor_arn="arn:aws:rolesanywhere:eu-west-3:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"), "eu-west-3"),
        (dict(trust_anchor_id="not-a-uuid"), "is not a Roles Anywhere resource ID"),
        (dict(name=unique("a"), acm_pca_arn="arn:aws:acm-pca:eu-west-3:123456789012:certificate-authority/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"), "own region"),
        (dict(name=unique("a"), tags={"aws:owner": "me"}), "reserved prefix aws:"),
        (dict(name=unique("a"), alias_name="aws/x"), "not a valid alias"),
    ]
    for params, message in cases:
        result = modules.run("trust_anchor", **params)
        assert result.get("failed") is True, params
        assert message in result["msg"], (params, result["msg"])
        assert "exception" not in result  # user errors come without a traceback
        assert modules.calls == {}, (params, modules.calls)


def test_private_key_in_bundle_is_refused_and_never_echoed(modules, cas):
    key_pem = cas[0].key_pem.decode()
    result = modules.run("trust_anchor", name=unique("a"), certificate_bundle=pki.cert_pem(cas[0].certificate).decode() + key_pem)
    assert result["failed"] is True and "PRIVATE KEY, not a CERTIFICATE" in result["msg"]
    body = "".join(key_pem.splitlines()[1:-1])
    assert body[10:50] not in modules.outputs[-1]
    assert modules.calls == {}


def test_create_needs_a_name_and_a_source(modules):
    result = modules.run("trust_anchor", name=unique("nothing"))
    assert result["failed"] is True and "acm_pca_arn, certificate_bundle, certificate_bundle_path" in result["msg"]
    assert not modules.changing_calls
    missing_id = "0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"
    result = modules.run("trust_anchor", trust_anchor_id=missing_id, enabled=True)
    assert result["failed"] is True and missing_id in result["msg"]
    assert modules.run("trust_anchor", trust_anchor_id=missing_id, state="absent")["changed"] is False


def test_ambiguous_names_ask_for_the_id(modules, emulator, cas):
    name = unique("twin")
    client = emulator.boto3_client("rolesanywhere")
    source = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pki.cert_pem(cas[0].certificate).decode()}}
    ids = [client.create_trust_anchor(name=name, source=source)["trustAnchor"]["trustAnchorId"] for dummy in range(2)]
    try:
        result = modules.run("trust_anchor", name=name, enabled=True)
        assert result["failed"] is True and "2 trust anchors are named" in result["msg"] and ids[0] in result["msg"]
        assert not modules.changing_calls
        assert len(_info(modules, name=name)) == 2
    finally:
        for anchor_id in ids:
            client.delete_trust_anchor(trustAnchorId=anchor_id)


def test_info_lists_all_and_nothing_for_unknown(modules, cas):
    name = unique("listed")
    created = modules.run("trust_anchor", name=name, certificate_bundle=pki.cert_pem(cas[1].certificate).decode())
    try:
        everything = modules.run("trust_anchor_info")
        assert everything["changed"] is False
        assert name in [item["name"] for item in everything["trust_anchors"]]
        assert _info(modules, trust_anchor_id="0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41") == []
        assert _info(modules, name=unique("nobody")) == []
    finally:
        modules.run("trust_anchor", trust_anchor_id=created["trust_anchor"]["trust_anchor_id"], state="absent")


def _pca_root(emulator):
    """A root CA in moto's ACM PCA, with its certificate installed (ACTIVE)."""
    pca = emulator.boto3_client("acm-pca")
    ca_arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": "Fleet PCA"},
        },
        CertificateAuthorityType="ROOT",
    )["CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=ca_arn)["Csr"]
    root_arn = pca.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr,
        SigningAlgorithm="SHA256WITHECDSA",
        TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
        Validity={"Value": 5, "Type": "YEARS"},
    )["CertificateArn"]
    root = pca.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=root_arn)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=ca_arn, Certificate=root.encode("ascii"))
    return ca_arn


def test_acm_pca_source_and_switch_to_a_bundle(modules, emulator, cas):
    ca_arn = _pca_root(emulator)
    name = unique("pca")
    applied, calls = modules.rhythm("trust_anchor", name=name, acm_pca_arn=ca_arn)[1:3]
    try:
        assert calls == {"CreateTrustAnchor": 1}
        assert applied["trust_anchor"]["source"] == {"source_type": "AWS_ACM_PCA", "source_data": {"acm_pca_arn": ca_arn}}
        # The source changes in place (no replacement, the ARN stays).
        switched, calls = modules.rhythm("trust_anchor", name=name, certificate_bundle=pki.cert_pem(cas[0].certificate).decode())[1:3]
        assert calls == {"UpdateTrustAnchor": 1}
        assert switched["trust_anchor"]["trust_anchor_arn"] == applied["trust_anchor"]["trust_anchor_arn"]
        assert switched["trust_anchor"]["source"]["source_type"] == "CERTIFICATE_BUNDLE"
    finally:
        modules.run("trust_anchor", name=name, state="absent")
