# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's cross-field rules that argument_specs.yml cannot express, checked on the controller.

The action plugin rolesanywhere.fleet.enroll_state runs them before its module, so that a host whose inputs are
wrong changes nothing, and one run reports every problem at once (joined with ' | ').
One function per rule: it reads the role's variables (by their names) and raises Problem with the message when the
rule is broken. To add a rule, write one more function and list it in RULES.
"""

from __future__ import annotations

import os
import re

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import MAX_DURATION_SECONDS
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import MIN_DURATION_SECONDS
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import is_duration
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.subject_tags import common_name_refusal
from ansible_collections.rolesanywhere.fleet.plugins.test.aws_identifier import aws_identifier

# The patterns of the role's former Jinja checks, used with re.match as Jinja's 'match' test does.
ABSOLUTE = re.compile(r"^/")
ROOT = re.compile(r"^/.*[^/]$")
USER_NAME = re.compile(r"^[a-z_][a-z0-9_.-]*[$]?$")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
SAN = re.compile(r"^(DNS|IP|URI|email|RID|dirName):.+")
ENDPOINT_URL = re.compile(r"^https?://[^/\s]+/?$")
SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")

# The role's variables that enroll_state takes as options: option name -> variable name.
OPTION_VARIABLES = {
    "root": "enroll_root", "directory": "enroll_dir", "user": "enroll_user", "profile_users": "enroll_profile_users",
    "aws_profile": "enroll_aws_profile", "common_name": "enroll_common_name", "subject": "enroll_subject",
    "subject_alt_names": "enroll_subject_alt_names", "renew_before_days": "enroll_renew_before_days",
    "trust_anchor_arn": "enroll_trust_anchor_arn", "profile_arn": "enroll_profile_arn", "role_arn": "enroll_role_arn",
    "endpoint_url": "enroll_endpoint_url", "session_duration": "enroll_session_duration", "helper": "enroll_helper",
    "helper_path": "enroll_helper_path", "aws_signing_helper_sha256": "enroll_aws_signing_helper_sha256",
}


class Problem(Exception):
    """One broken rule; its message names the variables and what to do."""


def _int(value):
    """Jinja's int filter: 0 for what is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _is_file(path):
    """Ansible's 'is file' test."""
    return bool(path) and os.path.isfile(path)


def _matches(pattern, value):
    """Ansible's 'match' test (re.match)."""
    return isinstance(value, str) and pattern.match(value) is not None


def trust_anchor_arn(v):
    if not aws_identifier(v["enroll_trust_anchor_arn"], "trust-anchor"):
        raise Problem("enroll_trust_anchor_arn must be a trust anchor ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)"
                      " or alias ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:alias/trust-anchor/NAME), got '%s': the trust"
                      " playbook prints it and writes it to enroll-vars.yml." % v["enroll_trust_anchor_arn"])


def profile_arn(v):
    if not aws_identifier(v["enroll_profile_arn"], "profile"):
        raise Problem("enroll_profile_arn must be a profile ARN (arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID) or alias ARN"
                      " (arn:aws:rolesanywhere:REGION:ACCOUNT:alias/profile/NAME), got '%s'." % v["enroll_profile_arn"])


def role_arn(v):
    if not aws_identifier(v["enroll_role_arn"], "iam-role"):
        raise Problem("enroll_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), got '%s'." % v["enroll_role_arn"])


def session_duration(v):
    # CreateSession's durationSeconds: identifiers.py keeps the bounds (and their sources) for every user of them.
    if not is_duration(_int(v["enroll_session_duration"])):
        raise Problem("enroll_session_duration must be %d to %d seconds, got %s."
                      % (MIN_DURATION_SECONDS, MAX_DURATION_SECONDS, v["enroll_session_duration"]))


def validity_days(v):
    if _int(v["enroll_validity_days"]) < 1 or _int(v["enroll_renew_before_days"]) < 0:
        raise Problem("enroll_validity_days must be at least 1 and enroll_renew_before_days at least 0.")


def renewal_window(v):
    if v["enroll_signer"] != "external" and _int(v["enroll_renew_before_days"]) >= _int(v["enroll_validity_days"]):
        raise Problem("enroll_renew_before_days (%s) must be smaller than enroll_validity_days (%s), or every run would renew."
                      % (v["enroll_renew_before_days"], v["enroll_validity_days"]))


def paths(v):
    root, helper_path = v["enroll_root"], v["enroll_helper_path"]
    root_ok = root == "" or _matches(ROOT, root)
    if not (_matches(ABSOLUTE, v["enroll_dir"]) and root_ok and (helper_path == "" or _matches(ABSOLUTE, helper_path))):
        raise Problem("enroll_dir and enroll_helper_path must be absolute paths, and enroll_root empty or an absolute path"
                      " without a trailing slash.")


