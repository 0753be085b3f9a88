# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CreateSession (``POST /sessions``): everything AWS checks, in AWS's order, with AWS's answers.

1. The SigV4-X509 signature, date and serial: ``verify.verify_create_session_request``, which builds
   the canonical form with the collection's own signing functions.
2. The trust anchor (this account and region, enabled) and a verified path to it, validity periods
   and the anchor's enabled CRLs (``pathvalidation``); with ``crlDpRevocationEnabled``, the CRLs of the
   certificates' CRL distribution points too (``pathvalidation.DistributionPointCRLs``).
3. The profile (exists, enabled, lists the role, accepts a role session name when one is sent).
4. The role in moto's IAM and its trust policy, conditions evaluated with the mapped attributes.
5. Duration: request (900..43200) capped by the profile and the certificate's notAfter.
Then credentials come from moto's STS AssumeRole, so they work against moto.
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import json
import threading
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from . import awserrors, policy, verify
from .pathvalidation import DistributionPointCRLs, PathValidator, not_after, untrusted

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import CreateSessionError
except ImportError:  # run from a checkout without the collection layout: the same files, imported directly
    from plugins.module_utils._core.errors import CreateSessionError  # type: ignore[no-redef]

ANCHOR_NOT_FOUND = "Specified Trust Anchor wasn't found."
PROFILE_NOT_FOUND = "Invalid or empty profile provided."
PROFILE_DISABLED = "Invalid or empty profile provided: the profile is disabled."
ROLE_NOT_IN_PROFILE = "Requested Role isn't one of those listed in the Profile."
SESSION_NAME_REFUSED = "Not authorized to set roleSessionName."
INSTANCE_PROPERTIES_REQUIRED = "Instance properties are required by the profile."
DURATION_OVER_ROLE_MAX = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
DEFAULT_DURATION = 3600


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _iso_seconds(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _common_name(name: x509.Name) -> Optional[str]:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return values[0].value if values else None


class SessionService:
    """Answers CreateSession for one ControlPlane, with moto (``backend``) as IAM and STS."""

    def __init__(self, control, backend, clock=_utcnow):
        self.control = control
        self.backend = backend
        self.clock = clock
        self.validator = PathValidator()
        self.distribution_points = DistributionPointCRLs()
        self._anchor_cache = {}
        self._policy_cache = {}
        self._lock = threading.Lock()
        self.recent_failures = collections.deque(maxlen=100)

    # --- entry point ----------------------------------------------------------------------------

    def create_session(self, method: str, path: str, query_string: str, headers, body: bytes) -> dict:
        """The 201 answer's document, or ServiceError with AWS's status, code and message."""
        now = self.clock()
        try:
            verified = verify.verify_create_session_request(method, path, query_string, headers, body, now=now)
        except CreateSessionError as error:
            self._note_failure("signature", error.message)
            raise awserrors.ServiceError(error.status, error.code, error.service_message or error.message) from None
        document = _json_body(body)
        anchor = self._trust_anchor(verified.trust_anchor_arn)
        anchor_certificates = self._anchor_certificates(anchor)
        crls = self.control.enabled_crls_for(anchor["trustAnchorArn"])
        try:
            path = self.validator.validate(verified.leaf, verified.chain, anchor_certificates, crls, now)
            if anchor.get("crlDpRevocationEnabled"):
                self.distribution_points.check(path, now)
        except awserrors.ServiceError as error:
            self._note_failure("certificate", error.message)
            raise
        try:
            return self._authorize_and_assume(verified, document, anchor, now)
        except awserrors.ServiceError as error:
            self._note_failure("authorization", error.message)
            self._record(verified, failed=True, document=document)
            raise

    def _note_failure(self, stage: str, message: str) -> None:
        self.recent_failures.append({"at": _iso_seconds(self.clock()), "stage": stage, "message": message})

    # --- trust anchor ---------------------------------------------------------------------------

    def _trust_anchor(self, arn: str) -> dict:
        anchor = self.control.snapshot("trust_anchors", arn) if arn.startswith("arn:") else None
        if anchor is None:
            self._note_failure("trust anchor", "%s (%s)" % (ANCHOR_NOT_FOUND, arn))
            raise awserrors.access_denied(ANCHOR_NOT_FOUND)
        if not anchor["enabled"]:
            self._note_failure("trust anchor", "trust anchor %s is disabled" % arn)
            raise untrusted("the trust anchor is disabled")
        return anchor

    def _anchor_certificates(self, anchor: dict):
        source = anchor["source"]
        key = (anchor["trustAnchorArn"], json.dumps(source, sort_keys=True))
        with self._lock:
            cached = self._anchor_cache.get(key)
        if cached is not None:
            return cached
        if source["sourceType"] == "AWS_ACM_PCA":
            try:
                pem = self.backend.ca_certificate(source["sourceData"]["acmPcaArn"])
            except awserrors.ServiceError as error:
                raise untrusted("the trust anchor's ACM PCA cannot be used (%s)" % error.message) from None
            certificates = x509.load_pem_x509_certificates(pem)
        else:
            certificates = x509.load_pem_x509_certificates(source["sourceData"]["x509CertificateData"].encode("utf-8"))
        with self._lock:
            self._anchor_cache[key] = certificates
        return certificates

    # --- profile, role, policy ------------------------------------------------------------------

    def _authorize_and_assume(self, verified, document: dict, anchor: dict, now: datetime.datetime) -> dict:
        profile = self._profile(verified)
        instance_properties = document.get("instanceProperties")
        if profile.get("requireInstanceProperties") and not instance_properties:
            raise awserrors.access_denied(INSTANCE_PROPERTIES_REQUIRED)
        session_name = verified.role_session_name or format(verified.serial, "x")
        source_identity = _common_name(verified.leaf.subject)
        try:
            tags = policy.session_tags(verified.leaf, profile.get("attributeMappings") or [])
        except policy.MappingFailed as error:
            raise awserrors.access_denied(str(error)) from None
        role = self.backend.get_role(verified.role_arn)
        if role is None:
            raise awserrors.access_denied("Unable to assume role for %s: the role does not exist." % verified.role_arn)
        context = policy.build_context(anchor["trustAnchorArn"], self.control.account, tags, source_identity, session_name)
        try:
            policy.evaluate_trust_policy(self._parsed_policy(role.trust_policy), context, role.arn)
        except policy.PolicyDenied as error:
            # AWS's prefix (aws/rolesanywhere-credential-helper#77: "AccessDeniedException: Unable to assume role for
            # arn:aws:iam::...:role/... . <why>"); the reason after it is the emulator's, for the person debugging.
            raise awserrors.access_denied("Unable to assume role for %s: %s." % (role.arn, error.reason)) from None
        duration = self._duration(verified, profile, role, now)
        credentials = self.backend.assume_role(role.arn, session_name, duration, profile.get("sessionPolicy"))
        subject = self._record(verified, failed=False, document=document)
        return _answer(credentials, role.arn, source_identity, subject["subjectArn"], profile.get("sessionPolicy"))

    def _profile(self, verified) -> dict:
        profile = self.control.snapshot("profiles", verified.profile_arn) if verified.profile_arn.startswith("arn:") else None
        if profile is None:
            raise awserrors.access_denied(PROFILE_NOT_FOUND)
        if not profile["enabled"]:
            raise awserrors.access_denied(PROFILE_DISABLED)
        if verified.role_arn not in profile.get("roleArns", []):
            raise awserrors.access_denied(ROLE_NOT_IN_PROFILE)
        if verified.role_session_name is not None and not profile.get("acceptRoleSessionName"):
            raise awserrors.access_denied(SESSION_NAME_REFUSED)
        return profile

    def _parsed_policy(self, text: str):
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        with self._lock:
            parsed = self._policy_cache.get(digest)
        if parsed is None:
            try:
                parsed = policy.parse_policy(text)
            except policy.PolicyDenied:
                return text  # evaluate_trust_policy raises with the reason
            with self._lock:
                self._policy_cache[digest] = parsed
        return parsed

    @staticmethod
    def _duration(verified, profile: dict, role, now: datetime.datetime) -> int:
        requested = verified.duration_seconds or DEFAULT_DURATION
        duration = min(requested, profile.get("durationSeconds") or DEFAULT_DURATION)
        if duration > role.max_session_duration:
            raise awserrors.validation(DURATION_OVER_ROLE_MAX)
        remaining = int((not_after(verified.leaf) - now).total_seconds())
        return max(1, min(duration, remaining))

    def _record(self, verified, failed: bool, document: dict) -> dict:
        pem = verified.leaf.public_bytes(serialization.Encoding.PEM).decode("ascii")
        properties = document.get("instanceProperties")
        if not isinstance(properties, dict):
            properties = None
        return self.control.record_subject(verified.leaf.subject.rfc4514_string(), verified.serial,
                                           verified.leaf.issuer.rfc4514_string(), pem, failed, properties)


def _json_body(body: bytes) -> dict:
    try:
        document = json.loads(body.decode("utf-8")) if body else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return document if isinstance(document, dict) else {}


def _answer(credentials, role_arn: str, source_identity: Optional[str], subject_arn: str, session_policy: Optional[str]) -> dict:
    entry = {
        "assumedRoleUser": {"arn": credentials.assumed_role_arn, "assumedRoleId": credentials.assumed_role_id},
        "credentials": {
            "accessKeyId": credentials.access_key_id, "secretAccessKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token, "expiration": _iso_seconds(credentials.expiration),
        },
        "packedPolicySize": _packed_policy_size(session_policy),
        "roleArn": role_arn,
    }
    if source_identity:
        entry["sourceIdentity"] = source_identity
    return {"credentialSet": [entry], "subjectArn": subject_arn}


def _packed_policy_size(session_policy: Optional[str]) -> int:
    """Percentage of STS's packed policy and tags limit used (an approximation of AWS's number)."""
    if not session_policy:
        return 0
    return min(100, max(1, len(json.dumps(json.loads(session_policy), separators=(",", ":"))) * 100 // 2048))
