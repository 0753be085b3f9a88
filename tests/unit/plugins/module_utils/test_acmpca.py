# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where acmpca_certificate looks for a CA's published CRL: where ACM PCA (and the emulator) writes it."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.acmpca import crl_location, crl_partition
from tests.emulator.acmpca import crl_object_key

CA_ARN = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0b9d1e4c-1111-2222-3333-444455556666"


def authority(**crl):
    return {"Arn": CA_ARN, "RevocationConfiguration": {"CrlConfiguration": crl}}


@pytest.mark.parametrize("crl, key", [
    ({"Enabled": True, "S3BucketName": "pca-crls"}, "crl/0b9d1e4c-1111-2222-3333-444455556666.crl"),
    ({"Enabled": True, "S3BucketName": "pca-crls", "CustomPath": "pki/web"}, "pki/web/0b9d1e4c-1111-2222-3333-444455556666.crl"),
    ({"Enabled": True, "S3BucketName": "pca-crls", "CustomPath": "/pki/"}, "pki/0b9d1e4c-1111-2222-3333-444455556666.crl"),
])
def test_crl_location_is_where_the_crl_is_published(crl, key):
    assert crl_location(authority(**crl)) == ("pca-crls", key)
    assert crl_object_key(CA_ARN, crl) == key  # the emulator publishes there too


@pytest.mark.parametrize("crl", [{}, {"Enabled": False, "S3BucketName": "pca-crls"}, {"Enabled": True}])
def test_a_ca_without_published_crls_has_no_location(crl):
    assert crl_location(authority(**crl)) is None


@pytest.mark.parametrize("crl, key, partition", [
    ({"Enabled": True, "S3BucketName": "pca-crls"}, "crl/0b9d1e4c-1111-2222-3333-444455556666.crl", None),
    ({"Enabled": True, "S3BucketName": "pca-crls", "CrlType": "COMPLETE"}, "pki/0b9d1e4c-1111-2222-3333-444455556666.crl", None),
    ({"Enabled": True, "S3BucketName": "pca-crls", "CrlType": "PARTITIONED"},
     "crl/0b9d1e4c-1111-2222-3333-444455556666/5a1f0c7e-aaaa-bbbb-cccc-0123456789ab.crl", "5a1f0c7e-aaaa-bbbb-cccc-0123456789ab"),
    ({"Enabled": True, "S3BucketName": "pca-crls", "CrlType": "PARTITIONED", "CustomPath": "pki/web"},
     "pki/web/5a1f0c7e-aaaa-bbbb-cccc-0123456789ab.crl", "5a1f0c7e-aaaa-bbbb-cccc-0123456789ab"),
])
def test_crl_partition_names_the_partition_of_partitioned_cas_only(crl, key, partition):
    # acm-pca CrlConfiguration.CrlType; CustomPath doc: <CustomPath>/<CrlPartition_GUID>.crl
    assert crl_partition(authority(**crl), key) == partition
