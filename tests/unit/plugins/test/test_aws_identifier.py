# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The aws_identifier Jinja test: the role's preflight checks ARNs with it, so alias ARNs pass there too."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rolesanywhere.fleet.plugins.test import aws_identifier as plugin
from ansible_collections.rolesanywhere.fleet.plugins.test.aws_identifier import aws_identifier

ACCOUNT = "123456789012"
ID = "0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"


@pytest.mark.parametrize("value, kind, expected", [
    ("arn:aws:rolesanywhere:eu-west-1:%s:trust-anchor/%s" % (ACCOUNT, ID), "trust-anchor", True),
    ("arn:aws:rolesanywhere:eu-west-1:%s:alias/trust-anchor/production-ca" % ACCOUNT, "trust-anchor", True),
    ("arn:aws:rolesanywhere:eu-west-1:%s:alias/profile/web" % ACCOUNT, "profile", True),
    ("arn:aws:rolesanywhere:eu-west-1:%s:alias/profile/web" % ACCOUNT, "trust-anchor", False),
    ("arn:aws:rolesanywhere:eu-west-1:%s:alias/crl/aws/x" % ACCOUNT, "crl", False),  # reserved alias prefix
    ("arn:aws:rolesanywhere::%s:alias/trust-anchor/production-ca" % ACCOUNT, "trust-anchor", False),  # no region
    ("arn:aws:rolesanywhere:eu-west-1:%s:trust-anchor/%s" % (ACCOUNT, ID.upper()), "trust-anchor", False),
    ("arn:aws:rolesanywhere:eu-west-1:%s:subject/%s" % (ACCOUNT, ID), "subject", True),
    (ID, "resource-id", True),
    ("arn:aws:iam::%s:role/fleet/HostRole" % ACCOUNT, "iam-role", True),
    ("arn:aws:iam::%s:user/bob" % ACCOUNT, "iam-role", False),
    ("arn:aws:acm-pca:eu-west-1:%s:certificate-authority/%s" % (ACCOUNT, ID), "acm-pca", True),
    ("arn:aws:acm-pca:eu-west-1:%s:certificate-authority/nope" % ACCOUNT, "acm-pca", False),
    ("eu-west-1", "region", True),
    ("EU-WEST-1", "region", False),
    ("host-1", "role-session-name", True),
    ("h", "role-session-name", False),
    ("fleet Roles Anywhere CA", "session-tag-value", True),
    ("Dev & Ops CA", "session-tag-value", False),  # hashicorp/terraform-provider-aws#48211
    (None, "region", False),
    (42, "resource-id", False),
])
def test_aws_identifier(value, kind, expected):
    assert aws_identifier(value, kind) is expected


def test_alias_arns_can_be_refused():
    alias = "arn:aws:rolesanywhere:eu-west-1:%s:alias/trust-anchor/production-ca" % ACCOUNT
    assert aws_identifier(alias, "trust-anchor", alias=False) is False


def test_unknown_kind_is_an_error():
    with pytest.raises(AnsibleFilterError, match="kind 'bucket'"):
        aws_identifier("x", "bucket")


def test_registered_name():
    assert plugin.TestModule().tests() == {"aws_identifier": aws_identifier}
