# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CreateSession against the emulator: real signatures, real certificates, credentials that work on moto."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys

import boto3
import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from tests.functional.emulator import helpers
from tests.support import pki
from tests.support.scenario import Leaf, make_trust, trust_policy

UNTRUSTED = "Untrusted Signing Certificate"


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def caller_identity(emulator, credentials):
    sts = boto3.client("sts", endpoint_url=emulator.endpoint, region_name=emulator.region, verify=emulator.ca_bundle or True,
                       aws_access_key_id=credentials.access_key_id, aws_secret_access_key=credentials.secret_access_key,
                       aws_session_token=credentials.session_token)
    return sts.get_caller_identity()


def assert_refused(answer, status, code, message_start):
    assert (answer.status, answer.code) == (status, code), answer
    assert answer.message.startswith(message_start), answer.message
    assert "credentialSet" not in answer.document


# --- success ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key_type", ["EC", "RSA"])
@pytest.mark.parametrize("intermediate", [False, True], ids=["root", "intermediate"])
def test_certificate_from_own_ca_gets_working_credentials(emulator, tmp_path, key_type, intermediate):
    trust = make_trust(emulator, tmp_path, key_type=key_type, intermediate=intermediate)
    material = helpers.material_for(trust)
    credentials = transport.create_session(material, trust.trust_anchor_arn, trust.profile_arn, trust.role_arn,
                                           endpoint=emulator.endpoint)
    identity = caller_identity(emulator, credentials)
    session_name = format(material.serial, "x")
    assert identity["Arn"] == "arn:aws:sts::%s:assumed-role/%s/%s" % (emulator.account, trust.role_name, session_name)
    assert identity["Account"] == emulator.account
    assert credentials.source_identity == "host1.example.com"
    assert credentials.role_arn == trust.role_arn
    remaining = (credentials.expiration - utcnow()).total_seconds()
    assert 3500 < remaining <= 3600


def test_answer_has_the_reference_shape(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert answer.status == 201
    assert set(answer.document) == {"credentialSet", "subjectArn"}
    (entry,) = answer.document["credentialSet"]
    assert set(entry) == {"assumedRoleUser", "credentials", "packedPolicySize", "roleArn", "sourceIdentity"}
    assert set(entry["credentials"]) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}
    assert entry["credentials"]["expiration"].endswith("Z") and len(entry["credentials"]["expiration"]) == 20
    assert entry["assumedRoleUser"]["assumedRoleId"].endswith(":" + format(trust.leaf.serial, "x"))
    assert answer.document["subjectArn"].startswith("arn:aws:rolesanywhere:%s:%s:subject/" % (emulator.region, emulator.account))


def test_aws_cli_accepts_the_credentials(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, key_type="RSA")
    credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                           trust.role_arn, endpoint=emulator.endpoint)
    environment = emulator.env({"AWS_ACCESS_KEY_ID": credentials.access_key_id,
                                "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
                                "AWS_SESSION_TOKEN": credentials.session_token})
    beside_python = os.path.join(os.path.dirname(sys.executable), "aws")
    aws = beside_python if os.path.exists(beside_python) else shutil.which("aws")
    assert aws, "the AWS CLI (awscli, from requirements-dev.txt) is not installed"
    result = subprocess.run([aws, "sts", "get-caller-identity", "--output", "json"], env=environment,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].startswith("arn:aws:sts::%s:assumed-role/%s/" % (emulator.account, trust.role_name))


def test_over_https(emulator_tls, tmp_path):
    trust = make_trust(emulator_tls, tmp_path)
    credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                           trust.role_arn, endpoint=emulator_tls.endpoint, ca_bundle=emulator_tls.ca_bundle)
    assert caller_identity(emulator_tls, credentials)["Account"] == emulator_tls.account


def test_subject_is_recorded(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, cn="subject-check.example.com")
    before = utcnow().replace(microsecond=0)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    subject_id = answer.document["subjectArn"].rsplit("/", 1)[1]
    rolesanywhere = emulator.boto3_client("rolesanywhere")
    subject = rolesanywhere.get_subject(subjectId=subject_id)["subject"]
    assert subject["x509Subject"] == "CN=subject-check.example.com"
    assert subject["lastSeenAt"] >= before
    (credential,) = subject["credentials"]
    assert credential["serialNumber"] == str(trust.leaf.serial)
    assert credential["failed"] is False
    assert credential["x509CertificateData"].startswith("-----BEGIN CERTIFICATE-----")
    listed = [item for page in rolesanywhere.get_paginator("list_subjects").paginate() for item in page["subjects"]]
    assert subject_id in {item["subjectId"] for item in listed}


