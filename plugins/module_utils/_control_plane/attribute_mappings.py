# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile attribute mappings (which certificate fields become session tags): validate the module's list
and plan PutAttributeMapping / DeleteAttributeMapping, in the service's (camelCase) shapes, without calling AWS."""

from __future__ import annotations

from collections import namedtuple

from .._core.errors import ConfigurationError
from .resources import unique_in_order

# botocore model rolesanywhere 2018-05-10: CertificateField enum; MappingRule.specifier 0..60 characters
# (the module refuses an empty one); a new profile's mappings as CreateProfile returns them.
CERTIFICATE_FIELDS = ("x509Subject", "x509Issuer", "x509SAN")
DEFAULT_ATTRIBUTE_MAPPINGS = (
    ("x509Subject", ("*",)),
    ("x509Issuer", ("*",)),
    ("x509SAN", ("DNS", "URI", "Name/*")),
)
MAX_SPECIFIER_LENGTH = 60

MappingPlan = namedtuple("MappingPlan", ["operations", "predicted"])
MappingOperation = namedtuple("MappingOperation", ["action", "certificate_field", "specifiers"])


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
