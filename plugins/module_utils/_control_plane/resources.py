# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation, comparison and normalisation of IAM Roles Anywhere resources.

Everything here works on plain data in the service's own (camelCase) shapes and never calls AWS, so
the control-plane modules can plan every change (and predict the result in check mode) before they
make any request. Bad input raises ConfigurationError (or MaterialError for certificates and CRLs)
with a message naming the option and a hint saying what to do.

The only Ansible import is amazon.aws's policy comparison, so that session policies compare exactly
as amazon.aws compares every other IAM policy.
"""

from __future__ import annotations

import json
import re
from collections import namedtuple

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
except ImportError:  # pragma: no cover - pem.require_cryptography() says so before any use
    UnsupportedAlgorithm = ValueError

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from .._core.errors import ConfigurationError
from .._core.errors import MaterialError
# The modules import these rules from here: they live in identifiers.py.
from .._core.identifiers import (  # noqa: F401  pylint: disable=unused-import
    MAX_MANAGED_POLICY_ARNS, MAX_ROLE_ARNS, RESOURCE_TYPES, check_alias_name, check_arn_region, check_managed_policy_arns,
    check_name, check_resource_id, check_role_arns, classify_reference, is_resource_id, parse_rolesanywhere_arn)
from .._core.identifiers import parse_acm_pca_arn
from .._core.identifiers import validate_duration as check_duration_seconds  # noqa: F401  pylint: disable=unused-import
from .._core.pem import certificate_ders
from .._core.pem import crl_der
from .._core.pem import crl_der_or_none as crl_der_from_service  # the service returns what was imported: PEM or DER
from .._core.pem import pem_blocks
from .._core.pem import pem_encode
from .._core.pem import read_file as read_input_file  # noqa: F401  pylint: disable=unused-import
from .._core.pem import require_cryptography

# ---------------------------------------------------------------------------------------------------
# Service facts (botocore model "rolesanywhere" 2018-05-10 and the service documentation)
# ---------------------------------------------------------------------------------------------------

SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"

NOTIFICATION_EVENTS = ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
NOTIFICATION_CHANNELS = ("ALL",)
DEFAULT_NOTIFICATION_CHANNEL = "ALL"
DEFAULT_NOTIFICATION_THRESHOLD = 45
NOTIFICATION_THRESHOLD_RANGE = (1, 360)

CERTIFICATE_FIELDS = ("x509Subject", "x509Issuer", "x509SAN")
DEFAULT_ATTRIBUTE_MAPPINGS = (
    ("x509Subject", ("*",)),
    ("x509Issuer", ("*",)),
    ("x509SAN", ("DNS", "URI", "Name/*")),
)
MAX_SPECIFIER_LENGTH = 60

MAX_TAGS = 50  # per resource (the API takes up to 200 per request)
MAX_CRL_BYTES = 300000
MAX_SESSION_POLICY_CHARS = 100000

_TAG_TEXT_RE = re.compile(r"^[ a-zA-Z0-9_.:/=+@-]*$")

NotificationPlan = namedtuple("NotificationPlan", ["to_put", "to_reset", "predicted"])
MappingPlan = namedtuple("MappingPlan", ["operations", "predicted"])
MappingOperation = namedtuple("MappingOperation", ["action", "certificate_field", "specifiers"])
TagPlan = namedtuple("TagPlan", ["to_set", "to_unset"])


# ---------------------------------------------------------------------------------------------------
# Names, identifiers and ARNs
# ---------------------------------------------------------------------------------------------------


def parse_resource_arn(arn, resource_type, option="arn"):
    """A canonical or alias ARN of resource_type, split (see identifiers.parse_rolesanywhere_arn)."""
    return parse_rolesanywhere_arn(arn, resource_type, option)


def check_acm_pca_arn(arn, region=None, option="acm_pca_arn"):
    """An ACM Private CA ARN of the trust anchor's own region."""
    parts = parse_acm_pca_arn(arn, option)
    if region and parts["region"] != region:
        raise ConfigurationError(
            "%s is in region %s but the trust anchor is created in region %s" % (option, parts["region"], region),
            "A trust anchor can only use a private CA of its own region",
        )
    return arn


def unique_in_order(values):
    """The values without duplicates, first occurrence first."""
    return list(dict.fromkeys(values))


def lists_differ(current, desired):
    """Compare ARN lists as sets: their order carries no meaning to the service."""
    return set(current or ()) != set(desired or ())


# ---------------------------------------------------------------------------------------------------
# Tags (the service's shape is [{"key": ..., "value": ...}])
# ---------------------------------------------------------------------------------------------------


def tags_to_dict(tag_list):
    return {tag["key"]: tag.get("value", "") for tag in tag_list or ()}


def dict_to_tags(tags):
    return [{"key": key, "value": tags[key]} for key in sorted(tags)]


