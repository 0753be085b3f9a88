# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""boto3 wrappers for the IAM Roles Anywhere control plane (amazon.aws style).

Every wrapper takes a client made by ``connect(module)`` (a retrying client: each call passes
``aws_retry=True`` so throttling at the 1 request/s control-plane quota is retried with jittered
backoff), and turns botocore errors into ``AnsibleRolesAnywhereError`` through
``RolesAnywhereErrorHandler``; modules run their AWS steps through ``module.guarded`` (failing.py), which ends
the module on that exception (``is_user_error`` tells whether a traceback belongs in the result).
Resources travel in the service's own camelCase shape; ``to_ansible`` converts them for results.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .resources import crl_text
from .tags import dict_to_tags
from .tags import tags_to_dict

# amazon.aws's AWSRetry knows "Throttling" and "TooManyRequestsException"; Roles Anywhere answers
# HTTP 429 "ThrottlingException" when a control-plane family goes over 1 request per second.
THROTTLING_ERROR_CODES = ["ThrottlingException", "TooManyRequestsException", "Throttling"]


class AnsibleRolesAnywhereError(AnsibleAWSError):
    """A Roles Anywhere API call failed (message says which; .exception holds botocore's error)."""


class RolesAnywhereErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRolesAnywhereError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


class ResourceKind:
    """What differs between trust anchors, profiles, CRLs and subjects in the API."""

    def __init__(self, key, label, resource_type, snake_name, create_verb="create"):
        self.key = key  # "trustAnchor": response key, and prefix of the id / ARN fields
        self.label = label  # "trust anchor": for messages
        self.resource_type = resource_type  # "trust-anchor": in ARNs
        self.list_key = key + "s"  # "trustAnchors"
        self.id_key = key + "Id"
        self.arn_key = key + "Arn"
        self.result_key = snake_name  # "trust_anchor": module result key and boto3 method suffix
        self.list_method = "list_%ss" % snake_name
        self.create_verb = create_verb  # "import" for a CRL (ImportCrl)

    def method(self, verb):
        return "%s_%s" % (verb, self.result_key)


TRUST_ANCHOR = ResourceKind("trustAnchor", "trust anchor", "trust-anchor", "trust_anchor")
PROFILE = ResourceKind("profile", "profile", "profile", "profile")
CRL = ResourceKind("crl", "CRL", "crl", "crl", create_verb="import")
SUBJECT = ResourceKind("subject", "subject", "subject", "subject")


# AWS error codes that mean the request or the caller is wrong (bad input, a missing resource, a missing
# permission, bad credentials): the user can fix them, so modules report them without a traceback.
USER_ERROR_CODES = frozenset(
    (
        "AccessDenied",
        "AccessDeniedException",
        "ExpiredToken",
        "ExpiredTokenException",
        "IncompleteSignature",
        "InvalidArgsException",
        "InvalidArnException",
        "InvalidClientTokenId",
        "InvalidParameterException",
        "InvalidPolicyException",
        "InvalidRequestException",
        "InvalidSignatureException",
        "InvalidStateException",
        "LimitExceeded",  # IAM (contain_policy): e.g. a role's inline policies over 10,240 characters
        "LimitExceededException",
        "MalformedCSRException",
        "MalformedPolicyDocument",  # IAM
        "NoSuchEntity",  # IAM: the role went away during the run
        "MissingAuthenticationToken",
        "ResourceNotFoundException",
        "SignatureDoesNotMatch",
        "TooManyTagsException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "ValidationException",
    )
)
# botocore exceptions (by class name, so that this file needs no botocore import) about the caller's own
# settings or arguments, caught before any request.
USER_ERROR_EXCEPTIONS = frozenset(("NoCredentialsError", "PartialCredentialsError", "NoRegionError", "ProfileNotFound", "ParamValidationError"))


def aws_error_code(exception):
    """The AWS error code of a botocore ClientError, or None."""
    response = getattr(exception, "response", None)
    if not isinstance(response, dict):
        return None
    return (response.get("Error") or {}).get("Code")


def is_user_error(error):
    """Whether an AnsibleAWSError is the user's to fix (see USER_ERROR_CODES), not an unexpected failure."""
    cause = error.exception
    if cause is None:  # a message of our own, no AWS exception behind it
        return True
    return aws_error_code(cause) in USER_ERROR_CODES or type(cause).__name__ in USER_ERROR_EXCEPTIONS


# S3 answers 503 "SlowDown" when a bucket is read too fast: botocore counts it as throttling
# (botocore/retries/standard.py, ThrottledRetryableChecker._THROTTLED_ERROR_CODES), amazon.aws's AWSRetry does not.
S3_THROTTLING_ERROR_CODES = ["SlowDown"]


def retry_decorator(extra_codes=()):
    """amazon.aws's jittered backoff, also on the throttling codes it lacks (THROTTLING_ERROR_CODES, extra_codes)."""
    return AWSRetry.jittered_backoff(catch_extra_error_codes=THROTTLING_ERROR_CODES + list(extra_codes))


def connect(module):
    """The module's rolesanywhere client (AWS settings read on the managed host), retrying throttling."""
    return module.client("rolesanywhere", retry_decorator=retry_decorator())


def request_supports(client, operation, field):
    """Whether the installed botocore knows a request field (newer fields need a newer botocore)."""
    shape = client.meta.service_model.operation_model(operation).input_shape
    return shape is not None and field in shape.members


# ---------------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------------


