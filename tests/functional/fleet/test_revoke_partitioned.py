# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/revoke.yml with an ACM Private CA that publishes partitioned CRLs.

AWS: acm-pca CrlConfiguration.CrlType PARTITIONED — each partition is its own CRL object, named by a GUID
(CrlConfiguration.CustomPath doc: ``<CustomPath>/<CrlPartition_GUID>.crl``; privateca user guide
crl-planning.html#crl-url: "Partitioned CRLs have a random GUID appended to them"); the certificate's CRL
distribution point names its partition. Each partition is imported as its own Roles Anywhere CRL
(ImportCrl: one CRL per call, PEM), named ``<rolesanywhere_revoke_crl_name>-<partition>``.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as ra_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
from tests.emulator.acmpca import PARTITION_SIZE
from tests.functional.emulator.test_acmpca import make_ca
from tests.support import pki
from tests.support.fleet import Fleet
from tests.support.scenario import trust_policy

HOSTS = PARTITION_SIZE + 1  # the last host's certificate is in a second partition


def _issue(pca, ca_arn, host, directory):
    key = pki.generate_key("EC")
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "%s.fleet.test" % host)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    certificate_arn = pca.issue_certificate(
        CertificateAuthorityArn=ca_arn, Csr=csr.public_bytes(serialization.Encoding.PEM), SigningAlgorithm="SHA256WITHRSA",
        Validity={"Value": 7, "Type": "DAYS"})["CertificateArn"]
    pem = pca.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=certificate_arn)["Certificate"]
    current = os.path.join(directory, "etc", "rolesanywhere", "current")
    os.makedirs(current)
    with open(os.path.join(current, "certificate.pem"), "w", encoding="ascii") as handle:
        handle.write(pem)
    pki.write_key(os.path.join(current, "private-key.pem"), key)
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def _partition(certificate):
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return points[0].full_name[0].value.rsplit("/", 1)[-1][:-len(".crl")]


def test_revoke_with_partitioned_crls_imports_each_partition(emulator, tmp_path):
    s3, pca, rolesanywhere = (emulator.boto3_client(name) for name in ("s3", "acm-pca", "rolesanywhere"))
    bucket = "revoke-partitioned-%s" % os.urandom(4).hex()
    s3.create_bucket(Bucket=bucket)
    ca_arn, _ca = make_ca(pca, {"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7, "CrlType": "PARTITIONED"})
    anchor = rolesanywhere.create_trust_anchor(
        name="revoke-partitioned", enabled=True,
        source={"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": ca_arn}})["trustAnchor"]["trustAnchorArn"]
    role = emulator.boto3_client("iam").create_role(
        RoleName="revoke-partitioned-%s" % os.urandom(4).hex(), AssumeRolePolicyDocument=json.dumps(trust_policy(anchor)))["Role"]
    profile = rolesanywhere.create_profile(name="revoke-partitioned", roleArns=[role["Arn"]], enabled=True)["profile"]["profileArn"]

    fleet = Fleet(str(tmp_path), emulator.endpoint, emulator.region, size=HOSTS, name="partitioned")
    certificates = {host: _issue(pca, ca_arn, host, fleet.root(host)) for host in fleet.hosts}
    revoked = [fleet.hosts[0], fleet.hosts[-1]]
    assert _partition(certificates[revoked[0]]) != _partition(certificates[revoked[1]])
    vars_file = os.path.join(str(tmp_path), "enroll-vars.yml")
    with open(vars_file, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"enroll_signer": "acm_pca", "enroll_acm_pca_arn": ca_arn, "enroll_trust_anchor_arn": anchor,
                        "rolesanywhere_trust_name": "partitioned"}, handle)

    run = fleet.playbook("revoke", vars_file=vars_file, extra_vars={
        "rolesanywhere_revoke_hosts": ",".join(revoked), "rolesanywhere_revoke_crl_poll_interval": 1,
        "rolesanywhere_revoke_crl_wait_timeout": 60})
    assert run.rc == 0, run.tail()

    crls = {crl["name"]: crl for crl in rolesanywhere.list_crls()["crls"] if crl["trustAnchorArn"] == anchor}
    assert sorted(crls) == sorted("partitioned-crl-%s" % _partition(certificates[host]) for host in revoked)
    for host in revoked:
        crl = crls["partitioned-crl-%s" % _partition(certificates[host])]
        listed = {entry.serial_number for entry in x509.load_pem_x509_crl(crl["crlData"])}
        assert crl["enabled"] and listed == {certificates[host].serial_number}  # each partition its own CRL

    # Roles Anywhere (the emulator) denies the revoked hosts and still serves the others.
    for host in fleet.hosts:
        current = os.path.join(fleet.root(host), "etc", "rolesanywhere", "current")
        material = ra_x509.load_signing_material(os.path.join(current, "certificate.pem"), os.path.join(current, "private-key.pem"))
        if host in revoked:
            with pytest.raises(RolesAnywhereError, match="revoked"):
                transport.create_session(material, anchor, profile, role["Arn"], endpoint=emulator.endpoint)
        else:
            assert transport.create_session(material, anchor, profile, role["Arn"], endpoint=emulator.endpoint)

    # A second run changes nothing new: the same two CRLs, updated in place.
    run = fleet.playbook("revoke", vars_file=vars_file, extra_vars={
        "rolesanywhere_revoke_hosts": ",".join(revoked), "rolesanywhere_revoke_crl_poll_interval": 1,
        "rolesanywhere_revoke_crl_wait_timeout": 60})
    assert run.rc == 0, run.tail()
    assert sorted(crl["name"] for crl in rolesanywhere.list_crls()["crls"] if crl["trustAnchorArn"] == anchor) == sorted(crls)
