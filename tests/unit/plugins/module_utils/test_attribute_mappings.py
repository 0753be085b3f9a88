# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile attribute mappings (_control_plane/attribute_mappings.py)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import attribute_mappings as r
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


def _mapping(field, specifiers):
    return {"certificate_field": field, "specifiers": specifiers}


def _index(predicted):
    return r.index_attribute_mappings(predicted)


def test_default_mappings_shape():
    assert _index(r.default_attribute_mappings()) == {"x509Subject": ["*"], "x509Issuer": ["*"], "x509SAN": ["DNS", "URI", "Name/*"]}


def test_listed_field_gets_exactly_the_listed_specifiers():
    plan = r.plan_attribute_mappings(r.default_attribute_mappings(), [_mapping("x509Subject", ["CN", "OU"])], purge=False)
    assert plan.operations == [
        r.MappingOperation("delete", "x509Subject", ["*"]),
        r.MappingOperation("put", "x509Subject", ["CN", "OU"]),
    ]
    assert _index(plan.predicted) == {"x509Subject": ["CN", "OU"], "x509Issuer": ["*"], "x509SAN": ["DNS", "URI", "Name/*"]}


def test_removing_specifiers_only_needs_a_delete():
    plan = r.plan_attribute_mappings(r.default_attribute_mappings(), [_mapping("x509SAN", ["DNS"])], purge=False)
    assert plan.operations == [r.MappingOperation("delete", "x509SAN", ["URI", "Name/*"])]


def test_empty_list_removes_the_field_mapping():
    plan = r.plan_attribute_mappings(r.default_attribute_mappings(), [_mapping("x509Issuer", [])], purge=False)
    assert plan.operations == [r.MappingOperation("delete", "x509Issuer", None)]
    assert "x509Issuer" not in _index(plan.predicted)


def test_purge_removes_unlisted_fields_such_as_the_issuer():
    plan = r.plan_attribute_mappings(r.default_attribute_mappings(), [_mapping("x509Subject", ["*"])], purge=True)
    assert plan.operations == [r.MappingOperation("delete", "x509Issuer", None), r.MappingOperation("delete", "x509SAN", None)]
    assert _index(plan.predicted) == {"x509Subject": ["*"]}


def test_same_specifiers_in_another_order_or_repeated_are_no_change():
    current = [{"certificateField": "x509SAN", "mappingRules": [{"specifier": "URI"}, {"specifier": "DNS"}]}]
    assert r.plan_attribute_mappings(current, [_mapping("x509SAN", ["DNS", "URI", "DNS"])], purge=True).operations == []


def test_adding_a_field_that_had_no_mapping():
    plan = r.plan_attribute_mappings([], [_mapping("x509Issuer", ["CN"])], purge=False)
    assert plan.operations == [r.MappingOperation("put", "x509Issuer", ["CN"])]
    # A field left with no rule by the service counts as unmapped.
    empty = [{"certificateField": "x509Issuer", "mappingRules": []}]
    assert r.plan_attribute_mappings(empty, [_mapping("x509Issuer", [])], purge=False).operations == []


def test_check_attribute_mappings():
    with pytest.raises(ConfigurationError, match="x509SAN twice"):
        r.check_attribute_mappings([_mapping("x509SAN", ["DNS"]), _mapping("x509SAN", ["URI"])])
    with pytest.raises(ConfigurationError, match="specifier '' of x509Subject"):
        r.check_attribute_mappings([_mapping("x509Subject", [""])])
    with pytest.raises(ConfigurationError, match="1 to 60"):
        r.check_attribute_mappings([_mapping("x509Subject", ["x" * 61])])
