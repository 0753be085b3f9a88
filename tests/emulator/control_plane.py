# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The 30 control-plane operations of IAM Roles Anywhere, kept in memory.

Resources are stored in the API's own shape (camelCase dicts, datetimes, bytes) and rendered through
the model's output shapes, so a field that AWS returns is returned here under the same name and type.
Every check happens before anything changes: a refused request leaves the state as it was.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
import json
import re
import threading
import uuid
from typing import Callable, Dict, List, Optional

from cryptography import x509

from . import awserrors

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers, pem
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
except ImportError:  # run from a checkout without the collection layout: the same files, imported directly
    from plugins.module_utils._core import identifiers, pem  # type: ignore[no-redef]
    from plugins.module_utils._core.errors import RolesAnywhereError  # type: ignore[no-redef]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_TAGS = 50
MAX_TRUST_ANCHORS = 50
DEFAULT_SESSION_DURATION = 3600
DEFAULT_NOTIFICATION_THRESHOLD = 45
SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
NOTIFICATION_EVENTS = ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
DEFAULT_ATTRIBUTE_MAPPINGS = (
    ("x509Subject", ("*",)),
    ("x509Issuer", ("*",)),
    ("x509SAN", ("DNS", "URI", "Name/*")),
)
_ALIAS_KINDS = {"trust-anchor": "trust_anchors", "profile": "profiles", "crl": "crls"}


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def snake_case(operation_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_name).lower()


def default_attribute_mappings() -> List[dict]:
    return [
        {"certificateField": field, "mappingRules": [{"specifier": specifier} for specifier in specifiers]}
        for field, specifiers in DEFAULT_ATTRIBUTE_MAPPINGS
    ]


def default_notification_setting(event: str, channel: str = "ALL") -> dict:
    return {"enabled": True, "event": event, "threshold": DEFAULT_NOTIFICATION_THRESHOLD, "channel": channel,
            "configuredBy": SERVICE_PRINCIPAL}


def load_pem_certificates(text: str) -> List[x509.Certificate]:
    """Certificates of a CERTIFICATE_BUNDLE trust anchor; ValidationException when unusable."""
    try:
        certificates = pem.parse_certificates(text.encode("utf-8"), "x509CertificateData") if pem.looks_like_pem(text) else None
    except RolesAnywhereError:
        certificates = None
    if not certificates:
        raise awserrors.validation(
            "Invalid x509CertificateData: expected one or more PEM-encoded X.509 CA certificates")
    for certificate in certificates:
        if certificate.version != x509.Version.v3 or not _is_ca(certificate):
            raise awserrors.validation(
                "Invalid x509CertificateData: %s is not an X.509 v3 CA certificate (basicConstraints CA:true)"
                % certificate.subject.rfc4514_string())
    return certificates


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL given as PEM or DER bytes; ValidationException when unusable."""
    try:
        return pem.load_crl(data, "crlData")
    except RolesAnywhereError:
        raise awserrors.validation("Invalid crlData: expected an X.509 v2 CRL in PEM or DER form") from None


def _is_alias_arn(arn: str) -> bool:
    try:
        return identifiers.parse_rolesanywhere_arn(arn)["alias_name"] is not None
    except RolesAnywhereError:
        return False


# ImportCrl: "In order to be properly imported, a CRL must be in PEM format" (botocore rolesanywhere 2018-05-10
# ImportCrl documentation; API_ImportCrl.html). AWS's answer to a DER CRL is not documented: a ValidationException
# with this message is this emulator's assumption. UpdateCrl's documentation states no format, so it takes both.
IMPORT_CRL_NOT_PEM = "Invalid crlData: the CRL must be in PEM format (-----BEGIN X509 CRL-----)"


def load_imported_crl(data: bytes) -> x509.CertificateRevocationList:
    """ImportCrl's crlData: a PEM CRL; ValidationException for DER or anything else."""
    if not data.lstrip().startswith(b"-----BEGIN"):
        try:
            x509.load_der_x509_crl(data)
        except ValueError:
            return load_crl(data)  # not a CRL at all: the generic message
        raise awserrors.validation(IMPORT_CRL_NOT_PEM)
    return load_crl(data)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _encode_token(sequence: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sequence}).encode("ascii")).decode("ascii")


