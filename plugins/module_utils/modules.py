# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module base class of the collection, and the steps every control-plane module shares.

``AnsibleRolesAnywhereModule`` is amazon.aws's ``AnsibleAWSModule`` that reports this collection's
name and version in the user agent (as community.aws does). The functions below find a resource by
id, ARN or name, keep its tags and its enabled flag, delete it and build the module result; each
``ensure_*`` returns ``(changed, resource)`` where resource is the (predicted, in check mode) state in
the service's shape with ``tags`` as a dict.
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from .api import AnsibleRolesAnywhereError
from .api import connect
from .api import delete_resource
from .api import get_resource
from .api import list_resources
from .api import list_tags
from .api import set_enabled
from .api import tag_resource
from .api import to_ansible
from .api import untag_resource
from .errors import RolesAnywhereError
from .resources import apply_tag_plan
from .resources import check_arn_region
from .resources import check_resource_id
from .resources import parse_resource_arn
from .resources import plan_tags

COLLECTION_NAME = "rolesanywhere.fleet"
COLLECTION_VERSION = "0.1.0"  # keep equal to galaxy.yml's version (a unit test checks it)

# A private key pasted by mistake into a certificate or CRL option must not come back in the
# result's invocation (module_args) or anywhere else.
_PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----", re.S)


class AnsibleRolesAnywhereModule(AnsibleAWSModule):
    """AnsibleAWSModule for this collection."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        self._hide_private_keys()

    def _hide_private_keys(self):
        """Register any PEM private key found in a text option as a no_log value (masked in all output)."""
        for value in self.params.values():
            if isinstance(value, str) and "PRIVATE KEY-----" in value:
                for block in _PRIVATE_KEY_BLOCK.findall(value):
                    self._module.no_log_values.add(block)

    def fail_input(self, error):
        """Refuse bad input (a RolesAnywhereError): message and hint, no traceback."""
        self.fail_json(msg=str(error))

    def validated(self, check, *args, **kwargs):
        """Run a resources.check_* function; bad input ends the module with its message."""
        try:
            return check(*args, **kwargs)
        except RolesAnywhereError as error:
            return self.fail_input(error)


# ---------------------------------------------------------------------------------------------------
# Finding a resource
# ---------------------------------------------------------------------------------------------------


def resource_id_from_params(module, kind, id_option, arn_option):
    """The id given by id_option or arn_option (validated, region checked), or None."""
    resource_id = module.params.get(id_option)
    arn = module.params.get(arn_option)
    if resource_id:
        return module.validated(check_resource_id, resource_id, id_option)
    if arn:
        parts = module.validated(parse_resource_arn, arn, kind.resource_type, arn_option)
        module.validated(check_arn_region, parts, module.region, arn_option)
        return parts["id"]
    return None


def find_by_name(module, client, kind, name):
    """The one resource of this kind with this name, or None; several are an error (names are not unique)."""
    matches = [item for item in list_resources(client, kind) if item.get("name") == name]
    if len(matches) > 1:
        ids = ", ".join(item[kind.id_key] for item in matches)
        module.fail_json(
            msg="%d %ss are named %r (ids %s). Names are not unique in Roles Anywhere: "
            "identify the one you mean by its id or ARN" % (len(matches), kind.label, name, ids)
        )
    return matches[0] if matches else None


def describe(client, kind, resource):
    """The resource with its tags (a dict) attached, or None."""
    if not resource:
        return None
    described = dict(resource)
    described["tags"] = list_tags(client, resource[kind.arn_key])
    return described


def find_resource(module, client, kind, resource_id=None, name=None):
    """The resource (with tags) by id, else by name; None when there is none."""
    if resource_id:
        return describe(client, kind, get_resource(client, kind, resource_id))
    if name:
        return describe(client, kind, find_by_name(module, client, kind, name))
    return None


def find_resources(client, kind, resource_id=None, name=None):
    """For _info modules: the resource with this id, those with this name, or all; each with its tags."""
    if resource_id:
        found = get_resource(client, kind, resource_id)
        items = [found] if found else []
    else:
        items = [item for item in list_resources(client, kind) if name is None or item.get("name") == name]
    return [describe(client, kind, item) for item in items]


def reread(client, kind, resource):
    """Read back the state after changes (the service fills in what a prediction cannot know)."""
    return describe(client, kind, get_resource(client, kind, resource[kind.id_key]))


# ---------------------------------------------------------------------------------------------------
# Aspects every resource has
# ---------------------------------------------------------------------------------------------------


def _with(resource, **changes):
    updated = dict(resource)
    updated.update(changes)
    return updated


def keep_tags(previous, updated):
    """An API answer has no tags: carry them over from the state we knew."""
    return _with(updated, tags=previous.get("tags") or {})


def ensure_enabled(client, kind, resource, enabled, check_mode):
    if enabled is None or resource.get("enabled") is enabled:
        return False, resource
    if check_mode:
        return True, _with(resource, enabled=enabled)
    return True, keep_tags(resource, set_enabled(client, kind, resource[kind.id_key], enabled))


def ensure_tags(client, kind, resource, tags, purge_tags, check_mode):
    plan = plan_tags(resource.get("tags") or {}, tags, purge_tags)
    if not plan.to_set and not plan.to_unset:
        return False, resource
    if not check_mode:
        arn = resource[kind.arn_key]
        if plan.to_unset:
            untag_resource(client, arn, plan.to_unset)
        if plan.to_set:
            tag_resource(client, arn, plan.to_set)
    return True, _with(resource, tags=apply_tag_plan(resource.get("tags"), plan))


def ensure_absent(client, kind, resource, check_mode):
    if not resource:
        return False
    if check_mode:
        return True
    delete_resource(client, kind, resource[kind.id_key])
    return True


def fail_missing(module, kind, resource_id):
    module.fail_json(
        msg="No %s has id %s in this account and region. To create one, give its name without an id or ARN"
        % (kind.label, resource_id)
    )


def exit_with_resources(module, result_key, resources):
    """End an _info module: a list (empty when nothing matched), never changed."""
    module.exit_json(changed=False, **{result_key: [to_ansible(resource) for resource in resources]})


def run_info_module(kind, option_prefix, result_key):
    """The whole of an _info module that finds one resource by id, ARN or name, or lists them all.

    Options: ``<option_prefix>_id`` (alias ``id``), ``<option_prefix>_arn`` (alias ``arn``) and ``name``.
    """
    id_option, arn_option = option_prefix + "_id", option_prefix + "_arn"
    module = AnsibleRolesAnywhereModule(
        argument_spec=dict(
            **{id_option: dict(type="str", aliases=["id"]), arn_option: dict(type="str", aliases=["arn"])},
            name=dict(type="str"),
        ),
        supports_check_mode=True,
        mutually_exclusive=[[id_option, arn_option, "name"]],
    )
    resource_id = resource_id_from_params(module, kind, id_option, arn_option)
    client = connect(module)
    resources = []
    try:
        resources = find_resources(client, kind, resource_id, module.params["name"])
    except AnsibleRolesAnywhereError as error:
        module.fail_json_aws_error(error)
    exit_with_resources(module, result_key, resources)


def exit_with_resource(module, kind, changed, before, after):
    """End the module: the resource under its own key (snake_case, tags as a dict) and the diff."""
    result = {"changed": changed, kind.result_key: to_ansible(after)}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": to_ansible(before), "after": to_ansible(after)}
    module.exit_json(**result)
