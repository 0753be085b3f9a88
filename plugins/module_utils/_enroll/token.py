# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_key_store=pkcs11: the host's key is made inside a PKCS#11 token, and the CSR is signed there.

Each enrolment directory has one key label in the token (``rolesanywhere-<hash of the directory>``) and one CKA_ID
per slot, so the new key of a renewal lives beside the one in use. The AWS config names the key by token and label
only: the helper tries every key with that label and takes the one that proves the certificate (AWS's
getPKCS11Key and checkPrivateKeyMatchesCert, aws/rolesanywhere-credential-helper
aws_signing_helper/pkcs11_signer.go; ours in _core/pkcs11.py find_key), so the profile does not change with the
slot. The old key is destroyed only after the swap, i.e. after the new certificate was proved.

The PIN goes to the helper in a pin-source file (RFC 7512 section 2.3, ``pin-source``) in the slot, 0600, never in
the AWS config; the certificate stays a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .._core import pkcs11, pkcs11_keys
from .._core.errors import RolesAnywhereError
from .._core.pkcs11_uri import format_uri, parse_uri
KEY_STORES = ("file", "pkcs11", "tpm")
TOKEN_HINT = ("Initialise the token first (softhsm2-util --init-token, ykman piv, the HSM's tool) and give its label "
              "in enroll_pkcs11_token_label; nothing was changed")
_SLOT_IDS = {"slot-a": b"\x0a", "slot-b": b"\x0b"}


@dataclass
class TokenSettings:
    """The role's enroll_pkcs11_* variables."""
    module: str
    token_label: str
    pin: str

    def uri(self, **path):
        values = {"token": self.token_label.encode("utf-8")}
        values.update((name, value if isinstance(value, bytes) else value.encode("utf-8")) for name, value in path.items())
        return parse_uri(format_uri(values, {}), "enroll_pkcs11_token_label")


class TokenError(RolesAnywhereError):
    """The token, its module or its PIN is not as the role's variables say (the user's to fix)."""


def key_label(base):
    """The key label of the enrolment directory ``base`` (root prefix included), the same for both slots."""
    return "rolesanywhere-" + hashlib.sha256(base.encode("utf-8")).hexdigest()[:12]


def key_id(slot):
    return _SLOT_IDS[slot]


def check_settings(key_store, settings, key_passphrase):
    """Refusals of the variables alone (before the token is touched): a list of messages, empty when fine."""
    problems = []
    if key_store == "pkcs11":
        if not settings.module or not settings.token_label or not settings.pin:
            problems.append("enroll_key_store=pkcs11 needs enroll_pkcs11_module (the token's PKCS#11 module), "
                            "enroll_pkcs11_token_label and enroll_pkcs11_pin (from Ansible Vault)")
        if key_passphrase:
            problems.append("enroll_key_passphrase encrypts a key file; with enroll_key_store=pkcs11 the key is in the "
                            "token: leave enroll_key_passphrase empty")
    return problems


def _session(settings):
    try:
        library = pkcs11.open_module(settings.module)
    except RolesAnywhereError as error:
        raise TokenError("enroll_pkcs11_module: %s" % error.message,
                         "Install the token's PKCS#11 module (softhsm2, opensc, the vendor's) on the host and give its "
                         "path in enroll_pkcs11_module; nothing was changed") from None
    try:
        source = "enroll_pkcs11_token_label=%s" % settings.token_label
        return library, pkcs11_keys.open_rw_session(library, settings.uri(), settings.pin, source, TOKEN_HINT)
    except RolesAnywhereError as error:
        if error.message.startswith("the PIN of "):
            raise TokenError("%s, in enroll_pkcs11_pin" % error.message,
                             "Pass the token's user PIN in enroll_pkcs11_pin (from Ansible Vault); tokens lock after a "
                             "few wrong PINs; nothing was changed") from None
        raise


def _failing_token(settings, function, *args):
    """``function(*args)``; a PyKCS11Error (the token removed, the module failing) becomes one line naming the token."""
    p11 = pkcs11.bindings()
    try:
        return function(*args)
    except p11.PyKCS11Error as exc:
        raise TokenError("the PKCS#11 token %s failed: %s" % (settings.token_label, pkcs11._code(exc)),  # pylint: disable=protected-access
                         "Check that the token is present and its module works (pkcs11-tool --module <path> "
                         "--list-objects); the key and certificate in use are unchanged") from None


