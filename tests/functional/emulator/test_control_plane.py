# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control plane through boto3: every operation of botocore's model, its validation and pagination."""

from __future__ import annotations

import base64
import datetime
import json
import uuid

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import pki

MODEL = botocore.session.get_session().get_service_model("rolesanywhere")


@pytest.fixture(scope="module")
def ca():
    return pki.make_ca("EC", cn="Control Plane Test CA")


@pytest.fixture(scope="module")
def client(emulator):
    return emulator.boto3_client("rolesanywhere")


@pytest.fixture(scope="module")
def raw_client(emulator):
    """No client-side validation and no retries: what the server itself says is what we see."""
    return emulator.boto3_client("rolesanywhere", config=Config(parameter_validation=False, retries={"max_attempts": 1}, proxies={}))


def unique(prefix="r"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def bundle(ca_issued):
    return {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca_issued.cert_pem.decode("ascii")}}


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def role_arn(emulator, name="app"):
    return "arn:aws:iam::%s:role/%s" % (emulator.account, name)


# --- every operation ----------------------------------------------------------------------------

def test_every_operation_of_the_model_is_served(emulator, client, ca):
    emulator.reset_counters()
    anchor = client.create_trust_anchor(name=unique("ta"), source=bundle(ca), enabled=False)["trustAnchor"]
    anchor_id = anchor["trustAnchorId"]
    client.get_trust_anchor(trustAnchorId=anchor_id)
    client.update_trust_anchor(trustAnchorId=anchor_id, name=unique("ta2"))
    client.enable_trust_anchor(trustAnchorId=anchor_id)
    client.disable_trust_anchor(trustAnchorId=anchor_id)
    client.list_trust_anchors()
    client.put_notification_settings(trustAnchorId=anchor_id, notificationSettings=[
        {"enabled": False, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 30}])
    client.reset_notification_settings(trustAnchorId=anchor_id, notificationSettingKeys=[{"event": "CA_CERTIFICATE_EXPIRY"}])
    profile = client.create_profile(name=unique("p"), roleArns=[role_arn(emulator)])["profile"]
    profile_id = profile["profileId"]
    client.get_profile(profileId=profile_id)
    client.update_profile(profileId=profile_id, durationSeconds=1800)
    client.enable_profile(profileId=profile_id)
    client.disable_profile(profileId=profile_id)
    client.list_profiles()
    client.put_attribute_mapping(profileId=profile_id, certificateField="x509Subject", mappingRules=[{"specifier": "CN"}])
    client.delete_attribute_mapping(profileId=profile_id, certificateField="x509Subject")
    crl = client.import_crl(name=unique("crl"), crlData=pki.make_crl(ca, []).pem, trustAnchorArn=anchor["trustAnchorArn"])["crl"]
    client.get_crl(crlId=crl["crlId"])
    client.update_crl(crlId=crl["crlId"], name=unique("crl2"))
    client.enable_crl(crlId=crl["crlId"])
    client.disable_crl(crlId=crl["crlId"])
    client.list_crls()
    client.tag_resource(resourceArn=profile["profileArn"], tags=[{"key": "team", "value": "ops"}])
    client.list_tags_for_resource(resourceArn=profile["profileArn"])
    client.untag_resource(resourceArn=profile["profileArn"], tagKeys=["team"])
    client.list_subjects()
    error_of(client.get_subject, subjectId=str(uuid.uuid4()))
    client.delete_crl(crlId=crl["crlId"])
    client.delete_profile(profileId=profile_id)
    client.delete_trust_anchor(trustAnchorId=anchor_id)
    assert set(emulator.counters()) >= set(MODEL.operation_names)
    assert len(MODEL.operation_names) == 30


# --- trust anchors ------------------------------------------------------------------------------

