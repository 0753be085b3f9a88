# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper's command line and the files that carry it: AWS config profile block and systemd unit."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Optional

from .._core.identifiers import region_from_arn
from .._core.pkcs11_uri import format_uri
from .chained import chained_sections

DEFAULT_SESSION_DURATION = 3600
PASSPHRASE_NAME = "private-key.passphrase"
PIN_NAME = "pkcs11.pin"  # enroll_key_store=pkcs11: the token's PIN, the helper's pin-source file in the slot
# The markers blockinfile writes around the profile, so that a re-run replaces only its own block.
PROFILE_MARKER = "# {mark} rolesanywhere.fleet profile %s"
UNIT_HEADER = "# Managed by rolesanywhere.fleet.enroll (Ansible): edits are overwritten."


@dataclass
class HelperSettings:  # pylint: disable=too-many-instance-attributes
    """The role's variables that go into the helper's command line (paths as the host sees them)."""
    helper: str  # rolesanywhere or aws_signing_helper
    helper_file: str
    trust_anchor_arn: str
    profile_arn: str
    role_arn: str
    region: str = ""
    endpoint_url: str = ""
    ca_bundle_file: Optional[str] = None  # set when enroll_ca_bundle is
    session_duration: int = DEFAULT_SESSION_DURATION
    role_session_name: str = ""
    key_passphrase: str = ""
    helper_cache: bool = True
    failover: tuple = ()  # --failover values of enroll_regions (regions.failover_sets), tried after the first set
    # enroll_key_store=pkcs11: the module, the token's label and the key label (token.key_label); '' for key files
    pkcs11_module: str = ""
    pkcs11_token_label: str = ""
    pkcs11_key_label: str = ""
    # enroll_key_store=tpm: the key file's name in the slot, env(1)'s words naming the TPM (tpm_key.helper_environment)
    # and the key's password (AWS's --tpm-key-password: on the command line, as with AWS's helper)
    tpm_key_name: str = ""
    tpm_environment: tuple = ()
    tpm_key_password: str = ""
    # enroll_tpm_persistent_handle: ``handle:0x...`` of the material the command line is for (decide.py gives each
    # slot's, tpm_handle.slot_handle), given to --private-key instead of the key file; '' for the key file
    tpm_key_handle: str = ""

    @property
    def cache_wanted(self):
        return self.helper == "rolesanywhere" and bool(self.helper_cache)


def helper_argv(settings, material_dir, with_chain, command="credential-process", use_cache=False, extra=()):
    """The helper's argv for the material in material_dir.

    AWS_CA_BUNDLE goes through env(1) because credential_process runs without a shell. The passphrase goes in a
    0600 file beside the key for this collection's helper (--pkcs8-password-file), so it is in no command line;
    AWS's helper lacks that flag and gets --pkcs8-password.
    """
    environment = (["AWS_CA_BUNDLE=" + settings.ca_bundle_file] if settings.ca_bundle_file else []) + list(settings.tpm_environment)
    argv = ["/usr/bin/env"] + environment if environment else []
    argv += [settings.helper_file, command, "--certificate", material_dir + "/certificate.pem",
             "--private-key", private_key_argument(settings, material_dir)]
    if with_chain:
        argv += ["--intermediates", material_dir + "/chain.pem"]
    argv += ["--trust-anchor-arn", settings.trust_anchor_arn, "--profile-arn", settings.profile_arn,
             "--role-arn", settings.role_arn]
    if settings.region:
        argv += ["--region", settings.region]
    if settings.endpoint_url:
        argv += ["--endpoint", settings.endpoint_url]
    for value in settings.failover:
        argv += ["--failover", value]
    if int(settings.session_duration) != DEFAULT_SESSION_DURATION:
        argv += ["--session-duration", str(int(settings.session_duration))]
    if settings.role_session_name:
        argv += ["--role-session-name", settings.role_session_name]
    if settings.key_passphrase and settings.helper == "rolesanywhere":
        argv += ["--pkcs8-password-file", material_dir + "/" + PASSPHRASE_NAME]
    elif settings.key_passphrase:
        argv += ["--pkcs8-password", settings.key_passphrase]
    if settings.pkcs11_module:
        argv += ["--pkcs11-lib", settings.pkcs11_module]
    if settings.tpm_key_name:
        argv += ["--tpm-key-password", settings.tpm_key_password] if settings.tpm_key_password else ["--no-tpm-key-password"]
    if use_cache:
        argv += ["--cache"]
    return argv + list(extra)


def private_key_argument(settings, material_dir):
    """--private-key: the key file in the slot, or with a key in a token its RFC 7512 URI (AWS's helper's form,
    cmd/credentials.go: pkcs11: URIs in --private-key with --pkcs11-lib): token and key label only, so that the
    helper takes, of the keys with that label, the one that proves the certificate (both helpers' getPKCS11Key),
    with the PIN from the slot's pin-source file, never from the command line. A TPM key kept at a persistent handle
    is ``handle:0x81...``, as AWS's helper takes it (aws_signing_helper/signer.go GetSigner, tpm_signer.go
    GetTPMv2Signer)."""
    if settings.tpm_key_handle:
        return settings.tpm_key_handle
    if settings.tpm_key_name:
        return material_dir + "/" + settings.tpm_key_name  # a TSS2 key file (tpm_key.py)
    if not settings.pkcs11_module:
        return material_dir + "/private-key.pem"
    return format_uri({"token": settings.pkcs11_token_label.encode("utf-8"), "object": settings.pkcs11_key_label.encode("utf-8")},
                      {"pin-source": (material_dir + "/" + PIN_NAME).encode("utf-8")})


def command_line(argv):
    """argv as one credential_process line, split back the way the AWS CLI and SDKs split it (shlex)."""
    return " ".join(shlex.quote(argument) for argument in argv)


def profile_section(aws_profile):
    return "default" if aws_profile == "default" else "profile " + aws_profile


def profile_block(settings, aws_profile, material_dir, with_chain, chained=()):
    """The lines of the AWS config profile (between blockinfile's markers), then the chained profiles that assume
    roles with its credentials (chained.py, checked entries); the region defaults to the trust anchor's."""
    argv = helper_argv(settings, material_dir, with_chain, use_cache=settings.cache_wanted)
    region = settings.region or region_from_arn(settings.trust_anchor_arn)
    return "[%s]\ncredential_process = %s\nregion = %s\n%s" % (
        profile_section(aws_profile), command_line(argv), region, chained_sections(chained, aws_profile, region))


def systemd_quote(argument):
    """One ExecStart argument in systemd's own quoting, not the shell's: double quotes with \\ and " escaped, and %
    and $ doubled, because systemd expands specifiers (%h) and environment variables ($HOME) inside ExecStart."""
    text = str(argument).replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return '"%s"' % text


def systemd_unit(argv, command, aws_profile, user, header=UNIT_HEADER):
    """The unit file running the helper's serve or update with argv."""
    return "\n".join([
        header,
        "[Unit]",
        "Description=IAM Roles Anywhere credentials (%s) for profile %s" % (command, aws_profile),
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "User=%s" % user,
        "ExecStart=" + " ".join(systemd_quote(argument) for argument in argv),
        "Restart=on-failure",
        "RestartSec=30",
        "NoNewPrivileges=true",
        "ProtectSystem=full",
        "PrivateTmp=true",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


def unit_argv(settings, material_dir, with_chain, command, serve_port, aws_profile):
    extra = ["--port", str(serve_port)] if command == "serve" else ["--profile", aws_profile]
    return helper_argv(settings, material_dir, with_chain, command=command, extra=extra)
