# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's cross-field rules (plugin_utils/enroll_preflight.py, run by enroll_state's action plugin):
each rule's message when it is broken, nothing when the inputs are right, every problem at once."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils import enroll_preflight
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.enroll_preflight import problems, role_variables

ACCOUNT = "123456789012"
TRUST_ANCHOR = "arn:aws:rolesanywhere:eu-west-1:%s:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41" % ACCOUNT
PROFILE = "arn:aws:rolesanywhere:eu-west-1:%s:profile/7c3e2a1b-4d5f-4a6b-8c7d-9e0f1a2b3c4d" % ACCOUNT
SHA256 = "a" * 64


@pytest.fixture(name="files")
def fixture_files(tmp_path):
    for name in ("ca.pem", "ca.key", "chain.pem", "sign.yml", "aws_signing_helper", "bundle.pem"):
        (tmp_path / name).write_text("x")
    return tmp_path


def variables(files, **changes):
    """The role's defaults with an own CA: inputs that pass."""
    options = {"root": "", "directory": "/etc/rolesanywhere", "user": "root", "profile_users": [], "aws_profile": "rolesanywhere",
               "common_name": "", "subject": {}, "subject_alt_names": [], "renew_before_days": 10,
               "trust_anchor_arn": TRUST_ANCHOR, "profile_arn": PROFILE,
               "role_arn": "arn:aws:iam::%s:role/fleet-host" % ACCOUNT, "endpoint_url": "", "session_duration": 3600,
               "helper": "rolesanywhere", "helper_path": "", "aws_signing_helper_sha256": "",
               "key_spec": {"type": "ECC"}}  # an option no rule reads
    controller = {"enroll_signer": "own_ca", "enroll_validity_days": 30,
                  "enroll_own_ca_certificate": str(files / "ca.pem"), "enroll_own_ca_private_key": str(files / "ca.key"),
                  "enroll_own_ca_chain": "", "enroll_acm_pca_arn": "", "enroll_external_tasks": "",
                  "enroll_aws_signing_helper_src": "", "enroll_aws_signing_helper_url": "", "enroll_ca_bundle": ""}
    found = role_variables(options, controller)
    found.update(changes)
    return found


def test_the_defaults_pass(files):
    assert not problems(variables(files))


def test_every_option_a_rule_reads_has_its_variable(files):
    found = variables(files)
    assert "key_spec" not in found and found["enroll_dir"] == "/etc/rolesanywhere"
    for rule in enroll_preflight.RULES:
        rule(found)  # a KeyError here: a rule reads a variable that neither the options nor 'controller' carry


@pytest.mark.parametrize("changes", [
    {"enroll_trust_anchor_arn": "arn:aws:rolesanywhere:eu-west-1:%s:alias/trust-anchor/fleet/prod-ca" % ACCOUNT,
     "enroll_profile_arn": "arn:aws:rolesanywhere:eu-west-1:%s:alias/profile/web" % ACCOUNT},
    {"enroll_signer": "external", "enroll_renew_before_days": 90},  # an external signer's validity is its own
    {"enroll_root": "/srv/hosts/h01", "enroll_helper_path": "/opt/bin/helper"},
    {"enroll_subject_alt_names": ["DNS:h01.example.com", "IP:192.0.2.1", "URI:spiffe://x/y", "email:a@b.c"]},
    {"enroll_own_ca_chain": "chain.pem"},
    {"enroll_endpoint_url": "https://rolesanywhere.eu-west-1.amazonaws.com/"},
    {"enroll_profile_users": ["deploy", "svc_app-1", "machine$"], "enroll_aws_profile": "fleet.prod_1-a"},
    {"enroll_common_name": "c" * 64},
], ids=["alias ARNs", "external signer", "paths", "SANs", "chain", "endpoint", "names", "64 characters"])
def test_inputs_that_pass(files, changes):
    if changes.get("enroll_own_ca_chain"):
        changes["enroll_own_ca_chain"] = str(files / changes["enroll_own_ca_chain"])
    if changes.get("enroll_signer") == "external":
        changes["enroll_external_tasks"] = str(files / "sign.yml")
    assert not problems(variables(files, **changes))


