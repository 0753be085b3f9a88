# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup's assume_role_arn: a real STS AssumeRole (moto behind the emulator) with the Roles Anywhere session.

The target is a second role of the emulator's account: moto 5.2 does not resolve credentials of a role assumed in
another account (docs/cross-account.md).
"""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleLookupError
from botocore.exceptions import ClientError

from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_chain import describe_failure

from .conftest import options_for
from .test_credentials import caller_arn, create_sessions

TRUST_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": None}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def target_role(emulator, trust, tmp_path):
    policy = json.loads(json.dumps(TRUST_POLICY))
    policy["Statement"][0]["Principal"]["AWS"] = trust.role_arn
    return emulator.boto3_client("iam").create_role(RoleName="chained-%s" % tmp_path.name[-20:],
                                                    AssumeRolePolicyDocument=json.dumps(policy))["Role"]


@pytest.fixture(autouse=True)
def sts_at_the_emulator(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)  # botocore's endpoint setting: STS goes to moto


def counted(emulator):
    counters = emulator.counters()
    return create_sessions(emulator), sum(value for name, value in counters.items() if name.startswith("moto:sts"))


def test_chained_role_credentials_one_session_one_assume_role(emulator, trust, target_role, run_lookup):
    sessions, sts_calls = counted(emulator)
    options = options_for(trust, emulator, assume_role_arn=target_role["Arn"], external_id="fleet-tests",
                          assume_role_session_name="deploy-run", assume_role_duration=900)
    value = run_lookup(**options)
    assert value["role_arn"] == target_role["Arn"]
    assert value["assumed_role_arn"] == "arn:aws:sts::%s:assumed-role/%s/deploy-run" % (emulator.account, target_role["RoleName"])
    assert caller_arn(emulator, value) == value["assumed_role_arn"]
    for _repeat in range(3):
        assert run_lookup(**options) == value  # cached, per identity and role
    assert run_lookup(output="module_defaults", **options)["access_key"] == value["access_key"]
    assert counted(emulator) == (sessions + 1, sts_calls + 2)  # one AssumeRole, one GetCallerIdentity (the check)
    # The Roles Anywhere session itself is still there, from the same single CreateSession.
    plain = run_lookup(**options_for(trust, emulator))
    assert plain["role_arn"] == trust.role_arn and create_sessions(emulator) == sessions + 1


@pytest.mark.parametrize("options, words", [
    ({"external_id": "fleet"}, "external_id is given without assume_role_arn"),
    ({"assume_role_arn": "arn:aws:iam::123456789012:user/x"}, "assume_role_arn 'arn:aws:iam::123456789012:user/x' is not an IAM role ARN"),
    ({"assume_role_arn": "arn:aws:iam::123456789012:role/x", "assume_role_duration": 7200},
     "assume_role_duration 7200 is out of range for a chained role"),
    ({"assume_role_arn": "arn:aws:iam::123456789012:role/x", "assume_role_session_name": "a b"},
     "assume_role_session_name 'a b' is not a valid session name"),
])
def test_bad_assume_options_are_named_before_any_request(emulator, trust, run_lookup, options, words):
    before = create_sessions(emulator)
    with pytest.raises(AnsibleLookupError) as raised:
        run_lookup(**options_for(trust, emulator, **options))
    assert words in str(raised.value)
    assert create_sessions(emulator) == before


def test_an_sts_that_does_not_answer_is_one_clear_line(emulator, trust, run_lookup, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint + "/no-such-service")  # answers, but not as STS
    with pytest.raises(AnsibleLookupError) as raised:
        run_lookup(**options_for(trust, emulator, assume_role_arn="arn:aws:iam::123456789012:role/absent"))
    message = str(raised.value)
    assert message.startswith("AssumeRole of arn:aws:iam::123456789012:role/absent with the Roles Anywhere session failed: ")
    assert "\n" not in message and "Traceback" not in message


def test_a_refusal_names_the_trust_policy():
    """AWS's answer to a role whose trust policy does not name the caller (moto does not evaluate trust policies)."""
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "User: arn:aws:sts::123456789012:assumed-role/ra/"
                                   "1f is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2109"
                                   "87654321:role/deploy"}}, "AssumeRole")
    message = describe_failure(error, "arn:aws:iam::210987654321:role/deploy")
    assert message.startswith("AssumeRole of arn:aws:iam::210987654321:role/deploy with the Roles Anywhere session was "
                              "refused: AccessDenied: User: ")
    assert "trust policy names the Roles Anywhere role" in message
