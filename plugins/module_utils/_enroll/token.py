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
import importlib.util
import os
from dataclasses import dataclass, field

from .._core import pkcs11, pkcs11_keys
from .._core.errors import RolesAnywhereError
from .._core.pkcs11_uri import format_uri, parse_uri
from .command import PIN_NAME  # the slot's pin-source file: there when the key in use is in a token
KEY_STORES = ("file", "pkcs11", "tpm")
TOKEN_HINT = ("Initialise the token first (softhsm2-util --init-token, ykman piv, the HSM's tool) and give its label "
              "in enroll_pkcs11_token_label, or give enroll_pkcs11_so_pin to let the role initialise an empty slot's "
              "token; nothing was changed")
NO_FREE_SLOT = ("no PKCS#11 token is labelled %s and no slot of enroll_pkcs11_module holds an uninitialised token to "
                "make it in with enroll_pkcs11_so_pin")
NO_FREE_SLOT_HINT = ("Check enroll_pkcs11_token_label, or free a slot (softhsm2-util --init-token --free makes one; a "
                     "YubiKey's PIV token is always initialised: give its label and leave enroll_pkcs11_so_pin empty); "
                     "nothing was changed")
_SLOT_IDS = {"slot-a": b"\x0a", "slot-b": b"\x0b"}
# The OS packages of what enroll_key_store=pkcs11 needs on a host, alike on Debian/Ubuntu and Fedora/RHEL (EPEL):
# PyKCS11, the bindings _core/pkcs11.py imports, and OpenSC when enroll_pkcs11_module is its module (smart cards,
# YubiKey PIV). Other modules (SoftHSM2's, an HSM vendor's) are the user's to install: their package is not known.
BINDINGS_PACKAGE = "python3-pykcs11"
OPENSC_PACKAGE = "opensc"
OPENSC_MODULES = ("opensc-pkcs11.so", "onepin-opensc-pkcs11.so")
GONE_REFUSAL = ("enroll_pkcs11_so_pin would initialise a new token labelled %s, but the key in use on this host is in "
                "a token with that label, which is not there")
GONE_HINT = ("Check the token (plugged in? the module's configuration?); to replace the key with one in a new token, "
             "run once with enroll_force_renew: true; nothing was changed")
PACKAGES_REFUSAL = ("enroll_key_store=pkcs11 needs the OS package(s) %s on the host (for the Python running the role's "
                    "modules and the helper), and enroll_install_packages is false")
PACKAGES_HINT = "Install them (apt-get or dnf install %s) or set enroll_install_packages: true; nothing was changed"


@dataclass
class TokenSettings:
    """The role's enroll_pkcs11_* variables."""
    module: str
    token_label: str
    pin: str = field(repr=False)  # never in a repr (an error, a debug line)
    so_pin: str = field(default="", repr=False)  # enroll_pkcs11_so_pin: initialise the token in an empty slot when none has the label

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
        if settings.so_pin and len(settings.token_label.encode("utf-8")) > 32:
            problems.append("enroll_pkcs11_token_label names the token enroll_pkcs11_so_pin would initialise: a PKCS#11 "
                            "token label is at most 32 bytes (PKCS#11 CK_TOKEN_INFO); shorten it")
        if key_passphrase:
            problems.append("enroll_key_passphrase encrypts a key file; with enroll_key_store=pkcs11 the key is in the "
                            "token: leave enroll_key_passphrase empty")
    return problems


def token_plan(labelled, uninitialised, so_pin):
    """What to do with the token enroll_pkcs11_token_label names, from the number of tokens with that label and of
    slots holding an uninitialised token: "use" it (none and no SO PIN: open_rw_session's refusal names the label),
    "initialise" one (none, an uninitialised slot, the SO PIN given) or "no_free_slot" (none, nowhere to make it)."""
    if labelled or not so_pin:
        return "use"
    return "initialise" if uninitialised else "no_free_slot"


def _library(settings):
    try:
        return pkcs11.open_module(settings.module)
    except RolesAnywhereError as error:
        raise TokenError("enroll_pkcs11_module: %s" % error.message,
                         "Install the token's PKCS#11 module (softhsm2, opensc, the vendor's) on the host and give its "
                         "path in enroll_pkcs11_module; nothing was changed") from None


def _token_to_initialise(library, settings):
    """The slot whose token is to be initialised with enroll_pkcs11_so_pin (the first uninitialised one), or None when
    the token with the label is to be used as it is."""
    if not settings.so_pin:
        return None
    free = pkcs11_keys.uninitialised_slots(library)
    plan = token_plan(len(pkcs11.matching_tokens(library, settings.uri())), len(free), settings.so_pin)
    if plan == "no_free_slot":
        raise TokenError(NO_FREE_SLOT % settings.token_label, NO_FREE_SLOT_HINT)
    return free[0] if plan == "initialise" else None


