# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control-plane wrappers (module_utils/api.py) on a real botocore client.

botocore's Stubber stands in for the service where a test needs an exact answer (an error code, a
second page); everything a module does end to end is tested against the emulator in
tests/unit/plugins/modules.
"""

from __future__ import annotations

import datetime

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import api

ANCHOR_ID = "0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"
ANCHOR_ARN = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/" + ANCHOR_ID


@pytest.fixture
def raw_client():
    return boto3.client(
        "rolesanywhere", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9"
    )


@pytest.fixture
def client(raw_client):
    """What module.client(..., retry_decorator=...) returns: calls take aws_retry=True."""
    return RetryingBotoClientWrapper(raw_client, api.retry_decorator())


@pytest.mark.parametrize("kind", [api.TRUST_ANCHOR, api.PROFILE, api.CRL, api.SUBJECT])
def test_resource_kinds_name_real_operations(raw_client, kind):
    assert hasattr(raw_client, kind.list_method)
    assert hasattr(raw_client, kind.method("get"))
    model = raw_client.meta.service_model
    get = model.operation_model("Get" + kind.key[0].upper() + kind.key[1:])
    assert kind.id_key in get.input_shape.members
    assert kind.key in get.output_shape.members
    if kind is not api.SUBJECT:
        for verb in ("delete", "enable", "disable"):
            assert hasattr(raw_client, kind.method(verb))
        assert kind.arn_key in get.output_shape.members[kind.key].members


def test_request_supports_reads_the_installed_model(client):
    assert api.request_supports(client, "UpdateProfile", "acceptRoleSessionName")
    assert not api.request_supports(client, "UpdateProfile", "noSuchField")


def test_get_returns_none_when_missing(client, raw_client):
    with Stubber(raw_client) as stub:
        stub.add_client_error("get_trust_anchor", "ResourceNotFoundException", "Trust anchor not found", 404)
        assert api.get_resource(client, api.TRUST_ANCHOR, ANCHOR_ID) is None


def test_other_errors_become_the_collection_error(client, raw_client):
    with Stubber(raw_client) as stub:
        stub.add_client_error("get_trust_anchor", "AccessDeniedException", "not allowed", 403)
        with pytest.raises(api.AnsibleRolesAnywhereError, match="Failed to get the resource") as caught:
            api.get_resource(client, api.TRUST_ANCHOR, ANCHOR_ID)
    assert caught.value.exception.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.parametrize(
    "code, status, users_to_fix",
    [
        ("AccessDeniedException", 403, True),
        ("ValidationException", 400, True),
        ("TooManyTagsException", 400, True),
        ("UnrecognizedClientException", 403, True),
        ("InternalServerException", 500, False),
        ("SomethingNewException", 400, False),
    ],
)
def test_user_errors_are_told_from_unexpected_ones(client, raw_client, code, status, users_to_fix):
    with Stubber(raw_client) as stub:
        stub.add_client_error("list_trust_anchors", code, "an answer", status)
        with pytest.raises(api.AnsibleRolesAnywhereError) as caught:
            api.list_resources(client, api.TRUST_ANCHOR)
    assert api.aws_error_code(caught.value.exception) == code
    assert api.is_user_error(caught.value) is users_to_fix


def test_missing_credentials_are_a_user_error(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.session.Session(region_name="us-east-1")
    bare = RetryingBotoClientWrapper(session.client("rolesanywhere", endpoint_url="http://127.0.0.1:9"), api.retry_decorator())
    with pytest.raises(api.AnsibleRolesAnywhereError) as caught:
        api.list_resources(bare, api.TRUST_ANCHOR)
    assert type(caught.value.exception).__name__ == "NoCredentialsError"
    assert api.aws_error_code(caught.value.exception) is None
    assert api.is_user_error(caught.value) is True


def test_errors_name_the_call_and_the_kind(client, raw_client):
    with Stubber(raw_client) as stub:
        stub.add_client_error("list_crls", "AccessDeniedException", "no", 403)
        stub.add_client_error("import_crl", "ValidationException", "bad CRL", 400)
        stub.add_client_error("create_profile", "ValidationException", "bad profile", 400)
        stub.add_client_error("update_trust_anchor", "ValidationException", "bad name", 400)
        with pytest.raises(api.AnsibleRolesAnywhereError, match="^Failed to list CRLs"):
            api.list_resources(client, api.CRL)
        with pytest.raises(api.AnsibleRolesAnywhereError, match="^Failed to import the CRL"):
            api.create_resource(client, api.CRL, name="crl", crlData=b"x", trustAnchorArn="arn:aws:rolesanywhere:x")
        with pytest.raises(api.AnsibleRolesAnywhereError, match="^Failed to create the profile"):
            api.create_resource(client, api.PROFILE, name="profile", roleArns=[])
        with pytest.raises(api.AnsibleRolesAnywhereError, match="^Failed to update the trust anchor"):
            api.update_resource(client, api.TRUST_ANCHOR, ANCHOR_ID, name="anchor")
        stub.assert_no_pending_responses()


def test_create_and_update_send_the_kind_s_fields(client, raw_client):
    answer = {"trustAnchorId": ANCHOR_ID, "trustAnchorArn": ANCHOR_ARN, "name": "renamed"}
    with Stubber(raw_client) as stub:
        stub.add_response("update_trust_anchor", {"trustAnchor": answer}, {"trustAnchorId": ANCHOR_ID, "name": "renamed"})
        assert api.update_resource(client, api.TRUST_ANCHOR, ANCHOR_ID, name="renamed") == answer
        stub.assert_no_pending_responses()


def test_delete_of_a_missing_resource_is_no_error(client, raw_client):
    with Stubber(raw_client) as stub:
        stub.add_client_error("delete_crl", "ResourceNotFoundException", "CRL not found", 404)
        assert api.delete_resource(client, api.CRL, ANCHOR_ID) is False


def test_listing_follows_next_tokens(client, raw_client):
    first = {"trustAnchorId": ANCHOR_ID, "name": "one"}
    second = {"trustAnchorId": ANCHOR_ID.replace("0f", "1f"), "name": "two"}
    with Stubber(raw_client) as stub:
        stub.add_response("list_trust_anchors", {"trustAnchors": [first], "nextToken": "page2"}, {})
        stub.add_response("list_trust_anchors", {"trustAnchors": [second]}, {"nextToken": "page2"})
        assert [item["name"] for item in api.list_resources(client, api.TRUST_ANCHOR)] == ["one", "two"]
        stub.assert_no_pending_responses()


def test_throttling_exception_is_retried(client, raw_client):
    # amazon.aws's AWSRetry alone does not know Roles Anywhere's "ThrottlingException".
    with Stubber(raw_client) as stub:
        stub.add_client_error("list_tags_for_resource", "ThrottlingException", "Rate exceeded", 429)
        stub.add_response("list_tags_for_resource", {"tags": [{"key": "a", "value": "b"}]}, {"resourceArn": ANCHOR_ARN})
        assert api.list_tags(client, ANCHOR_ARN) == {"a": "b"}
        stub.assert_no_pending_responses()


def test_s3_slow_down_is_retried_by_the_s3_decorator():
    """acmpca_certificate's CRL wait reads S3, which answers 503 SlowDown when read too fast; AWSRetry alone stops."""
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                      endpoint_url="http://127.0.0.1:9")
    body = {"Body": "crl"}
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", "SlowDown", "Please reduce your request rate.", 503)
        stub.add_response("get_object", body, {"Bucket": "b", "Key": "crl/ca.crl"})
        wrapped = RetryingBotoClientWrapper(s3, api.retry_decorator(api.S3_THROTTLING_ERROR_CODES))
        assert wrapped.get_object(Bucket="b", Key="crl/ca.crl", aws_retry=True)["Body"] == "crl"
        stub.assert_no_pending_responses()
    with Stubber(s3) as stub:  # without the S3 codes, the first SlowDown ends the call
        stub.add_client_error("get_object", "SlowDown", "Please reduce your request rate.", 503)
        with pytest.raises(botocore.exceptions.ClientError, match="SlowDown"):
            RetryingBotoClientWrapper(s3, api.retry_decorator()).get_object(Bucket="b", Key="crl/ca.crl", aws_retry=True)


