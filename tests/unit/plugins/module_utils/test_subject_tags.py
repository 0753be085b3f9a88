# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which certificate subject values AWS can carry as session tags (sts tagValueType), with the values of AWS's
issues, and what enroll_state says about a subject (warning, or error when a trust policy relies on the field)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.subject_tags import subject_findings


@pytest.mark.parametrize("value, refused", [
    ("John M. Smith (EMP12345)", "'(', ')'"),  # aws/rolesanywhere-credential-helper#188
    ("Dev & Ops CA", "'&'"),  # hashicorp/terraform-provider-aws#48211: an issuer CN with '&'
    ("C=GB,ST=London", "','"),  # ministryofjustice/cloud-platform-environments#25576: the pattern refused a ','
    ("tab\there", "'\\t'"),  # \p{Z} is separators, not every white space: a tab is a control character
    ("web*", "'*'"),
])
def test_values_aws_cannot_carry(value, refused):
    problem = identifiers.session_tag_value_problem(value)
    assert problem == "it holds %s, which a session tag value cannot hold" % refused


@pytest.mark.parametrize("value", [
    "", "web-01.example.com", "spiffe://acme/web", "user@example.com", "a=b+c:d_e", "Zoë Ångström", "東京 ٣", "x" * 256,
    "no\u00a0break",  # U+00A0 is a space separator (Zs)
])
def test_values_aws_can_carry(value):
    assert identifiers.session_tag_value_problem(value) is None


def test_length_limit_is_the_models():
    assert identifiers.MAX_TAG_VALUE_LENGTH == 256
    assert identifiers.session_tag_value_problem("x" * 257) == "it is 257 characters long, more than a session tag value's 256"


def test_findings_warn_for_fields_no_policy_relies_on():
    warnings, errors = subject_findings({"commonName": "web-01", "organizationName": "R&D"})
    assert errors == []
    assert warnings == ["The certificate subject field O ('R&D') cannot become a session tag: it holds '&', which a session "
                        "tag value cannot hold. AWS refuses every session while the profile maps it (x509Subject '*' maps "
                        "every field); change the value or map only the fields you need"]


def test_findings_fail_for_fields_a_policy_relies_on():
    warnings, errors = subject_findings({"commonName": "Smith (EMP1)", "organizationalUnitName": "web"}, ["CN", "organizationalUnitName"])
    assert warnings == []
    assert len(errors) == 1 and errors[0].startswith("The certificate subject field CN ('Smith (EMP1)') cannot become a session tag")
    assert "so this host could never get credentials" in errors[0]


def test_findings_fail_for_a_relied_on_field_the_subject_lacks():
    warnings, errors = subject_findings({"commonName": "web-01"}, ["OU"])
    assert warnings == []
    assert errors == ["The certificate subject has no OU (organizationalUnitName), which the role's trust policy relies on "
                      "(aws:PrincipalTag/x509Subject/OU), so this host could never get credentials; set it"]
    assert subject_findings({"commonName": "web-01", "OU": "web"}, ["OU"]) == ([], [])
