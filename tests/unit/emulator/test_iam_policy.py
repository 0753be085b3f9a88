# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test IAM policy evaluator (tests/emulator/iam_policy.py) against AWS's documented examples.

Each example's policy and expected outcome come from the IAM User Guide page named in its docstring
(https://docs.aws.amazon.com/IAM/latest/UserGuide/...), so the evaluator the containment tests rely on is checked
against AWS's words, not against itself.
"""

from __future__ import annotations

import datetime

import pytest

from tests.emulator.iam_policy import ALLOW, EXPLICIT_DENY, IMPLICIT_DENY, Request, Unsupported, evaluate, role_session_request

UTC = datetime.timezone.utc
ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def test_explicit_and_implicit_denies_example():
    """reference_policies_evaluation-logic.html#AccessPolicyLanguage_Interplay: AllowGetList / DenyReports."""
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
        {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"},
    ]}
    assert evaluate([policy], Request("iam:GetUser")) == ALLOW
    assert evaluate([policy], Request("iam:CreatePolicy")) == IMPLICIT_DENY  # "implicitly denied"
    assert evaluate([policy], Request("iam:GetOrganizationsAccessReport")) == EXPLICIT_DENY
    # "If someone adds another policy ... such as iam:GenerateCredentialReport, report-related requests are still denied"
    extra = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"}]}
    assert evaluate([policy, extra], Request("iam:GenerateCredentialReport")) == EXPLICIT_DENY
    assert evaluate([], Request("s3:ListBuckets")) == IMPLICIT_DENY  # "By default, all requests are implicitly denied"


