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
      - A TPM key (C(handle:0x81xxxxxx) or a C(TSS2 PRIVATE KEY) file) signs in the TPM; see O(tpm_key_password).
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
  pkcs11_lib:
    description: O(certificate) and O(private_key) may be RFC 7512 C(pkcs11:) URIs of a token's objects (PIN from C(pin-source)
      or C(pin-value)), as the helper's; this is their PKCS#11 module, as C(--pkcs11-lib) (default C(p11-kit-proxy.so)).
    env: [{name: ROLESANYWHERE_PKCS11_LIB}]
    ini: [{section: rolesanywhere_fleet, key: pkcs11_lib}]
    version_added: 0.2.0
  reuse_pin:
    description: Give the user PIN again to a key that asks for it at every signature, as the helper's C(--reuse-pin).
    type: bool
    version_added: 0.2.0
  tpm_key_password:
    description:
      - Password of a TPM key, as the helper's C(--tpm-key-password). O(private_key) may be a TPM key, as the helper's
        C(--private-key) - a persistent handle C(handle:0x81xxxxxx) or a C(TSS2 PRIVATE KEY) file - which signs inside the
        controller's TPM (C(/dev/tpmrm0), or the TCTI in C(TPM2TOOLS_TCTI)).
      - Deliberately not read from C(ansible.cfg). Use a vaulted variable or the environment.
    type: str
    env: [{name: ROLESANYWHERE_TPM_KEY_PASSWORD}]
    version_added: 0.2.0
  no_tpm_key_password:
    description: The TPM key given as C(handle:0x81xxxxxx) has no password, as the helper's C(--no-tpm-key-password).
    type: bool
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

from ansible import errors as ansible_errors
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_cache import SessionFailure
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_chain import ASSUME_OPTIONS
from ansible_collections.rolesanywhere.fleet.plugins.plugin_utils.lookup_session import credentials

# ansible-core names the missing-required-option error only in newer releases; its parent class is older.
AnsibleRequiredOptionError = getattr(ansible_errors, "AnsibleRequiredOptionError", ansible_errors.AnsibleOptionsError)

CREDENTIAL_KEYS = ("access_key", "secret_key", "session_token")
REQUIRED_OPTIONS = ("certificate", "trust_anchor_arn", "profile_arn", "role_arn")
MATERIAL_OPTIONS = ("certificate", "private_key", "intermediates")
SETTING_OPTIONS = ("trust_anchor_arn", "profile_arn", "role_arn", "region", "endpoint_url", "ca_bundle",
                   "validate_certs", "duration_seconds", "role_session_name", "pkcs11_lib", "reuse_pin",
                   "no_tpm_key_password")


def _required(settings):
    missing = [name for name in REQUIRED_OPTIONS if not settings.get(name)]
    if missing:
        raise AnsibleLookupError(
            "missing required option(s) %s. Pass them to the lookup, or set ROLESANYWHERE_* environment "
            "variables or the [rolesanywhere_fleet] section of ansible.cfg" % ", ".join(missing)
        )


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
        settings = dict((name, self.get_option(name)) for name in ("passphrase", "tpm_key_password") + MATERIAL_OPTIONS + SETTING_OPTIONS + ASSUME_OPTIONS)
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
