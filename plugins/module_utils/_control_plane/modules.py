# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module base class of the collection, and the steps every control-plane module shares.

``AnsibleRolesAnywhereModule`` is amazon.aws's ``AnsibleAWSModule`` that reports this collection's
name and version in the user agent (as community.aws does), and ends the module on a user error
(bad input, a missing resource or permission) without a traceback: its ``guarded`` (failing.py) runs
every step that may fail, and ends the module on a RolesAnywhereError or an AWS error, user errors
without a traceback, unexpected AWS errors with it.

``ResourceFlow`` is the present/absent flow of trust_anchor, profile and crl (find by id, ARN or
name; create, or update fields, enabled flag and tags; delete; check mode; diff); each module
subclasses it with what is its own. The functions below it find a resource, keep its tags and its
enabled flag, delete it and build the module result; each ``ensure_*`` returns ``(changed, resource)``
where resource is the (predicted, in check mode) state in the service's shape with ``tags`` as a dict.
"""

from __future__ import annotations


from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.amazon.aws.plugins.module_utils.botocore import gather_sdk_versions
from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from .api import connect
from .api import create_resource
from .api import delete_resource
from .api import get_resource
from .api import is_user_error
from .api import list_resources
from .api import list_tags
from .api import request_supports
from .api import set_enabled
from .api import tag_resource
from .api import to_ansible
from .api import untag_resource
from .api import update_resource
from .._core.errors import RolesAnywhereError
from .._core.pem import PRIVATE_KEY_BLOCK_RE
from .failing import FailsWithoutTraceback
from .resources import check_alias_name
from .resources import check_arn_region
from .resources import check_name
from .resources import check_resource_id
from .resources import parse_resource_arn
from .tags import apply_tag_plan
from .tags import check_tags
from .tags import dict_to_tags
from .tags import plan_tags

COLLECTION_NAME = "rolesanywhere.fleet"
COLLECTION_VERSION = "0.1.0"  # keep equal to galaxy.yml's version (a unit test checks it)


class AnsibleRolesAnywhereModule(FailsWithoutTraceback, AnsibleAWSModule):
    """AnsibleAWSModule for this collection; guarded() also ends the module on AWS errors."""

    guarded_errors = (RolesAnywhereError, AnsibleAWSError)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        self._hide_private_keys()

    def _hide_private_keys(self):
        """Register any PEM private key found in a text option as a no_log value (masked in all output)."""
        for value in self.params.values():
            if isinstance(value, str) and "PRIVATE KEY-----" in value:
                # A private key pasted by mistake into a certificate or CRL option must not come back in the
                # result's invocation (module_args) or anywhere else.
                for block in PRIVATE_KEY_BLOCK_RE.findall(value):
                    self._module.no_log_values.add(block)

    def is_user_error(self, error):
        """RolesAnywhereErrors are; AWS errors are when api.is_user_error says so (bad input, access, missing)."""
        return not isinstance(error, AnsibleAWSError) or is_user_error(error)

    def fail_unexpected(self, error):
        self.fail_json_aws_error(error)

    def refuse(self, error):
        if isinstance(error, AnsibleAWSError):
            self.fail_aws_user_error(error)
        self.fail_user_error(str(error))

    def fail_aws_user_error(self, error):
        """End the module on an AWS error the user can fix: what AWS said, no traceback.

        The result carries what amazon.aws's fail_json_aws gives (message, the error and response
        metadata, boto3 and botocore versions) except the traceback.
        """
        cause = error.exception
        if cause is None:
            self.fail_user_error(error.message)
        details = dict(gather_sdk_versions())
        response = getattr(cause, "response", None)
        if isinstance(response, dict):
            details.update(camel_dict_to_snake_dict(response))
        self.fail_user_error("%s: %s" % (error.message, to_native(getattr(cause, "message", cause))), **details)


# ---------------------------------------------------------------------------------------------------
# Finding a resource
# ---------------------------------------------------------------------------------------------------


def resource_id_from_params(module, kind, id_option, arn_option):
    """The identifier given by id_option or arn_option (validated, region checked), or None.

    An ID, or the ID of a canonical ARN; an alias ARN is returned whole: every Get/Update/Delete call takes
    it in place of the ID (TrustAnchorIdentifier, ProfileIdentifier, CrlIdentifier in botocore's model), and
    the resource found carries its ID for what follows.
    """
    resource_id = module.params.get(id_option)
    arn = module.params.get(arn_option)
    if resource_id:
        return module.validated(check_resource_id, resource_id, id_option)
    if arn:
        parts = module.validated(parse_resource_arn, arn, kind.resource_type, arn_option)
        module.validated(check_arn_region, parts, module.region, arn_option)
        return parts["resource_id"] or parts["arn"]
    return None


def find_by_name(module, client, kind, name):
    """The one resource of this kind with this name, or None; several are an error (names are not unique)."""
    matches = [item for item in list_resources(client, kind) if item.get("name") == name]
    if len(matches) > 1:
        ids = ", ".join(item[kind.id_key] for item in matches)
        module.fail_user_error(
            "%d %ss are named %r (ids %s). Names are not unique in Roles Anywhere: "
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
    module.fail_user_error(
        "No %s has id %s in this account and region. To create one, give its name without an id or ARN"
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
    resources = module.guarded(find_resources, client, kind, resource_id, module.params["name"])
    exit_with_resources(module, result_key, resources)


def exit_with_resource(module, kind, changed, before, after):
    """End the module: the resource under its own key (snake_case, tags as a dict) and the diff."""
    result = {"changed": changed, kind.result_key: to_ansible(after)}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": to_ansible(before), "after": to_ansible(after)}
    module.exit_json(**result)


def predict_fields(resource, update):
    """The resource after an Update* call (check mode): a changed alias has a new (unknown) alias ARN."""
    predicted = dict(resource, **update)
    if "aliasName" in update:
        predicted.pop("aliasArn", None)
        if not update["aliasName"]:
            predicted.pop("aliasName")
    return predicted


# ---------------------------------------------------------------------------------------------------
# The present/absent flow of trust_anchor, profile and crl
# ---------------------------------------------------------------------------------------------------


def resource_argument_spec(id_option, arn_option, **own_options):
    """Options every present/absent module has (state, name, id, ARN, enabled, alias, tags), plus its own."""
    spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        enabled=dict(type="bool"),
        alias_name=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    spec[id_option] = dict(type="str", aliases=["id"])
    spec[arn_option] = dict(type="str", aliases=["arn"])
    spec.update(own_options)
    return spec


class ResourceFlow:
    """What a present/absent module does; a module subclasses it with what is its own.

    Class attributes a subclass sets: ``kind`` (api.ResourceKind), ``update_operation`` (the API's
    Update* operation, to check that botocore knows newer fields), ``own_mutually_exclusive``;
    ``newer_fields`` maps an option
    to (request field, what it needs when not "a botocore release that knows the field").

    Hooks, in the order they run: ``own_options`` (argument spec), ``validate_own`` (before any request),
    ``resolve`` (look up what the desired state refers to), then for a new resource ``create_request``,
    ``predict_created`` (check mode) and ``after_create``; for an existing one ``check_existing``
    (refuse what cannot change in place), ``planned_fields``, ``before_update`` and ``own_steps``
    (aspects set by their own calls, run before the enabled flag and the tags).
    """

    kind = None
    update_operation = None
    own_mutually_exclusive = ()
    newer_fields = {"alias_name": ("aliasName", None)}

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.client = None

    # -- hooks --------------------------------------------------------------------------------------

    @classmethod
    def own_options(cls):
        """The module's own argument spec entries (the shared ones come from resource_argument_spec)."""
        raise NotImplementedError

    def validate_own(self):
        """Check the module's own options before any request."""

    def resolve(self):
        """Look up what the desired state refers to (state=present, after the resource was looked for)."""

    def create_request(self):
        """The Create call's own fields (name included); refuse what is missing to create."""
        raise NotImplementedError

    def predict_created(self, predicted, request):  # pylint: disable=unused-argument
        """The new resource in check mode, from what create_request asked for."""
        return predicted

    def after_create(self, resource):
        """Aspects a Create call cannot set (their own calls, or their prediction in check mode)."""
        return resource

    def check_existing(self, current):
        """Refuse what cannot change on an existing resource, before any change."""

    def planned_fields(self, current):  # pylint: disable=unused-argument
        """The module's own Update fields that differ (only options the user set)."""
        return {}

    def before_update(self, current, update):
        """Checks that need the planned update (after the plan, before any change)."""

    def own_steps(self):
        """Functions resource -> (changed, resource), each setting one aspect by its own calls."""
        return []

    # -- the flow -----------------------------------------------------------------------------------

    def require_name(self):
        if not self.params["name"]:
            self.module.fail_user_error("name is required to create a %s" % self.kind.label)

    def validate_params(self):
        """Check every option before any request."""
        params = self.params
        if params["name"] is not None:
            self.module.guarded(check_name, params["name"])
        if params["alias_name"] is not None:
            self.module.guarded(check_alias_name, params["alias_name"])
        params["tags"] = self.module.guarded(check_tags, params["tags"])
        self.validate_own()

    def check_botocore_fields(self):
        for option, (field, needs) in self.newer_fields.items():
            if self.params[option] is not None and not request_supports(self.client, self.update_operation, field):
                needs = needs or "a botocore release that knows the %s field" % field
                self.module.fail_user_error("%s needs %s: upgrade botocore and boto3" % (option, needs))

    def create(self):
        params = self.params
        request = self.create_request()
        if params["enabled"] is not None:
            request["enabled"] = params["enabled"]
        if params["alias_name"]:
            request["aliasName"] = params["alias_name"]
        if params["tags"]:
            request["tags"] = dict_to_tags(params["tags"])
        if self.check_mode:
            predicted = {key: value for key, value in request.items() if key != "tags"}
            return self.predict_created(dict(predicted, tags=params["tags"] or {}), request)
        return dict(create_resource(self.client, self.kind, **request), tags=params["tags"] or {})

    def planned_update(self, current, identified_by_name):
        """The Update call's fields that differ (only options the user set)."""
        params = self.params
        update = {}
        if params["name"] and not identified_by_name and params["name"] != current.get("name"):
            update["name"] = params["name"]
        update.update(self.planned_fields(current))
        if params["alias_name"] is not None and params["alias_name"] != (current.get("aliasName") or ""):
            update["aliasName"] = params["alias_name"]
        return update

    def ensure_fields(self, current, update):
        if not update:
            return False, current
        self.before_update(current, update)
        if self.check_mode:
            return True, predict_fields(current, update)
        return True, keep_tags(current, update_resource(self.client, self.kind, current[self.kind.id_key], **update))

    def ensure_present(self, current, identified_by_name):
        if current is None:
            return True, self.after_create(self.create())
        self.check_existing(current)
        changed, resource = self.ensure_fields(current, self.planned_update(current, identified_by_name))
        params, kind = self.params, self.kind
        steps = self.own_steps() + [
            lambda res: ensure_enabled(self.client, kind, res, params["enabled"], self.check_mode),
            lambda res: ensure_tags(self.client, kind, res, params["tags"], params["purge_tags"], self.check_mode),
        ]
        for step in steps:
            step_changed, resource = step(resource)
            changed |= step_changed
        return changed, resource

    def apply(self, resource_id):
        """(changed, state before, state after) for state=present or absent."""
        current = find_resource(self.module, self.client, self.kind, resource_id, self.params["name"])
        if self.params["state"] == "absent":
            return ensure_absent(self.client, self.kind, current, self.check_mode), current, None
        if current is None and resource_id:
            fail_missing(self.module, self.kind, resource_id)
        self.resolve()
        changed, after = self.ensure_present(current, resource_id is None)
        if changed and not self.check_mode:
            after = reread(self.client, self.kind, after)
        return changed, current, after

    @classmethod
    def run(cls):
        """The whole of the module's main()."""
        kind_prefix = cls.kind.result_key
        id_option, arn_option = kind_prefix + "_id", kind_prefix + "_arn"
        module = AnsibleRolesAnywhereModule(
            argument_spec=resource_argument_spec(id_option, arn_option, **cls.own_options()),
            supports_check_mode=True,
            mutually_exclusive=[list(group) for group in cls.own_mutually_exclusive] + [[id_option, arn_option]],
            required_one_of=[["name", id_option, arn_option]],
        )
        flow = cls(module)
        flow.validate_params()
        resource_id = resource_id_from_params(module, cls.kind, id_option, arn_option)
        flow.client = connect(module)
        flow.check_botocore_fields()
        changed, current, after = module.guarded(flow.apply, resource_id)
        exit_with_resource(module, cls.kind, changed, current, after)
