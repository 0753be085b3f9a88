# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the emulator needs from IAM, STS and ACM PCA, served by moto.

``InProcessMoto`` runs moto's WSGI application in this process (one port for everything) and reads
its backends directly: no HTTP round trip for a role lookup or an AssumeRole, which keeps
CreateSession fast. ``RemoteMoto`` talks to a moto server given by URL, with boto3.
"""

from __future__ import annotations

import datetime
import os
import threading
from dataclasses import dataclass
from typing import Optional

from . import awserrors

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
except ImportError:  # run from a checkout without the collection layout: the same files, imported directly
    from plugins.module_utils._core import identifiers  # type: ignore[no-redef]
    from plugins.module_utils._core.errors import ConfigurationError  # type: ignore[no-redef]

TEST_ACCESS_KEY = "testing"
TEST_SECRET_KEY = "testing"  # moto accepts any key; this is not a secret
ACCOUNT_HEADER = "x-moto-account-id"


@dataclass(frozen=True)
class RoleInfo:
    arn: str
    name: str
    role_id: str
    trust_policy: str
    max_session_duration: int


@dataclass(frozen=True)
class AssumedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime.datetime
    assumed_role_arn: str
    assumed_role_id: str

    def __repr__(self):
        return "AssumedCredentials(access_key_id=%r, assumed_role_arn=%r)" % (self.access_key_id, self.assumed_role_arn)


def _role_parts(role_arn: str) -> Optional[dict]:
    """partition, account, role_path, role_name of an IAM role ARN (identifiers.py's rule); None when it is not one."""
    try:
        return identifiers.parse_role_arn(role_arn)
    except ConfigurationError:
        return None


def _pca_region(pca_arn: str) -> str:
    """The region of an ACM PCA ARN (identifiers.py's rule); a ValidationException naming the ARN otherwise."""
    try:
        return identifiers.parse_acm_pca_arn(pca_arn, "acmPcaArn")["region"]
    except ConfigurationError:
        raise _pca_error(pca_arn, "not an ACM Private CA ARN") from None


def _pca_error(arn: str, reason: str) -> awserrors.ServiceError:
    return awserrors.validation("Cannot use ACM PCA %s: %s" % (arn, reason))


class InProcessMoto:
    """moto inside the emulator process; its account is forced to the emulator's account."""

    def __init__(self, account: str, region: str):
        # moto reads MOTO_ACCOUNT_ID on every request (it beats the access-key mapping), so every IAM,
        # STS and ACM PCA call lands in the emulator's account whatever key the client uses.
        os.environ["MOTO_ACCOUNT_ID"] = account
        # AWS has its managed policies (arn:aws:iam::aws:policy/ReadOnlyAccess...) in every account; moto only when
        # asked. MOTO_IAM_LOAD_MANAGED_POLICIES=false in the emulator's environment leaves them out (faster start).
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        # pylint: disable=import-outside-toplevel
        from moto.acmpca.models import acmpca_backends
        from moto.iam.models import iam_backends
        from moto.server import DomainDispatcherApplication, create_backend_app
        from moto.sts.models import sts_backends

        self.account = account
        self.region = region
        self.wsgi_app = DomainDispatcherApplication(create_backend_app)
        self._iam = iam_backends
        self._sts = sts_backends
        self._acmpca = acmpca_backends
        self._sts_lock = threading.Lock()
        self.url = None

    def get_role(self, role_arn: str) -> Optional[RoleInfo]:
        backend = self._iam[self.account]["aws"]
        parts = _role_parts(role_arn)
        if parts is None:
            return None
        for role in list(backend.roles.values()):
            if role.arn == role_arn or (parts["account"] == self.account and role.name == parts["role_name"]
                                        and role.path == parts["role_path"]):
                return RoleInfo(role.arn, role.name, role.id, role.assume_role_policy_document or "",
                                int(role.max_session_duration or 3600))
        return None

    def assume_role(self, role_arn: str, session_name: str, duration: int, policy: Optional[str]) -> AssumedCredentials:
        backend = self._sts[self.account]["aws"]
        with self._sts_lock:  # moto appends to shared lists; keep it simple and safe
            role = backend.assume_role(region_name=self.region, role_session_name=session_name, role_arn=role_arn,
                                       policy=policy, duration=duration, external_id=None)
        expiration = role.expiration
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=datetime.timezone.utc)
        return AssumedCredentials(role.access_key_id, role.secret_access_key, role.session_token, expiration,
                                  role.arn, role.user_id)

    def ca_certificate(self, pca_arn: str) -> bytes:
        backend = self._acmpca[self.account][_pca_region(pca_arn)]
        try:
            certificate, _chain = backend.get_certificate_authority_certificate(pca_arn)
        except Exception as error:  # moto raises its own exception classes; any of them means "unusable"
            raise _pca_error(pca_arn, type(error).__name__) from None
        if not certificate:
            raise _pca_error(pca_arn, "the certificate authority has no certificate installed")
        return certificate if isinstance(certificate, bytes) else certificate.encode("ascii")


class RemoteMoto:
    """moto reached over HTTP (``--moto-url``); requests carry the emulator's account in moto's header."""

    def __init__(self, account: str, region: str, url: str):
        import boto3  # pylint: disable=import-outside-toplevel

        self.account = account
        self.region = region
        self.url = url.rstrip("/")
        self.wsgi_app = None
        session = boto3.session.Session(aws_access_key_id=TEST_ACCESS_KEY, aws_secret_access_key=TEST_SECRET_KEY,
                                        region_name=region)
        self._clients = {name: session.client(name, endpoint_url=self.url) for name in ("iam", "sts", "acm-pca")}
        for client in self._clients.values():
            client.meta.events.register("before-sign.*.*", self._add_account_header)

    def _add_account_header(self, request, **_kwargs):
        request.headers[ACCOUNT_HEADER] = self.account

    def get_role(self, role_arn: str) -> Optional[RoleInfo]:
        from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel

        parts = _role_parts(role_arn)
        if parts is None:
            return None
        try:
            role = self._clients["iam"].get_role(RoleName=parts["role_name"])["Role"]
        except ClientError:
            return None
        if role["Arn"] != role_arn:
            return None
        document = role.get("AssumeRolePolicyDocument") or ""
        if isinstance(document, dict):
            import json  # pylint: disable=import-outside-toplevel
            document = json.dumps(document)
        return RoleInfo(role["Arn"], role["RoleName"], role["RoleId"], document, int(role.get("MaxSessionDuration", 3600)))

    def assume_role(self, role_arn: str, session_name: str, duration: int, policy: Optional[str]) -> AssumedCredentials:
        kwargs = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": duration}
        if policy:
            kwargs["Policy"] = policy
        answer = self._clients["sts"].assume_role(**kwargs)
        credentials = answer["Credentials"]
        return AssumedCredentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"],
                                  credentials["Expiration"], answer["AssumedRoleUser"]["Arn"],
                                  answer["AssumedRoleUser"]["AssumedRoleId"])

    def ca_certificate(self, pca_arn: str) -> bytes:
        from botocore.exceptions import ClientError  # pylint: disable=import-outside-toplevel

        try:
            answer = self._clients["acm-pca"].get_certificate_authority_certificate(CertificateAuthorityArn=pca_arn)
        except ClientError as error:
            raise _pca_error(pca_arn, error.response.get("Error", {}).get("Code", "error")) from None
        return answer["Certificate"].encode("ascii")
