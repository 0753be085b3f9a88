# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``credentials`` lookup's ``assume_role_arn``: a role (in another account) assumed with the Roles Anywhere session.

STS ``AssumeRole`` with the credentials CreateSession gave, through botocore (its endpoint settings, proxies and
retries, as every AWS SDK would do it for a profile with ``source_profile``). The chained credentials are cached
in the same cache as the Roles Anywhere session, keyed by that identity plus the assume-role parameters, so a run
makes one CreateSession and one AssumeRole per identity and role, whatever the number of hosts and forks.

Role chaining (a role assumed with a role session's credentials) is limited by AWS to one hour: see
``identifiers.validate_chained_duration``.
"""

from __future__ import annotations

import json

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_cache import cache_key

ASSUME_OPTIONS = ("assume_role_arn", "external_id", "assume_role_session_name", "assume_role_duration")
DEFAULT_SESSION_NAME = "rolesanywhere-fleet"


def check_assume_settings(settings):
    """Checks of the assume-role options (before any request); the settings with the duration as an int."""
    if not settings.get("assume_role_arn"):
        for name in ASSUME_OPTIONS[1:]:
            if settings.get(name):
                raise ConfigurationError("%s is given without assume_role_arn" % name,
                                         "Set assume_role_arn to the role to assume, or drop %s" % name)
        return settings
    identifiers.parse_role_arn(settings["assume_role_arn"], "assume_role_arn")
    identifiers.validate_external_id(settings.get("external_id") or None)
    identifiers.validate_role_session_name(settings.get("assume_role_session_name") or None, "assume_role_session_name")
    duration = settings.get("assume_role_duration")
    if duration not in (None, ""):
        try:
            duration = int(duration)
        except (TypeError, ValueError):
            pass
        settings["assume_role_duration"] = identifiers.validate_chained_duration(duration, "assume_role_duration")
    return settings


class ChainedIdentity:
    """Cache keys of the chained credentials: the Roles Anywhere identity's, plus the assume-role parameters."""

    __slots__ = ("key", "details_key", "failure_key", "state")

    def __init__(self, base, settings):
        parts = [base.key] + ["%s=%s" % (name, settings.get(name) or "") for name in ASSUME_OPTIONS]
        self.key = cache_key("lookup-chained", *parts)
        self.details_key = cache_key("lookup-details", self.key)
        self.failure_key = cache_key("lookup-failure", base.failure_key, self.key)
        self.state = base.state  # a new certificate is a new source identity: the chained entry goes stale with it


def assume_role(source, settings, region):
    """AssumeRole with the source credentials (the lookup's value); returns (value, payload, expires)."""
    # pylint: disable=import-outside-toplevel  # only a lookup that chains pays for botocore
    import botocore.session
    from botocore.config import Config

    verify = settings.get("ca_bundle") or None
    if not settings.get("validate_certs", True):
        verify = False
    client = botocore.session.Session().create_client(
        "sts", region_name=region, aws_access_key_id=source["access_key"], aws_secret_access_key=source["secret_key"],
        aws_session_token=source["session_token"], verify=verify, config=Config(retries={"mode": "standard"}))
    request = {"RoleArn": settings["assume_role_arn"],
               "RoleSessionName": settings.get("assume_role_session_name") or DEFAULT_SESSION_NAME}
    if settings.get("external_id"):
        request["ExternalId"] = settings["external_id"]
    if settings.get("assume_role_duration"):
        request["DurationSeconds"] = settings["assume_role_duration"]
    answer = client.assume_role(**request)
    credentials = answer["Credentials"]
    expiration = credentials["Expiration"]
    expiration_text = expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    value = {
        "access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
        "session_token": credentials["SessionToken"], "expiration": expiration_text,
        "role_arn": settings["assume_role_arn"], "assumed_role_arn": answer["AssumedRoleUser"]["Arn"],
        "source_identity": answer.get("SourceIdentity") or source.get("source_identity"),
    }
    payload = json.dumps({"Version": 1, "AccessKeyId": value["access_key"], "SecretAccessKey": value["secret_key"],
                          "SessionToken": value["session_token"], "Expiration": expiration_text}, separators=(",", ":"))
    return value, payload, expiration.timestamp()


def describe_failure(error, role_arn):
    """One line for a failed AssumeRole (botocore's ClientError or a connection error), with no secret in it."""
    response = getattr(error, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    message = (response.get("Error") or {}).get("Message") or str(error).splitlines()[0].rstrip(": ")  # no response body
    if code:
        return ("AssumeRole of %s with the Roles Anywhere session was refused: %s: %s. Check that the target role's "
                "trust policy names the Roles Anywhere role (and the external ID), and that this role may call "
                "sts:AssumeRole on it" % (role_arn, code, message))
    return "AssumeRole of %s with the Roles Anywhere session failed: %s" % (role_arn, message)
