# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ABAC on certificate subject fields (docs/abac.md): the trust playbook restricts the role to OU web or db and
CNs h0?.fleet.test; a host whose certificate says OU=web gets credentials (the AWS CLI through its profile), one whose
certificate says OU=mail is refused by CreateSession with AWS's AccessDeniedException when the role proves its new
certificate through the helper's credential-process. Re-runs change nothing; a relied-on subject field AWS cannot
carry as a session tag stops the run before anything changes.
"""

from __future__ import annotations

import json
import os

from tests.support.fleet import Fleet

REQUIRE = {"OU": ["web", "db"], "CN": "h0?.fleet.test"}


def test_only_certificates_with_the_required_subject_get_credentials(emulator, tmp_path):
    name = "abac-%s" % tmp_path.name[-8:].strip("_")
    fleet = Fleet(str(tmp_path), emulator.endpoint, emulator.region, size=2, name=name,
                  host_vars={"h01": {"enroll_subject": {"organizationalUnitName": "web"}},
                             "h02": {"enroll_subject": {"organizationalUnitName": "mail"}}})
    # Bad input stops the play before anything is made: a value no certificate could carry, a CA name AWS cannot map
    for bad, words in (({"rolesanywhere_trust_require_subject": {"OU": "R&D"}},
                        "require_subject.OU value 'R&D' can never match a certificate: it holds '&'"),
                       ({"rolesanywhere_trust_ca_common_name": "Dev & Ops CA"},
                        "rolesanywhere_trust_ca_common_name 'Dev & Ops CA' cannot become a session tag")):
        run = fleet.trust(**bad)
        assert run.rc != 0 and words in run.stdout, run.tail()
        assert "TASK [Make the directory" not in run.stdout and not os.path.exists(os.path.dirname(fleet.vars_file())), run.tail()

    run = fleet.trust(rolesanywhere_trust_require_subject=REQUIRE)
    assert run.rc == 0, run.tail()

    role = fleet.boto3("iam").get_role(RoleName="rolesanywhere-" + name)["Role"]
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(document)
    condition = document["Statement"][0]["Condition"]
    assert condition["StringEquals"] == {"aws:PrincipalTag/x509Subject/OU": ["web", "db"]}
    assert condition["StringLike"] == {"aws:PrincipalTag/x509Subject/CN": "h0?.fleet.test"}
    assert set(condition) == {"StringEquals", "StringLike", "ArnEquals"}
    profile_arn = fleet.group_vars["enroll_profile_arn"]
    profile = fleet.boto3("rolesanywhere").get_profile(profileId=profile_arn.rsplit("/", 1)[1])["profile"]
    subject_mapping = [m for m in profile["attributeMappings"] if m["certificateField"] == "x509Subject"]
    assert [rule["specifier"] for rule in subject_mapping[0]["mappingRules"]] == ["*"]
    assert fleet.group_vars["enroll_trust_subject_fields"] == ["OU", "CN"]

    rerun = fleet.trust(rolesanywhere_trust_require_subject=REQUIRE)
    assert rerun.rc == 0 and rerun.recap()["localhost"]["changed"] == 0, rerun.changed_tasks()

    # h01 (OU=web) enrols; h02 (OU=mail) is refused at the proof of its new certificate (the helper's CreateSession)
    run = fleet.playbook("enroll")
    recap = run.recap()
    assert recap["h01"]["failed"] == 0 and recap["h02"]["failed"] == 1, run.tail()
    refusal = [line for line in run.stdout.splitlines() if line.startswith("fatal: [h02]")]
    assert refusal and "AccessDeniedException" in refusal[0] and "condition in its trust policy is not met" in refusal[0], run.tail()
    identity = fleet.caller_identity("h01")  # the AWS CLI through the host's credential_process
    assert identity.rc == 0, identity.stderr
    assert ":assumed-role/rolesanywhere-%s/" % name in json.loads(identity.stdout)["Arn"]

    run = fleet.playbook("enroll", "--limit", "h01")
    assert run.rc == 0 and run.recap()["h01"]["changed"] == 0, run.changed_tasks()

    # A relied-on field AWS cannot carry (aws/rolesanywhere-credential-helper#188: parentheses) stops the run at
    # enroll_state, before anything changes; a field no condition names is a warning.
    run = fleet.playbook("enroll", "--limit", "h02", "--check",
                         extra_vars={"enroll_subject": {"organizationalUnitName": "web (eu)"}})
    assert run.rc != 0
    assert ("The certificate subject field OU ('web (eu)') cannot become a session tag: it holds '(', ')', which a "
            "session tag value cannot hold. The role's trust policy relies on it") in run.stdout, run.tail()
    run = fleet.playbook("enroll", "--limit", "h01", "--check",
                         extra_vars={"enroll_subject": {"organizationalUnitName": "web", "organizationName": "R&D"}})
    assert "The certificate subject field O ('R&D') cannot become a session tag" in run.stdout + run.stderr, run.tail()
