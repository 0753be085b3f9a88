# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role trust policy evaluation for CreateSession, and attribute mappings to session tags.

IAM Roles Anywhere assumes the role as the service principal ``rolesanywhere.amazonaws.com`` with
three actions (``sts:AssumeRole``, ``sts:TagSession``, ``sts:SetSourceIdentity``). The request
context carries ``aws:SourceArn`` (the trust anchor), ``aws:SourceAccount`` and one
``aws:PrincipalTag/<field>/<attribute>`` (and ``aws:RequestTag/...``) per mapped certificate
attribute. This module picks the statements that apply to the service and its actions, and has
``iam_policy.conditions_hold`` (the tests' one evaluator of IAM conditions) read their Condition blocks.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence
from urllib.parse import unquote

from cryptography import x509

from . import iam_policy

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
except ImportError:  # a checkout, not an installed collection
    from plugins.module_utils._core import identifiers  # type: ignore[no-redef]

SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
REQUIRED_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")


class PolicyDenied(Exception):
    """The trust policy does not let Roles Anywhere assume the role; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MappingFailed(Exception):
    """A certificate attribute cannot become a session tag."""


@dataclass
class RequestContext:
    """Condition keys (lower-cased names) and their values (always lists)."""

    values: Dict[str, List[str]] = field(default_factory=dict)

    def set(self, key: str, value) -> None:
        self.values[key.lower()] = list(value) if isinstance(value, (list, tuple)) else [value]

    def get(self, key: str) -> Optional[List[str]]:
        return self.values.get(key.lower())


# --- attribute mappings -------------------------------------------------------------------------

def _attribute_name(attribute: x509.NameAttribute) -> str:
    try:
        return attribute.rfc4514_attribute_name
    except AttributeError:  # older cryptography
        return attribute.oid.dotted_string


def _name_attributes(name: x509.Name) -> Dict[str, str]:
    """First value of each attribute of a distinguished name, keyed by its short name (CN, O, OU...)."""
    result: Dict[str, str] = {}
    for attribute in name:
        result.setdefault(_attribute_name(attribute), attribute.value if isinstance(attribute.value, str) else "")
    return result


def _san_attributes(certificate: x509.Certificate) -> Dict[str, str]:
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return {}
    result: Dict[str, str] = {}
    for general_name in sans:
        if isinstance(general_name, x509.DNSName):
            result.setdefault("DNS", general_name.value)
        elif isinstance(general_name, x509.UniformResourceIdentifier):
            result.setdefault("URI", general_name.value)
        elif isinstance(general_name, x509.IPAddress):
            result.setdefault("IP", str(ipaddress.ip_address(general_name.value)) if not isinstance(
                general_name.value, (ipaddress.IPv4Network, ipaddress.IPv6Network)) else str(general_name.value))
        elif isinstance(general_name, x509.RFC822Name):
            result.setdefault("EMAIL", general_name.value)
        elif isinstance(general_name, x509.DirectoryName):
            for key, value in _name_attributes(general_name.value).items():
                result.setdefault("Name/" + key, value)
    return result


def _select(available: Dict[str, str], specifier: str) -> Dict[str, str]:
    if specifier == "*":
        return {key: value for key, value in available.items() if not key.startswith("Name/")}
    if specifier.endswith("/*"):
        prefix = specifier[:-1]
        return {key: value for key, value in available.items() if key.startswith(prefix)}
    return {specifier: available[specifier]} if specifier in available else {}


def session_tags(certificate: x509.Certificate, attribute_mappings: Sequence[dict]) -> Dict[str, str]:
    """``{"x509Subject/CN": "host1", ...}`` from the profile's mapping rules; MappingFailed on bad values.

    A value must be a session tag value (sts tagValueType: identifiers.session_tag_value_problem, the collection's
    one copy of the rule). AWS's refusal names the failing attributes per field, for example
    "Some attributes failed to be mapped into session tags. Issuer: [ CN ]; Subject: [  ]; SAN: [  ]"
    (hashicorp/terraform-provider-aws#48211) and "... Issuer: [  ]; Subject: [  ]; SAN: [ DNS/2 ]"
    (aws/rolesanywhere-credential-helper#77).
    """
    sources = {
        "x509Subject": _name_attributes(certificate.subject),
        "x509Issuer": _name_attributes(certificate.issuer),
        "x509SAN": _san_attributes(certificate),
    }
    tags: Dict[str, str] = {}
    for mapping in attribute_mappings:
        available = sources.get(mapping["certificateField"], {})
        for rule in mapping.get("mappingRules", []):
            for key, value in _select(available, rule["specifier"]).items():
                tags["%s/%s" % (mapping["certificateField"], key)] = value
    bad = sorted(key for key, value in tags.items() if not identifiers.is_session_tag_value(value))
    if bad:
        def failed(field_name):
            return " ".join(key.split("/", 1)[1] for key in bad if key.startswith(field_name + "/"))
        raise MappingFailed("Some attributes failed to be mapped into session tags. Issuer: [ %s ]; Subject: [ %s ]; SAN: [ %s ]"
                            % (failed("x509Issuer"), failed("x509Subject"), failed("x509SAN")))
    return tags


def build_context(trust_anchor_arn: str, account: str, tags: Dict[str, str], source_identity: Optional[str],
                  role_session_name: str) -> RequestContext:
    context = RequestContext()
    context.set("aws:SourceArn", trust_anchor_arn)
    context.set("aws:SourceAccount", account)
    context.set("aws:TagKeys", list(tags))
    context.set("sts:RoleSessionName", role_session_name)
    if source_identity:
        context.set("aws:SourceIdentity", source_identity)
        context.set("sts:SourceIdentity", source_identity)
    for key, value in tags.items():
        context.set("aws:PrincipalTag/" + key, value)
        context.set("aws:RequestTag/" + key, value)
    return context


# --- trust policy -------------------------------------------------------------------------------

def parse_policy(document) -> dict:
    if isinstance(document, dict):
        return document
    text = document or ""
    for candidate in (text, unquote(text)):
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    raise PolicyDenied("its trust policy is not a JSON policy document")


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _principal_matches(statement: dict) -> bool:
    if "NotPrincipal" in statement:
        return not _principal_in(statement["NotPrincipal"])
    return _principal_in(statement.get("Principal"))


def _principal_in(principal) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _as_list(principal.get("AWS")):
        return True
    return SERVICE_PRINCIPAL in _as_list(principal.get("Service"))


def _action_matches(statement: dict, action: str) -> bool:
    if "NotAction" in statement:
        return not any(iam_policy.wildcard_match(pattern, action, True) for pattern in _as_list(statement["NotAction"]))
    return any(iam_policy.wildcard_match(pattern, action, True) for pattern in _as_list(statement.get("Action")))


def conditions_hold(conditions: Optional[dict], context: RequestContext, action: str) -> bool:
    """The Condition block, read by iam_policy (the one evaluator of IAM conditions in the tests)."""
    try:
        return iam_policy.conditions_hold(conditions or {}, iam_policy.Request(action, "*", context.values))
    except iam_policy.Unsupported as error:
        raise PolicyDenied("its trust policy uses something the emulator does not evaluate (%s)" % error) from None


def evaluate_trust_policy(document, context: RequestContext, role_arn: str) -> None:
    """Raise PolicyDenied unless every required action is allowed (and none denied) for the service."""
    policy = parse_policy(document)
    statements = [statement for statement in _as_list(policy.get("Statement")) if isinstance(statement, dict)]
    missing_grant, failed_condition = [], []
    for action in REQUIRED_ACTIONS:
        relevant = [s for s in statements if _principal_matches(s) and _action_matches(s, action)]
        allows = [s for s in relevant if s.get("Effect") == "Allow"]
        denies = [s for s in relevant if s.get("Effect") == "Deny" and conditions_hold(s.get("Condition"), context, action)]
        if denies:
            raise PolicyDenied("an explicit Deny in its trust policy refuses %s to %s" % (action, SERVICE_PRINCIPAL))
        if not allows:
            missing_grant.append(action)
        elif not any(conditions_hold(s.get("Condition"), context, action) for s in allows):
            failed_condition.append(action)
    if missing_grant:
        raise PolicyDenied("its trust policy does not allow %s to perform %s" % (SERVICE_PRINCIPAL, ", ".join(missing_grant)))
    if failed_condition:
        raise PolicyDenied("a condition in its trust policy is not met for %s (aws:SourceArn is the trust anchor, "
                           "aws:PrincipalTag/x509Subject/CN etc. come from the certificate)" % ", ".join(failed_condition))