def test_tag_calls_send_the_service_shape(client, raw_client):
    with Stubber(raw_client) as stub:
        stub.add_response("tag_resource", {}, {"resourceArn": ANCHOR_ARN, "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": ""}]})
        stub.add_response("untag_resource", {}, {"resourceArn": ANCHOR_ARN, "tagKeys": ["c"]})
        api.tag_resource(client, ANCHOR_ARN, {"b": "", "a": "1"})
        api.untag_resource(client, ANCHOR_ARN, ["c"])
        stub.assert_no_pending_responses()


def test_delete_attribute_mapping_sends_specifiers_only_when_given(client, raw_client):
    profile_id = ANCHOR_ID
    with Stubber(raw_client) as stub:
        stub.add_response("delete_attribute_mapping", {"profile": {}}, {"profileId": profile_id, "certificateField": "x509Issuer"})
        stub.add_response(
            "delete_attribute_mapping", {"profile": {}}, {"profileId": profile_id, "certificateField": "x509SAN", "specifiers": ["URI"]}
        )
        api.delete_attribute_mapping(client, profile_id, "x509Issuer")
        api.delete_attribute_mapping(client, profile_id, "x509SAN", ["URI"])
        stub.assert_no_pending_responses()


def test_to_ansible():
    moment = datetime.datetime(2024, 7, 6, 12, 38, 59, tzinfo=datetime.timezone.utc)
    resource = {
        "trustAnchorId": ANCHOR_ID,
        "createdAt": moment,
        "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": "PEM"}},
        "notificationSettings": [{"event": "CA_CERTIFICATE_EXPIRY", "configuredBy": "x"}],
        "tags": {"CamelKey": "Value"},
    }
    result = api.to_ansible(resource)
    assert result == {
        "trust_anchor_id": ANCHOR_ID,
        "created_at": "2024-07-06T12:38:59+00:00",
        "source": {"source_type": "CERTIFICATE_BUNDLE", "source_data": {"x509_certificate_data": "PEM"}},
        "notification_settings": [{"event": "CA_CERTIFICATE_EXPIRY", "configured_by": "x"}],
        "tags": {"CamelKey": "Value"},
    }
    assert api.to_ansible(None) == {}
    subject = {"instanceProperties": [{"properties": {"hostName": "h"}, "seenAt": moment}]}
    assert api.to_ansible(subject)["instance_properties"][0]["properties"] == {"hostName": "h"}


def test_to_ansible_gives_crl_data_as_pem_text():
    from tests.support import pki  # pylint: disable=import-outside-toplevel

    crl = pki.make_crl(pki.make_ca("EC"), [3])
    result = api.to_ansible({"crlId": ANCHOR_ID, "crlData": crl.der})
    assert result["crl_data"].startswith("-----BEGIN X509 CRL-----\n")
    assert api.to_ansible({"crlData": crl.pem})["crl_data"] == result["crl_data"]
