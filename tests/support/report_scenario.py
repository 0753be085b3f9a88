# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet and an account in the service's shapes, for the fleet report's unit and browser tests.

Hosts: web1 (fine, seen an hour ago), web2 (expires in 10 days, last seen 45 days ago), web3 (revoked by an
enabled CRL yet authenticated after the revocation), web4 (not enrolled), web5 (no answer), and
db1 "<script>" style names to prove escaping. One CERTIFICATE_BUNDLE trust anchor whose CA ends in 20 days, one
AWS_ACM_PCA trust anchor whose CA could not be read. A subject nobody in the inventory owns.
"""

from __future__ import annotations

import datetime

from cryptography.hazmat.primitives import serialization

from tests.support import pki

NOW = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
HOSTILE = '<img src=x onerror=alert(1)>&"\''


def _pem(issued):
    return issued.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _iso(moment):
    return moment.isoformat()


def scenario(now=NOW):
    """(kwargs for build_report, {host: Issued}) of the scenario."""
    ca = pki.make_ca(cn="Fleet CA", not_before=now - datetime.timedelta(days=300), not_after=now + datetime.timedelta(days=20))
    leaves = {
        "web1": pki.make_leaf(ca, cn="web1.example.com", not_before=now - datetime.timedelta(days=5),
                              not_after=now + datetime.timedelta(days=200)),
        "web2": pki.make_leaf(ca, key_type="RSA", cn="web2.example.com", not_before=now - datetime.timedelta(days=80),
                              not_after=now + datetime.timedelta(days=10, hours=1)),
        "web3": pki.make_leaf(ca, cn="web3.example.com", not_before=now - datetime.timedelta(days=30),
                              not_after=now + datetime.timedelta(days=60)),
        "db1": pki.make_leaf(ca, cn=HOSTILE, not_before=now - datetime.timedelta(days=3),
                             not_after=now + datetime.timedelta(days=90)),
    }
    revoked_at = now - datetime.timedelta(days=2)
    crl = pki.make_crl(ca, [leaves["web3"]], last_update=revoked_at, next_update=now + datetime.timedelta(days=5),
                       revocation_date=revoked_at)
    account = "123456789012"
    anchor_arn = "arn:aws:rolesanywhere:eu-west-1:%s:trust-anchor/11111111-1111-4111-8111-111111111111" % account
    pca_arn = "arn:aws:acm-pca:eu-west-1:%s:certificate-authority/22222222-2222-4222-8222-222222222222" % account

    def credential(issued, seen, failed=False):
        return {"seenAt": seen, "serialNumber": str(issued.serial), "issuer": ca.certificate.subject.rfc4514_string(),
                "enabled": True, "failed": failed, "x509CertificateData": _pem(issued)}

    def subject(number, issued, credentials):
        last = max(item["seenAt"] for item in credentials)
        return {"subjectId": "3333333%d-3333-4333-8333-333333333333" % number,
                "subjectArn": "arn:aws:rolesanywhere:eu-west-1:%s:subject/3333333%d-3333-4333-8333-333333333333" % (account, number),
                "enabled": True, "x509Subject": issued.certificate.subject.rfc4514_string() if issued else "CN=old.example.com",
                "lastSeenAt": last, "createdAt": now - datetime.timedelta(days=100), "updatedAt": last,
                "credentials": credentials, "instanceProperties": []}

    outsider = pki.make_leaf(ca, cn="old.example.com", not_before=now - datetime.timedelta(days=200),
                             not_after=now + datetime.timedelta(days=100))
    subjects = [
        subject(1, leaves["web1"], [credential(leaves["web1"], now - datetime.timedelta(hours=1))]),
        subject(2, leaves["web2"], [credential(leaves["web2"], now - datetime.timedelta(days=45))]),
        # web3: a success after the revocation (the finding) and a refused attempt
        subject(3, leaves["web3"], [credential(leaves["web3"], now - datetime.timedelta(days=1))]),
        subject(4, None, [credential(outsider, now - datetime.timedelta(days=150))]),
    ]
    trust_anchors = [
        {"trustAnchorId": "11111111-1111-4111-8111-111111111111", "trustAnchorArn": anchor_arn, "name": "fleet",
         "enabled": True, "source": {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": _pem(ca)}},
         "notificationSettings": [
             {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 45, "channel": "ALL", "configuredBy": "rolesanywhere.amazonaws.com"},
             {"enabled": False, "event": "END_ENTITY_CERTIFICATE_EXPIRY", "threshold": 45, "channel": "ALL", "configuredBy": account}]},
        {"trustAnchorId": "44444444-4444-4444-8444-444444444444", "name": "pca",
         "trustAnchorArn": anchor_arn.replace("11111111-1111-4111-8111-111111111111", "44444444-4444-4444-8444-444444444444"),
         "enabled": True, "source": {"sourceType": "AWS_ACM_PCA", "sourceData": {"acmPcaArn": pca_arn}}, "notificationSettings": []},
    ]
    profiles = [{"profileId": "55555555-5555-4555-8555-555555555555", "name": "fleet", "enabled": True,
                 "profileArn": "arn:aws:rolesanywhere:eu-west-1:%s:profile/55555555-5555-4555-8555-555555555555" % account,
                 "roleArns": ["arn:aws:iam::%s:role/fleet" % account], "durationSeconds": 3600,
                 "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"], "acceptRoleSessionName": True}]
    crls = [{"crlId": "66666666-6666-4666-8666-666666666666", "name": "fleet-crl", "enabled": True,
             "crlArn": "arn:aws:rolesanywhere:eu-west-1:%s:crl/66666666-6666-4666-8666-666666666666" % account,
             "trustAnchorArn": anchor_arn, "crlData": crl.der}]
    hosts = {name: {"certificate": _pem(issued), "enrollment": '{"signer_id": "own_ca", "key_type": "ECC"}'}
             for name, issued in leaves.items()}
    hosts["web4"] = {"certificate": "", "certificate_error": "file not found: /etc/rolesanywhere/current/certificate.pem",
                     "enrollment": ""}
    kwargs = dict(inventory_hosts=sorted(list(leaves) + ["web4", "web5"]), host_answers=hosts, trust_anchors=trust_anchors,
                  profiles=profiles, crls=crls, subjects=subjects, now=now, not_seen_days=30, expiring_days=30,
                  region="eu-west-1", account=account,
                  ca_certificates={pca_arn: (None, "cannot read the CA certificate of %s: AccessDenied" % pca_arn)})
    return kwargs, leaves