def check_token(settings):
    """Load the module, find the one token with the label and log in: the preflight; changes nothing."""
    _failing_token(settings, _log_in_once, settings)


def _log_in_once(settings):
    _library, (session, _token) = _session(settings)
    session.closeSession()


def make_key_and_request(settings, base, slot, request):
    """A new key pair in the token (label of ``base``, id of ``slot``; a leftover of an interrupted run there is
    destroyed first: that slot is not in use) and its CSR (PEM text), signed in the token and verified."""
    return _failing_token(settings, _make_key_and_request, settings, base, slot, request)


def _make_key_and_request(settings, base, slot, request):
    from .request import make_token_request  # pylint: disable=import-outside-toplevel
    p11 = pkcs11.bindings()
    library, (session, token) = _session(settings)
    label, slot_id = key_label(base), key_id(slot)
    spec = request["key_spec"]
    try:
        pkcs11_keys.destroy_keys(session, label, slot_id)
        try:
            public_handle, private_handle = pkcs11_keys.generate_key_pair(
                session, label, slot_id, curve=spec.get("curve") if spec.get("type") == "ECC" else None,
                rsa_bits=spec.get("size") or 2048)
        except p11.PyKCS11Error as exc:
            code = pkcs11._code(exc)  # pylint: disable=protected-access  # the CKR_ name, never the arguments
            raise TokenError("the token %s cannot make a %s key: %s" % (settings.token_label, _spec_text(spec), code),
                             "Choose an enroll_key_type the token supports; nothing in use was changed") from None
        public_key = pkcs11_keys.public_key_of(session, public_handle, label)
        signer = pkcs11_keys.signer_for(library, session, token, private_handle, public_key, "%s in %s" % (label, token.name))
        return make_token_request(signer, public_key, request["common_name"], request.get("subject"),
                                  request.get("subject_alt_names") or ())
    finally:
        session.closeSession()


def _spec_text(spec):
    return "EC %s" % spec.get("curve") if spec.get("type") == "ECC" else "RSA %s" % (spec.get("size") or 2048)


def remove_key(settings, base, slot):
    """Destroy the key pair of ``slot`` (the previous one, after the swap); the number of objects destroyed."""
    return _failing_token(settings, _remove_key, settings, base, slot)


def _remove_key(settings, base, slot):
    _library, (session, _token) = _session(settings)
    try:
        return pkcs11_keys.destroy_keys(session, key_label(base), key_id(slot))
    finally:
        session.closeSession()


def token_helper_settings(params, base):
    """The HelperSettings fields of enroll_state's options (empty for key files)."""
    if params["key_store"] != "pkcs11":
        return {}
    return {"pkcs11_module": params["pkcs11_module"], "pkcs11_token_label": params["pkcs11_token_label"],
            "pkcs11_key_label": key_label(base)}


def key_store_refusal(params):
    """enroll_state's preflight of the key store: the message of what is wrong (None when all is well), checked on
    the host before anything changes: the variables, then the module, the token and the PIN (one login)."""
    settings = TokenSettings(params["pkcs11_module"], params["pkcs11_token_label"], params["pkcs11_pin"])
    problems = check_settings(params["key_store"], settings, params["key_passphrase"])
    if problems:
        return " | ".join(problems)
    if params["key_store"] != "pkcs11":
        return None  # file; tpm: tpm_key.key_store_refusal
    try:
        check_token(settings)
    except RolesAnywhereError as error:
        return str(error)
    return None


def unmask_pin(module):
    """Stop the module masking the PIN in its result, once the PIN is used: the PIN option is no_log (never logged,
    never shown in the invocation), but AnsibleModule replaces every occurrence of a no_log value in the result, and a
    short PIN ("4711") would replace digits in ARNs, ports and the CSR. The result carries no PIN (the core never
    prints one), so only the invocation's copy is blanked."""
    pin = module.params.get("pkcs11_pin")
    if pin:
        module.params["pkcs11_pin"] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        module.no_log_values.discard(pin)