def check_tags(tags, option="tags"):
    """Validate a tag dict and return it with every value as a string."""
    if tags is None:
        return None
    if len(tags) > MAX_TAGS:
        raise ConfigurationError("%s holds %d tags but the service allows at most %d" % (option, len(tags), MAX_TAGS), "Remove some")
    normalised = {}
    for key, value in tags.items():
        key = str(key)
        value = "" if value is None else str(value)
        if not 1 <= len(key) <= 128 or not _TAG_TEXT_RE.match(key):
            raise ConfigurationError(
                "%s key %r is not valid" % (option, key),
                "Tag keys have 1 to 128 characters: letters, digits, spaces and _ . : / = + @ -",
            )
        if key.lower().startswith("aws:"):
            raise ConfigurationError("%s key %r uses the reserved prefix aws:" % (option, key), "Choose a key that does not start with aws:")
        if len(value) > 256 or not _TAG_TEXT_RE.match(value):
            raise ConfigurationError(
                "%s value of key %r is not valid" % (option, key),
                "Tag values have 0 to 256 characters: letters, digits, spaces and _ . : / = + @ -",
            )
        normalised[key] = value
    return normalised


def plan_tags(current, desired, purge):
    """Which tags to set and which keys to remove; aws:* tags are never removed (AWS owns them)."""
    current = current or {}
    if desired is None:
        return TagPlan({}, [])
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_unset = []
    if purge:
        to_unset = sorted(key for key in current if key not in desired and not key.lower().startswith("aws:"))
    return TagPlan(to_set, to_unset)


def apply_tag_plan(current, plan):
    result = {key: value for key, value in (current or {}).items() if key not in plan.to_unset}
    result.update(plan.to_set)
    return result


# ---------------------------------------------------------------------------------------------------
# Trust anchor notification settings
# ---------------------------------------------------------------------------------------------------


def default_notification_setting(event, channel=DEFAULT_NOTIFICATION_CHANNEL):
    return {
        "enabled": True,
        "event": event,
        "threshold": DEFAULT_NOTIFICATION_THRESHOLD,
        "channel": channel,
        "configuredBy": SERVICE_PRINCIPAL,
    }


def _notification_key(setting):
    return setting["event"], setting.get("channel") or DEFAULT_NOTIFICATION_CHANNEL


def index_notification_settings(settings):
    """The trust anchor's settings by (event, channel); events the service left out count as defaults."""
    index = {_notification_key(setting): dict(setting) for setting in settings or ()}
    for event in NOTIFICATION_EVENTS:
        index.setdefault((event, DEFAULT_NOTIFICATION_CHANNEL), default_notification_setting(event))
    return index


def check_notification_settings(items, option="notification_settings"):
    """Validate the module's notification_settings list (event, enabled, threshold, channel)."""
    seen = set()
    low, high = NOTIFICATION_THRESHOLD_RANGE
    for item in items or ():
        key = (item["event"], item.get("channel") or DEFAULT_NOTIFICATION_CHANNEL)
        if key in seen:
            raise ConfigurationError("%s lists event %s (channel %s) twice" % (option, key[0], key[1]), "List each event once")
        seen.add(key)
        threshold = item.get("threshold")
        if threshold is not None and not low <= threshold <= high:
            raise ConfigurationError(
                "%s threshold %d for event %s is out of range" % (option, threshold, key[0]),
                "Use %d to %d days before expiry" % (low, high),
            )
    return items


def _merged_notification_setting(current, item):
    """The user's setting with every key they left unset taken from the current one."""
    return {
        "enabled": current["enabled"] if item.get("enabled") is None else item["enabled"],
        "event": item["event"],
        "threshold": current.get("threshold", DEFAULT_NOTIFICATION_THRESHOLD) if item.get("threshold") is None else item["threshold"],
        "channel": item.get("channel") or DEFAULT_NOTIFICATION_CHANNEL,
    }


def _notification_values_differ(current, desired):
    return current.get("enabled") != desired["enabled"] or current.get("threshold") != desired["threshold"]


def _is_default_notification_setting(setting):
    configured_by = setting.get("configuredBy")
    return (
        (configured_by is None or configured_by == SERVICE_PRINCIPAL)
        and setting.get("enabled") is True
        and setting.get("threshold") == DEFAULT_NOTIFICATION_THRESHOLD
    )


def notification_settings_for_create(items):
    """CreateTrustAnchor's notificationSettings: each listed event, unset keys at AWS's defaults."""
    return [
        _merged_notification_setting(default_notification_setting(item["event"], item.get("channel") or DEFAULT_NOTIFICATION_CHANNEL), item)
        for item in items or ()
    ]


