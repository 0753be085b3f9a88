# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create an ACTIVE root ACM Private CA (no Ansible module does) and print its ARN.

Usage: make_pca.py ENDPOINT REGION KEY_ALGORITHM SIGNING_ALGORITHM
"""

from __future__ import annotations

import sys

import boto3


def main(endpoint, region, key_algorithm, signing_algorithm):
    client = boto3.client("acm-pca", region_name=region, endpoint_url=endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # the emulator accepts any key
    arn = client.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": key_algorithm, "SigningAlgorithm": signing_algorithm,
                                           "Subject": {"CommonName": "acmpca_certificate integration CA"}},
        CertificateAuthorityType="ROOT",
    )["CertificateAuthorityArn"]
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    root = client.issue_certificate(CertificateAuthorityArn=arn, Csr=csr, SigningAlgorithm=signing_algorithm,
                                    TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
                                    Validity={"Value": 1, "Type": "YEARS"})["CertificateArn"]
    certificate = client.get_certificate(CertificateAuthorityArn=arn, CertificateArn=root)["Certificate"]
    client.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=certificate.encode())
    print(arn)


if __name__ == "__main__":
    main(*sys.argv[1:5])
