# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource tags: the service's rules for keys and values, over amazon.aws's tag helpers.

Conversion between the service's shape ([{"key": ..., "value": ...}], lower-case keys unlike most AWS
APIs) and a dict, and the comparison that plans TagResource / UntagResource, are amazon.aws's
(module_utils/tagging.py), so tags behave here as in every amazon.aws module.
"""

from __future__ import annotations

import re
from collections import namedtuple

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from .._core.errors import ConfigurationError

# botocore model rolesanywhere 2018-05-10, shapes TagKey / TagValue: keys 1..128 and values 0..256 characters
# of [ a-zA-Z0-9_.:/=+@-]. A resource holds at most 50 tags (user-defined tags per resource, AWS's tagging
# quota; the TagList shape allows 200 per request).
MAX_TAGS = 50
_TAG_TEXT_RE = re.compile(r"^[ a-zA-Z0-9_.:/=+@-]*$")
# "The aws: prefix is reserved for AWS use", in any combination of upper and lower case
# (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
_RESERVED_PREFIX = "aws:"

TagPlan = namedtuple("TagPlan", ["to_set", "to_unset"])


def tags_to_dict(tag_list):
    """The service's tag list as a dict ({} for none)."""
    return boto3_tag_list_to_ansible_dict(tag_list or [], "key", "value")


def dict_to_tags(tags):
    """A tag dict in the service's shape, sorted by key (requests are the same from run to run)."""
    return ansible_dict_to_boto3_tag_list({key: tags[key] for key in sorted(tags or {})}, "key", "value")


def _is_reserved(key):
    return key.lower().startswith(_RESERVED_PREFIX)


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
        if _is_reserved(key):
            raise ConfigurationError("%s key %r uses the reserved prefix aws:" % (option, key), "Choose a key that does not start with aws:")
        if len(value) > 256 or not _TAG_TEXT_RE.match(value):
            raise ConfigurationError(
                "%s value of key %r is not valid" % (option, key),
                "Tag values have 0 to 256 characters: letters, digits, spaces and _ . : / = + @ -",
            )
        normalised[key] = value
    return normalised


def plan_tags(current, desired, purge):
    """Which tags to set and which keys to remove (amazon.aws's compare_aws_tags); tags unset change nothing.

    aws:* tags are never removed: AWS owns them. compare_aws_tags spares only the lower-case prefix, so
    keys AWS reserves in another case (AWS:, Aws:) are spared here as well.
    """
    if desired is None:
        return TagPlan({}, [])
    to_set, to_unset = compare_aws_tags(current or {}, desired, purge)
    return TagPlan(to_set, sorted(key for key in to_unset if not _is_reserved(key)))


def apply_tag_plan(current, plan):
    """The tags after the plan ran (check mode predicts with it)."""
    result = {key: value for key, value in (current or {}).items() if key not in plan.to_unset}
    result.update(plan.to_set)
    return result
