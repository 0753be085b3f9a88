# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.contain_policy against the emulator: check mode, diff, idempotence, cleanup, lift, errors."""

from __future__ import annotations

import datetime
import json

from tests.support.scenario import trust_policy

from .conftest import unique

POLICY = "rolesanywhere-fleet-contain"


def make_role_and_profile(emulator):
    iam = emulator.boto3_client("iam")
    role = iam.create_role(RoleName=unique("contain"), AssumeRolePolicyDocument=json.dumps(trust_policy()))["Role"]
    profile = emulator.boto3_client("rolesanywhere").create_profile(name=unique("contain"), roleArns=[role["Arn"]])["profile"]
    return iam, role, profile


def policies(iam, role):
    return iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]


def test_contain_check_mode_diff_idempotence(modules, emulator):
    iam, role, profile = make_role_and_profile(emulator)
    params = {"certificate_serials": ["5c:0e:1a"], "profiles": [profile["profileArn"]]}
    predicted = modules.run_ok("contain_policy", check_mode=True, **params)
    assert predicted["changed"] and policies(iam, role) == []  # check mode wrote nothing
    rhythm = modules.rhythm("contain_policy", **params)
    applied = rhythm.applied
    entry = applied["roles"][0]
    assert entry["role_arn"] == role["Arn"] and entry["added"] == ["5c0e1a"] and entry["policy_name"] == POLICY
    assert applied["diff"]["before"] == {role["RoleName"]: None}
    statement = applied["diff"]["after"][role["RoleName"]]["Statement"][0]
    assert statement["Condition"]["StringEqualsIgnoreCase"]["aws:userid"] == ["%s:5c0e1a" % role["RoleId"]]
    stored = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=POLICY)["PolicyDocument"]
    assert stored == applied["diff"]["after"][role["RoleName"]]
    assert rhythm.again["roles"][0]["statements"] == entry["statements"]  # the cut-off did not move


def test_cleanup_and_lift(modules, emulator):
    iam, role, _profile = make_role_and_profile(emulator)
    modules.run_ok("contain_policy", certificate_serials=["aa01", "bb02"], role_arns=[role["Arn"]], max_session_duration=900)
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).isoformat()
    assert not modules.run_ok("contain_policy", role_arns=[role["RoleName"]], now=soon)["changed"]
    lifted = modules.run_ok("contain_policy", certificate_serials=["aa01"], role_arns=[role["RoleName"]], state="absent")
    assert [item["session_names"] for item in lifted["roles"][0]["removed"]] == [["aa01"]]
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=16)).isoformat()
    preview = modules.run_ok("contain_policy", check_mode=True, role_arns=[role["RoleName"]], now=later)
    assert preview["changed"] and preview["diff"]["after"] == {role["RoleName"]: None} and policies(iam, role) == [POLICY]
    cleaned = modules.run_ok("contain_policy", role_arns=[role["RoleName"]], now=later)
    assert [item["session_names"] for item in cleaned["roles"][0]["expired"]] == [["bb02"]]
    assert policies(iam, role) == []
    assert not modules.run_ok("contain_policy", role_arns=[role["RoleName"]], now=later)["changed"]


def test_user_errors(modules, emulator):
    _iam, role, _profile = make_role_and_profile(emulator)
    cases = [
        ({"certificate_serials": ["zz"], "role_arns": [role["Arn"]]}, "certificate_serials entry 'zz' is not a hexadecimal serial number"),
        ({"role_session_names": ["a b"], "role_arns": [role["Arn"]]}, "role session name 'a b' is not a valid session name"),
        ({"certificate_serials": ["aa"], "role_arns": ["no-such-role-7f3c"]}, "role no-such-role-7f3c does not exist"),
        ({"certificate_serials": ["aa"], "profiles": ["0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"]}, "was not found"),
        ({"role_arns": [role["Arn"]], "cleanup": False}, "nothing to do: no host and cleanup=false"),
        ({"certificate_serials": ["aa"], "role_arns": [role["Arn"]], "max_session_duration": 60}, "outside 900..43200"),
        ({"certificate_serials": ["aa"], "role_arns": [role["Arn"]], "now": "tomorrow"}, "is not a date and time with a zone"),
        ({"certificate_serials": ["aa"]}, "no role to contain sessions on"),
    ]
    for params, message in cases:
        result = modules.run("contain_policy", **params)
        assert result.get("failed") and message in result["msg"], (params, result.get("msg"))
        assert "traceback" not in result and "exception" not in result, result
