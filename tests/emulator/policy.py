# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role trust policy evaluation for CreateSession, and attribute mappings to session tags.

IAM Roles Anywhere assumes the role as the service principal ``rolesanywhere.amazonaws.com`` with
three actions (``sts:AssumeRole``, ``sts:TagSession``, ``sts:SetSourceIdentity``). The request
context carries ``aws:SourceArn`` (the trust anchor), ``aws:SourceAccount`` and one
``aws:PrincipalTag/<field>/<attribute>`` (and ``aws:RequestTag/...``) per mapped certificate
attribute. This module evaluates the usual condition operators over that context.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence
from urllib.parse import unquote

from cryptography import x509

SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
REQUIRED_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
TAG_VALUE_CHARACTERS = set("_.:/=+-@")
MAX_TAG_VALUE_LENGTH = 256


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


def valid_tag_value(value: str) -> bool:
    return len(value) <= MAX_TAG_VALUE_LENGTH and all(
        character.isalnum() or character.isspace() or character in TAG_VALUE_CHARACTERS for character in value)


def session_tags(certificate: x509.Certificate, attribute_mappings: Sequence[dict]) -> Dict[str, str]:
    """``{"x509Subject/CN": "host1", ...}`` from the profile's mapping rules; MappingFailed on bad values."""
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
    bad = sorted(key for key, value in tags.items() if not valid_tag_value(value))
    if bad:
        raise MappingFailed("Some attributes failed to be mapped into session tags: %s" % ", ".join(bad))
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


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


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
        return not any(_wildcard(pattern, action, True) for pattern in _as_list(statement["NotAction"]))
    return any(_wildcard(pattern, action, True) for pattern in _as_list(statement.get("Action")))


_STRING_OPERATORS = {
    "stringequals": lambda want, have: want == have,
    "stringequalsignorecase": lambda want, have: want.lower() == have.lower(),
    "stringlike": _wildcard,
    "arnequals": lambda want, have: want == have,
    "arnlike": _wildcard,
}


def _single_match(operator: str, wanted: str, actual: str) -> bool:
    if operator in _STRING_OPERATORS:
        return _STRING_OPERATORS[operator](str(wanted), actual)
    if operator == "bool":
        return str(wanted).lower() == actual.lower()
    if operator.startswith("numeric"):
        return _numeric(operator, wanted, actual)
    raise PolicyDenied("its trust policy uses the condition operator %s, which the emulator does not evaluate" % operator)


def _numeric(operator: str, wanted, actual: str) -> bool:
    try:
        left, right = float(actual), float(wanted)
    except ValueError:
        return False
    comparisons = {"numericequals": left == right, "numericnotequals": left != right, "numericlessthan": left < right,
                   "numericlessthanequals": left <= right, "numericgreaterthan": left > right,
                   "numericgreaterthanequals": left >= right}
    return comparisons.get(operator, False)


def _condition_holds(raw_operator: str, key: str, wanted, context: RequestContext) -> bool:
    operator = raw_operator.lower()
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("ifexists")
    operator = operator[:-len("ifexists")] if if_exists else operator
    actual = context.get(key)
    wanted_values = [str(value) for value in _as_list(wanted)]
    if operator == "null":
        return (actual is None or actual == []) == (wanted_values[0].lower() == "true")
    negated = "not" in operator
    positive = operator.replace("not", "", 1) if negated else operator
    if actual is None:
        return True if (if_exists or negated or qualifier == "forallvalues") else False
    if qualifier == "forallvalues":
        result = all(any(_single_match(positive, want, have) for want in wanted_values) for have in actual)
    else:
        result = any(_single_match(positive, want, have) for want in wanted_values for have in actual)
    return not result if negated else result


def conditions_hold(conditions: Optional[dict], context: RequestContext) -> bool:
    for operator, entries in (conditions or {}).items():
        for key, wanted in (entries or {}).items():
            if not _condition_holds(operator, key, wanted, context):
                return False
    return True


def evaluate_trust_policy(document, context: RequestContext, role_arn: str) -> None:
    """Raise PolicyDenied unless every required action is allowed (and none denied) for the service."""
    policy = parse_policy(document)
    statements = [statement for statement in _as_list(policy.get("Statement")) if isinstance(statement, dict)]
    missing_grant, failed_condition = [], []
    for action in REQUIRED_ACTIONS:
        relevant = [s for s in statements if _principal_matches(s) and _action_matches(s, action)]
        allows = [s for s in relevant if s.get("Effect") == "Allow"]
        denies = [s for s in relevant if s.get("Effect") == "Deny" and conditions_hold(s.get("Condition"), context)]
        if denies:
            raise PolicyDenied("an explicit Deny in its trust policy refuses %s to %s" % (action, SERVICE_PRINCIPAL))
        if not allows:
            missing_grant.append(action)
        elif not any(conditions_hold(s.get("Condition"), context) for s in allows):
            failed_condition.append(action)
    if missing_grant:
        raise PolicyDenied("its trust policy does not allow %s to perform %s" % (SERVICE_PRINCIPAL, ", ".join(missing_grant)))
    if failed_condition:
        raise PolicyDenied("a condition in its trust policy is not met for %s (aws:SourceArn is the trust anchor, "
                           "aws:PrincipalTag/x509Subject/CN etc. come from the certificate)" % ", ".join(failed_condition))