def test_trust_anchor_life_cycle(emulator, client, ca):
    name = unique("anchor")
    created = client.create_trust_anchor(name=name, source=bundle(ca), enabled=True, tags=[{"key": "env", "value": "test"}])
    anchor = created["trustAnchor"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert anchor["trustAnchorArn"] == "arn:aws:rolesanywhere:%s:%s:trust-anchor/%s" % (
        emulator.region, emulator.account, anchor["trustAnchorId"])
    assert len(anchor["trustAnchorId"]) == 36 and anchor["enabled"] is True
    assert isinstance(anchor["createdAt"], datetime.datetime) and anchor["createdAt"] == anchor["updatedAt"]
    assert anchor["source"] == bundle(ca)
    assert sorted((s["event"], s["enabled"], s["threshold"], s["channel"], s["configuredBy"]) for s in anchor["notificationSettings"]) == [
        ("CA_CERTIFICATE_EXPIRY", True, 45, "ALL", "rolesanywhere.amazonaws.com"),
        ("END_ENTITY_CERTIFICATE_EXPIRY", True, 45, "ALL", "rolesanywhere.amazonaws.com")]
    by_arn = client.get_trust_anchor(trustAnchorId=anchor["trustAnchorArn"])["trustAnchor"]
    assert by_arn["trustAnchorId"] == anchor["trustAnchorId"]

    updated = client.update_trust_anchor(trustAnchorId=anchor["trustAnchorId"], name=name + "-renamed")["trustAnchor"]
    assert updated["name"] == name + "-renamed" and updated["updatedAt"] >= anchor["updatedAt"]
    assert client.disable_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]["enabled"] is False
    assert client.enable_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]["enabled"] is True
    assert client.list_tags_for_resource(resourceArn=anchor["trustAnchorArn"])["tags"] == [{"key": "env", "value": "test"}]

    deleted = client.delete_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]
    assert deleted["trustAnchorId"] == anchor["trustAnchorId"]
    assert error_of(client.get_trust_anchor, trustAnchorId=anchor["trustAnchorId"])[:2] == (404, "ResourceNotFoundException")


def test_notification_settings(client, ca, emulator):
    anchor = client.create_trust_anchor(name=unique("n"), source=bundle(ca))["trustAnchor"]
    changed = client.put_notification_settings(trustAnchorId=anchor["trustAnchorId"], notificationSettings=[
        {"enabled": False, "event": "END_ENTITY_CERTIFICATE_EXPIRY", "threshold": 10, "channel": "ALL"}])["trustAnchor"]
    end_entity = next(s for s in changed["notificationSettings"] if s["event"] == "END_ENTITY_CERTIFICATE_EXPIRY")
    assert end_entity == {"enabled": False, "event": "END_ENTITY_CERTIFICATE_EXPIRY", "threshold": 10, "channel": "ALL",
                          "configuredBy": emulator.account}
    reset = client.reset_notification_settings(trustAnchorId=anchor["trustAnchorId"], notificationSettingKeys=[
        {"event": "END_ENTITY_CERTIFICATE_EXPIRY", "channel": "ALL"}])["trustAnchor"]
    end_entity = next(s for s in reset["notificationSettings"] if s["event"] == "END_ENTITY_CERTIFICATE_EXPIRY")
    assert end_entity["enabled"] is True and end_entity["threshold"] == 45
    assert end_entity["configuredBy"] == "rolesanywhere.amazonaws.com"


def test_alias_names_resolve(client, ca):
    alias = "fleet/" + unique("alias")
    anchor = client.create_trust_anchor(name=unique("a"), source=bundle(ca), aliasName=alias)["trustAnchor"]
    assert anchor["aliasArn"].endswith(":alias/trust-anchor/" + alias)
    assert client.get_trust_anchor(trustAnchorId=anchor["aliasArn"])["trustAnchor"]["trustAnchorId"] == anchor["trustAnchorId"]


