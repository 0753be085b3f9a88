# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built helper with alias ARNs (--trust-anchor-arn / --profile-arn), and the material messages it prints.

AWS documents alias ARNs for CreateSession and the credential helper:
https://docs.aws.amazon.com/rolesanywhere/latest/userguide/resource-aliases.html
"""

from __future__ import annotations

import json

import pytest

from tests.functional.helper.helpers import assert_error, run_helper, session_args
from tests.support import pki
from tests.support.aliases import make_aliased_trust
from tests.support.scenario import make_trust


@pytest.fixture(scope="module")
def aliased(emulator, tmp_path_factory):
    return make_aliased_trust(emulator, tmp_path_factory.mktemp("alias-trust"), "helper")


def _alias_args(trust, anchor_alias, profile_alias):
    args = session_args(trust)
    args[args.index("--trust-anchor-arn") + 1] = anchor_alias
    args[args.index("--profile-arn") + 1] = profile_alias
    return args


def test_credential_process_with_alias_arns(helper, emulator, helper_env, aliased):
    trust, anchor_alias, profile_alias = aliased
    emulator.reset_counters()
    result = run_helper(helper, ["credential-process"] + _alias_args(trust, anchor_alias, profile_alias), helper_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"]
    assert emulator.counters().get("CreateSession") == 1


def test_alias_arns_of_two_regions_are_refused_before_any_request(helper, emulator, helper_env, aliased):
    trust, anchor_alias, profile_alias = aliased
    emulator.reset_counters()
    args = _alias_args(trust, anchor_alias, profile_alias.replace(":%s:" % emulator.region, ":ap-south-1:"))
    assert_error(run_helper(helper, ["credential-process"] + args, helper_env), "not in the same region and account")
    assert not emulator.counters().get("CreateSession")


def test_empty_standard_input_says_so(helper, helper_env, aliased):
    trust = aliased[0]
    args = session_args(trust)
    args[args.index("--certificate") + 1] = "-"
    assert_error(run_helper(helper, ["credential-process"] + args, helper_env, stdin=b""), "standard input was empty")


def test_missing_intermediate_is_named(helper, emulator, helper_env, tmp_path):
    trust = make_trust(emulator, tmp_path / "chain", intermediate=True)
    unrelated = pki.write_cert_pem(tmp_path / "unrelated.pem", pki.make_ca("EC", cn="Unrelated Helper CA").certificate)
    args = session_args(trust)
    args[args.index("--intermediates") + 1] = unrelated
    emulator.reset_counters()
    assert_error(run_helper(helper, ["credential-process"] + args, helper_env),
                 "is not among the certificates given", "--intermediates", trust.intermediate.certificate.subject.rfc4514_string())
    assert not emulator.counters().get("CreateSession")


def test_leaf_sent_without_its_intermediate_names_the_issuer_after_the_refusal(helper, emulator, helper_env, tmp_path):
    """No intermediates given: nothing to judge before sending (the trust anchor's CA may have signed the leaf,
    userguide authentication.html); after AWS's "Untrusted Signing Certificate", the hint names the leaf's issuer
    and --intermediates."""
    trust = make_trust(emulator, tmp_path / "chain", intermediate=True)
    args = session_args(trust)
    del args[args.index("--intermediates"):args.index("--intermediates") + 2]
    emulator.reset_counters()
    result = run_helper(helper, ["credential-process"] + args, helper_env)
    assert_error(result, "Untrusted Signing Certificate", "sent without intermediates",
                 trust.intermediate.certificate.subject.rfc4514_string(), "--intermediates")
    assert emulator.counters().get("CreateSession") == 1


def test_leaf_of_the_anchor_ca_needs_no_intermediates(helper, emulator, helper_env, tmp_path):
    trust = make_trust(emulator, tmp_path / "direct")
    assert "--intermediates" not in session_args(trust)
    result = run_helper(helper, ["credential-process"] + session_args(trust), helper_env)
    assert result.returncode == 0, result.stderr
