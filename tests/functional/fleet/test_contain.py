# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/contain.yml against the emulator: credentials obtained before containment are refused afterwards.

Three hosts enrol (own CA, or ACM Private CA) and each gets credentials through its own credential_process. Then h01 is contained: its
certificate is revoked (no new session) and an inline Deny on the fleet role covers the sessions it holds.

How the refusal is proved: with a real client call. moto's own IAM authorization cannot evaluate a conditional
Deny (its ``_check_conditions`` answers DENIED for every statement whose condition is not met, Deny or Allow), so
the emulator's session guard (tests/emulator/session_guard.py) evaluates the session's role policies with
tests/emulator/iam_policy.py (AWS's documented evaluation logic, tested against AWS's own examples) before moto, and
answers AccessDenied to an explicit Deny as AWS does. ``s3:ListBuckets`` with each host's held credentials is the
call. The test also evaluates the role's policies, read back from IAM, in each session's request context as the
session itself reports it (``aws:userid`` from GetCallerIdentity, which no policy can deny; ``aws:TokenIssueTime``
from the credentials' expiration minus the session duration), independently of the guard's own reading of moto.
"""

from __future__ import annotations

import configparser
import datetime
import json
import os
import shlex
import subprocess

import boto3
import botocore.exceptions
import pytest

from tests.functional.fleet.test_fleet import make_acm_pca
from tests.support.fleet import Fleet
from tests.emulator.iam_policy import ALLOW, EXPLICIT_DENY, evaluate, role_session_request

UTC = datetime.timezone.utc
POLICY_NAME = "rolesanywhere-fleet-contain"
SESSION_SECONDS = 3600  # the trust playbook's profile duration (rolesanywhere_trust_session_duration)
ACTION = "s3:ListAllMyBuckets"  # what the role's managed policy allows (ListBuckets)


def credentials_of(fleet, host):
    """Run the host's own credential_process (a real CreateSession) and return its JSON answer."""
    parser = configparser.RawConfigParser()
    parser.read(fleet.config_file(host))
    env = fleet.env()
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(key)
    completed = subprocess.run(shlex.split(parser.get("profile rolesanywhere", "credential_process")), capture_output=True,
                               text=True, timeout=120, env=env, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def session_context(fleet, credentials):
    """(aws:userid, role ARN, issue time bounds) of a session, from the session itself."""
    sts = boto3.client("sts", region_name=fleet.region, endpoint_url=fleet.endpoint,
                       aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                       aws_session_token=credentials["SessionToken"])
    identity = sts.get_caller_identity()
    expiration = datetime.datetime.fromisoformat(credentials["Expiration"].replace("Z", "+00:00"))
    issued = expiration - datetime.timedelta(seconds=SESSION_SECONDS)
    # the emulator answers whole seconds: the true issue time is in [issued, issued + 1 s)
    return identity["UserId"], identity["Arn"], (issued, issued + datetime.timedelta(microseconds=999999))


def list_buckets(fleet, credentials):
    """s3:ListBuckets with a session's credentials: "ok", or the AWS error code."""
    s3 = boto3.client("s3", region_name=fleet.region, endpoint_url=fleet.endpoint,
                      aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
                      aws_session_token=credentials["SessionToken"])
    try:
        s3.list_buckets()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return "ok"


def role_policies(iam, role_name):
    """Every identity-based policy of the role, as IAM holds it: inline ones and attached managed ones."""
    documents = [iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
                 for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]]
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"])
    return [json.loads(document) if isinstance(document, str) else document for document in documents]


def decisions(iam, role_name, role_arn, sessions):
    """Per host: the decisions for ACTION at both ends of its session's issue-time interval."""
    policies = role_policies(iam, role_name)
    result = {}
    for host, (userid, _arn, bounds) in sessions.items():
        role_id, session_name = userid.split(":", 1)
        result[host] = {evaluate(policies, role_session_request(ACTION, role_id, session_name, moment, role_arn)) for moment in bounds}
    return result


# The deny statements do not depend on the signer; ACM PCA's revocation runs in make test through test_fleet.py. The
# ACM PCA containment (its RevokeCertificate and CRL wait, about two minutes) runs in make test-fleet.
FULL = int(os.environ.get("ROLESANYWHERE_TEST_FLEET_SIZE", "20")) >= 20


@pytest.mark.parametrize("signer", ["own_ca", pytest.param("acm_pca", marks=pytest.mark.skipif(
    not FULL, reason="make test-fleet (ROLESANYWHERE_TEST_FLEET_SIZE >= 20) runs the ACM PCA containment"))])
def test_contain_refuses_sessions_issued_before(pca_emulator, tmp_path, signer):
    name = "contain-" + signer.replace("_", "")
    fleet = Fleet(str(tmp_path), pca_emulator["endpoint"], pca_emulator["region"], size=3, name=name)
    iam = fleet.boto3("iam")
    allow = iam.create_policy(PolicyName=name + "-read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetObject"], "Resource": "*"}]}))
    signer_vars = {"enroll_signer": signer}
    if signer == "acm_pca":
        signer_vars["enroll_acm_pca_arn"] = make_acm_pca(fleet)
    run = fleet.trust(rolesanywhere_trust_role_managed_policies=[allow["Policy"]["Arn"]], **signer_vars)
    assert run.rc == 0, run.tail()
    run = fleet.playbook("enroll")
    assert run.rc == 0, run.tail()
    role_arn = fleet.group_vars["enroll_role_arn"]
    role_name = role_arn.rsplit("/", 1)[-1]

    # credentials obtained before containment, one real CreateSession per host
    fleet.forget_cached_credentials()
    held = {host: credentials_of(fleet, host) for host in fleet.hosts}
    sessions = {host: session_context(fleet, credentials) for host, credentials in held.items()}
    serials = fleet.serials()
    for host, (userid, arn, _bounds) in sessions.items():
        assert userid.endswith(":%x" % serials[host]) and arn.endswith("/%x" % serials[host]), (host, userid, arn)
    assert decisions(iam, role_name, role_arn, sessions) == {host: {ALLOW} for host in fleet.hosts}
    assert {host: list_buckets(fleet, credentials) for host, credentials in held.items()} == dict.fromkeys(fleet.hosts, "ok")

    # contain h01: revoked, and the sessions it holds are denied; h02 and h03 keep working
    contain = {"rolesanywhere_contain_hosts": "h01", "rolesanywhere_revoke_crl_poll_interval": 1,
               "rolesanywhere_revoke_crl_wait_timeout": 60}
    run = fleet.playbook("contain", vars_file=fleet.vars_file(), extra_vars=contain)
    assert run.rc == 0, run.tail()
    assert run.recap()["localhost"]["changed"] > 0, run.tail()
    assert {host: list_buckets(fleet, credentials) for host, credentials in held.items()} == {
        "h01": "AccessDenied", "h02": "ok", "h03": "ok"}
    assert decisions(iam, role_name, role_arn, sessions) == {"h01": {EXPLICIT_DENY}, "h02": {ALLOW}, "h03": {ALLOW}}
    fleet.forget_cached_credentials()
    identities = fleet.identities()
    assert identities["h01"].rc != 0 and "revoked" in identities["h01"].stderr, identities["h01"].stderr
    assert identities["h02"].rc == 0 and identities["h03"].rc == 0, (identities["h02"].stderr, identities["h03"].stderr)
    statement = iam.get_role_policy(RoleName=role_name, PolicyName=POLICY_NAME)["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"]["StringEqualsIgnoreCase"]["aws:userid"][0] == sessions["h01"][0]

    # a re-run changes nothing (the CRL, the import and the policy)
    run = fleet.playbook("contain", vars_file=fleet.vars_file(), extra_vars=contain)
    assert run.rc == 0, run.tail()
    assert all(counts["changed"] == 0 for counts in run.recap().values()), (run.recap(), run.changed_tasks())

    # cleanup: before every covered session has expired nothing goes; check mode only predicts; then it goes
    later = datetime.datetime.now(UTC) + datetime.timedelta(hours=11)
    run = fleet.playbook("contain", vars_file=fleet.vars_file(), extra_vars={"rolesanywhere_contain_now": later.isoformat()})
    assert run.rc == 0 and run.recap()["localhost"]["changed"] == 0, run.tail()
    expired = (datetime.datetime.now(UTC) + datetime.timedelta(hours=12, minutes=1)).isoformat()
    run = fleet.playbook("contain", "--check", "--diff", vars_file=fleet.vars_file(), extra_vars={"rolesanywhere_contain_now": expired})
    assert run.rc == 0 and run.recap()["localhost"]["changed"] == 1, run.tail()
    assert POLICY_NAME in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    run = fleet.playbook("contain", vars_file=fleet.vars_file(), extra_vars={"rolesanywhere_contain_now": expired})
    assert run.rc == 0 and run.recap()["localhost"]["changed"] == 1, run.tail()
    assert POLICY_NAME not in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    assert list_buckets(fleet, held["h01"]) == "ok"  # (its session would have expired by then in AWS)