def test_date_greater_than_token_issue_time_example():
    """reference_policies_elements_condition_operators.html#Conditions_Date: DateGreaterThan on aws:TokenIssueTime."""
    policy = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::account-id:user/*",
        "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}}
    resource = "arn:aws:iam::account-id:user/alice"
    fresh = Request("iam:ListAccessKeys", resource, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"})
    old = Request("iam:ListAccessKeys", resource, {"aws:TokenIssueTime": "2019-06-01T00:00:00Z"})
    # "The aws:TokenIssueTime key is present ... only when the principal uses temporary credentials ... if an IAM user
    # attempts to view or edit an access key, the request is denied."
    access_key = Request("iam:ListAccessKeys", resource, {})
    assert evaluate([policy], fresh) == ALLOW
    assert evaluate([policy], old) == IMPLICIT_DENY
    assert evaluate([policy], access_key) == IMPLICIT_DENY


def test_revoke_older_sessions_policy():
    """id_roles_use_revoke-sessions.html: AWSRevokeOlderSessions denies sessions issued before the time, not after."""
    revoke = {"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2014-05-07T23:47:00Z"}}}}
    before = Request("s3:ListBuckets", context={"aws:TokenIssueTime": "2014-05-07T23:46:59Z"})
    after = Request("s3:ListBuckets", context={"aws:TokenIssueTime": "2014-05-07T23:47:01Z"})
    assert evaluate([ALLOW_ALL, revoke], before) == EXPLICIT_DENY
    assert evaluate([ALLOW_ALL, revoke], after) == ALLOW
    # "Any user who assumes the role after you choose Revoke active sessions is not affected": equal time is not before
    assert evaluate([ALLOW_ALL, revoke], Request("s3:ListBuckets", context={"aws:TokenIssueTime": "2014-05-07T23:47:00Z"})) == ALLOW


def test_arn_like_matches_parts_string_like_does_not():
    """reference_policies_elements_condition_operators.html#Conditions_ARN: the someservice example."""
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    pattern = "arn:aws:someservice:*:111122223333:finance/*"

    def policy(operator):
        return {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                               "Condition": {operator: {"aws:SourceArn": pattern}}}]}

    request = Request("sqs:SendMessage", context={"aws:SourceArn": value})
    assert evaluate([policy("StringLike")], request) == ALLOW  # "With a StringLike condition, the match succeeds"
    assert evaluate([policy("ArnLike")], request) == IMPLICIT_DENY  # "With an ArnLike condition ... the match fails"
    assert evaluate([policy("ArnEquals")], request) == IMPLICIT_DENY  # "behave identically"


def test_multiple_keys_and_values():
    """reference_policies_multi-value-conditions.html: operators and keys ANDed, values of one key ORed."""
    condition = {"StringEqualsIgnoreCase": {"aws:PrincipalTag/department": ["finance", "hr", "legal"],
                                            "aws:PrincipalTag/role": ["audit", "security"]},
                 "StringEquals": {"aws:PrincipalAccount": "123456789012"}}
    policy = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]}
    good = {"aws:PrincipalTag/department": "HR", "aws:PrincipalTag/role": "audit", "aws:PrincipalAccount": "123456789012"}
    assert evaluate([policy], Request("s3:GetObject", context=good)) == ALLOW
    assert evaluate([policy], Request("s3:GetObject", context=dict(good, **{"aws:PrincipalTag/role": "dev"}))) == IMPLICIT_DENY
    missing = {key: value for key, value in good.items() if key != "aws:PrincipalAccount"}
    assert evaluate([policy], Request("s3:GetObject", context=missing)) == IMPLICIT_DENY


def test_missing_keys_negated_operators_and_if_exists():
    """reference_policies_elements_condition_operators.html: missing key false, negated true; ...IfExists true."""
    def deny(operator):
        return {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {operator: {"aws:userid": "AROAX:*"}}}]}

    empty = Request("s3:ListBuckets")
    assert evaluate([ALLOW_ALL, deny("StringLike")], empty) == ALLOW
    assert evaluate([ALLOW_ALL, deny("StringNotLike")], empty) == EXPLICIT_DENY
    assert evaluate([ALLOW_ALL, deny("StringLikeIfExists")], empty) == EXPLICIT_DENY
    null = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}]}
    assert evaluate([ALLOW_ALL, null], empty) == EXPLICIT_DENY
    assert evaluate([ALLOW_ALL, null], Request("s3:ListBuckets", context={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})) == ALLOW


def test_string_operators_case_and_wildcards():
    """StringEquals is case sensitive, ...IgnoreCase not; StringLike takes * and ? (and nothing else) as wildcards."""
    request = Request("s3:ListBuckets", context={"aws:userid": ["AROAEXAMPLE:5c0e1a"]})
    for operator, value, expected in (("StringEquals", "AROAEXAMPLE:5C0E1A", IMPLICIT_DENY),
                                      ("StringEqualsIgnoreCase", "aroaexample:5C0E1A", EXPLICIT_DENY),
                                      ("StringLike", "*:5c0e1?", EXPLICIT_DENY),
                                      ("StringLike", "[A]*", IMPLICIT_DENY)):
        policy = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {operator: {"aws:UserId": value}}}]}
        assert evaluate([ALLOW_ALL, policy], request) == (expected if expected == EXPLICIT_DENY else ALLOW), operator


def test_role_session_context_and_unsupported():
    issued = datetime.datetime(2026, 12, 6, 23, 0, 0, tzinfo=UTC)
    request = role_session_request("s3:ListBuckets", "AROAEXAMPLE", "5c0e1a", issued, "arn:aws:iam::123456789012:role/web")
    assert request.value("AWS:USERID") == ["AROAEXAMPLE:5c0e1a"]
    assert request.value("aws:TokenIssueTime") == ["2026-12-06T23:00:00Z"]
    with pytest.raises(Unsupported):  # set operators are implemented now (test_set_operators); variables are not
        evaluate([{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                  "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": "${aws:username}"}}}]}], request)
    with pytest.raises(Unsupported):
        evaluate([{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                  "Condition": {"ForSomeValues:StringLike": {"aws:TagKeys": "x"}}}]}], request)
    with pytest.raises(Unsupported):
        evaluate([{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                                  "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]}], request)


def test_set_operators():
    """reference_policies_condition-single-vs-multi-valued-context-keys.html: the aws:TagKeys examples.

    ForAllValues:StringEquals {aws:TagKeys: [environment, cost-center]}: a request tagging environment (and/or
    cost-center) matches, one also tagging owner does not, one with no tags does ("returns true if there are no
    context keys in the request"). ForAnyValue:StringEquals: at least one of the request's keys must be listed, so no
    tags is false. With StringNotEquals each request value must match none of the policy's values.
    """
    def policy(operator):
        return {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                               "Condition": {operator: {"aws:TagKeys": ["environment", "cost-center"]}}}]}

    def request(*keys):
        return Request("ec2:CreateTags", context={"aws:TagKeys": list(keys)} if keys else {})

    assert evaluate([policy("ForAllValues:StringEquals")], request("environment")) == ALLOW
    assert evaluate([policy("ForAllValues:StringEquals")], request("environment", "cost-center")) == ALLOW
    assert evaluate([policy("ForAllValues:StringEquals")], request("environment", "owner")) == IMPLICIT_DENY
    assert evaluate([policy("ForAllValues:StringEquals")], request()) == ALLOW
    assert evaluate([policy("ForAnyValue:StringEquals")], request("owner", "cost-center")) == ALLOW
    assert evaluate([policy("ForAnyValue:StringEquals")], request("owner")) == IMPLICIT_DENY
    assert evaluate([policy("ForAnyValue:StringEquals")], request()) == IMPLICIT_DENY
    assert evaluate([policy("ForAllValues:StringNotEquals")], request("owner", "project")) == ALLOW
    assert evaluate([policy("ForAllValues:StringNotEquals")], request("owner", "environment")) == IMPLICIT_DENY
    assert evaluate([policy("ForAnyValue:StringNotEquals")], request("owner", "environment")) == ALLOW
