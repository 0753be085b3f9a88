# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: credentials
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
short_description: Short-lived AWS credentials from IAM Roles Anywhere, for the tasks of a play
version_added: 0.1.0
description:
  - Exchanges an X.509 certificate and its private key for temporary AWS credentials with IAM Roles Anywhere
    C(CreateSession), on the Ansible controller, and returns them as one dictionary whose keys are the
    names of the amazon.aws credential options (O(output=module_defaults) returns only those keys).
  - Lookups run on the controller. The certificate, key and CA bundle are read there, and C(CreateSession)
    leaves from the controller, whatever host the task targets.
  - The credentials are cached per identity (certificate, key, ARNs, region, endpoint, duration, session
    name) in the credential cache of the C(rolesanywhere.fleet) credential helper, so every host and every
    forked worker of a run, and later runs of the same user, use one session. Evaluated for 500 hosts, the
    lookup calls C(CreateSession) once. A new session is requested when the cached one has less than 5
    minutes left (or less than half of its lifetime, when that is shorter than 10 minutes), or when the
    certificate file changes.
  - The cache is a 0600 file per identity in the 0700 directory C($XDG_RUNTIME_DIR/rolesanywhere-fleet)
    (memory-backed and private to the user), or, without a usable C(XDG_RUNTIME_DIR), in the helper's
    C($XDG_CACHE_HOME/rolesanywhere-fleet) (C(~/.cache/rolesanywhere-fleet)). A lock per identity makes
    concurrent workers wait for one C(CreateSession) instead of sending their own.
  - Failures of C(CreateSession) (untrusted chain, wrong or disabled profile, throttling, unreachable endpoint)
    are remembered for 60 seconds, so the hosts of a play fail with the same message after one request.
  - C(CreateSession) goes through the proxy named by C(HTTPS_PROXY) (C(HTTP_PROXY) for an C(http://)
    endpoint), lower or upper case, unless C(NO_PROXY) lists the endpoint's host. Only C(http://) proxy URLs
    are supported; C(https://) endpoints are reached through a C(CONNECT) tunnel.
  - Every input is checked before any request is sent (ARN shapes, trust anchor and profile in the same
    region and account, region, duration range, session name, endpoint URL).
notes:
  - Unknown keys in module_defaults make amazon.aws modules fail with C(Unsupported parameters). Use
    O(output=module_defaults) when the dictionary goes into C(module_defaults) or straight into module options.
  - Do not pass the credentials through the C(environment) keyword, it shows them in C(-vvv) output.
    As module options, amazon.aws hides O(output=module_defaults)'s C(secret_key) and C(session_token)
    from logs. Use C(no_log) on any C(set_fact) or C(debug) task that handles the dictionary.
  - Uses no AWS credentials itself, so it does not take the amazon.aws connection options (access key,
    profile).
requirements:
  - python >= 3.8 on the controller
  - cryptography
  - botocore (only to resolve the endpoint when O(endpoint_url) is not set)
options:
  certificate:
    description:
      - The end-entity certificate. Either a file path or the PEM text itself.
      - Also accepts a combined PEM file (key and certificate, and optionally the chain) and a PKCS#12 file.
        With those, O(private_key) may be left out.
    type: str
    required: true
    env:
      - name: ROLESANYWHERE_CERTIFICATE
    ini:
      - section: rolesanywhere_fleet
        key: certificate
  private_key:
    description:
      - The certificate's private key, either a file path or the PEM text itself.
      - Accepts PKCS#8 (plain or encrypted), SEC1, PKCS#1 and DER.
      - RSA or EC P-256/P-384 keys only.
    type: str
    env:
      - name: ROLESANYWHERE_PRIVATE_KEY
    ini:
      - section: rolesanywhere_fleet
        key: private_key
  passphrase:
    description:
      - Passphrase of an encrypted private key or of a PKCS#12 file.
      - Deliberately not read from C(ansible.cfg). Use a vaulted variable or the environment.
    type: str
    env:
      - name: ROLESANYWHERE_PASSPHRASE
  intermediates:
    description:
      - Intermediate CA certificates between the leaf and the trust anchor.
      - A path or PEM text, or a list of those. Sent with the request as C(X-Amz-X509-Chain).
    type: raw
    env:
      - name: ROLESANYWHERE_INTERMEDIATES
    ini:
      - section: rolesanywhere_fleet
        key: intermediates
  trust_anchor_arn:
    description: ARN or alias ARN (C(arn:aws:rolesanywhere:REGION:ACCOUNT:alias/trust-anchor/NAME)) of the trust anchor.
    type: str
    required: true
    env:
      - name: ROLESANYWHERE_TRUST_ANCHOR_ARN
    ini:
      - section: rolesanywhere_fleet
        key: trust_anchor_arn
  profile_arn:
    description: ARN or alias ARN of the Roles Anywhere profile. It must be in the trust anchor's region and account.
    type: str
    required: true
    env:
      - name: ROLESANYWHERE_PROFILE_ARN
    ini:
      - section: rolesanywhere_fleet
        key: profile_arn
  role_arn:
    description: ARN of the IAM role to assume. The profile must list it.
    type: str
    required: true
    env:
      - name: ROLESANYWHERE_ROLE_ARN
    ini:
      - section: rolesanywhere_fleet
        key: role_arn
  region:
    description:
      - Region of the Roles Anywhere endpoint. Defaults to the region of O(trust_anchor_arn).
      - When set, it must be that region (C(CreateSession) only works there). A FIPS spelling such as
        C(fips-us-east-1) selects the FIPS endpoint.
    type: str
    env:
      - name: ROLESANYWHERE_REGION
    ini:
      - section: rolesanywhere_fleet
        key: region
  endpoint_url:
    description:
      - URL of the Roles Anywhere endpoint, for example a VPC endpoint or a test service.
      - The endpoint is chosen in the same order as the credential helper and AWS's own helper choose it
        (the table in the collection's docs/credential-helper.md) C(AWS_ENDPOINT_URL_ROLESANYWHERE), the
        C(services) section of the shared config file, this option, C(AWS_ENDPOINT_URL), the profile's
        C(endpoint_url), else the public endpoint of O(region). C(AWS_USE_FIPS_ENDPOINT) and
        C(AWS_USE_DUALSTACK_ENDPOINT) (or C(use_fips_endpoint)/C(use_dualstack_endpoint) in the shared config)
        select those endpoints; together with a custom endpoint they are refused, as AWS's SDKs refuse them.
    type: str
    aliases: [endpoint]
    env:
      - name: ROLESANYWHERE_ENDPOINT_URL
    ini:
      - section: rolesanywhere_fleet
        key: endpoint_url
  ca_bundle:
    description:
      - PEM file of the CA certificates that verify the endpoint's TLS certificate.
      - Defaults to C(AWS_CA_BUNDLE), else C(ca_bundle) of the profile in the shared config file, else the
        system trust store (the order of AWS's SDKs).
    type: path
    ini:
      - section: rolesanywhere_fleet
        key: ca_bundle
  validate_certs:
    description:
      - Verify the endpoint's TLS certificate. Turn this off only for testing.
    type: bool
    default: true
    env:
      - name: ROLESANYWHERE_VALIDATE_CERTS
    ini:
      - section: rolesanywhere_fleet
        key: validate_certs
  duration_seconds:
    description:
      - Requested session lifetime in seconds, from 900 to 43200.
      - The service may return a shorter one (the profile's duration, the certificate's end of validity). The
        returned RV(_raw.expiration) is the one that counts.
    type: int
    default: 3600
    env:
      - name: ROLESANYWHERE_DURATION_SECONDS
    ini:
      - section: rolesanywhere_fleet
        key: duration_seconds
  role_session_name:
    description:
      - Session name of the assumed role, 2 to 64 characters from letters, digits and C(+=,.@_-).
      - The profile must accept role session names. Without one, the service names the session after the
        certificate's serial number.
    type: str
    env:
      - name: ROLESANYWHERE_ROLE_SESSION_NAME
    ini:
      - section: rolesanywhere_fleet
        key: role_session_name
  assume_role_arn:
    description:
      - A role (in this account or another) to assume with the Roles Anywhere session (STS C(AssumeRole), role
        chaining); the lookup then returns that role's credentials.
      - The chained credentials are cached like the Roles Anywhere session, per identity and role, so a run still
        makes one C(CreateSession) per identity, and one C(AssumeRole) per role.
      - STS is reached as botocore reaches it (C(AWS_ENDPOINT_URL_STS), C(AWS_ENDPOINT_URL), proxies); O(ca_bundle)
        and O(validate_certs) apply to it too.
    type: str
    version_added: 0.2.0
  external_id:
    description: The external ID the role's trust policy requires (C(sts:ExternalId)); only with O(assume_role_arn).
    type: str
    version_added: 0.2.0
  assume_role_session_name:
    description:
      - Session name of the chained role, 2 to 64 characters from letters, digits and C(+=,.@_-); only with
        O(assume_role_arn). Default C(rolesanywhere-fleet).
      - Not O(role_session_name), which names the Roles Anywhere session.
    type: str
    version_added: 0.2.0
  assume_role_duration:
    description:
      - Lifetime of the chained credentials in seconds, 900 to 3600 (AWS limits role chaining to one hour); only
        with O(assume_role_arn). Default STS's, one hour.
    type: int
    version_added: 0.2.0
  output:
    description:
      - V(full) returns every key listed under RV(_raw).
      - V(module_defaults) returns only C(access_key), C(secret_key) and C(session_token), the keys that every
        amazon.aws module accepts. Use this for C(module_defaults) and module options, because amazon.aws
        modules reject unknown options such as C(expiration).
    type: str
    choices: [full, module_defaults]
    default: full
"""

EXAMPLES = r"""
# Every AWS task of the play uses the role. The lookup runs once per identity for the whole run,
# whatever the number of hosts and forks.
- name: Deploy with short-lived credentials
  hosts: web
  module_defaults:
    group/rolesanywhere.fleet.aws: >-
      {{ lookup('rolesanywhere.fleet.credentials',
                certificate='/etc/pki/ansible/controller.pem',
                private_key='/etc/pki/ansible/controller.key',
                trust_anchor_arn=trust_anchor_arn, profile_arn=profile_arn, role_arn=deploy_role_arn,
                output='module_defaults') }}
  tasks:
    - name: Who am I
      amazon.aws.aws_caller_info:
      register: caller

# Add endpoint_url or region (or any other amazon.aws option) with combine().
- name: Same, with a regional STS endpoint and a default region for every AWS module
  hosts: web
  module_defaults:
    group/rolesanywhere.fleet.aws: >-
      {{ lookup('rolesanywhere.fleet.credentials', certificate=cert, private_key=key,
                trust_anchor_arn=anchor, profile_arn=profile, role_arn=role, output='module_defaults')
         | combine({'region': 'eu-west-1', 'endpoint_url': sts_endpoint}) }}
  tasks:
    - name: List the buckets
      amazon.aws.s3_bucket_info:

# Straight into the options of one amazon.aws module.
- name: One task with the credentials as module options
  hosts: localhost
  tasks:
    - name: Upload the release
      vars:
        aws: "{{ lookup('rolesanywhere.fleet.credentials', output='module_defaults', certificate=cert, private_key=key,
                        trust_anchor_arn=anchor, profile_arn=profile, role_arn=role) }}"
      amazon.aws.s3_object:
        access_key: "{{ aws.access_key }}"
        secret_key: "{{ aws.secret_key }}"
        session_token: "{{ aws.session_token }}"
        region: eu-west-1
        bucket: releases
        object: app.tar.gz
        src: dist/app.tar.gz
        mode: put

# The full dictionary also says which role and when it expires. Keep no_log on tasks that show it.
- name: Show who the play runs as (no secrets)
  hosts: localhost
  tasks:
    - name: Role and expiry
      ansible.builtin.debug:
        msg: "{{ creds.assumed_role_arn }} until {{ creds.expiration }}"
      vars:
        creds: "{{ lookup('rolesanywhere.fleet.credentials') }}"  # every option from ROLESANYWHERE_* / ansible.cfg

# Settings in ansible.cfg instead of every call:
#   [rolesanywhere_fleet]
#   certificate = /etc/pki/ansible/controller.pem
#   private_key = /etc/pki/ansible/controller.key
#   trust_anchor_arn = arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/...
#   profile_arn = arn:aws:rolesanywhere:eu-west-1:111122223333:profile/...
#   role_arn = arn:aws:iam::111122223333:role/deploy
"""

RETURN = r"""
_raw:
  description:
    - One dictionary. C(lookup) returns it, and C(query) returns it inside a list.
    - Its first three keys are amazon.aws option names. With O(output=module_defaults) only those three are returned.
  type: list
  elements: dict
  contains:
    access_key:
      description: Temporary access key ID (C(ASIA...)).
      type: str
    secret_key:
      description: Temporary secret access key.
      type: str
    session_token:
      description: Session token belonging to the access key.
      type: str
    expiration:
      description: When the credentials expire, in ISO 8601 UTC (C(2024-07-06T12:38:59Z)).
      type: str
    role_arn:
      description: ARN of the IAM role (O(assume_role_arn) when given).
      type: str
    assumed_role_arn:
      description: ARN of the assumed-role session (C(arn:aws:sts::<account>:assumed-role/<role>/<session>)).
      type: str
    source_identity:
      description: Source identity of the session, the certificate subject's common name.
      type: str
"""

import os
from urllib.parse import urlsplit

from ansible import errors as ansible_errors
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
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
    ASSUME_OPTIONS,
    ChainedIdentity,
    assume_role,
    check_assume_settings,
    describe_failure,
)

display = Display()
# ansible-core names the missing-required-option error only in newer releases; its parent class is older.
AnsibleRequiredOptionError = getattr(ansible_errors, "AnsibleRequiredOptionError", ansible_errors.AnsibleOptionsError)

PLUGIN_NAME = "rolesanywhere.fleet.credentials"
CREDENTIAL_KEYS = ("access_key", "secret_key", "session_token")
REQUIRED_OPTIONS = ("certificate", "trust_anchor_arn", "profile_arn", "role_arn")
MATERIAL_OPTIONS = ("certificate", "private_key", "intermediates")
SETTING_OPTIONS = ("trust_anchor_arn", "profile_arn", "role_arn", "region", "endpoint_url", "ca_bundle",
                   "validate_certs", "duration_seconds", "role_session_name")


def _required(settings):
    missing = [name for name in REQUIRED_OPTIONS if not settings.get(name)]
    if missing:
        raise AnsibleLookupError(
            "missing required option(s) %s. Pass them to the lookup, or set ROLESANYWHERE_* environment "
            "variables or the [rolesanywhere_fleet] section of ansible.cfg" % ", ".join(missing)
        )


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
    material = x509.load_signing_material(settings["certificate"], settings.get("private_key"), settings.get("intermediates"),
                                          settings.get("passphrase"))
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


def shape(value, output):
    if output == "module_defaults":
        return dict((name, value[name]) for name in CREDENTIAL_KEYS)
    return dict(value)


class LookupModule(LookupBase):
    """rolesanywhere.fleet.credentials: CreateSession on the controller, cached per identity in the helper's cache."""

    def run(self, terms, variables=None, **kwargs):
        if terms:
            raise AnsibleLookupError(
                "this lookup takes no positional terms, only named options (certificate=..., trust_anchor_arn=..., ...)"
            )
        self._check_option_names(kwargs)
        try:
            self.set_options(var_options=variables, direct=kwargs)
        except AnsibleRequiredOptionError as error:
            raise AnsibleLookupError(
                "%s Pass it to the lookup, or set %s or the [rolesanywhere_fleet] section of ansible.cfg"
                % (error.message, " / ".join(self._sources_of(error.message)))
            ) from None
        settings = dict((name, self.get_option(name)) for name in ("passphrase",) + MATERIAL_OPTIONS + SETTING_OPTIONS + ASSUME_OPTIONS)
        output = self.get_option("output")
        _required(settings)
        try:
            value = credentials(settings)
        except (RolesAnywhereError, SessionFailure) as error:
            # Ansible prefixes "The lookup plugin 'rolesanywhere.fleet.credentials' failed: ": the core's message follows.
            raise AnsibleLookupError(str(error)) from None
        return [shape(value, output)]

    def _sources_of(self, message):
        """The environment variables of the option named in message (for the hint)."""
        for name, definition in self.option_definitions.items():
            if "'%s'" % name in message:
                return [entry["name"] for entry in definition.get("env") or ()] or ["it"]
        return ["its ROLESANYWHERE_* environment variable"]

    def _check_option_names(self, given):
        """A misspelt option would otherwise be ignored silently (Ansible drops unknown direct options)."""
        known = set()
        for name, definition in self.option_definitions.items():
            known.add(name)
            known.update(definition.get("aliases") or ())
        unknown = sorted(set(given) - known)
        if unknown:
            raise AnsibleLookupError(
                "unknown option(s) %s. Known options: %s" % (", ".join(unknown), ", ".join(sorted(self.option_definitions)))
            )
