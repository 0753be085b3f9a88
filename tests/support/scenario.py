# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ready-made Roles Anywhere trust on the emulator: CA, trust anchor, IAM role, profile, leaf files.

    trust = make_trust(emulator, tmp_path, key_type="RSA", intermediate=True)
    trust.trust_anchor_arn, trust.profile_arn, trust.role_arn
    trust.certificate, trust.private_key, trust.intermediates      # file paths (intermediates may be None)
    other = trust.issue("host2.example.com", key_type="EC")         # another leaf of the same CA -> Leaf
    trust.ca                                                        # tests.support.pki Issued (root CA)

Every call makes uniquely named resources, so tests sharing one emulator do not collide.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

from tests.support import pki

SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
ROLES_ANYWHERE_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


def trust_policy(trust_anchor_arn: Optional[str] = None, common_name: Optional[str] = None,
                 actions: Sequence[str] = tuple(ROLES_ANYWHERE_ACTIONS)) -> dict:
    """The role trust policy AWS recommends for Roles Anywhere (optionally pinned to an anchor and a CN)."""
    statement = {"Effect": "Allow", "Principal": {"Service": SERVICE_PRINCIPAL}, "Action": list(actions)}
    conditions = {}
    if trust_anchor_arn:
        conditions["ArnEquals"] = {"aws:SourceArn": trust_anchor_arn}
    if common_name:
        conditions["StringEquals"] = {"aws:PrincipalTag/x509Subject/CN": common_name}
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


@dataclass
class Leaf:
    """An end-entity certificate issued for a test, with its files."""

    issued: pki.Issued
    certificate: str
    private_key: str
    intermediates: Optional[str]

    @property
    def serial(self) -> int:
        return self.issued.serial


@dataclass
class Trust:
    """What make_trust built. Paths are strings; ``ca`` / ``issuer`` are tests.support.pki objects."""

    emulator: object = field(repr=False)
    directory: str
    ca: pki.Issued = field(repr=False)
    issuer: pki.Issued = field(repr=False)  # the leaf's issuer: the intermediate when there is one, else the CA
    intermediate: Optional[pki.Issued] = field(repr=False)
    leaf: Leaf = field(repr=False)
    trust_anchor_arn: str
    trust_anchor_id: str
    profile_arn: str
    profile_id: str
    role_arn: str
    role_name: str
    region: str
    endpoint: str

    @property
    def certificate(self) -> str:
        return self.leaf.certificate

    @property
    def private_key(self) -> str:
        return self.leaf.private_key

    @property
    def intermediates(self) -> Optional[str]:
        return self.leaf.intermediates

    def issue(self, cn: str = "host2.example.com", key_type: str = "EC", name: Optional[str] = None,
              key_format: str = "pkcs8", passphrase=None, **leaf_options) -> Leaf:
        """Another leaf from the same issuer (any pki.make_leaf option: sans, not_after, ca, ...)."""
        issued = pki.make_leaf(self.issuer, key_type=key_type, cn=cn, **leaf_options)
        return _write_leaf(issued, self.directory, name or "leaf-%s" % uuid.uuid4().hex[:8], key_format, passphrase)

    def arns(self) -> dict:
        return {"trust_anchor_arn": self.trust_anchor_arn, "profile_arn": self.profile_arn, "role_arn": self.role_arn}


def _write_leaf(issued: pki.Issued, directory: str, name: str, key_format: str = "pkcs8", passphrase=None) -> Leaf:
    paths = issued.write(directory, name, key_format=key_format, passphrase=passphrase)
    return Leaf(issued=issued, certificate=paths.certificate, private_key=paths.private_key, intermediates=paths.chain)


def make_trust(emulator, directory, key_type: str = "EC", intermediate: bool = False, cn: str = "host1.example.com",
               sans: Optional[Sequence[str]] = None, ca_key_type: Optional[str] = None,
               policy: Union[None, dict, Callable[[str], dict]] = None, source_arn_condition: bool = True,
               duration_seconds: Optional[int] = None, accept_role_session_name: bool = False,
               profile_enabled: bool = True, anchor_enabled: bool = True, max_session_duration: int = 43200,
               name_prefix: str = "test", **leaf_options) -> Trust:
    """A CERTIFICATE_BUNDLE trust anchor, an IAM role (Roles Anywhere trust policy) and a profile listing it.

    policy: a trust policy dict, or a callable(trust_anchor_arn) -> dict; default: AWS's recommended policy,
    with ``ArnEquals aws:SourceArn`` unless ``source_arn_condition`` is False.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    suffix = uuid.uuid4().hex[:10]
    ca = pki.make_ca(ca_key_type or key_type, cn="%s Root CA %s" % (name_prefix, suffix))
    sub = pki.make_intermediate(ca, key_type=ca_key_type or key_type, cn="%s Intermediate CA %s" % (name_prefix, suffix)) if intermediate else None
    issuer = sub or ca
    leaf = _write_leaf(pki.make_leaf(issuer, key_type=key_type, cn=cn, sans=sans if sans is not None else [cn], **leaf_options),
                       directory, "leaf")
    pki.write_cert_pem(os.path.join(directory, "ca.pem"), ca.certificate)

    rolesanywhere = emulator.boto3_client("rolesanywhere")
    anchor = rolesanywhere.create_trust_anchor(
        name="%s-anchor-%s" % (name_prefix, suffix), enabled=anchor_enabled,
        source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca.cert_pem.decode("ascii")}},
    )["trustAnchor"]

    if callable(policy):
        document = policy(anchor["trustAnchorArn"])
    elif policy is not None:
        document = policy
    else:
        document = trust_policy(anchor["trustAnchorArn"] if source_arn_condition else None)
    role_name = "%s-role-%s" % (name_prefix, suffix)
    role = emulator.boto3_client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(document),
                                                    MaxSessionDuration=max_session_duration)["Role"]

    profile_options = {"acceptRoleSessionName": accept_role_session_name}
    if duration_seconds is not None:
        profile_options["durationSeconds"] = duration_seconds
    profile = rolesanywhere.create_profile(name="%s-profile-%s" % (name_prefix, suffix), roleArns=[role["Arn"]],
                                           enabled=profile_enabled, **profile_options)["profile"]
    return Trust(emulator=emulator, directory=directory, ca=ca, issuer=issuer, intermediate=sub, leaf=leaf,
                 trust_anchor_arn=anchor["trustAnchorArn"], trust_anchor_id=anchor["trustAnchorId"],
                 profile_arn=profile["profileArn"], profile_id=profile["profileId"], role_arn=role["Arn"],
                 role_name=role_name, region=emulator.region, endpoint=emulator.endpoint)
