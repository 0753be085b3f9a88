# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The own CA's key inside a PKCS#11 token on the controller (a YubiKey, an HSM; SoftHSM2 in tests).

Where a file key would be, the trust playbook writes a *key reference*: a file holding the key's RFC 7512 URI with
its module (``pkcs11:token=fleet-ca;object=fleet-ca;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so``), never
a PIN. The enroll role and the revoke playbook find the key through it and sign inside the token: the key is made
there, sensitive and not extractable, and never leaves it. The PIN comes from rolesanywhere_trust_ca_pkcs11_pin
(Ansible Vault), or from the reference's pin-source file (0600).

Finding the key and signing reuse the helper's PKCS#11 core (``_core/pkcs11.py``: AWS's search rules, the
key-proves-the-certificate check, ECDSA DER conversion, one-line errors).
"""

from __future__ import annotations

from .._core import pkcs11, pkcs11_keys
from .._core.errors import MaterialError
from .._core.pkcs11_uri import format_uri, is_pkcs11_uri, parse_uri, read_pin

OPTION = "rolesanywhere_trust_ca_pkcs11"
PIN_VARIABLE = "rolesanywhere_trust_ca_pkcs11_pin"
# RFC 5480 section 2.1.1.1 named curves (DER OIDs), as CKA_EC_PARAMS holds them
CURVES = {"ec-p256": ("secp256r1", bytes.fromhex("06082a8648ce3d030107")), "ec-p384": ("secp384r1", bytes.fromhex("06052b81040022"))}
RSA_BITS = {"rsa-2048": 2048, "rsa-3072": 3072, "rsa-4096": 4096}
KEY_TYPES = tuple(CURVES) + tuple(RSA_BITS)


# What ``pkcs11.find_key`` proves a key against, before the CA certificate exists: the public key alone.
PublicKeyHolder = pkcs11_keys.PublicKeyHolder


def reference_text(module_path, token_label, key_label, key_id=""):
    """The URI a key reference file holds (no PIN)."""
    path = {"token": token_label.encode("utf-8"), "object": key_label.encode("utf-8")}
    if key_id:
        path["id"] = bytes.fromhex(key_id)
    return format_uri(path, {"module-path": module_path.encode("utf-8")})


def is_reference(data):
    return is_pkcs11_uri(data.decode("utf-8", "replace").strip())


def parse_reference(text, source):
    """(module path, Pkcs11Uri) of a key reference's text; a MaterialError naming ``source`` when it is not one."""
    uri = parse_uri(text.strip(), option=source)
    if "module-path" not in uri.query or "token" not in uri.path:
        raise MaterialError("the own CA key reference %s names no module-path or no token" % source,
                            "Write it as pkcs11:token=<label>;object=<key label>?module-path=<PKCS#11 module> "
                            "(the trust playbook does, with %s)" % OPTION, source=source)
    return str(uri.query["module-path"], "utf-8"), uri


def pin_for(uri, pin, source):
    """The user PIN: the variable's, else the reference's pin-source/pin-value; a MaterialError naming the variable."""
    if pin:
        return pin
    given = read_pin(uri)
    if given:
        return given
    raise MaterialError("the own CA key %s is in a PKCS#11 token and %s is empty" % (source, PIN_VARIABLE),
                        "Pass the token's user PIN in %s, from Ansible Vault; nothing was changed" % PIN_VARIABLE, source=source)


def _open_rw(library, uri, pin, source):
    hint = ("Initialise the token first (softhsm2-util --init-token, ykman piv, the HSM's tool) and give "
            "its label in %s.token_label" % OPTION)
    return pkcs11_keys.open_rw_session(library, uri, pin, source, hint)[0]


def find_or_make_key(reference, pin, key_type, check_mode=False, may_make=True):
    """(public key or None, made) of the CA key a reference names: found by label (and id), else generated inside the
    token, sensitive and never extractable, from its public half's attributes. In check mode nothing is made; without
    ``may_make`` (a CA certificate exists, so its key must be the one in the token) a missing key is an error."""
    p11 = pkcs11.bindings()
    module_path, uri = parse_reference(reference, OPTION)
    library = pkcs11.open_module(module_path)
    session = _open_rw(library, uri, pin_for(uri, pin, OPTION), OPTION)
    try:
        public = session.findObjects(pkcs11.object_template(p11, uri, p11.CKO_PUBLIC_KEY))
        private = session.findObjects(pkcs11.object_template(p11, uri, p11.CKO_PRIVATE_KEY))
        if private and public:
            return pkcs11_keys.public_key_of(session, public[0], OPTION), False
        if private:  # a key imported without its public half: the CA certificate's public key is proved against it
            return None, False
        if not may_make:
            raise MaterialError("no key %s in the token, and the CA certificate already exists" % uri.text("object"),
                                "Import the CA's key into the token (docs/setting-up-trust.md, moving an existing CA key "
                                "into a token), or name its key_label/key_id; nothing was changed", source=OPTION)
        if check_mode:
            return None, True
        try:
            public_handle, _private = pkcs11_keys.generate_key_pair(
                session, uri.text("object"), uri.path.get("id"), curve=CURVES[key_type][0] if key_type in CURVES else None,
                rsa_bits=RSA_BITS.get(key_type))
        except p11.PyKCS11Error as exc:
            raise MaterialError("the token cannot make the CA key (%s): %s" % (key_type, pkcs11.error_code(exc)),
                                "Choose a key_type the token supports in %s" % OPTION, source=OPTION) from None
        return pkcs11_keys.public_key_of(session, public_handle, OPTION), True
    finally:
        session.closeSession()


def read_reference(reference_path):
    try:
        with open(reference_path, "rb") as handle:
            return handle.read(8192).decode("utf-8", "replace")
    except OSError as exc:
        raise MaterialError("the own CA key reference %s cannot be read: %s" % (reference_path, exc.strerror),
                            "Check enroll_own_ca_private_key (the trust playbook writes it)", source=reference_path) from None


def ca_signer(reference, source, pin, certificate):
    """The Pkcs11Signer of the CA key a reference (its text) names that proves ``certificate`` (the CA certificate,
    or a PublicKeyHolder), found as the helper finds a key (AWS's getPKCS11Key and checkPrivateKeyMatchesCert)."""
    module_path, uri = parse_reference(reference, source)
    library = pkcs11.open_module(module_path)
    return pkcs11.find_key(library, uri, pin_for(uri, pin, source), certificate)


def wrong_pin_names_the_variable(call):
    """Run ``call``; the core's "the PIN of <token> is wrong" becomes one that names the vault variable."""
    try:
        return call()
    except MaterialError as error:
        if error.message.startswith("the PIN of "):
            raise MaterialError("%s, in %s" % (error.message, PIN_VARIABLE),
                                "Pass the token's user PIN in %s (from Ansible Vault); tokens lock after a few wrong PINs; "
                                "nothing was changed" % PIN_VARIABLE, source=error.source) from None
        raise


def check_pin(reference, source, pin):
    """Log in to the token of a key reference once, so that a wrong PIN stops a run before any signing (and before
    every host of a batch tries it: a YubiKey's PIV PIN locks after three wrong tries)."""
    module_path, uri = parse_reference(reference, source)
    library = pkcs11.open_module(module_path)
    wrong_pin_names_the_variable(lambda: _open_rw(library, uri, pin_for(uri, pin, source), source).closeSession())
