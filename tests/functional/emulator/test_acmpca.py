# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACM Private CA through the emulator with boto3: CRLs published to S3, Validity, SigningAlgorithm, idempotency."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"
CRL_WAIT_SECONDS = 10  # the emulator publishes 1 s after a revocation (its default --crl-delay)
SLACK = datetime.timedelta(minutes=2)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def make_ca(pca, crl_configuration=None, common_name="emulator test CA"):
    """An ACTIVE root CA in moto (through the emulator), optionally publishing CRLs."""
    kwargs = {"RevocationConfiguration": {"CrlConfiguration": crl_configuration}} if crl_configuration else {}
    arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
                                           "Subject": {"CommonName": common_name}},
        CertificateAuthorityType="ROOT", **kwargs)["CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    root = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr, SigningAlgorithm="SHA256WITHRSA", TemplateArn=ROOT_TEMPLATE,
                                 Validity={"Value": 2, "Type": "YEARS"})["CertificateArn"]
    certificate = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=root)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=certificate.encode())
    return arn, x509.load_pem_x509_certificate(certificate.encode())


def make_csr(cn="host.example.com"):
    key = ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)]))
    return request.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def issue(pca, arn, csr=None, **kwargs):
    kwargs.setdefault("SigningAlgorithm", "SHA256WITHRSA")
    kwargs.setdefault("Validity", {"Value": 7, "Type": "DAYS"})
    certificate_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr or make_csr(), **kwargs)["CertificateArn"]
    pem = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=certificate_arn)["Certificate"]
    return certificate_arn, x509.load_pem_x509_certificate(pem.encode())


def colon_hex(serial):
    text = "%X" % serial
    text = ("0" if len(text) % 2 else "") + text
    return ":".join(text[i:i + 2] for i in range(0, len(text), 2))


def wait_for_object(s3, bucket, key, timeout=CRL_WAIT_SECONDS, newer_than=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = s3.get_object(Bucket=bucket, Key=key)
            data = answer["Body"].read()
            if newer_than is None or data != newer_than:
                return data
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("NoSuchKey", "404"):
                raise
        time.sleep(0.2)
    raise AssertionError("no new s3://%s/%s within %s s" % (bucket, key, timeout))


@pytest.fixture
def pca(emulator):
    return emulator.boto3_client("acm-pca")


@pytest.fixture
def s3(emulator):
    return emulator.boto3_client("s3")


@pytest.fixture
def bucket(s3):
    name = "crl-%s" % uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


# --- CRL publication ----------------------------------------------------------------------------

def test_revocation_publishes_a_signed_crl_listing_the_serial(pca, s3, bucket):
    arn, ca_certificate = make_ca(pca, {"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 3})
    _kept_arn, kept = issue(pca, arn)
    _revoked_arn, revoked = issue(pca, arn)
    key = "crl/%s.crl" % arn.rsplit("/", 1)[-1]
    revoked_at = now()
    pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=colon_hex(revoked.serial_number),
                           RevocationReason="KEY_COMPROMISE")

    crl = x509.load_der_x509_crl(wait_for_object(s3, bucket, key))  # DER, as ACM PCA writes it

    assert crl.is_signature_valid(ca_certificate.public_key())
    ca_certificate.public_key().verify(crl.signature, crl.tbs_certlist_bytes, padding.PKCS1v15(), crl.signature_hash_algorithm)
    assert crl.issuer == ca_certificate.subject
    entry = crl.get_revoked_certificate_by_serial_number(revoked.serial_number)
    assert entry is not None and crl.get_revoked_certificate_by_serial_number(kept.serial_number) is None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert abs(entry.revocation_date_utc - revoked_at) < SLACK
    assert abs(crl.next_update_utc - crl.last_update_utc - datetime.timedelta(days=3)) < datetime.timedelta(seconds=1)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    # issued certificates point at that object (bucket URL), as ACM PCA's default distribution point does
    points = kept.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [name.value for name in points[0].full_name] == ["http://%s.s3.us-east-1.amazonaws.com/%s" % (bucket, key)]

    # a second revocation: a new CRL with a higher number lists both
    first = wait_for_object(s3, bucket, key)
    pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=colon_hex(kept.serial_number), RevocationReason="SUPERSEDED")
    crl = x509.load_der_x509_crl(wait_for_object(s3, bucket, key, newer_than=first))
    assert {entry.serial_number for entry in crl} == {kept.serial_number, revoked.serial_number}
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2


def test_custom_path_and_cname(pca, s3, bucket):
    arn, _ca = make_ca(pca, {"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7,
                             "CustomCname": "crl.example.com", "CustomPath": "pki/crls"})
    _certificate_arn, certificate = issue(pca, arn)
    key = "pki/crls/%s.crl" % arn.rsplit("/", 1)[-1]
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [name.value for name in points[0].full_name] == ["http://crl.example.com/%s" % key]
    pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial="%x" % certificate.serial_number, RevocationReason="UNSPECIFIED")
    crl = x509.load_der_x509_crl(wait_for_object(s3, bucket, key))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


