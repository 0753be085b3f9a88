# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator refuses a role session's request that an explicit Deny of the role covers (session_guard.py).

AWS's "revoke active sessions" policy (AWSRevokeOlderSessions, id_roles_use_revoke-sessions.html) is the example:
sessions issued before its time are denied in every protocol, sessions issued after are not, and
sts:GetCallerIdentity is never denied (botocore's sts model). Requests with plain keys are not sessions: untouched.
"""

from __future__ import annotations

import datetime
import json
import time

import boto3
import botocore.exceptions
import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from tests.functional.emulator import helpers
from tests.support.scenario import make_trust


def session_client(emulator, service, credentials):
    return boto3.client(service, region_name=emulator.region, endpoint_url=emulator.endpoint,
                        aws_access_key_id=credentials.access_key_id, aws_secret_access_key=credentials.secret_access_key,
                        aws_session_token=credentials.session_token)


def error_code(call):
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"].get("Message", "")
    return "ok", ""


def revoke_older_sessions(moment):
    return {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}}}}


@pytest.fixture
def trust(emulator, tmp_path):
    return make_trust(emulator, tmp_path)


def test_explicit_deny_refuses_older_sessions_in_every_protocol(emulator, trust):
    old = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                   trust.role_arn, endpoint=emulator.endpoint)
    iam = emulator.boto3_client("iam")
    cut_off = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    iam.put_role_policy(RoleName=trust.role_name, PolicyName="AWSRevokeOlderSessions",
                        PolicyDocument=json.dumps(revoke_older_sessions(cut_off)))
    s3, session_iam, pca = (session_client(emulator, name, old) for name in ("s3", "iam", "acm-pca"))
    code, message = error_code(s3.list_buckets)  # rest-xml
    assert code == "AccessDenied" and "s3:ListAllMyBuckets with an explicit deny" in message, message
    assert error_code(lambda: session_iam.get_role(RoleName=trust.role_name))[0] == "AccessDenied"  # query
    assert error_code(pca.list_certificate_authorities)[0] == "AccessDeniedException"  # json
    assert session_client(emulator, "sts", old).get_caller_identity()["Arn"].endswith("/%x" % trust.leaf.serial)
    # plain keys are no session: untouched
    assert error_code(emulator.boto3_client("s3").list_buckets)[0] == "ok"

    time.sleep(max(0.0, (cut_off - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.05)
    new = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                   trust.role_arn, endpoint=emulator.endpoint)
    assert error_code(session_client(emulator, "s3", new).list_buckets)[0] == "ok"

    iam.delete_role_policy(RoleName=trust.role_name, PolicyName="AWSRevokeOlderSessions")
    assert error_code(s3.list_buckets)[0] == "ok"


def test_allow_statements_and_other_roles_do_not_refuse(emulator, trust, tmp_path):
    credentials = transport.create_session(helpers.material_for(trust), trust.trust_anchor_arn, trust.profile_arn,
                                           trust.role_arn, endpoint=emulator.endpoint)
    other = make_trust(emulator, tmp_path / "other")
    iam = emulator.boto3_client("iam")
    iam.put_role_policy(RoleName=trust.role_name, PolicyName="allow", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    iam.put_role_policy(RoleName=other.role_name, PolicyName="deny-all", PolicyDocument=json.dumps(revoke_older_sessions(future)))
    assert error_code(session_client(emulator, "s3", credentials).list_buckets)[0] == "ok"