def plan_notification_settings(current_settings, items, purge):
    """Plan PutNotificationSettings / ResetNotificationSettings for the listed events.

    Listed events change in place (keys left unset keep their current value); with purge, every event
    not listed that is not at AWS's default is reset to it.
    """
    index = index_notification_settings(current_settings)
    to_put = []
    listed = set()
    for item in items or ():
        key = _notification_key(item)
        listed.add(key)
        current = index.get(key) or default_notification_setting(*key)
        desired = _merged_notification_setting(current, item)
        if _notification_values_differ(current, desired):
            to_put.append(desired)
            index[key] = dict(desired)
    to_reset = []
    if purge:
        for key in sorted(index):
            if key not in listed and not _is_default_notification_setting(index[key]):
                to_reset.append({"event": key[0], "channel": key[1]})
                index[key] = default_notification_setting(*key)
    predicted = [index[key] for key in sorted(index)]
    return NotificationPlan(to_put, to_reset, predicted)


# ---------------------------------------------------------------------------------------------------
# Profile attribute mappings
# ---------------------------------------------------------------------------------------------------


def default_attribute_mappings():
    return [{"certificateField": field, "mappingRules": [{"specifier": spec} for spec in specs]} for field, specs in DEFAULT_ATTRIBUTE_MAPPINGS]


def index_attribute_mappings(mappings):
    """{certificateField: [specifier, ...]} for the fields that have at least one rule."""
    index = {}
    for mapping in mappings or ():
        specifiers = unique_in_order(rule["specifier"] for rule in mapping.get("mappingRules") or ())
        if specifiers:
            index[mapping["certificateField"]] = specifiers
    return index


def check_attribute_mappings(items, option="attribute_mappings"):
    """Validate the module's attribute_mappings list (certificate_field, specifiers)."""
    seen = set()
    for item in items or ():
        field = item["certificate_field"]
        if field in seen:
            raise ConfigurationError("%s lists certificate_field %s twice" % (option, field), "List each certificate field once, with all its specifiers")
        seen.add(field)
        for specifier in item.get("specifiers") or ():
            if not 1 <= len(specifier) <= MAX_SPECIFIER_LENGTH:
                raise ConfigurationError(
                    "%s specifier %r of %s is not valid" % (option, specifier, field),
                    "Specifiers have 1 to %d characters, for example CN, OU, DNS, URI, Name/* or *" % MAX_SPECIFIER_LENGTH,
                )
    return items


def _field_operations(field, current, desired):
    if set(current) == set(desired):
        return []
    if not desired:
        return [MappingOperation("delete", field, None)]
    operations = []
    removed = [spec for spec in current if spec not in desired]
    if removed:
        operations.append(MappingOperation("delete", field, removed))
    if any(spec not in current for spec in desired):
        # PutAttributeMapping gets the whole desired list: right whether the service merges or replaces.
        operations.append(MappingOperation("put", field, desired))
    return operations


def plan_attribute_mappings(current_mappings, items, purge):
    """Plan PutAttributeMapping / DeleteAttributeMapping calls.

    A listed certificate field gets exactly the listed specifiers (an empty list removes the field's
    mapping); with purge, fields not listed lose their mapping.
    """
    current = index_attribute_mappings(current_mappings)
    desired = dict(current)
    operations = []
    listed = set()
    for item in items or ():
        field = item["certificate_field"]
        listed.add(field)
        wanted = unique_in_order(item.get("specifiers") or ())
        operations.extend(_field_operations(field, current.get(field, []), wanted))
        desired[field] = wanted
    if purge:
        for field in current:
            if field not in listed:
                operations.append(MappingOperation("delete", field, None))
                desired[field] = []
    predicted = [
        {"certificateField": field, "mappingRules": [{"specifier": spec} for spec in desired[field]]}
        for field in CERTIFICATE_FIELDS
        if desired.get(field)
    ]
    return MappingPlan(operations, predicted)


# ---------------------------------------------------------------------------------------------------
# Session policies
# ---------------------------------------------------------------------------------------------------


def parse_policy(policy, option="session_policy"):
    """A policy document (JSON text or dict) as a dict; refuse anything that is not a JSON object."""
    if isinstance(policy, dict):
        return policy
    try:
        parsed = json.loads(policy)
    except (TypeError, ValueError) as error:
        raise ConfigurationError("%s is not valid JSON (%s)" % (option, error), "Give the policy as a YAML mapping or as a JSON object text") from None
    if not isinstance(parsed, dict):
        raise ConfigurationError("%s is not a JSON object" % option, 'A policy looks like {"Version": "2012-10-17", "Statement": [...]}')
    return parsed


