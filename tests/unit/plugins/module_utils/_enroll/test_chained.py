# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_chained_profiles: checked entries, and the config text the AWS CLI and SDKs read (botocore parses it here)."""

from __future__ import annotations

import configparser

import botocore.session
import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.chained import (
    chained_sections,
    check_chained_profiles,
)
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.decide import decide

from .test_decide import settings_for

TARGET = "arn:aws:iam::210987654321:role/deploy"


def test_entries_become_assume_role_profiles_botocore_reads(tmp_path, monkeypatch):
    entries = check_chained_profiles([
        {"name": "prod-deploy", "role_arn": TARGET, "external_id": "fleet-42", "duration": 900, "region": "eu-west-2",
         "role_session_name": "web-1"},
        {"name": "audit", "role_arn": "arn:aws:iam::210987654321:role/ops/audit"},
    ], "rolesanywhere")
    text = "[profile rolesanywhere]\ncredential_process = /bin/true\nregion = eu-west-1\n"
    text += chained_sections(entries, "rolesanywhere", "eu-west-1")
    config = tmp_path / "config"
    config.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    profiles = botocore.session.Session().full_config["profiles"]
    assert profiles["prod-deploy"] == {"role_arn": TARGET, "source_profile": "rolesanywhere", "external_id": "fleet-42",
                                       "duration_seconds": "900", "role_session_name": "web-1", "region": "eu-west-2"}
    assert profiles["audit"] == {"role_arn": "arn:aws:iam::210987654321:role/ops/audit", "source_profile": "rolesanywhere",
                                 "region": "eu-west-1"}
    assert chained_sections([], "rolesanywhere", "eu-west-1") == ""


@pytest.mark.parametrize("entries, words", [
    ("prod", "must be a list"),
    (["prod"], "enroll_chained_profiles[0] must be a dictionary"),
    ([{"name": "a", "role_arn": TARGET, "rolearn": TARGET}], "unknown field(s) rolearn"),
    ([{"name": "has space", "role_arn": TARGET}], "enroll_chained_profiles[0].name 'has space' is not a usable"),
    ([{"name": "[x]", "role_arn": TARGET}], "is not a usable AWS config profile name"),
    ([{"name": "rolesanywhere", "role_arn": TARGET}], "has the name of the Roles Anywhere profile itself"),
    ([{"name": "a", "role_arn": TARGET}, {"name": "a", "role_arn": TARGET}], "enroll_chained_profiles[1] (a) repeats a name"),
    ([{"name": "a", "role_arn": "arn:aws:iam::210987654321:user/deploy"}], "enroll_chained_profiles[0] (a).role_arn"),
    ([{"name": "a", "role_arn": TARGET, "duration": 7200}], "(a).duration 7200 is out of range for a chained role"),
    ([{"name": "a", "role_arn": TARGET, "duration": 899}], "out of range for a chained role"),
    ([{"name": "a", "role_arn": TARGET, "external_id": "x"}], "(a).external_id is not a valid external ID"),
    ([{"name": "a", "role_arn": TARGET, "external_id": "has space"}], "not a valid external ID"),
    ([{"name": "a", "role_arn": TARGET, "region": "Europe"}], "(a).region 'Europe' is not an AWS region name"),
    ([{"name": "a", "role_arn": TARGET, "role_session_name": "a b"}], "(a).role_session_name 'a b' is not a valid"),
])
def test_bad_entries_are_named(entries, words):
    with pytest.raises(ConfigurationError) as raised:
        check_chained_profiles(entries, "rolesanywhere")
    assert words in str(raised.value)


def test_external_id_is_not_echoed():
    with pytest.raises(ConfigurationError) as raised:
        check_chained_profiles([{"name": "a", "role_arn": TARGET, "external_id": "bad id with spaces"}], "rolesanywhere")
    assert "bad id with spaces" not in str(raised.value)


def test_the_decision_writes_them_in_the_profile_block(tmp_path):
    settings = settings_for(tmp_path)
    settings.chained_profiles = check_chained_profiles([{"name": "prod-deploy", "role_arn": TARGET}], settings.aws_profile)
    block = decide(settings)["profile_block"]["plain"]
    parser = configparser.RawConfigParser()
    parser.read_string(block)
    assert parser.sections() == ["profile rolesanywhere", "profile prod-deploy"]
    assert dict(parser.items("profile prod-deploy")) == {"role_arn": TARGET, "source_profile": "rolesanywhere",
                                                         "region": "eu-west-1"}