def test_trust_anchor_source_checks(raw_client, client, ca):
    leaf = pki.make_leaf(ca)
    cases = [
        ({"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "not a certificate"}}, "PEM"),
        ({"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": leaf.cert_pem.decode()}}, "CA certificate"),
        ({"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {}}, "exactly one member"),
        ({"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:us-east-1:1:certificate-authority/x"}},
         "x509CertificateData"),
        ({"sourceType": "SELF_SIGNED_REPOSITORY"}, "reserved"),
        ({"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/" + str(uuid.uuid4())}},
         "Cannot use ACM PCA"),
        ({"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/" + str(uuid.uuid4())}},
         "region"),
        ({"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"}},
         "Invalid acmPcaArn"),
    ]
    for source, words in cases:
        status, code, message = error_of(raw_client.create_trust_anchor, name=unique("bad"), source=source)
        assert (status, code) == (400, "ValidationException"), (source, message)
        assert words in message, message
    assert error_of(raw_client.create_trust_anchor, name=unique("u"), source={
        "sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca.cert_pem.decode(), "acmPcaArn": "x"}})[2].endswith(
        "Member must have exactly one member set")
    assert client.list_trust_anchors()["trustAnchors"] is not None


# --- profiles -----------------------------------------------------------------------------------

def test_profile_life_cycle(emulator, client):
    created = client.create_profile(name=unique("profile"), roleArns=[role_arn(emulator)], durationSeconds=7200,
                                    acceptRoleSessionName=True, requireInstanceProperties=False,
                                    sessionPolicy=json.dumps({"Version": "2012-10-17", "Statement": []}),
                                    managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"], enabled=True)
    profile = created["profile"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert profile["profileArn"].endswith(":profile/" + profile["profileId"])
    assert profile["attributeMappings"] == [
        {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}]},
        {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
        {"certificateField": "x509SAN", "mappingRules": [{"specifier": "DNS"}, {"specifier": "URI"}, {"specifier": "Name/*"}]},
    ]
    assert (profile["durationSeconds"], profile["acceptRoleSessionName"], profile["enabled"]) == (7200, True, True)
    updated = client.update_profile(profileId=profile["profileId"], roleArns=[], durationSeconds=900)["profile"]
    assert (updated["roleArns"], updated["durationSeconds"], updated["managedPolicyArns"]) == (
        [], 900, ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    assert client.disable_profile(profileId=profile["profileArn"])["profile"]["enabled"] is False
    assert client.enable_profile(profileId=profile["profileId"])["profile"]["enabled"] is True
    assert client.delete_profile(profileId=profile["profileId"])["profile"]["profileId"] == profile["profileId"]
    assert error_of(client.get_profile, profileId=profile["profileId"])[:2] == (404, "ResourceNotFoundException")


def test_attribute_mappings(emulator, client):
    profile_id = client.create_profile(name=unique("m"), roleArns=[])["profile"]["profileId"]
    mapped = client.put_attribute_mapping(profileId=profile_id, certificateField="x509Subject",
                                          mappingRules=[{"specifier": "CN"}, {"specifier": "OU"}])["profile"]
    assert {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}, {"specifier": "OU"}]} in mapped["attributeMappings"]
    trimmed = client.delete_attribute_mapping(profileId=profile_id, certificateField="x509Subject", specifiers=["OU"])["profile"]
    assert {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}]} in trimmed["attributeMappings"]
    gone = client.delete_attribute_mapping(profileId=profile_id, certificateField="x509SAN")["profile"]
    assert "x509SAN" not in {m["certificateField"] for m in gone["attributeMappings"]}


# --- CRLs ---------------------------------------------------------------------------------------