def common_name(v):
    # An empty enroll_common_name stands for the host's FQDN, which enroll_state checks with the same rule.
    refusal = common_name_refusal(v["enroll_common_name"]) if v["enroll_common_name"] else None
    if refusal is not None:
        raise Problem(refusal)


def subject_alt_names(v):
    untyped = [name for name in v["enroll_subject_alt_names"] if not (_matches(SAN, name))]
    if untyped:
        raise Problem("Every subject alternative name needs a type prefix DNS:, IP:, URI: or email:, got %s." % untyped)


def subject(v):
    if "commonName" in v["enroll_subject"] or "CN" in v["enroll_subject"]:
        raise Problem("The common name belongs in enroll_common_name, not in enroll_subject.")


def own_ca(v):
    if v["enroll_signer"] == "own_ca" and not (
            _is_file(v["enroll_own_ca_certificate"]) and _is_file(v["enroll_own_ca_private_key"])
            and (v["enroll_own_ca_chain"] == "" or _is_file(v["enroll_own_ca_chain"]))):
        raise Problem("enroll_signer=own_ca needs enroll_own_ca_certificate and enroll_own_ca_private_key, existing files on the"
                      " controller (got '%s' and '%s'), and enroll_own_ca_chain empty or an existing file. The trust playbook"
                      " makes them." % (v["enroll_own_ca_certificate"], v["enroll_own_ca_private_key"]))


def acm_pca(v):
    if v["enroll_signer"] == "acm_pca" and not aws_identifier(v["enroll_acm_pca_arn"], "acm-pca"):
        raise Problem("enroll_signer=acm_pca needs enroll_acm_pca_arn, the ARN of an ACM Private CA"
                      " (arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID), got '%s'." % v["enroll_acm_pca_arn"])


def external_signer(v):
    if v["enroll_signer"] == "external" and not _is_file(v["enroll_external_tasks"]):
        raise Problem("enroll_signer=external needs enroll_external_tasks, an existing task file on the controller that turns"
                      " 'csr' into the facts 'certificate' and 'chain'; got '%s'." % v["enroll_external_tasks"])


def aws_signing_helper(v):
    source, url = v["enroll_aws_signing_helper_src"], v["enroll_aws_signing_helper_url"]
    if v["enroll_helper"] == "aws_signing_helper" and not (
            bool(source) != bool(url) and _matches(SHA256_HEX, v["enroll_aws_signing_helper_sha256"])
            and (source == "" or _is_file(source))):
        raise Problem("enroll_helper=aws_signing_helper needs exactly one of enroll_aws_signing_helper_src (an existing file on"
                      " the controller) and enroll_aws_signing_helper_url, and enroll_aws_signing_helper_sha256, the 64 hex"
                      " digit SHA-256 of the binary (AWS publishes it beside each download).")


def ca_bundle(v):
    if v["enroll_ca_bundle"] != "" and not _is_file(v["enroll_ca_bundle"]):
        raise Problem("enroll_ca_bundle must be an existing PEM file on the controller; got '%s'." % v["enroll_ca_bundle"])


def endpoint_url(v):
    if v["enroll_endpoint_url"] != "" and not _matches(ENDPOINT_URL, v["enroll_endpoint_url"]):
        raise Problem("enroll_endpoint_url must be a URL like https://rolesanywhere.eu-west-1.amazonaws.com (scheme and host,"
                      " no path); got '%s'." % v["enroll_endpoint_url"])


def names(v):
    users = list(v["enroll_profile_users"]) or [v["enroll_user"]]
    if not (all(_matches(USER_NAME, user) for user in users) and _matches(PROFILE_NAME, v["enroll_aws_profile"])):
        raise Problem("enroll_user and enroll_profile_users must be user names, and enroll_aws_profile a profile name of"
                      " letters, digits, '.', '_' and '-'.")


RULES = (trust_anchor_arn, profile_arn, role_arn, session_duration, validity_days, renewal_window, paths, common_name,
         subject_alt_names, subject, own_ca, acm_pca, external_signer, aws_signing_helper, ca_bundle, endpoint_url, names)


def role_variables(options, controller):
    """The role's variables the rules read: enroll_state's options under their variable names, and the action's
    'controller' option (already keyed by variable name)."""
    found = dict((variable, options[option]) for option, variable in OPTION_VARIABLES.items() if option in options)
    found.update(controller)
    return found


def problems(variables):
    """The messages of the broken rules, in RULES order; empty when the inputs pass."""
    found = []
    for rule in RULES:
        try:
            rule(variables)
        except Problem as problem:
            found.append(str(problem))
    return found
