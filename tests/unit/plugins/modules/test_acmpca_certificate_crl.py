# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""acmpca_certificate wait_for_crl with partitioned CRLs (acm-pca CrlConfiguration.CrlType PARTITIONED): the
CRL object is the one in the certificate's CRL distribution point, which is what AWS says clients should use."""

from __future__ import annotations

import uuid

import botocore.session
import pytest

from cryptography import x509

from tests.functional.emulator.test_acmpca import issue, make_ca


@pytest.mark.skipif("CrlType" not in botocore.session.get_session().get_service_model("acm-pca").shape_for("CrlConfiguration").members,
                    reason="botocore without acm-pca CrlType (the floor of the supported range, `make floor`)")
def test_partitioned_crl_found_through_the_certificate(modules, emulator):
    pca, s3 = emulator.boto3_client("acm-pca"), emulator.boto3_client("s3")
    bucket = "crl-%s" % uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    arn, _ca = make_ca(pca, {"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7, "CrlType": "PARTITIONED",
                             "CustomPath": "pki/parts"})
    _certificate_arn, certificate = issue(pca, arn)
    pem = _pem(certificate)
    url = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value

    refused = modules.run("acmpca_certificate", certificate_authority_arn=arn, state="revoked",
                          certificate_serial="%x" % certificate.serial_number, wait_for_crl=True)
    assert refused.get("failed")
    assert "partitioned" in refused["msg"] and "certificate" in refused["msg"]
    assert not modules.changing_calls

    revoked = modules.run("acmpca_certificate", certificate_authority_arn=arn, state="revoked", certificate=pem,
                          wait_for_crl=True, crl_wait_timeout=30, crl_poll_interval=1)
    assert revoked["changed"] is True
    key = url.split("/", 3)[3]
    assert revoked["crl_location"] == {"s3_bucket": bucket, "s3_key": key, "partition": key.rsplit("/", 1)[1][:-len(".crl")]}
    crl = x509.load_pem_x509_crl(revoked["crl"].encode("ascii"))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


def _pem(certificate):
    from cryptography.hazmat.primitives.serialization import Encoding  # pylint: disable=import-outside-toplevel
    return certificate.public_bytes(Encoding.PEM).decode("ascii")
