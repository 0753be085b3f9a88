# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_signer=external: the user's task file signs the CSR; the role installs, proves and keeps what it returned."""

from __future__ import annotations

import json
import os

from cryptography import x509

from tests.support.aliases import ALIASES_MODELLED
from tests.support.fleet import session_serial
from .conftest import new_fleet

HERE = os.path.dirname(os.path.abspath(__file__))
EXTERNAL = {"enroll_signer": "external", "enroll_external_tasks": os.path.join(HERE, "external_signer.yml"),
            "enroll_external_signer_id": "site-pki-v1", "external_signer_script": os.path.join(HERE, "external_signer.py")}


def alias_arns(emulator, trust_vars):
    """The trust's anchor and profile given aliases: the role takes their alias ARNs (AWS documents alias ARNs for
    CreateSession and the credential helper: userguide resource-aliases.html). Canonical ARNs on a botocore
    without aliases (the floor of the supported range)."""
    if not ALIASES_MODELLED:
        return {}
    client = emulator.boto3_client("rolesanywhere")
    anchor = client.update_trust_anchor(trustAnchorId=trust_vars["enroll_trust_anchor_arn"], aliasName="fleet/external-ca")
    profile = client.update_profile(profileId=trust_vars["enroll_profile_arn"], aliasName="external-hosts")
    return {"enroll_trust_anchor_arn": anchor["trustAnchor"]["aliasArn"], "enroll_profile_arn": profile["profile"]["aliasArn"]}


def test_external_signer_with_chain_then_a_broken_signer(emulator, trust_vars, tmp_path):
    aliases = alias_arns(emulator, trust_vars)
    fleet = new_fleet(tmp_path, emulator, trust_vars, "external", **dict(EXTERNAL, **aliases))
    material = os.path.join(fleet.root("h01"), "etc/rolesanywhere/current")

    # first enrolment: the leaf comes from an intermediate the trust anchor does not hold, so the chain must be
    # installed and passed to the helper, or CreateSession is refused
    run = fleet.playbook("enroll")
    assert run.rc == 0, run.tail()
    leaf = fleet.certificate("h01")
    with open(os.path.join(material, "chain.pem"), "rb") as handle:
        intermediate = x509.load_pem_x509_certificate(handle.read())
    assert leaf.issuer == intermediate.subject
    with open(os.path.join(material, "enrollment.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {"signer_id": "external:site-pki-v1", "key_type": "ec-p256", "key_store": "file", "with_chain": True}
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        config = handle.read()
    assert "--intermediates %s/chain.pem" % material in config
    for alias_arn in aliases.values():  # the helper's CreateSession below goes with the alias ARNs
        assert alias_arn in config and ":alias/" in alias_arn
    assert "region = %s\n" % emulator.region in config  # the alias ARN's region
    identity = fleet.helper_identity("h01")
    assert identity.rc == 0, identity.stderr
    assert session_serial(identity) == leaf.serial_number

    # a second run with the same signer id changes nothing (the signer is not called again)
    run = fleet.playbook("enroll")
    assert run.recap()["h01"]["changed"] == 0, run.changed_tasks()
    assert "Ask the site PKI to sign the CSR" not in run.stdout

    # a signer that certifies another key is refused; the material in use stays and keeps working
    run = fleet.playbook("enroll", extra_vars={"enroll_force_renew": True, "external_signer_wrong_key": True})
    assert run.rc != 0
    assert "must set the facts 'certificate' (a PEM certificate for the public key of the 'csr'" in run.stdout, run.tail()
    assert "failed at 'Check what the external signer returned'" in run.stdout, run.tail()
    assert "The certificate in use is unchanged and keeps working." in run.stdout, run.tail()
    assert fleet.certificate("h01").serial_number == leaf.serial_number
    assert sorted(os.listdir(os.path.dirname(material))) == ["current", os.readlink(material)]
    fleet.forget_cached_credentials()
    assert session_serial(fleet.helper_identity("h01")) == leaf.serial_number