def test_arns_in_body_and_sample_library_algorithm_names(emulator, tmp_path):
    """AWS's Python sample sends the ARNs in the JSON body and names the algorithm after the leaf's hash."""
    trust = make_trust(emulator, tmp_path, key_type="RSA", hash_algorithm=pki.SHA512)
    material = helpers.material_for(trust)
    document = {"durationSeconds": 900, "profileArn": trust.profile_arn, "roleArn": trust.role_arn,
                "trustAnchorArn": trust.trust_anchor_arn}
    path, headers, body = helpers.custom_request(material, emulator.endpoint, document=document,
                                                 content_type="application/x-amz-json-1.0", algorithm="AWS4-X509-RSA-SHA512")
    answer = helpers.send(emulator.endpoint, path, headers, body)
    assert answer.status == 201, answer


def test_role_session_name_when_the_profile_accepts_it(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, accept_role_session_name=True)
    credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                           trust.role_arn, endpoint=emulator.endpoint, role_session_name="web-01")
    assert caller_identity(emulator, credentials)["Arn"].endswith("/%s/web-01" % trust.role_name)


def test_duration_is_capped_by_the_profile(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, duration_seconds=900)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, duration_seconds=7200)
    expiration = transport.parse_expiration(answer.document["credentialSet"][0]["credentials"]["expiration"])
    assert 850 < (expiration - utcnow()).total_seconds() <= 900


def test_duration_is_capped_by_the_certificate(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, not_after=datetime.timedelta(minutes=20))
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, duration_seconds=3600)
    expiration = transport.parse_expiration(answer.document["credentialSet"][0]["credentials"]["expiration"])
    assert expiration <= pki.utcnow() + datetime.timedelta(minutes=20, seconds=1)
    assert (expiration - utcnow()).total_seconds() > 1000


def test_condition_on_the_common_name_passes_for_that_name(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, cn="allowed.example.com",
                       policy=lambda anchor: trust_policy(anchor, common_name="allowed.example.com"))
    assert helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint).status == 201


# --- refusals -----------------------------------------------------------------------------------

