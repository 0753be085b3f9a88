# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tag checks, conversion and plans of the control-plane modules (_control_plane/tags.py, over amazon.aws's tagging helpers)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import tags as r
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


@pytest.mark.parametrize(
    "current, desired, purge, to_set, to_unset",
    [
        ({"a": "1"}, None, True, {}, []),  # tags unset: never touched, even with purge
        ({"a": "1"}, {"a": "1"}, True, {}, []),
        ({"a": "1", "b": "2"}, {"a": "1"}, True, {}, ["b"]),
        ({"a": "1", "b": "2"}, {"a": "1"}, False, {}, []),
        ({"a": "1"}, {"a": "2", "c": "3"}, False, {"a": "2", "c": "3"}, []),
        ({"aws:cloudformation:stack-name": "s", "a": "1"}, {}, True, {}, ["a"]),  # aws: tags belong to AWS
        ({}, {}, True, {}, []),
    ],
)
def test_plan_tags(current, desired, purge, to_set, to_unset):
    plan = r.plan_tags(current, desired, purge)
    assert plan.to_set == to_set
    assert plan.to_unset == to_unset
    expected = dict(current) if desired is None else r.apply_tag_plan(current, plan)
    for key in to_unset:
        assert key not in expected
    assert all(expected[key] == value for key, value in to_set.items())


def test_tag_shapes_round_trip():
    tags = {"b": "2", "a": ""}
    assert r.dict_to_tags(tags) == [{"key": "a", "value": ""}, {"key": "b", "value": "2"}]
    assert r.tags_to_dict(r.dict_to_tags(tags)) == tags
    assert r.tags_to_dict(None) == {}


def test_check_tags_normalises_values_and_refuses_bad_ones():
    assert r.check_tags({"n": 3, "flag": True, "empty": None}) == {"n": "3", "flag": "True", "empty": ""}
    assert r.check_tags(None) is None
    with pytest.raises(ConfigurationError, match="reserved prefix aws:"):
        r.check_tags({"aws:x": "1"})
    with pytest.raises(ConfigurationError, match="key 'a&b' is not valid"):
        r.check_tags({"a&b": "1"})
    with pytest.raises(ConfigurationError, match="value of key 'a' is not valid"):
        r.check_tags({"a": "x" * 257})
    with pytest.raises(ConfigurationError, match="at most 50"):
        r.check_tags({"k%d" % i: "v" for i in range(51)})


def test_reserved_keys_in_any_case_are_never_purged():
    # AWS reserves the aws: prefix in any case; amazon.aws's compare_aws_tags only spares lower case.
    plan = r.plan_tags({"AWS:owner": "x", "Aws:y": "1", "a": "1"}, {}, True)
    assert plan.to_unset == ["a"]


def test_tag_values_compare_as_text():
    # check_tags normalises values to text; the plan compares the same way amazon.aws does.
    assert r.plan_tags({"n": "3"}, r.check_tags({"n": 3}), True) == r.TagPlan({}, [])
