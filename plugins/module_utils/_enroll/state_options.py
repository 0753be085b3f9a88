# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_state's options (its DOCUMENTATION describes them) and the settings the decision reads from them."""

from __future__ import annotations

from .chained import check_chained_profiles
from .command import HelperSettings
from .decide import EnrollSettings, default_common_name, helper_file
from .regions import failover_sets
from .renewal import Wanted
from .token import token_helper_settings
from .tpm_key import tpm_helper_settings

ARGUMENT_SPEC = dict(
    root=dict(type="str", default=""),
    directory=dict(type="str", default="/etc/rolesanywhere"),
    user=dict(type="str", default="root"),
    profile_users=dict(type="list", elements="str", default=[]),
    aws_profile=dict(type="str", default="rolesanywhere"),
    key_spec=dict(type="dict", required=True, no_log=False),  # the key's algorithm and size, no key material
    # Not no_log: AWS's helper takes the passphrase only on its command line, which this module returns; the
    # role hides the whole task (no_log) when a passphrase is set, and no_log here would mask the command line.
    key_passphrase=dict(type="str", default="", no_log=False),
    key_store=dict(type="str", choices=["file", "pkcs11", "tpm"], default="file"),
    pkcs11_module=dict(type="str", default=""),
    pkcs11_token_label=dict(type="str", default="", no_log=False),  # a label, not a secret
    pkcs11_pin=dict(type="str", default="", no_log=True),  # token.unmask_pin once used
    tpm_device=dict(type="str", default=""),
    tpm_parent_handle=dict(type="str", default=""),
    # Not no_log, as key_passphrase: it is on the helper's command line (AWS's --tpm-key-password), which this module
    # returns; the role hides the whole task when it is set.
    tpm_key_password=dict(type="str", default="", no_log=False),
    tpm_persistent_handle=dict(type="str", default=""),
    pkcs11_so_pin=dict(type="str", default="", no_log=True),  # token.unmask_pin once used
    install_packages=dict(type="bool", default=True),
    common_name=dict(type="str", default=""),
    subject=dict(type="dict", default={}),
    trust_subject_fields=dict(type="list", elements="str", default=[]),
    subject_alt_names=dict(type="list", elements="str", default=[]),
    signer_id=dict(type="str", required=True),
    renew_before_days=dict(type="int", default=10),
    force_renew=dict(type="bool", default=False),
    trust_anchor_arn=dict(type="str", required=True),
    profile_arn=dict(type="str", required=True),
    role_arn=dict(type="str", required=True),
    region=dict(type="str", default=""),
    endpoint_url=dict(type="str", default=""),
    ca_bundle_sha1=dict(type="str", default=""),
    session_duration=dict(type="int", default=3600),
    role_session_name=dict(type="str", default=""),
    helper=dict(type="str", choices=["rolesanywhere", "aws_signing_helper"], default="rolesanywhere"),
    helper_path=dict(type="str", default=""),
    helper_cache=dict(type="bool", default=True),
    helper_interpreter=dict(type="str", default=""),
    aws_signing_helper_sha256=dict(type="str", default=""),
    systemd=dict(type="str", choices=["none", "serve", "update"], default="none"),
    serve_port=dict(type="int", default=9911),
    verify=dict(type="str", choices=["changed", "always", "never"], default="changed"),
    chained_profiles=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        role_arn=dict(type="str", required=True),
        external_id=dict(type="str", no_log=False),  # an external ID is not a secret (IAM User Guide, confused deputy)
        duration=dict(type="int"),
        region=dict(type="str"),
        role_session_name=dict(type="str"),
    )),
    regions=dict(type="list", elements="dict", default=[], options=dict(
        region=dict(type="str"), trust_anchor_arn=dict(type="str", required=True),
        profile_arn=dict(type="str", required=True), endpoint_url=dict(type="str"),
    )),
    controller=dict(type="dict", default={}),  # read and removed by the action plugin (plugins/action/enroll_state.py)
)


def settings_from(params):
    root = params["root"]
    base = root + params["directory"]
    helper = HelperSettings(
        helper=params["helper"], helper_file=helper_file(params["helper"], params["helper_path"], root),
        trust_anchor_arn=params["trust_anchor_arn"], profile_arn=params["profile_arn"], role_arn=params["role_arn"],
        region=params["region"], endpoint_url=params["endpoint_url"],
        ca_bundle_file=base + "/ca-bundle.pem" if params["ca_bundle_sha1"] else None,
        session_duration=params["session_duration"], role_session_name=params["role_session_name"],
        key_passphrase=params["key_passphrase"], helper_cache=params["helper_cache"],
        failover=failover_sets(params["regions"], params["trust_anchor_arn"], params["profile_arn"], params["role_arn"],
                               params["helper"]),
        **dict(token_helper_settings(params, base), **tpm_helper_settings(params)))
    wanted = Wanted(key_spec=params["key_spec"], common_name=params["common_name"] or default_common_name(),
                    signer_id=params["signer_id"], renew_before_days=params["renew_before_days"],
                    subject=params["subject"], subject_alt_names=params["subject_alt_names"],
                    force_renew=params["force_renew"], key_passphrase=params["key_passphrase"],
                    key_store=params["key_store"], pkcs11_pin=params["pkcs11_pin"],
                    tpm_key_password=bool(params["tpm_key_password"]),
                    tpm_persistent_handle=params["tpm_persistent_handle"].strip())
    return EnrollSettings(
        helper=helper, wanted=wanted, root=root, directory=params["directory"], user=params["user"],
        profile_users=params["profile_users"], aws_profile=params["aws_profile"], ca_bundle_sha1=params["ca_bundle_sha1"],
        aws_signing_helper_sha256=params["aws_signing_helper_sha256"], systemd=params["systemd"],
        serve_port=params["serve_port"], verify=params["verify"],
        chained_profiles=check_chained_profiles(params["chained_profiles"], params["aws_profile"]))