@pytest.mark.parametrize("changes, message", [
    ({"enroll_trust_anchor_arn": "arn:aws:rolesanywhere:eu-west-1:%s:alias/trust-anchor/aws/reserved" % ACCOUNT},
     "enroll_trust_anchor_arn must be a trust anchor ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID) or alias"
     " ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:alias/trust-anchor/NAME), got 'arn:aws:rolesanywhere:eu-west-1:%s:alias/"
     "trust-anchor/aws/reserved': the trust playbook prints it and writes it to enroll-vars.yml." % ACCOUNT),
    ({"enroll_profile_arn": TRUST_ANCHOR}, "enroll_profile_arn must be a profile ARN"),
    ({"enroll_role_arn": "arn:aws:iam::%s:user/fleet" % ACCOUNT}, "enroll_role_arn must be an IAM role ARN"),
    ({"enroll_session_duration": 899}, "enroll_session_duration must be 900 to 43200 seconds, got 899."),
    ({"enroll_session_duration": 43201}, "enroll_session_duration must be 900 to 43200 seconds, got 43201."),
    ({"enroll_validity_days": 0, "enroll_renew_before_days": -1}, "enroll_validity_days must be at least 1 and enroll_renew_before_days at least 0."),
    ({"enroll_renew_before_days": -1}, "enroll_validity_days must be at least 1 and enroll_renew_before_days at least 0."),
    ({"enroll_renew_before_days": 30},
     "enroll_renew_before_days (30) must be smaller than enroll_validity_days (30), or every run would renew."),
    ({"enroll_dir": "etc/rolesanywhere"}, "enroll_dir and enroll_helper_path must be absolute paths"),
    ({"enroll_root": "/srv/h01/"}, "enroll_root empty or an absolute path without a trailing slash."),
    ({"enroll_root": "srv"}, "enroll_root empty or an absolute path without a trailing slash."),
    ({"enroll_helper_path": "bin/helper"}, "enroll_dir and enroll_helper_path must be absolute paths"),
    ({"enroll_common_name": "c" * 65}, "The common name must be 1 to 64 characters; set enroll_common_name (got '%s')." % ("c" * 65)),
    ({"enroll_subject_alt_names": ["DNS:ok.example.com", "h01.example.com", "DNS:"]},
     "Every subject alternative name needs a type prefix DNS:, IP:, URI: or email:, got ['h01.example.com', 'DNS:']."),
    ({"enroll_subject": {"CN": "h01"}}, "The common name belongs in enroll_common_name, not in enroll_subject."),
    ({"enroll_subject": {"commonName": "h01"}}, "The common name belongs in enroll_common_name, not in enroll_subject."),
    ({"enroll_own_ca_certificate": "/nonexistent/ca.pem"},
     "enroll_signer=own_ca needs enroll_own_ca_certificate and enroll_own_ca_private_key, existing files on the controller"
     " (got '/nonexistent/ca.pem' and "),
    ({"enroll_own_ca_private_key": ""}, "enroll_signer=own_ca needs enroll_own_ca_certificate"),
    ({"enroll_own_ca_chain": "/nonexistent/chain.pem"}, "enroll_own_ca_chain empty or an existing file"),
    ({"enroll_signer": "acm_pca", "enroll_acm_pca_arn": "ca-1"},
     "enroll_signer=acm_pca needs enroll_acm_pca_arn, the ARN of an ACM Private CA"
     " (arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID), got 'ca-1'."),
    ({"enroll_signer": "external"},
     "enroll_signer=external needs enroll_external_tasks, an existing task file on the controller that turns 'csr' into"
     " the facts 'certificate' and 'chain'; got ''."),
    ({"enroll_helper": "aws_signing_helper", "enroll_aws_signing_helper_url": "https://example.com/h"},
     "enroll_helper=aws_signing_helper needs exactly one of enroll_aws_signing_helper_src"),
    ({"enroll_helper": "aws_signing_helper", "enroll_aws_signing_helper_sha256": SHA256},
     "enroll_helper=aws_signing_helper needs exactly one of enroll_aws_signing_helper_src"),
    ({"enroll_helper": "aws_signing_helper", "enroll_aws_signing_helper_sha256": SHA256 + "\n0",
      "enroll_aws_signing_helper_url": "https://example.com/h"},
     "the 64 hex digit SHA-256 of the binary (AWS publishes it beside each download)."),
    ({"enroll_helper": "aws_signing_helper", "enroll_aws_signing_helper_sha256": SHA256,
      "enroll_aws_signing_helper_src": "/nonexistent/aws_signing_helper"},
     "enroll_helper=aws_signing_helper needs exactly one of enroll_aws_signing_helper_src"),
    ({"enroll_ca_bundle": "/nonexistent/bundle.pem"},
     "enroll_ca_bundle must be an existing PEM file on the controller; got '/nonexistent/bundle.pem'."),
    ({"enroll_endpoint_url": "https://rolesanywhere.eu-west-1.amazonaws.com/path"},
     "enroll_endpoint_url must be a URL like https://rolesanywhere.eu-west-1.amazonaws.com (scheme and host, no path);"
     " got 'https://rolesanywhere.eu-west-1.amazonaws.com/path'."),
    ({"enroll_user": "Root"}, "enroll_user and enroll_profile_users must be user names"),
    ({"enroll_profile_users": ["deploy", "bad user"]}, "enroll_user and enroll_profile_users must be user names"),
    ({"enroll_aws_profile": "my profile"}, "and enroll_aws_profile a profile name of letters, digits, '.', '_' and '-'."),
])
def test_each_broken_rule_is_named(files, changes, message):
    found = problems(variables(files, **changes))
    assert len(found) == 1, found
    assert message in found[0]


def test_every_problem_is_reported_at_once_in_rule_order(files):
    found = problems(variables(files, enroll_trust_anchor_arn="arn:aws:rolesanywhere:eu-west-1:%s:alias/trust-anchor/aws/reserved"
                               % ACCOUNT, enroll_profile_arn="arn:aws:rolesanywhere:eu-west-1:%s:profile/0F3F1F5E-8A4E-4A57-9D43-2C2F0B9E8F41" % ACCOUNT,
                               enroll_session_duration="soon", enroll_aws_profile="a b"))
    assert [message.split(" ", 1)[0] for message in found] == [
        "enroll_trust_anchor_arn", "enroll_profile_arn", "enroll_session_duration", "enroll_user"]
    assert "got soon." in found[2]  # not a number: refused as Jinja's int filter made it (0)