def _session(settings, initialise=False):
    """A logged-in read-write session of the token; with ``initialise`` the token is first initialised in an empty
    slot when enroll_pkcs11_so_pin says so (token_plan)."""
    library = _library(settings)
    if initialise:
        slot = _token_to_initialise(library, settings)
        if slot is not None:
            pkcs11_keys.initialise_token(library, slot, settings.so_pin, settings.token_label, settings.pin)
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
        raise TokenError("the PKCS#11 token %s failed: %s" % (settings.token_label, pkcs11.error_code(exc)),
                         "Check that the token is present and its module works (pkcs11-tool --module <path> "
                         "--list-objects); the key and certificate in use are unchanged") from None


def check_token(settings):
    """Load the module, find the one token with the label and log in: the preflight; changes nothing. True when the
    token is yet to be initialised (enroll_pkcs11_so_pin, token_plan)."""
    return _failing_token(settings, _log_in_once, settings)


def _log_in_once(settings):
    if _token_to_initialise(_library(settings), settings) is not None:
        return True  # the key's step initialises it (no SO PIN can be checked without initialising the token)
    _unused, (session, _token) = _session(settings)
    session.closeSession()
    return False


def make_key_and_request(settings, base, slot, request):
    """A new key pair in the token (label of ``base``, id of ``slot``; a leftover of an interrupted run there is
    destroyed first: that slot is not in use) and its CSR (PEM text), signed in the token and verified."""
    return _failing_token(settings, _make_key_and_request, settings, base, slot, request)


def _make_key_and_request(settings, base, slot, request):
    from .request import make_token_request  # pylint: disable=import-outside-toplevel
    p11 = pkcs11.bindings()
    library, (session, token) = _session(settings, initialise=True)
    label, slot_id = key_label(base), key_id(slot)
    spec = request["key_spec"]
    try:
        pkcs11_keys.destroy_keys(session, label, slot_id)
        try:
            public_handle, private_handle = pkcs11_keys.generate_key_pair(
                session, label, slot_id, curve=spec.get("curve") if spec.get("type") == "ECC" else None,
                rsa_bits=spec.get("size") or 2048)
        except p11.PyKCS11Error as exc:
            code = pkcs11.error_code(exc)  # the CKR_ name, never the arguments
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


def missing_packages(module_path, bindings_importable, module_present):
    """The OS packages to install for a key in a token: the bindings when they cannot be imported, OpenSC when
    ``module_path`` is OpenSC's module and is not there."""
    missing = [] if bindings_importable else [BINDINGS_PACKAGE]
    if not module_present and os.path.basename(module_path) in OPENSC_MODULES:
        missing.append(OPENSC_PACKAGE)
    return missing


def packages_to_install(params):
    """What enroll_state reports missing on this host (empty but for enroll_key_store=pkcs11)."""
    if params["key_store"] != "pkcs11":
        return []
    return missing_packages(params["pkcs11_module"], importlib.util.find_spec("PyKCS11") is not None,
                            os.path.exists(params["pkcs11_module"]))


def key_store_refusal(params, key_due=True):
    """enroll_state's preflight of the key store: the message of what is wrong (None when all is well), checked on
    the host before anything changes: the variables, then the module, the token and the PIN (one login). When OS
    packages are missing (packages_to_install), the role installs them first (enroll_install_packages) and the
    token is checked by the key's step (the same messages); without enroll_install_packages they are refused.
    Without ``key_due`` (nothing is to be made in the token), only the variables and the packages are checked."""
    settings = TokenSettings(params["pkcs11_module"], params["pkcs11_token_label"], params["pkcs11_pin"],
                             params.get("pkcs11_so_pin") or "")
    problems = check_settings(params["key_store"], settings, params["key_passphrase"])
    if problems:
        return " | ".join(problems)
    if params["key_store"] != "pkcs11":
        return None  # file; tpm: tpm_key.key_store_refusal
    missing = packages_to_install(params)
    if missing and not params.get("install_packages", True):
        return "%s. %s" % (PACKAGES_REFUSAL % ", ".join(missing), PACKAGES_HINT % " ".join(missing))
    if missing or not key_due:
        return None
    try:
        to_initialise = check_token(settings)
    except RolesAnywhereError as error:
        return str(error)
    # A token to initialise while the key in use is in a token with that label: that token is gone (removed, wiped);
    # initialising a new one silently would leave the host's helper without its key and no renewal due.
    in_use = os.path.join(params.get("root", "") + params.get("directory", ""), "current", PIN_NAME)
    if to_initialise and os.path.lexists(in_use) and not params.get("force_renew"):
        return "%s. %s" % (GONE_REFUSAL % settings.token_label, GONE_HINT)
    return None


def unmask_pin(module):
    """Stop the module masking the PIN in its result, once the PIN is used: the PIN option is no_log (never logged,
    never shown in the invocation), but AnsibleModule replaces every occurrence of a no_log value in the result, and a
    short PIN ("4711") would replace digits in ARNs, ports and the CSR. The result carries no PIN (the core never
    prints one), so only the invocation's copy is blanked."""
    for option in ("pkcs11_pin", "pkcs11_so_pin"):
        pin = module.params.get(option)
        if pin:
            module.params[option] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
            module.no_log_values.discard(pin)
