# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of hosts (20 by default) through trust -> enroll -> no-op re-run -> failed rotation -> rotation -> revocation.

Both signers in one fleet: hosts h01-h10 get their certificates from an own CA on the controller, h11-h20 from
ACM Private CA (moto), each group with its own trust anchor, role and profile. The AWS CLI (first check) and
credential_process + STS (later checks) prove each host's own AWS config profile against the emulator.
Every host is a real SSH host (tests/support/ssh_hosts.py): Ansible reaches it over SSH with key login, h01 through
a login user who becomes root with sudo and is h01's enroll_user; no enroll_root.
"""

from __future__ import annotations

import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support import ssh_hosts
from tests.support.fleet import Fleet, session_serial

# 20 hosts is the acceptance fleet (`make test-fleet`); `make test` runs the same lifecycle over 4 hosts so that
# the whole suite stays within its 15-minute budget on 2 cores (the 20-host run alone takes about 8 minutes).
FLEET_SIZE = int(os.environ.get("ROLESANYWHERE_TEST_FLEET_SIZE", "20"))
if FLEET_SIZE < 4 or FLEET_SIZE % 2:
    raise ValueError("ROLESANYWHERE_TEST_FLEET_SIZE must be an even number >= 4, not %d" % FLEET_SIZE)
# one own-CA host (first half of the fleet) and one ACM PCA host (second half)
LOGIN_USER = "ops"
REVOKED = ["h%02d" % min(3, FLEET_SIZE // 2), "h%02d" % max(FLEET_SIZE // 2 + 1, FLEET_SIZE - 3)]


def make_acm_pca(fleet):
    """An ACTIVE ACM Private CA in moto that publishes CRLs to an S3 bucket."""
    bucket = "%s-crl" % fleet.name
    fleet.boto3("s3").create_bucket(Bucket=bucket)
    pca = fleet.boto3("acm-pca")
    arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": "RSA_2048", "SigningAlgorithm": "SHA256WITHRSA",
                                           "Subject": {"CommonName": "%s private CA" % fleet.name}},
        RevocationConfiguration={"CrlConfiguration": {"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": 7}},
        CertificateAuthorityType="ROOT",
    )["CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    root_arn = pca.issue_certificate(CertificateAuthorityArn=arn, Csr=csr, SigningAlgorithm="SHA256WITHRSA",
                                     TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
                                     Validity={"Value": 5, "Type": "YEARS"})["CertificateArn"]
    certificate = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=root_arn)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=certificate.encode())
    return arn


def assert_all_ok(run, hosts, changed=None):
    recap = run.recap()
    assert run.rc == 0, run.tail()
    assert sorted(recap) == sorted(hosts), run.tail()
    for host in hosts:
        assert recap[host]["failed"] == 0 and recap[host]["unreachable"] == 0, run.tail()
        if changed is not None:
            assert (recap[host]["changed"] > 0) == changed, "%s: %s, changed tasks: %s" % (host, recap[host], run.changed_tasks())


def assert_sessions_use(fleet, expected_serials, cli=False):
    """Every host's profile gets credentials through a fresh CreateSession with the expected certificate."""
    fleet.forget_cached_credentials()
    for host, identity in fleet.identities(cli=cli).items():
        assert identity.rc == 0, "%s: %s" % (host, identity.stderr)
        assert ":assumed-role/rolesanywhere-fleet-" in identity.stdout
        assert session_serial(identity) == expected_serials[host], host


@pytest.fixture
def ssh_fleet_hosts(tmp_path):
    """Every host a real SSH host (an sshd in a mount namespace of its own, tests/support/ssh_hosts.py), logged in
    to as root with a key, except h01: a login user who becomes root through sudo and is the host's enroll_user."""
    missing = ssh_hosts.missing_parts()
    if missing:
        pytest.fail("SSH hosts need %s: run `make system-packages` as root" % ", ".join(missing))
    users = {"h%02d" % index: "root" for index in range(1, FLEET_SIZE + 1)}
    users["h01"] = LOGIN_USER
    hosts = ssh_hosts.SshHosts(str(tmp_path), users).start()
    try:
        yield hosts
    finally:
        hosts.stop()