def test_bad_signature(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    path, headers, body = helpers.custom_request(helpers.material_for(trust), emulator.endpoint, query=helpers.arn_query(trust))
    answer = helpers.send(emulator.endpoint, path, headers, body.replace(b"3600", b"3601"))
    assert_refused(answer, 403, "AccessDeniedException", "Invalid signature")


def test_signature_by_another_key(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    other = trust.issue("host1.example.com")
    material = helpers.material_for(trust)
    impostor = helpers.material_for(other)
    forged = material.replace(private_key=impostor.private_key)
    answer = helpers.create_session(forged, trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", "Invalid signature")


def test_stale_date(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint,
                                    now=utcnow() - datetime.timedelta(minutes=10))
    assert (answer.status, answer.code) == (403, "AccessDeniedException")
    assert "Signature expired" in answer.message


def test_credential_serial_must_be_the_leafs(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    material = helpers.material_for(trust)
    path, headers, body = helpers.custom_request(material, emulator.endpoint, query=helpers.arn_query(trust),
                                                 serial=material.serial + 1)
    assert_refused(helpers.send(emulator.endpoint, path, headers, body), 403, "AccessDeniedException", "Invalid signature")


def test_certificate_from_an_untrusted_ca(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    stranger = pki.make_leaf(pki.make_ca("EC", cn="Stranger CA"), cn="host1.example.com")
    paths = stranger.write(tmp_path, "stranger")
    material = helpers.material_for(Leaf(stranger, paths.certificate, paths.private_key, paths.chain))
    assert_refused(helpers.create_session(material, trust, emulator.endpoint), 403, "AccessDeniedException", UNTRUSTED)


def test_missing_intermediate(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, intermediate=True)
    material = helpers.material_for(trust, intermediates=False)
    assert_refused(helpers.create_session(material, trust, emulator.endpoint), 403, "AccessDeniedException", UNTRUSTED)


@pytest.mark.parametrize("leaf_options, reason", [
    ({"not_after": datetime.timedelta(minutes=-5), "not_before": datetime.timedelta(days=-2)}, "has expired"),
    ({"not_before": datetime.timedelta(hours=2)}, "not yet valid"),
    ({"ca": True}, "CA:false"),
    ({"key_usage_digital_signature": False}, "digitalSignature"),
    ({"hash_algorithm": pki.SHA1}, "SHA-256 or stronger"),
    ({"version": pki.V1}, "X.509 v3"),
], ids=["expired", "not-yet-valid", "ca-true", "no-digital-signature", "sha1", "v1"])
def test_leaf_rules(emulator, tmp_path, leaf_options, reason):
    trust = make_trust(emulator, tmp_path)
    leaf = trust.issue("host1.example.com", **leaf_options)
    answer = helpers.create_session(helpers.material_for(leaf), trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", UNTRUSTED)
    assert reason in answer.message


def test_revoked_by_an_enabled_crl_only(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, intermediate=True)
    material = helpers.material_for(trust)
    rolesanywhere = emulator.boto3_client("rolesanywhere")
    crl = rolesanywhere.import_crl(name="revocations", crlData=pki.make_crl(trust.issuer, [trust.leaf.serial]).pem,
                                   trustAnchorArn=trust.trust_anchor_arn, enabled=False)["crl"]
    assert helpers.create_session(material, trust, emulator.endpoint).status == 201
    rolesanywhere.enable_crl(crlId=crl["crlId"])
    answer = helpers.create_session(material, trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", UNTRUSTED)
    assert "revoked" in answer.message
    other = trust.issue("host2.example.com")
    assert helpers.create_session(helpers.material_for(other), trust, emulator.endpoint).status == 201


def test_disabled_trust_anchor(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    emulator.boto3_client("rolesanywhere").disable_trust_anchor(trustAnchorId=trust.trust_anchor_id)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", UNTRUSTED)


def test_unknown_trust_anchor(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    arns = dict(trust.arns(), trust_anchor_arn=trust.trust_anchor_arn[:-12] + "000000000000")
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, arns=arns)
    assert_refused(answer, 403, "AccessDeniedException", "Specified Trust Anchor wasn't found.")


def test_disabled_profile(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, profile_enabled=False)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", "Invalid or empty profile provided")


def test_unknown_profile(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    arns = dict(trust.arns(), profile_arn=trust.profile_arn[:-12] + "000000000000")
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, arns=arns)
    assert_refused(answer, 403, "AccessDeniedException", "Invalid or empty profile provided.")


def test_role_not_in_profile(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    arns = dict(trust.arns(), role_arn="arn:aws:iam::%s:role/some-other-role" % emulator.account)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, arns=arns)
    assert_refused(answer, 403, "AccessDeniedException", "Requested Role isn't one of those listed in the Profile.")


def test_role_missing_from_iam(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    ghost = "arn:aws:iam::%s:role/never-created-%s" % (emulator.account, trust.role_name)
    emulator.boto3_client("rolesanywhere").update_profile(profileId=trust.profile_id, roleArns=[trust.role_arn, ghost])
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, arns=dict(trust.arns(), role_arn=ghost))
    assert_refused(answer, 403, "AccessDeniedException", "Unable to assume role")
    assert "does not exist" in answer.message


@pytest.mark.parametrize("policy, reason", [
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                              "Action": "sts:AssumeRole"}]}, "does not allow"),
    (trust_policy(actions=["sts:AssumeRole"]), "sts:TagSession, sts:SetSourceIdentity"),
], ids=["other-service", "assume-role-only"])
def test_trust_policy_without_roles_anywhere(emulator, tmp_path, policy, reason):
    trust = make_trust(emulator, tmp_path, policy=policy)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", "Unable to assume role")
    assert reason in answer.message


@pytest.mark.parametrize("policy_for", [
    lambda anchor: trust_policy(anchor, common_name="someone-else.example.com"),
    lambda anchor: trust_policy(anchor.replace("trust-anchor/", "trust-anchor/0")),
], ids=["common-name", "source-arn"])
def test_failing_condition(emulator, tmp_path, policy_for):
    trust = make_trust(emulator, tmp_path, policy=policy_for)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", "Unable to assume role")
    assert "condition" in answer.message


def test_failed_attempt_is_recorded_on_the_subject(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, cn="refused.example.com",
                       policy=lambda anchor: trust_policy(anchor, common_name="someone-else.example.com"))
    helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    rolesanywhere = emulator.boto3_client("rolesanywhere")
    subjects = [s for page in rolesanywhere.get_paginator("list_subjects").paginate() for s in page["subjects"]
                if s["x509Subject"] == "CN=refused.example.com"]
    (subject,) = subjects
    credentials = rolesanywhere.get_subject(subjectId=subject["subjectId"])["subject"]["credentials"]
    assert [c["failed"] for c in credentials] == [True]


def test_session_name_not_accepted(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, accept_role_session_name=False)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, role_session_name="web-01")
    assert_refused(answer, 403, "AccessDeniedException", "Not authorized to set roleSessionName")


@pytest.mark.parametrize("duration", [899, 43201, "an hour"])
def test_duration_out_of_range(emulator, tmp_path, duration):
    trust = make_trust(emulator, tmp_path)
    path, headers, body = helpers.custom_request(helpers.material_for(trust), emulator.endpoint, query=helpers.arn_query(trust),
                                                 document={"durationSeconds": duration})
    answer = helpers.send(emulator.endpoint, path, headers, body)
    assert (answer.status, answer.code) == (400, "ValidationException"), answer
    assert "durationSeconds" in answer.message


def test_duration_over_the_roles_maximum(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, duration_seconds=43200, max_session_duration=3600)
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, duration_seconds=7200)
    assert_refused(answer, 400, "ValidationException", "The requested DurationSeconds exceeds the MaxSessionDuration")


def test_attributes_that_cannot_be_session_tags(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path, cn="R&D host", sans=["rd.example.com"])
    answer = helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint)
    assert_refused(answer, 403, "AccessDeniedException", "Some attributes failed to be mapped into session tags")
    rolesanywhere = emulator.boto3_client("rolesanywhere")
    rolesanywhere.delete_attribute_mapping(profileId=trust.profile_id, certificateField="x509Subject")
    assert helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint).status == 201


