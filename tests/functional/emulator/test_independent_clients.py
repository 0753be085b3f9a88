# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clients that are not ours must not tell the emulator from AWS.

AWS's Python sample library (``iam-rolesanywhere-session`` on PyPI) signs with botocore's SigV4
machinery, sends the ARNs in the JSON body with ``Content-Type: application/x-amz-json-1.0`` and
names the algorithm after the certificate's hash. It only speaks HTTPS, so it runs against
``emulator_tls``. The test is skipped when the library is not installed.
"""

from __future__ import annotations

import pytest

from tests.support import pki
from tests.support.scenario import make_trust

iam_rolesanywhere_session = pytest.importorskip("iam_rolesanywhere_session")


@pytest.mark.parametrize("key_type, intermediate, hash_algorithm", [
    ("EC", False, pki.SHA256),
    ("RSA", True, pki.SHA256),
    ("RSA", False, pki.SHA512),
], ids=["ec", "rsa-intermediate", "rsa-sha512-leaf"])
def test_aws_python_sample_gets_credentials(emulator_tls, tmp_path, key_type, intermediate, hash_algorithm):
    trust = make_trust(emulator_tls, tmp_path, key_type=key_type, intermediate=intermediate, hash_algorithm=hash_algorithm)
    host = emulator_tls.endpoint.split("://", 1)[1]
    session = iam_rolesanywhere_session.IAMRolesAnywhereSession(
        profile_arn=trust.profile_arn, role_arn=trust.role_arn, trust_anchor_arn=trust.trust_anchor_arn,
        certificate=trust.certificate, private_key=trust.private_key, certificate_chain=trust.intermediates,
        region=emulator_tls.region, endpoint=host, verify=emulator_tls.ca_bundle, session_duration=900,
    ).get_session()
    identity = session.client("sts", endpoint_url=emulator_tls.endpoint).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::%s:assumed-role/%s/%s" % (emulator_tls.account, trust.role_name,
                                                                      format(trust.leaf.serial, "x"))


def test_aws_python_sample_sees_the_refusal(emulator_tls, tmp_path):
    trust = make_trust(emulator_tls, tmp_path, profile_enabled=False)
    host = emulator_tls.endpoint.split("://", 1)[1]
    session = iam_rolesanywhere_session.IAMRolesAnywhereSession(
        profile_arn=trust.profile_arn, role_arn=trust.role_arn, trust_anchor_arn=trust.trust_anchor_arn,
        certificate=trust.certificate, private_key=trust.private_key, region=emulator_tls.region, endpoint=host,
        verify=emulator_tls.ca_bundle,
    ).get_session()
    with pytest.raises(Exception) as caught:
        session.client("sts", endpoint_url=emulator_tls.endpoint).get_caller_identity()
    assert "Invalid or empty profile provided" in str(caught.value)
