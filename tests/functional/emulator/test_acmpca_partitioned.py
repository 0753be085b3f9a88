# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACM PCA CRLs, complete and partitioned, with and without CustomPath: where the emulator publishes them, and
that the collection's crl_location finds that object from the certificate's CRL distribution point.

AWS: acm-pca CrlConfiguration.CrlType (COMPLETE | PARTITIONED; partitioned CRLs carry a critical issuing
distribution point that must match the certificate's CDP), CrlConfiguration.CustomPath
(``http://<CustomName>/<CustomPath>/<CrlPartition_GUID>.crl``), privateca user guide crl-planning.html#crl-url
(``crl/<CA-ID>.crl`` for complete CRLs; "Partitioned CRLs have a random GUID appended to them"; CRLs are DER).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import acmpca
from tests.emulator.acmpca import PARTITION_SIZE
from tests.functional.emulator.test_acmpca import bucket, issue, make_ca, pca, s3, wait_for_object  # noqa: F401  pylint: disable=unused-import

GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def cdp_of(certificate):
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return [name.value for point in points for name in point.full_name]


def revoke(pca_client, arn, certificate):
    pca_client.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial="%x" % certificate.serial_number,
                                  RevocationReason="KEY_COMPROMISE")


@pytest.mark.parametrize("custom", [{}, {"CustomPath": "pki/partitions"}, {"CustomPath": "pki/partitions", "CustomCname": "crl.example.com"}],
                         ids=["default-path", "custom-path", "custom-path-and-cname"])
def test_partitioned_crls(pca, s3, bucket, custom):  # noqa: F811
    configuration = dict({"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7, "CrlType": "PARTITIONED"}, **custom)
    arn, ca_certificate = make_ca(pca, configuration)
    ca_id = arn.rsplit("/", 1)[-1]
    authority = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    certificates = [issue(pca, arn)[1] for _index in range(PARTITION_SIZE + 1)]  # two partitions
    first, last = certificates[0], certificates[-1]
    urls = {cdp_of(certificate)[0] for certificate in certificates}
    assert len(urls) == 2  # certificates of one partition share its URL
    for url in urls:
        parts = urlsplit(url)
        assert parts.hostname == (custom.get("CustomCname") or "%s.s3.us-east-1.amazonaws.com" % bucket)
        prefix = custom.get("CustomPath") or "crl/%s" % ca_id  # without CustomPath: the emulator's assumption
        assert re.fullmatch("/%s/%s\\.crl" % (re.escape(prefix), GUID), parts.path), url

    # Without the certificate, a partitioned CA's CRL cannot be located: the module says why.
    assert acmpca.crl_location(authority) is None
    assert "partitioned" in str(acmpca.crl_location_error(authority))

    revoke(pca, arn, first)
    revoke(pca, arn, last)
    for certificate, other in ((first, last), (last, first)):
        bucket_name, key = acmpca.crl_location(authority, certificate.public_bytes(Encoding.PEM).decode())
        assert bucket_name == bucket and key == urlsplit(cdp_of(certificate)[0]).path.lstrip("/")
        crl = x509.load_der_x509_crl(wait_for_object(s3, bucket, key))
        assert crl.is_signature_valid(ca_certificate.public_key())
        listed = {entry.serial_number for entry in crl}
        assert certificate.serial_number in listed and other.serial_number not in listed  # each partition its own
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
        assert point.critical and [name.value for name in point.value.full_name] == cdp_of(certificate)
        assert acmpca.crl_lists_serials(x509.load_der_x509_crl(wait_for_object(s3, bucket, key)).public_bytes(
            Encoding.DER), [certificate.serial_number])[0]


@pytest.mark.parametrize("custom", [{}, {"CustomPath": "pki/web"}], ids=["default-path", "custom-path"])
def test_complete_crl_found_with_and_without_the_certificate(pca, s3, bucket, custom):  # noqa: F811
    configuration = dict({"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7}, **custom)
    arn, _ca = make_ca(pca, configuration)
    authority = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
    certificate = issue(pca, arn)[1]
    pem = certificate.public_bytes(Encoding.PEM).decode()
    expected = "%s/%s.crl" % (custom.get("CustomPath") or "crl", arn.rsplit("/", 1)[-1])
    assert acmpca.crl_location(authority) == acmpca.crl_location(authority, pem) == (bucket, expected)
    revoke(pca, arn, certificate)
    crl = x509.load_der_x509_crl(wait_for_object(s3, bucket, expected))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None
    with pytest.raises(x509.ExtensionNotFound):
        crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)


def test_key_from_path_style_and_cname_uris():
    def certificate_with(url):
        from tests.support import pki  # pylint: disable=import-outside-toplevel
        point = x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)])
        return pki.make_leaf(pki.make_ca("EC"), extra_extensions=[(point, False)]).cert_pem.decode()

    assert acmpca.crl_key_of_certificate(certificate_with("http://s3.eu-west-1.amazonaws.com/my-bucket/crl/a.crl"), "my-bucket") == "crl/a.crl"
    assert acmpca.crl_key_of_certificate(certificate_with("http://my-bucket.s3.eu-west-1.amazonaws.com/crl/a/b.crl"), "my-bucket") == "crl/a/b.crl"
    assert acmpca.crl_key_of_certificate(certificate_with("http://crl.example.com/pki/x%20y.crl"), "my-bucket") == "pki/x y.crl"
    assert acmpca.crl_key_of_certificate(certificate_with("ldap://crl.example.com/cn=x"), "my-bucket") is None