def _list_all(client, kind):
    # Paged by hand so that each page is retried on its own under throttling.
    method = getattr(client, kind.list_method)
    items = []
    kwargs = {}
    while True:
        page = method(aws_retry=True, **kwargs)
        items.extend(page.get(kind.list_key) or [])
        token = page.get("nextToken")
        if not token:
            return items
        kwargs = {"nextToken": token}


def list_resources(client, kind):
    """Every resource of this kind in the account and region. Fails "Failed to list trust anchors: ..."."""

    @RolesAnywhereErrorHandler.common_error_handler("list %ss" % kind.label)
    def call():
        return _list_all(client, kind)

    return call()


@RolesAnywhereErrorHandler.list_error_handler("get the resource", None)
def get_resource(client, kind, resource_id):
    """The resource with this id, or None when it does not exist."""
    method = getattr(client, kind.method("get"))
    return method(aws_retry=True, **{kind.id_key: resource_id})[kind.key]


@RolesAnywhereErrorHandler.list_error_handler("list tags", {})
def list_tags(client, arn):
    return tags_to_dict(client.list_tags_for_resource(aws_retry=True, resourceArn=arn).get("tags"))


# ---------------------------------------------------------------------------------------------------
# Writes shared by every resource
# ---------------------------------------------------------------------------------------------------


@RolesAnywhereErrorHandler.deletion_error_handler("delete the resource")
def delete_resource(client, kind, resource_id):
    getattr(client, kind.method("delete"))(aws_retry=True, **{kind.id_key: resource_id})
    return True


@RolesAnywhereErrorHandler.common_error_handler("enable or disable the resource")
def set_enabled(client, kind, resource_id, enabled):
    method = getattr(client, kind.method("enable" if enabled else "disable"))
    return method(aws_retry=True, **{kind.id_key: resource_id})[kind.key]


@RolesAnywhereErrorHandler.common_error_handler("tag the resource")
def tag_resource(client, arn, tags):
    client.tag_resource(aws_retry=True, resourceArn=arn, tags=dict_to_tags(tags))


@RolesAnywhereErrorHandler.common_error_handler("untag the resource")
def untag_resource(client, arn, keys):
    client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=list(keys))


def create_resource(client, kind, **params):
    """Create (for a CRL: import) a resource; the service's answer. Fails "Failed to create the trust anchor: ..."."""

    @RolesAnywhereErrorHandler.common_error_handler("%s the %s" % (kind.create_verb, kind.label))
    def call():
        return getattr(client, kind.method(kind.create_verb))(aws_retry=True, **params)[kind.key]

    return call()


def update_resource(client, kind, resource_id, **params):
    """Update* of a resource; the service's answer. Fails "Failed to update the profile: ..."."""

    @RolesAnywhereErrorHandler.common_error_handler("update the %s" % kind.label)
    def call():
        return getattr(client, kind.method("update"))(aws_retry=True, **{kind.id_key: resource_id}, **params)[kind.key]

    return call()


# ---------------------------------------------------------------------------------------------------
# Trust anchors
# ---------------------------------------------------------------------------------------------------


@RolesAnywhereErrorHandler.common_error_handler("put the trust anchor's notification settings")
def put_notification_settings(client, trust_anchor_id, settings):
    response = client.put_notification_settings(aws_retry=True, trustAnchorId=trust_anchor_id, notificationSettings=settings)
    return response["trustAnchor"]


@RolesAnywhereErrorHandler.common_error_handler("reset the trust anchor's notification settings")
def reset_notification_settings(client, trust_anchor_id, keys):
    response = client.reset_notification_settings(aws_retry=True, trustAnchorId=trust_anchor_id, notificationSettingKeys=keys)
    return response["trustAnchor"]


# ---------------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------------


@RolesAnywhereErrorHandler.common_error_handler("put an attribute mapping on the profile")
def put_attribute_mapping(client, profile_id, certificate_field, specifiers):
    rules = [{"specifier": specifier} for specifier in specifiers]
    return client.put_attribute_mapping(aws_retry=True, profileId=profile_id, certificateField=certificate_field, mappingRules=rules)["profile"]


@RolesAnywhereErrorHandler.common_error_handler("delete an attribute mapping from the profile")
def delete_attribute_mapping(client, profile_id, certificate_field, specifiers=None):
    params = {"profileId": profile_id, "certificateField": certificate_field}
    if specifiers:
        params["specifiers"] = list(specifiers)
    return client.delete_attribute_mapping(aws_retry=True, **params)["profile"]


# ---------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------


def _plain(value):
    """Timestamps as ISO 8601 text and blobs as text, so results and diffs are plain JSON."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def to_ansible(resource, tags=None):
    """A resource in the service's shape -> snake_case dict with tags as a dict ({} for no resource)."""
    if not resource:
        return {}
    resource = dict(resource)
    if "crlData" in resource:
        resource["crlData"] = crl_text(resource["crlData"])
    if tags is not None:
        resource["tags"] = dict(tags)
    return snake_case_keys(_plain(resource))


_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# User data: the keys below these keep their spelling (at any depth, unlike camel_dict_to_snake_dict's ignore_list).
USER_DATA_KEYS = ("tags", "properties")


def snake_case_keys(value):
    """camelCase keys -> snake_case at every level, except inside tags and instance properties."""
    if isinstance(value, list):
        return [snake_case_keys(item) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, item in value.items():
        snake = _WORD_BOUNDARY.sub("_", key).lower()
        converted[snake] = item if snake in USER_DATA_KEYS else snake_case_keys(item)
    return converted