@pytest.mark.parametrize("crl_configuration", [None, {"Enabled": False}], ids=["no-configuration", "disabled"])
def test_a_ca_without_crls_publishes_nothing(pca, s3, bucket, crl_configuration):
    arn, _ca = make_ca(pca, crl_configuration)
    _certificate_arn, certificate = issue(pca, arn)
    with pytest.raises(x509.ExtensionNotFound):
        certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=colon_hex(certificate.serial_number),
                           RevocationReason="KEY_COMPROMISE")
    time.sleep(2.5)  # more than twice the emulator's publication delay
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    # enabling CRLs afterwards publishes the revocations already made, into the bucket now named
    pca.update_certificate_authority(CertificateAuthorityArn=arn,
                                     RevocationConfiguration={"CrlConfiguration": {"Enabled": True, "S3BucketName": bucket,
                                                                                   "ExpirationInDays": 7}})
    crl = x509.load_der_x509_crl(wait_for_object(s3, bucket, "crl/%s.crl" % arn.rsplit("/", 1)[-1]))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


def test_crl_waits_for_a_missing_bucket(pca, s3):
    name = "crl-late-%s" % uuid.uuid4().hex[:10]
    arn, _ca = make_ca(pca, {"Enabled": True, "S3BucketName": name, "ExpirationInDays": 7})
    _certificate_arn, certificate = issue(pca, arn)
    pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=colon_hex(certificate.serial_number),
                           RevocationReason="KEY_COMPROMISE")
    time.sleep(1.5)
    s3.create_bucket(Bucket=name)  # ACM PCA retries a failed CRL update; the emulator does too
    crl = x509.load_der_x509_crl(wait_for_object(s3, name, "crl/%s.crl" % arn.rsplit("/", 1)[-1]))
    assert crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


# --- IssueCertificate ---------------------------------------------------------------------------

@pytest.mark.parametrize("validity, expected", [
    ({"Value": 7, "Type": "DAYS"}, lambda issued: issued + datetime.timedelta(days=7)),
    ({"Value": 2, "Type": "MONTHS"}, None),
    ({"Value": 1, "Type": "YEARS"}, None),
    ({"Value": 2524608000, "Type": "ABSOLUTE"}, lambda _issued: datetime.datetime(2050, 1, 1, tzinfo=datetime.timezone.utc)),
    ({"Value": 20491231235959, "Type": "END_DATE"}, lambda _issued: datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)),
    ({"Value": 491231235959, "Type": "END_DATE"}, lambda _issued: datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)),
], ids=["days", "months", "years", "absolute", "end-date", "end-date-utctime"])
def test_validity_sets_not_after(pca, validity, expected):
    arn, _ca = make_ca(pca)
    issued_at = now()
    _certificate_arn, certificate = issue(pca, arn, Validity=validity)
    if expected is None:  # calendar months / years: between 28*n and 31*n days, or 365/366 days
        days = (certificate.not_valid_after_utc - issued_at).days
        assert days in ({59, 60, 61, 62} if validity["Type"] == "MONTHS" else {364, 365, 366}), days
    else:
        assert abs(certificate.not_valid_after_utc - expected(issued_at)) < SLACK
    # ACM PCA backdates "Not Before" by 60 minutes unless ValidityNotBefore says otherwise
    assert abs(certificate.not_valid_before_utc - (issued_at - datetime.timedelta(minutes=60))) < SLACK


def test_validity_not_before(pca):
    arn, _ca = make_ca(pca)
    start = int(time.time()) + 86400
    _certificate_arn, certificate = issue(pca, arn, ValidityNotBefore={"Value": start, "Type": "ABSOLUTE"})
    assert certificate.not_valid_before_utc == datetime.datetime.fromtimestamp(start, datetime.timezone.utc)


def test_validity_that_ends_before_it_starts_is_refused(pca):
    arn, _ca = make_ca(pca)
    with pytest.raises(ClientError) as caught:
        issue(pca, arn, Validity={"Value": 946684800, "Type": "ABSOLUTE"})  # 2000-01-01
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Validity" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("algorithm, expected", [("SHA256WITHRSA", hashes.SHA256), ("SHA384WITHRSA", hashes.SHA384),
                                                 ("SHA512WITHRSA", hashes.SHA512)])
def test_signing_algorithm_sets_the_hash(pca, algorithm, expected):
    arn, ca_certificate = make_ca(pca)
    _certificate_arn, certificate = issue(pca, arn, SigningAlgorithm=algorithm)
    assert isinstance(certificate.signature_hash_algorithm, expected)
    assert certificate.verify_directly_issued_by(ca_certificate) is None


def test_idempotency_token_returns_the_same_certificate(pca):
    arn, _ca = make_ca(pca)
    csr = make_csr()
    first, certificate = issue(pca, arn, csr, IdempotencyToken="token-1")
    again, same = issue(pca, arn, csr, IdempotencyToken="token-1")
    assert again == first and same.serial_number == certificate.serial_number
    others = [issue(pca, arn, csr, IdempotencyToken="token-2"), issue(pca, arn, make_csr(), IdempotencyToken="token-1"),
              issue(pca, arn, csr), issue(pca, arn, csr)]  # another token, another CSR, no token twice
    assert len({first} | {certificate_arn for certificate_arn, _certificate in others}) == 5
    assert len({certificate.serial_number} | {other.serial_number for _arn, other in others}) == 5


def test_moto_errors_pass_through(pca):
    missing = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as caught:
        pca.issue_certificate(CertificateAuthorityArn=missing, Csr=make_csr(), SigningAlgorithm="SHA256WITHRSA",
                              Validity={"Value": 1, "Type": "DAYS"}, IdempotencyToken="t")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