def test_fleet_lifecycle_with_both_signers(pca_emulator, tmp_path, ssh_fleet_hosts):
    """Half the fleet signed by an own CA, half by ACM PCA; every playbook runs once over the whole fleet, over SSH."""
    # h02's key is encrypted: its passphrase file must survive re-runs (changed=0) and the rotations below
    fleet = Fleet(str(tmp_path), pca_emulator["endpoint"], pca_emulator["region"], size=FLEET_SIZE, name="fleet",
                  ssh_hosts=ssh_fleet_hosts,
                  host_vars={"h02": {"enroll_key_passphrase": "fleet-passphrase-0c41-never-shown"},
                             "h01": {"enroll_user": LOGIN_USER}})
    half = FLEET_SIZE // 2
    fleet.groups = {"own_ca": {"hosts": fleet.hosts[:half], "vars": {}}, "acm_pca": {"hosts": fleet.hosts[half:], "vars": {}}}
    pca_arn = make_acm_pca(fleet)

    # trust: CA, trust anchor, role and profile, once per signer
    cross_account = {"rolesanywhere_trust_cross_account": True, "rolesanywhere_trust_cross_account_source_identities": ["*.fleet.test"]}
    for signer, extra in (("own_ca", cross_account), ("acm_pca", {"enroll_acm_pca_arn": pca_arn})):
        run = fleet.trust(name="fleet-" + signer.replace("_", ""), group=signer, enroll_signer=signer, **extra)
        assert run.rc == 0, run.tail()
    # the trust policy a role in another account needs for these hosts (docs/cross-account.md)
    with open(os.path.join(os.path.dirname(fleet.vars_file("fleet-ownca")), "cross-account-trust-policy.json"), encoding="utf-8") as handle:
        statement = json.load(handle)["Statement"][0]
    assert statement["Principal"] == {"AWS": fleet.groups["own_ca"]["vars"]["enroll_role_arn"]}
    assert statement["Condition"] == {"StringLike": {"sts:SourceIdentity": ["*.fleet.test"]}}

    # enroll: every host gets a key, a certificate and a working profile (proven with the AWS CLI)
    run = fleet.playbook("enroll")
    assert_all_ok(run, fleet.hosts, changed=True)
    first = fleet.serials()
    assert len(set(first.values())) == FLEET_SIZE
    assert_sessions_use(fleet, first, cli=True)
    for host, owner in ((fleet.hosts[0], ssh_hosts.LOGIN_UID), (fleet.hosts[-1], 0)):
        key_dir = os.path.join(fleet.root(host), "etc/rolesanywhere")
        assert os.stat(key_dir).st_mode & 0o777 == 0o700
        key = os.stat(os.path.join(key_dir, "current/private-key.pem"))
        assert (key.st_uid, key.st_mode & 0o777) == (owner, 0o600), host  # h01's key belongs to its enroll_user
    # each host wrote into its own tree only: nothing reached this machine's /etc/rolesanywhere
    assert not os.path.isdir("/etc/rolesanywhere") or os.listdir("/etc/rolesanywhere") == []
    assert os.path.exists(os.path.join(fleet.root(fleet.hosts[-1]), "etc/rolesanywhere/current/chain.pem"))  # ACM PCA's

    # a second run changes nothing
    run = fleet.playbook("enroll")
    assert_all_ok(run, fleet.hosts, changed=False)
    assert fleet.serials() == first

    # a rotation whose signers fail (a key that is not the CA's; a CA that does not exist) keeps every host working
    wrong_key = os.path.join(str(tmp_path), "not-the-ca-key.pem")
    with open(wrong_key, "wb") as handle:
        handle.write(ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    broken = {"enroll_own_ca_private_key": wrong_key,
              "enroll_acm_pca_arn": pca_arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000",
              "rolesanywhere_rotate_batch": FLEET_SIZE, "rolesanywhere_rotate_max_fail_percentage": 0}
    run = fleet.playbook("rotate", extra_vars=broken)
    assert run.rc != 0, run.tail()
    recap = run.recap()
    assert all(recap[host]["failed"] == 1 for host in fleet.hosts), recap
    assert (run.stdout + run.stderr).count("failed at 'Sign the CSR") >= FLEET_SIZE, run.tail()
    assert fleet.serials() == first
    for host in fleet.hosts:
        assert sorted(os.listdir(os.path.join(fleet.root(host), "etc/rolesanywhere"))) == ["current", "slot-a"], host
    assert os.path.exists(os.path.join(fleet.root("h02"), "etc/rolesanywhere/current/private-key.passphrase"))
    assert_sessions_use(fleet, first)

    # forced rotation in batches: new serials everywhere, the old keys are gone and no longer used
    run = fleet.playbook("rotate", extra_vars={"rolesanywhere_rotate_batch": "50%"})
    assert_all_ok(run, fleet.hosts, changed=True)
    assert run.stdout.count("PLAY [Rotate") == 2  # two batches
    second = fleet.serials()
    assert all(second[host] != first[host] for host in fleet.hosts)
    assert not os.path.exists(os.path.join(fleet.root(fleet.hosts[0]), "etc/rolesanywhere/slot-a"))
    assert_sessions_use(fleet, second)

    # revoke one host of each signer: they are denied, the others are not
    for signer, host in zip(("own_ca", "acm_pca"), REVOKED):
        run = fleet.playbook("revoke", vars_file=fleet.vars_file("fleet-" + signer.replace("_", "")),
                             extra_vars={"rolesanywhere_revoke_hosts": host, "rolesanywhere_revoke_crl_poll_interval": 1,
                                         "rolesanywhere_revoke_crl_wait_timeout": 60})
        assert run.rc == 0, run.tail()
    fleet.forget_cached_credentials()
    for host, identity in fleet.identities().items():
        if host in REVOKED:
            assert identity.rc != 0, host
            assert "Untrusted Signing Certificate" in identity.stderr and "revoked" in identity.stderr, identity.stderr
        else:
            assert identity.rc == 0, "%s: %s" % (host, identity.stderr)
            assert session_serial(identity) == second[host]