def _decode_token(token: str) -> int:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode("ascii")))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise awserrors.validation("Invalid nextToken: pass the nextToken of a previous answer unchanged") from None


class ControlPlane:
    """In-memory Roles Anywhere resources of one account and region.

    ``certificate_authority`` is a callable that returns the PEM CA certificate of an ACM PCA ARN
    (or raises ServiceError): the emulator wires it to moto.
    """

    def __init__(self, region: str, account: str, certificate_authority: Optional[Callable[[str], bytes]] = None,
                 partition: str = "aws", clock: Callable[[], datetime.datetime] = utcnow,
                 trust_anchor_quota: int = MAX_TRUST_ANCHORS):
        self.region = region
        self.trust_anchor_quota = trust_anchor_quota
        self.account = account
        self.partition = partition
        self.clock = clock
        self.certificate_authority = certificate_authority
        self.lock = threading.RLock()
        self.trust_anchors: Dict[str, dict] = {}
        self.profiles: Dict[str, dict] = {}
        self.crls: Dict[str, dict] = {}
        self.subjects: Dict[str, dict] = {}
        self.tags: Dict[str, List[dict]] = {}
        self._sequence = 0
        # Bumped on every change of trust material, so verification caches know when to drop entries.
        self.trust_generation = 0

    # --- dispatch -------------------------------------------------------------------------------

    def handle(self, operation_name: str, params: dict) -> dict:
        handler = getattr(self, snake_case(operation_name), None)
        if handler is None:
            raise awserrors.unknown_operation("operation", operation_name)
        with self.lock:
            return handler(params)

    # --- ARNs and lookups -----------------------------------------------------------------------

    def arn(self, kind: str, resource_id: str) -> str:
        return "arn:%s:rolesanywhere:%s:%s:%s/%s" % (self.partition, self.region, self.account, kind, resource_id)

    def alias_arn(self, kind: str, alias: Optional[str]) -> Optional[str]:
        return self.arn("alias/" + kind, alias) if alias else None

    def _next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def _find(self, collection: Dict[str, dict], identifier: str, kind: str, label: str) -> dict:
        """A resource by ID, ARN or alias ARN of this account and region (identifiers.py's rules); 404 otherwise."""
        resource = collection.get(identifier) if identifiers.is_resource_id(identifier) else None
        if resource is None and identifier.startswith("arn:"):
            try:
                parts = identifiers.parse_rolesanywhere_arn(identifier)
            except RolesAnywhereError:
                parts = None
            if parts and (parts["partition"], parts["region"], parts["account"]) == (self.partition, self.region, self.account):
                for candidate in collection.values():
                    if identifier in (candidate.get(kind + "Arn"), candidate.get("aliasArn")):
                        resource = candidate
                        break
        if resource is None:
            raise awserrors.not_found("%s not found: %s" % (label, identifier))
        return resource

    def find_trust_anchor(self, identifier: str) -> dict:
        return self._find(self.trust_anchors, identifier, "trustAnchor", "Trust anchor")

    def find_profile(self, identifier: str) -> dict:
        return self._find(self.profiles, identifier, "profile", "Profile")

    def find_crl(self, identifier: str) -> dict:
        return self._find(self.crls, identifier, "crl", "CRL")

    def _resource_for_arn(self, arn: str) -> dict:
        for collection, kind in ((self.trust_anchors, "trustAnchor"), (self.profiles, "profile"), (self.crls, "crl")):
            for resource in collection.values():
                if arn in (resource.get(kind + "Arn"), resource.get("aliasArn")):
                    return resource
        raise awserrors.not_found("Resource not found: %s" % arn)

    @staticmethod
    def _public(resource: dict) -> dict:
        """The API view of a stored resource (internal keys start with an underscore)."""
        return {key: copy.deepcopy(value) for key, value in resource.items() if not key.startswith("_")}

    def _list(self, collection: Dict[str, dict], params: dict, key: str) -> dict:
        page_size = params.get("pageSize", DEFAULT_PAGE_SIZE)
        if page_size < 1 or page_size > MAX_PAGE_SIZE:
            raise awserrors.validation_errors([
                "Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and %d"
                % (page_size, MAX_PAGE_SIZE)])
        after = _decode_token(params["nextToken"]) if params.get("nextToken") else 0
        ordered = sorted((item for item in collection.values() if item["_sequence"] > after),
                         key=lambda item: item["_sequence"])
        page = ordered[:page_size]
        result = {key: [self._public(item) for item in page]}
        if len(ordered) > page_size:
            result["nextToken"] = _encode_token(page[-1]["_sequence"])
        return result

    # --- tags -----------------------------------------------------------------------------------

    @staticmethod
    def _check_tags(tags: List[dict], existing: Optional[List[dict]] = None, error=awserrors.validation) -> List[dict]:
        merged = {tag["key"]: tag["value"] for tag in existing or []}
        for tag in tags:
            if tag["key"].lower().startswith("aws:"):
                raise awserrors.validation("Tag keys starting with 'aws:' are reserved for AWS use")
            merged[tag["key"]] = tag["value"]
        if len(merged) > MAX_TAGS:
            raise error("A resource can have at most %d tags; this request would leave %d" % (MAX_TAGS, len(merged)))
        return [{"key": key, "value": value} for key, value in merged.items()]

    def _store(self, collection: Dict[str, dict], resource_id: str, resource: dict, arn: str, tags: Optional[List[dict]]) -> None:
        resource["_sequence"] = self._next_sequence()
        collection[resource_id] = resource
        self.tags[arn] = list(tags or [])

    def tag_resource(self, params: dict) -> dict:
        resource_arn = self._canonical_arn(params["resourceArn"])
        self.tags[resource_arn] = self._check_tags(params["tags"], self.tags.get(resource_arn), awserrors.too_many_tags)
        return {}

    def untag_resource(self, params: dict) -> dict:
        resource_arn = self._canonical_arn(params["resourceArn"])
        removed = set(params["tagKeys"])
        self.tags[resource_arn] = [tag for tag in self.tags.get(resource_arn, []) if tag["key"] not in removed]
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        return {"tags": copy.deepcopy(self.tags.get(self._canonical_arn(params["resourceArn"]), []))}

    def _canonical_arn(self, arn: str) -> str:
        resource = self._resource_for_arn(arn)
        for kind in ("crl", "profile", "trustAnchor"):  # a CRL also carries trustAnchorArn: test it first
            if kind + "Arn" in resource:
                return resource[kind + "Arn"]
        raise awserrors.not_found("Resource not found: %s" % arn)

    # --- aliases --------------------------------------------------------------------------------

    def _set_alias(self, resource: dict, kind: str, alias: Optional[str]) -> None:
        if alias is None:
            return
        collection = getattr(self, _ALIAS_KINDS[kind])
        if alias and not identifiers.is_alias_name(alias):  # the AliasName shape, and its documented 'aws/' reservation
            raise awserrors.validation("Invalid aliasName %s: %s" % (alias, identifiers.alias_name_rule()))
        if alias and any(other is not resource and other.get("aliasName") == alias for other in collection.values()):
            raise awserrors.validation("The alias name %s is already in use" % alias)
        previous = resource.get("aliasName")
        if previous and previous != alias:
            resource["previousAliasName"] = previous
        resource["aliasName"] = alias or None
        resource["aliasArn"] = self.alias_arn(kind, alias)

    # --- trust anchors --------------------------------------------------------------------------

    def _check_source(self, source: dict) -> dict:
        source_type = source.get("sourceType")
        data = source.get("sourceData") or {}
        if source_type is None:
            raise awserrors.validation_errors(["Value null at 'source.sourceType' failed to satisfy constraint: Member must not be null"])
        if source_type == "SELF_SIGNED_REPOSITORY":
            raise awserrors.validation("Source type SELF_SIGNED_REPOSITORY is reserved: use CERTIFICATE_BUNDLE or AWS_ACM_PCA")
        if source_type == "CERTIFICATE_BUNDLE":
            if not data.get("x509CertificateData"):
                raise awserrors.validation("A CERTIFICATE_BUNDLE trust anchor needs sourceData.x509CertificateData (PEM)")
            load_pem_certificates(data["x509CertificateData"])
            return {"sourceType": source_type, "sourceData": {"x509CertificateData": data["x509CertificateData"]}}
        if not data.get("acmPcaArn"):
            raise awserrors.validation("An AWS_ACM_PCA trust anchor needs sourceData.acmPcaArn")
        self._check_pca_arn(data["acmPcaArn"])
        return {"sourceType": source_type, "sourceData": {"acmPcaArn": data["acmPcaArn"]}}

    def _check_pca_arn(self, arn: str) -> None:
        try:
            parts = identifiers.parse_acm_pca_arn(arn, "acmPcaArn")
        except RolesAnywhereError:
            raise awserrors.validation("Invalid acmPcaArn %s: expected arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID" % arn) from None
        if parts["region"] != self.region:
            raise awserrors.validation("The ACM PCA %s must be in the trust anchor's region %s" % (arn, self.region))
        if self.certificate_authority is not None:
            self.certificate_authority(arn)

    def _notification_settings(self, requested: Optional[List[dict]], current: Optional[List[dict]] = None) -> List[dict]:
        settings = copy.deepcopy(current) if current else [default_notification_setting(event) for event in NOTIFICATION_EVENTS]
        for wanted in requested or []:
            channel = wanted.get("channel") or "ALL"
            entry = next((item for item in settings if item["event"] == wanted["event"] and item["channel"] == channel), None)
            if entry is None:
                entry = default_notification_setting(wanted["event"], channel)
                settings.append(entry)
            entry["enabled"] = wanted["enabled"]
            if wanted.get("threshold") is not None:
                entry["threshold"] = wanted["threshold"]
            entry["configuredBy"] = self.account
        return settings

    def create_trust_anchor(self, params: dict) -> dict:
        if len(self.trust_anchors) >= self.trust_anchor_quota:
            raise awserrors.validation("Trust anchor quota reached: an account can have %d trust anchors per region" % self.trust_anchor_quota)
        source = self._check_source(params["source"])
        tags = self._check_tags(params.get("tags") or [])
        settings = self._notification_settings(params.get("notificationSettings"))
        now = self.clock()
        anchor_id = str(uuid.uuid4())
        anchor = {
            "trustAnchorId": anchor_id, "trustAnchorArn": self.arn("trust-anchor", anchor_id), "name": params["name"],
            "source": source, "enabled": bool(params.get("enabled", False)),
            "crlDpRevocationEnabled": bool(params.get("crlDpRevocationEnabled", False)),
            "createdAt": now, "updatedAt": now, "notificationSettings": settings,
        }
        self._set_alias(anchor, "trust-anchor", params.get("aliasName"))
        self._store(self.trust_anchors, anchor_id, anchor, anchor["trustAnchorArn"], tags)
        self.trust_generation += 1
        return {"trustAnchor": self._public(anchor)}

    def get_trust_anchor(self, params: dict) -> dict:
        return {"trustAnchor": self._public(self.find_trust_anchor(params["trustAnchorId"]))}

    def update_trust_anchor(self, params: dict) -> dict:
        anchor = self.find_trust_anchor(params["trustAnchorId"])
        source = self._check_source(params["source"]) if params.get("source") is not None else None
        self._set_alias(anchor, "trust-anchor", params.get("aliasName"))
        if params.get("name") is not None:
            anchor["name"] = params["name"]
        if source is not None:
            anchor["source"] = source
        if params.get("crlDpRevocationEnabled") is not None:
            anchor["crlDpRevocationEnabled"] = params["crlDpRevocationEnabled"]
        return self._touch_anchor(anchor)

    def _touch_anchor(self, anchor: dict) -> dict:
        anchor["updatedAt"] = self.clock()
        self.trust_generation += 1
        return {"trustAnchor": self._public(anchor)}

    def delete_trust_anchor(self, params: dict) -> dict:
        anchor = self.find_trust_anchor(params["trustAnchorId"])
        del self.trust_anchors[anchor["trustAnchorId"]]
        self.tags.pop(anchor["trustAnchorArn"], None)
        self.trust_generation += 1
        return {"trustAnchor": self._public(anchor)}

    def enable_trust_anchor(self, params: dict) -> dict:
        anchor = self.find_trust_anchor(params["trustAnchorId"])
        anchor["enabled"] = True
        return self._touch_anchor(anchor)

    def disable_trust_anchor(self, params: dict) -> dict:
        anchor = self.find_trust_anchor(params["trustAnchorId"])
        anchor["enabled"] = False
        return self._touch_anchor(anchor)

    def list_trust_anchors(self, params: dict) -> dict:
        return self._list(self.trust_anchors, params, "trustAnchors")

    def put_notification_settings(self, params: dict) -> dict:
        anchor = self.find_trust_anchor(params["trustAnchorId"])
        anchor["notificationSettings"] = self._notification_settings(params["notificationSettings"], anchor["notificationSettings"])
        return self._touch_anchor(anchor)

    def reset_notification_settings(self, params: dict) -> dict:
        anchor = self.find_trust_anchor(params["trustAnchorId"])
        settings = anchor["notificationSettings"]
        for key in params["notificationSettingKeys"]:
            channel = key.get("channel") or "ALL"
            for index, entry in enumerate(settings):
                if entry["event"] == key["event"] and entry["channel"] == channel:
                    settings[index] = default_notification_setting(key["event"], channel)
        return self._touch_anchor(anchor)

    # --- profiles -------------------------------------------------------------------------------

    @staticmethod
    def _check_session_policy(policy: Optional[str]) -> None:
        if policy is None:
            return
        try:
            document = json.loads(policy)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise awserrors.validation("Invalid sessionPolicy: it must be a JSON IAM policy document")

    def create_profile(self, params: dict) -> dict:
        self._check_session_policy(params.get("sessionPolicy"))
        tags = self._check_tags(params.get("tags") or [])
        now = self.clock()
        profile_id = str(uuid.uuid4())
        profile = {
            "profileId": profile_id, "profileArn": self.arn("profile", profile_id), "name": params["name"],
            "requireInstanceProperties": bool(params.get("requireInstanceProperties", False)),
            "enabled": bool(params.get("enabled", False)), "createdBy": "arn:%s:iam::%s:root" % (self.partition, self.account),
            "sessionPolicy": params.get("sessionPolicy"), "roleArns": list(params["roleArns"]),
            "managedPolicyArns": list(params.get("managedPolicyArns") or []), "createdAt": now, "updatedAt": now,
            "durationSeconds": params.get("durationSeconds", DEFAULT_SESSION_DURATION),
            "acceptRoleSessionName": bool(params.get("acceptRoleSessionName", False)),
            "attributeMappings": default_attribute_mappings(),
        }
        self._set_alias(profile, "profile", params.get("aliasName"))
        self._store(self.profiles, profile_id, profile, profile["profileArn"], tags)
        return {"profile": self._public(profile)}

    def get_profile(self, params: dict) -> dict:
        return {"profile": self._public(self.find_profile(params["profileId"]))}

    def update_profile(self, params: dict) -> dict:
        profile = self.find_profile(params["profileId"])
        self._check_session_policy(params.get("sessionPolicy"))
        self._set_alias(profile, "profile", params.get("aliasName"))
        for key in ("name", "sessionPolicy", "roleArns", "managedPolicyArns", "durationSeconds", "acceptRoleSessionName"):
            if params.get(key) is not None:
                profile[key] = copy.deepcopy(params[key])
        return self._touch_profile(profile)

    def _touch_profile(self, profile: dict) -> dict:
        profile["updatedAt"] = self.clock()
        return {"profile": self._public(profile)}

    def delete_profile(self, params: dict) -> dict:
        profile = self.find_profile(params["profileId"])
        del self.profiles[profile["profileId"]]
        self.tags.pop(profile["profileArn"], None)
        return {"profile": self._public(profile)}

    def enable_profile(self, params: dict) -> dict:
        profile = self.find_profile(params["profileId"])
        profile["enabled"] = True
        return self._touch_profile(profile)

    def disable_profile(self, params: dict) -> dict:
        profile = self.find_profile(params["profileId"])
        profile["enabled"] = False
        return self._touch_profile(profile)

    def list_profiles(self, params: dict) -> dict:
        return self._list(self.profiles, params, "profiles")

    def put_attribute_mapping(self, params: dict) -> dict:
        profile = self.find_profile(params["profileId"])
        field = params["certificateField"]
        rules = [{"specifier": rule["specifier"]} for rule in params["mappingRules"]]
        mappings = [mapping for mapping in profile["attributeMappings"] if mapping["certificateField"] != field]
        mappings.append({"certificateField": field, "mappingRules": rules})
        profile["attributeMappings"] = mappings
        return self._touch_profile(profile)

    def delete_attribute_mapping(self, params: dict) -> dict:
        profile = self.find_profile(params["profileId"])
        field = params["certificateField"]
        removed = set(params.get("specifiers") or [])
        mappings = []
        for mapping in profile["attributeMappings"]:
            if mapping["certificateField"] == field:
                if not removed:
                    continue
                mapping["mappingRules"] = [rule for rule in mapping["mappingRules"] if rule["specifier"] not in removed]
            mappings.append(mapping)
        profile["attributeMappings"] = mappings
        return self._touch_profile(profile)

    # --- CRLs -----------------------------------------------------------------------------------

    def import_crl(self, params: dict) -> dict:
        load_imported_crl(params["crlData"])
        if _is_alias_arn(params["trustAnchorArn"]):
            # AWS: "This parameter doesn't support alias ARNs. If you specify an alias ARN, the request fails with
            # ResourceNotFoundException." (botocore model, ImportCrlRequest.trustAnchorArn)
            raise awserrors.not_found("Trust anchor not found: %s" % params["trustAnchorArn"])
        try:
            anchor = self._find(self.trust_anchors, params["trustAnchorArn"], "trustAnchor", "Trust anchor")
        except awserrors.ServiceError:
            raise awserrors.validation("Trust anchor not found: %s" % params["trustAnchorArn"]) from None
        tags = self._check_tags(params.get("tags") or [])
        now = self.clock()
        crl_id = str(uuid.uuid4())
        crl = {
            "crlId": crl_id, "crlArn": self.arn("crl", crl_id), "name": params["name"],
            "enabled": bool(params.get("enabled", False)), "crlData": params["crlData"],
            "trustAnchorArn": anchor["trustAnchorArn"], "createdAt": now, "updatedAt": now,
        }
        self._set_alias(crl, "crl", params.get("aliasName"))
        self._store(self.crls, crl_id, crl, crl["crlArn"], tags)
        self.trust_generation += 1
        return {"crl": self._public(crl)}

    def get_crl(self, params: dict) -> dict:
        return {"crl": self._public(self.find_crl(params["crlId"]))}

    def update_crl(self, params: dict) -> dict:
        crl = self.find_crl(params["crlId"])
        if params.get("crlData") is not None:
            load_crl(params["crlData"])
        self._set_alias(crl, "crl", params.get("aliasName"))
        if params.get("name") is not None:
            crl["name"] = params["name"]
        if params.get("crlData") is not None:
            crl["crlData"] = params["crlData"]
        return self._touch_crl(crl)

    def _touch_crl(self, crl: dict) -> dict:
        crl["updatedAt"] = self.clock()
        self.trust_generation += 1
        return {"crl": self._public(crl)}

    def delete_crl(self, params: dict) -> dict:
        crl = self.find_crl(params["crlId"])
        del self.crls[crl["crlId"]]
        self.tags.pop(crl["crlArn"], None)
        self.trust_generation += 1
        return {"crl": self._public(crl)}

    def enable_crl(self, params: dict) -> dict:
        crl = self.find_crl(params["crlId"])
        crl["enabled"] = True
        return self._touch_crl(crl)

    def disable_crl(self, params: dict) -> dict:
        crl = self.find_crl(params["crlId"])
        crl["enabled"] = False
        return self._touch_crl(crl)

    def list_crls(self, params: dict) -> dict:
        return self._list(self.crls, params, "crls")

    # --- subjects -------------------------------------------------------------------------------

    def get_subject(self, params: dict) -> dict:
        subject = self.subjects.get(params["subjectId"])
        if subject is None:
            raise awserrors.not_found("Subject not found: %s" % params["subjectId"])
        return {"subject": self._public(subject)}

    def list_subjects(self, params: dict) -> dict:
        result = self._list(self.subjects, params, "subjects")
        summary_keys = ("subjectArn", "subjectId", "enabled", "x509Subject", "lastSeenAt", "createdAt", "updatedAt")
        result["subjects"] = [{key: item.get(key) for key in summary_keys} for item in result["subjects"]]
        return result

    def record_subject(self, x509_subject: str, serial: int, issuer: str, certificate_pem: str, failed: bool,
                       instance_properties: Optional[Dict[str, str]] = None) -> dict:
        """Note an authentication (CreateSession) for ListSubjects/GetSubject; returns the subject."""
        with self.lock:
            now = self.clock()
            subject = next((item for item in self.subjects.values() if item["x509Subject"] == x509_subject), None)
            if subject is None:
                subject_id = str(uuid.uuid4())
                subject = {"subjectId": subject_id, "subjectArn": self.arn("subject", subject_id), "enabled": True,
                           "x509Subject": x509_subject, "createdAt": now, "credentials": [], "instanceProperties": [],
                           "_sequence": self._next_sequence()}
                self.subjects[subject_id] = subject
            serial_text = str(serial)
            credential = next((item for item in subject["credentials"]
                               if item["serialNumber"] == serial_text and item["issuer"] == issuer), None)
            if credential is None:
                credential = {"serialNumber": serial_text, "issuer": issuer, "enabled": True,
                              "x509CertificateData": certificate_pem}
                subject["credentials"].append(credential)
            credential["seenAt"] = now
            credential["failed"] = failed
            if instance_properties:
                subject["instanceProperties"].append({"seenAt": now, "properties": dict(instance_properties), "failed": failed})
                del subject["instanceProperties"][:-10]
            subject["lastSeenAt"] = now
            subject["updatedAt"] = now
            return subject

    # --- used by CreateSession ------------------------------------------------------------------

    def enabled_crls_for(self, trust_anchor_arn: str) -> List[bytes]:
        with self.lock:
            return [crl["crlData"] for crl in self.crls.values() if crl["enabled"] and crl["trustAnchorArn"] == trust_anchor_arn]

    def snapshot(self, collection: str, identifier: str) -> Optional[dict]:
        """A copy of one resource by ARN (or ID), or None: CreateSession reads without holding the lock long."""
        with self.lock:
            try:
                if collection == "trust_anchors":
                    return self._public(self.find_trust_anchor(identifier))
                return self._public(self.find_profile(identifier))
            except awserrors.ServiceError:
                return None