def test_crl_life_cycle(client, ca):
    anchor = client.create_trust_anchor(name=unique("c"), source=bundle(ca))["trustAnchor"]
    issued = pki.make_crl(ca, [12345])
    created = client.import_crl(name=unique("crl"), crlData=issued.pem, trustAnchorArn=anchor["trustAnchorArn"], enabled=True)
    crl = created["crl"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert crl["crlData"] == issued.pem and crl["enabled"] is True and crl["trustAnchorArn"] == anchor["trustAnchorArn"]
    assert crl["crlArn"].endswith(":crl/" + crl["crlId"])
    newer = pki.make_crl(ca, [12345, 67890])
    assert client.update_crl(crlId=crl["crlId"], crlData=newer.der)["crl"]["crlData"] == newer.der
    assert client.disable_crl(crlId=crl["crlArn"])["crl"]["enabled"] is False
    assert client.enable_crl(crlId=crl["crlId"])["crl"]["enabled"] is True
    assert client.get_crl(crlId=crl["crlId"])["crl"]["name"] == crl["name"]
    client.delete_crl(crlId=crl["crlId"])
    assert error_of(client.get_crl, crlId=crl["crlId"])[:2] == (404, "ResourceNotFoundException")


def test_crl_checks(raw_client, client, ca):
    anchor = client.create_trust_anchor(name=unique("c"), source=bundle(ca))["trustAnchor"]
    status, code, message = error_of(raw_client.import_crl, name="x", crlData=b"garbage", trustAnchorArn=anchor["trustAnchorArn"])
    assert (status, code) == (400, "ValidationException") and "CRL" in message
    missing = anchor["trustAnchorArn"][:-36] + str(uuid.uuid4())
    status, code, message = error_of(raw_client.import_crl, name="x", crlData=pki.make_crl(ca, []).pem, trustAnchorArn=missing)
    assert (status, code) == (400, "ValidationException") and "not found" in message


# --- tags ---------------------------------------------------------------------------------------

def test_tags(emulator, client, raw_client):
    arn = client.create_profile(name=unique("t"), roleArns=[], tags=[{"key": "a", "value": "1"}])["profile"]["profileArn"]
    client.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}, {"key": "a", "value": "3"}])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "a", "value": "3"}, {"key": "b", "value": "2"}]
    client.untag_resource(resourceArn=arn, tagKeys=["a", "absent"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    many = [{"key": "k%d" % i, "value": "v"} for i in range(50)]
    assert error_of(client.tag_resource, resourceArn=arn, tags=many)[:2] == (400, "TooManyTagsException")
    assert error_of(raw_client.tag_resource, resourceArn=arn, tags=[{"key": "aws:x", "value": "v"}])[:2] == (400, "ValidationException")
    unknown = "arn:aws:rolesanywhere:%s:%s:profile/%s" % (emulator.region, emulator.account, uuid.uuid4())
    assert error_of(client.list_tags_for_resource, resourceArn=unknown)[:2] == (404, "ResourceNotFoundException")


# --- validation from the model --------------------------------------------------------------------

@pytest.mark.parametrize("operation, params, expected", [
    ("create_profile", {"roleArns": []}, "Value null at 'name' failed to satisfy constraint: Member must not be null"),
    ("create_profile", {"name": "x" * 256, "roleArns": []}, "Member must have length less than or equal to 255"),
    ("create_profile", {"name": "", "roleArns": []}, "Member must have length greater than or equal to 1"),
    ("create_profile", {"name": "bad!name", "roleArns": []}, "Member must satisfy regular expression pattern: [ a-zA-Z0-9-_]*"),
    ("create_profile", {"name": "p", "roleArns": [], "durationSeconds": 899},
     "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
    ("create_profile", {"name": "p", "roleArns": [], "durationSeconds": 43201}, "Member must have value less than or equal to 43200"),
    ("create_profile", {"name": "p", "roleArns": ["arn:aws:iam::123456789012:user/u"]},
     "at 'roleArns.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern"),
    ("create_profile", {"name": "p", "roleArns": ["arn:aws:iam::123456789012:role/r%d" % i for i in range(251)]},
     "at 'roleArns' failed to satisfy constraint: Member must have length less than or equal to 250"),
    ("create_profile", {"name": "p", "roleArns": [], "tags": [{"key": "bad key!", "value": "v"}]},
     "Value at 'tags.1.member.key' failed to satisfy constraint"),
    ("put_attribute_mapping", {"profileId": "00000000-0000-0000-0000-000000000000", "certificateField": "x509Nope",
                               "mappingRules": []}, "Member must satisfy enum value set: [x509Subject, x509Issuer, x509SAN]"),
    ("get_profile", {"profileId": "not-an-id"}, "at 'profileId' failed to satisfy constraint"),
    ("put_notification_settings", {"trustAnchorId": "00000000-0000-0000-0000-000000000000", "notificationSettings": [
        {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 361}]}, "Member must have value less than or equal to 360"),
], ids=["required", "max-length", "min-length", "pattern", "range-min", "range-max", "list-member-pattern", "list-length",
        "sensitive-not-echoed", "enum", "identifier-pattern", "nested-range"])
def test_validation_errors_come_from_the_model(raw_client, operation, params, expected):
    status, code, message = error_of(getattr(raw_client, operation), **params)
    assert (status, code) == (400, "ValidationException"), message
    assert expected in message, message
    assert message.startswith("1 validation error detected: ") or message.split(" ", 1)[0].isdigit()
    assert "bad key!" not in message


def test_several_validation_errors_are_counted(raw_client):
    message = error_of(raw_client.create_profile, name="bad!", roleArns=[], durationSeconds=1)[2]
    assert message.startswith("2 validation errors detected: ")


def test_wrong_types_are_serialization_errors(raw_client):
    status, code, message = error_of(raw_client.create_profile, name="p", roleArns=[], durationSeconds="long")
    assert (status, code) == (400, "SerializationException") and "durationSeconds" in message


def test_semantic_checks(raw_client):
    assert "sessionPolicy" in error_of(raw_client.create_profile, name="p", roleArns=[], sessionPolicy="{not json")[2]


@pytest.mark.parametrize("operation, params", [
    ("get_trust_anchor", {"trustAnchorId": "00000000-0000-0000-0000-000000000000"}),
    ("enable_trust_anchor", {"trustAnchorId": "00000000-0000-0000-0000-000000000000"}),
    ("update_profile", {"profileId": "00000000-0000-0000-0000-000000000000", "name": "x"}),
    ("delete_profile", {"profileId": "arn:aws:rolesanywhere:us-east-1:123456789012:profile/00000000-0000-0000-0000-000000000000"}),
    ("get_crl", {"crlId": "00000000-0000-0000-0000-000000000000"}),
    ("get_subject", {"subjectId": "00000000-0000-0000-0000-000000000000"}),
    ("put_attribute_mapping", {"profileId": "00000000-0000-0000-0000-000000000000", "certificateField": "x509SAN",
                               "mappingRules": [{"specifier": "DNS"}]}),
])
def test_unknown_ids_are_not_found(client, operation, params):
    status, code, _message = error_of(getattr(client, operation), **params)
    assert (status, code) == (404, "ResourceNotFoundException")


def test_arns_of_another_region_are_not_found(client, ca):
    anchor = client.create_trust_anchor(name=unique("r"), source=bundle(ca))["trustAnchor"]
    elsewhere = anchor["trustAnchorArn"].replace(":us-east-1:", ":eu-west-1:")
    assert error_of(client.get_trust_anchor, trustAnchorId=elsewhere)[:2] == (404, "ResourceNotFoundException")


# --- pagination ---------------------------------------------------------------------------------

def test_pagination(client):
    names = {unique("page") for _index in range(7)}
    for name in names:
        client.create_profile(name=name, roleArns=[])
    first = client.list_profiles(pageSize=3)
    assert len(first["profiles"]) == 3 and first["nextToken"]
    seen = []
    for page in client.get_paginator("list_profiles").paginate(pageSize=3):
        assert len(page["profiles"]) <= 3
        seen.extend(profile["name"] for profile in page["profiles"])
    assert names <= set(seen) and len(seen) == len(set(seen))
    last_token = None
    token = None
    while True:
        page = client.list_profiles(pageSize=2, **({"nextToken": token} if token else {}))
        token = page.get("nextToken")
        if not token:
            break
        last_token = token
    assert last_token is not None


def test_bad_pagination_input(raw_client):
    assert error_of(raw_client.list_trust_anchors, nextToken="garbage!")[:2] == (400, "ValidationException")
    assert error_of(raw_client.list_crls, pageSize=0)[:2] == (400, "ValidationException")
    token = base64.urlsafe_b64encode(b'{"after": 0}').decode()
    assert "crls" in raw_client.list_crls(nextToken=token)


# --- quotas ---------------------------------------------------------------------------------------

def test_trust_anchor_quota_refuses_one_more(ca):
    """AWS allows 50 trust anchors per account and region; the shared test emulator raises it, this one sets 2.

    A process of its own: an in-process emulator would set MOTO_ACCOUNT_ID in this pytest worker for good."""
    from tests.emulator.client import EmulatorProcess  # pylint: disable=import-outside-toplevel

    with EmulatorProcess.start(extra_args=["--trust-anchor-quota", "2"]) as limited:
        quota_client = limited.boto3_client("rolesanywhere", config=Config(retries={"max_attempts": 1}, proxies={}))
        for number in range(2):
            quota_client.create_trust_anchor(name="quota-%d" % number, source=bundle(ca))
        status, code, message = error_of(quota_client.create_trust_anchor, name="quota-2", source=bundle(ca))
        assert (status, code) == (400, "ValidationException") and "can have 2 trust anchors per region" in message
        assert len(quota_client.list_trust_anchors()["trustAnchors"]) == 2  # the refused one was not made