def test_refusals_say_why_in_the_failure_log(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path)
    helpers.create_session(helpers.material_for(trust), trust, emulator.endpoint, now=utcnow() - datetime.timedelta(minutes=30))
    assert any(item["stage"] == "signature" for item in emulator.failures())


# --- ACM Private CA trust anchors ---------------------------------------------------------------

@pytest.fixture(scope="module")
def pca_anchor(emulator):
    """A root CA in moto's ACM PCA and an AWS_ACM_PCA trust anchor + role + profile using it."""
    pca = emulator.boto3_client("acm-pca")
    ca_arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
                                           "Subject": {"CommonName": "Fleet PCA Root", "Organization": "tests"}},
        CertificateAuthorityType="ROOT")["CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=ca_arn)["Csr"]
    root_arn = pca.issue_certificate(CertificateAuthorityArn=ca_arn, Csr=csr, SigningAlgorithm="SHA256WITHRSA",
                                     TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
                                     Validity={"Value": 5, "Type": "YEARS"})["CertificateArn"]
    root = pca.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=root_arn)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=ca_arn, Certificate=root.encode("ascii"))
    rolesanywhere = emulator.boto3_client("rolesanywhere")
    anchor = rolesanywhere.create_trust_anchor(name="pca-anchor", enabled=True,
                                               source={"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": ca_arn}})["trustAnchor"]
    role = emulator.boto3_client("iam").create_role(
        RoleName="pca-role", AssumeRolePolicyDocument=json.dumps(trust_policy(anchor["trustAnchorArn"])))["Role"]
    profile = rolesanywhere.create_profile(name="pca-profile", roleArns=[role["Arn"]], enabled=True)["profile"]
    return {"ca_arn": ca_arn, "trust_anchor_arn": anchor["trustAnchorArn"], "profile_arn": profile["profileArn"],
            "role_arn": role["Arn"]}


def _pca_leaf(emulator, pca_anchor, directory, key_type):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel

    key = pki.generate_key(key_type)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "pca-host.example.com")])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    pca = emulator.boto3_client("acm-pca")
    certificate_arn = pca.issue_certificate(
        CertificateAuthorityArn=pca_anchor["ca_arn"], Csr=csr.public_bytes(pki.serialization.Encoding.PEM),
        SigningAlgorithm="SHA256WITHRSA", TemplateArn="arn:aws:acm-pca:::template/EndEntityCertificate/V1",
        Validity={"Value": 30, "Type": "DAYS"})["CertificateArn"]
    pem = pca.get_certificate(CertificateAuthorityArn=pca_anchor["ca_arn"], CertificateArn=certificate_arn)["Certificate"]
    certificate_path, key_path = directory / "pca-leaf.crt", directory / "pca-leaf.key"
    certificate_path.write_text(pem)
    pki.write_key(key_path, key)
    return str(certificate_path), str(key_path)


@pytest.mark.parametrize("key_type", ["EC", "RSA"])
def test_certificate_from_acm_pca_gets_working_credentials(emulator, pca_anchor, tmp_path, key_type):
    certificate, private_key = _pca_leaf(emulator, pca_anchor, tmp_path, key_type)
    material = helpers.ra_x509.load_signing_material(certificate, private_key)
    credentials = transport.create_session(material, pca_anchor["trust_anchor_arn"], pca_anchor["profile_arn"],
                                           pca_anchor["role_arn"], endpoint=emulator.endpoint)
    assert caller_identity(emulator, credentials)["Arn"].startswith("arn:aws:sts::%s:assumed-role/pca-role/" % emulator.account)


def test_acm_pca_anchor_refuses_other_cas(emulator, pca_anchor, tmp_path):
    stranger = pki.make_leaf(pki.make_ca("RSA", cn="Not the PCA"), key_type="EC")
    paths = stranger.write(tmp_path, "stranger")
    material = helpers.ra_x509.load_signing_material(paths.certificate, paths.private_key)
    arns = {key: pca_anchor[key] for key in ("trust_anchor_arn", "profile_arn", "role_arn")}
    answer = helpers.create_session(material, None, emulator.endpoint, arns=arns)
    assert_refused(answer, 403, "AccessDeniedException", UNTRUSTED)