def check_session_policy(policy, option="session_policy"):
    parsed = parse_policy(policy, option)
    text = policy_json(parsed)
    if len(text) > MAX_SESSION_POLICY_CHARS:
        raise ConfigurationError("%s has %d characters; the service allows %d" % (option, len(text), MAX_SESSION_POLICY_CHARS), "Shorten the policy")
    if not isinstance(parsed.get("Statement"), (list, dict)):
        raise ConfigurationError("%s has no Statement" % option, 'A policy looks like {"Version": "2012-10-17", "Statement": [...]}')
    return parsed


def policy_json(policy):
    """The text sent to the service: compact JSON with sorted keys, so that it is stable between runs."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def policies_differ(current, desired):
    """Semantic comparison (order of statements and of list items, single value vs one-item list)."""
    if current in (None, ""):
        return desired not in (None, "")
    try:
        current = parse_policy(current)
    except ConfigurationError:
        return True
    return compare_policies(current, parse_policy(desired))


# ---------------------------------------------------------------------------------------------------
# PEM / DER: certificate bundles and CRLs
# ---------------------------------------------------------------------------------------------------


def load_certificate_bundle(data, source="certificate_bundle"):
    """DER bytes of every CA certificate in a PEM bundle (or one DER certificate), in order.

    Refuses other PEM blocks (private keys above all: their content never appears in a message),
    unreadable certificates and certificates that are not CA certificates.
    """
    require_cryptography()
    ders = certificate_ders(
        data, source, "A trust anchor holds CA certificates only; remove the other blocks (never put a private key there)")
    if not ders:
        raise MaterialError("%s holds no certificate" % source, "Give one or more PEM certificates (-----BEGIN CERTIFICATE-----)", source=source)
    for position, der in enumerate(ders, 1):
        _check_ca_certificate(der, position, source)
    return ders


def _check_ca_certificate(der, position, source):
    try:
        certificate = x509.load_der_x509_certificate(der)
    except (ValueError, UnsupportedAlgorithm):
        raise MaterialError(
            "%s certificate %d could not be read as an X.509 certificate" % (source, position),
            "Give PEM certificates (-----BEGIN CERTIFICATE-----) or one DER certificate",
            source=source,
        ) from None
    try:
        is_ca = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise MaterialError(
            "%s certificate %d (%s) is not a CA certificate" % (source, position, certificate.subject.rfc4514_string()),
            "A trust anchor holds CA certificates (basicConstraints CA:true, keyUsage keyCertSign): give the issuing CA, not a host certificate",
            source=source,
        )
    return certificate


def certificate_bundle_pem(ders):
    return "".join(pem_encode(der, "CERTIFICATE") for der in ders)


def certificate_bundle_ders(pem_text):
    """DER of each certificate in a bundle the service returned; [] when it cannot be read."""
    if not pem_text:
        return []
    return [block.der for block in pem_blocks(pem_text) if block.label == "CERTIFICATE" and block.der is not None]


def certificate_bundles_differ(current_pem_text, desired_ders):
    """Compare bundles as sets of certificates: line wrapping, comments and order do not matter."""
    return set(certificate_bundle_ders(current_pem_text)) != set(desired_ders)


def certificate_subjects(ders):
    require_cryptography()
    return [x509.load_der_x509_certificate(der).subject.rfc4514_string() for der in ders]


def load_crl(data, source="crl_data"):
    """DER bytes of a CRL given as PEM (-----BEGIN X509 CRL-----) or DER."""
    der = crl_der(data, source)
    if len(crl_pem(der)) > MAX_CRL_BYTES:
        raise MaterialError("%s is larger than the %d bytes the service accepts" % (source, MAX_CRL_BYTES), "Split the CA or shorten the CRL", source=source)
    return der


def crl_pem(der):
    return pem_encode(der, "X509 CRL")


def crls_differ(current_data, desired_der):
    return crl_der_from_service(current_data) != desired_der


def crl_text(data):
    """The CRL as PEM text for module results (the service's blob is bytes)."""
    der = crl_der_from_service(data)
    return crl_pem(der) if der else None


def crl_issuer_problem(crl_der, bundle_ders):
    """None when a certificate of the bundle issued (and signed) the CRL, else a message saying why not."""
    require_cryptography()
    crl = x509.load_der_x509_crl(crl_der)
    certificates = [x509.load_der_x509_certificate(der) for der in bundle_ders]
    same_name = [cert for cert in certificates if cert.subject == crl.issuer]
    subjects = ", ".join(repr(cert.subject.rfc4514_string()) for cert in certificates) or "none"
    if not same_name:
        return "the CRL is issued by %r but the trust anchor's certificates are %s" % (crl.issuer.rfc4514_string(), subjects)
    if not any(_crl_signed_by(crl, cert) for cert in same_name):
        return "the CRL names %r as issuer but is not signed by that certificate of the trust anchor" % crl.issuer.rfc4514_string()
    return None


def _crl_signed_by(crl, certificate):
    try:
        return crl.is_signature_valid(certificate.public_key())
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
