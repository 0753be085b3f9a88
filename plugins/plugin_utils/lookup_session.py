# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``credentials`` lookup's work: check the settings, resolve the endpoint as the SDKs do, and get the credentials
from the shared cache or with one CreateSession (and, for ``assume_role_arn``, one AssumeRole).

The lookup plugin (plugins/lookup/credentials.py) holds its documentation and Ansible's side (options, errors).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ansible.utils.display import Display

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError, RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_cache import (
    CacheUnavailable,
    Fetched,
    Identity,
    LookupCache,
    SessionFailure,
)
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_chain import (
    ChainedIdentity,
    assume_role,
    check_assume_settings,
    describe_failure,
)

display = Display()
PLUGIN_NAME = "rolesanywhere.fleet.credentials"


def check_settings(settings):
    """Every cross-check that needs no file and no network; ConfigurationError on the first problem."""
    # Imported here, not at the top: a cache hit (every host but the first) then costs no cryptography import.
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers  # pylint: disable=import-outside-toplevel

    anchor = identifiers.validate_arns(settings["trust_anchor_arn"], settings["profile_arn"], settings["role_arn"])
    settings["duration_seconds"] = identifiers.validate_duration(settings["duration_seconds"])
    identifiers.validate_role_session_name(settings.get("role_session_name"))
    if settings.get("region"):
        plain, _fips = identifiers.plain_region(settings["region"])
        if plain != anchor["region"]:
            raise ConfigurationError(
                "region %s differs from the trust anchor's region %s" % (plain, anchor["region"]),
                "CreateSession must go to the trust anchor's region: drop region or set it to %s" % anchor["region"],
            )
    if settings.get("endpoint_url"):
        check_endpoint_url(settings["endpoint_url"])
    return settings


def check_endpoint_url(url):
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or not port_ok or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            "endpoint_url %r is not an http(s) URL" % (url,),
            "Use a URL such as https://rolesanywhere.us-east-1.amazonaws.com (no query string)",
        )


def fetch(settings):
    """Check the settings, load the signing material and call CreateSession once (on a cache miss).

    Errors before the request (settings, files, passphrase) propagate as they are and are not remembered:
    they cost no request, and a corrected passphrase must work at once. Errors of CreateSession itself are
    wrapped in SessionFailure, which the cache remembers for a minute. settings are as credentials() passes them:
    with the endpoint, CA bundle and client configuration already resolved.
    """
    # Imported here, not at the top: a cache hit (every host but the first) then costs no cryptography import.
    # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport, x509

    check_settings(settings)  # before any file is parsed or any request sent
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.tpm import TpmKeyOptions
    tpm = TpmKeyOptions(settings.get("tpm_key_password") or None, bool(settings.get("no_tpm_key_password")))
    material = x509.load_signing_material(settings["certificate"], settings.get("private_key"), settings.get("intermediates"), settings.get("passphrase"),
                                          pkcs11_module=settings.get("pkcs11_lib"), reuse_pin=bool(settings.get("reuse_pin")), tpm=tpm)
    display.vvv("%s: CreateSession for certificate serial %d (%s), role %s" % (PLUGIN_NAME, material.serial, material.source, settings["role_arn"]))
    try:
        credentials = transport.create_session(
            material, settings["trust_anchor_arn"], settings["profile_arn"], settings["role_arn"],
            region=settings.get("region") or None, duration_seconds=settings["duration_seconds"],
            role_session_name=settings.get("role_session_name"), verify_ssl=settings["validate_certs"],
            config=settings["client_config"],
        )
    except RolesAnywhereError as error:
        raise SessionFailure.wrapping(error) from None
    value = {
        "access_key": credentials.access_key_id,
        "secret_key": credentials.secret_access_key,
        "session_token": credentials.session_token,
        "expiration": credentials.expiration_text,
        "role_arn": credentials.role_arn or settings["role_arn"],
        "assumed_role_arn": credentials.assumed_role_arn,
        "source_identity": credentials.source_identity,
    }
    display.vvv("%s: got %s until %s" % (PLUGIN_NAME, credentials.assumed_role_arn, credentials.expiration_text))
    # As the helper does: an entry is good until the credentials expire or the certificate does, whichever is first.
    expires = min(credentials.expiration.timestamp(), material.not_after.timestamp())
    return Fetched(value, credentials.credential_process_json(), expires)


def _warn(message):
    display.warning("%s: %s" % (PLUGIN_NAME, message))


def client_config(settings):
    """The endpoint, FIPS/dual-stack switches, CA bundle and proxies, in the same order as the helper reads them.

    The lookup's own options come first where AWS's SDKs put an explicit setting (endpoint_url as the helper's
    --endpoint, ca_bundle before AWS_CA_BUNDLE); then the environment and the shared config file
    (``AWS_ENDPOINT_URL_ROLESANYWHERE``, ``AWS_ENDPOINT_URL``, ``services`` sections, ``AWS_USE_FIPS_ENDPOINT``...).
    """
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import sdk_config  # pylint: disable=import-outside-toplevel

    return sdk_config.load_client_config(
        os.environ, endpoint=settings.get("endpoint_url") or None,
        endpoint_option="endpoint_url", ca_bundle=settings.get("ca_bundle") or None, ca_bundle_option="ca_bundle",
    )


def credentials(settings, cache=None):
    """Credentials for settings: from the shared cache when fresh there, else one CreateSession (and, with
    assume_role_arn, the chained role's, cached the same way, else one AssumeRole)."""
    check_assume_settings(settings)  # before any request
    config = client_config(settings)
    # The cache key holds what the request really goes to, wherever it was configured.
    settings = dict(settings, endpoint_url=config.endpoint, ca_bundle=config.ca_bundle,
                    use_fips_endpoint=config.use_fips_endpoint, use_dualstack_endpoint=config.use_dualstack_endpoint,
                    client_config=config)
    try:
        identity = Identity(settings)
    except (TypeError, ValueError):
        check_settings(settings)  # names the option that is wrong (a duration that is not a number...)
        raise
    cache = cache or LookupCache(warn=_warn)
    try:
        value = cache.get_or_create(identity, lambda: fetch(settings))
    except CacheUnavailable as error:
        _warn("the credential cache cannot be used, so this evaluation calls CreateSession by itself (%s)" % error)
        value = fetch(settings).value
        if settings.get("assume_role_arn"):
            return chain(value, settings).value
        return value
    if not settings.get("assume_role_arn"):
        return value
    try:
        return cache.get_or_create(ChainedIdentity(identity, settings), lambda: chain(value, settings))
    except CacheUnavailable:
        return chain(value, settings).value


def chain(source, settings):
    """The chained role's credentials (AssumeRole with the Roles Anywhere session's); failures as SessionFailure."""
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers  # pylint: disable=import-outside-toplevel

    region = identifiers.plain_region(settings["region"])[0] if settings.get("region") else identifiers.region_from_arn(settings["trust_anchor_arn"])
    display.vvv("%s: AssumeRole %s with %s" % (PLUGIN_NAME, settings["assume_role_arn"], source["assumed_role_arn"]))
    try:
        value, payload, expires = assume_role(source, settings, region)
    except Exception as error:  # pylint: disable=broad-except  # botocore's errors: one clear line, no traceback
        raise SessionFailure(describe_failure(error, settings["assume_role_arn"]), "AssumeRoleError") from None
    return Fetched(value, payload, expires)
