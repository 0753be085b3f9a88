# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key pairs made inside a PKCS#11 token, and requests signed there: the own CA's key and the enroll role's keys.

A key is generated in the token (C_GenerateKeyPair) with CKA_SENSITIVE true and CKA_EXTRACTABLE false on its private
half (PKCS#11 v2.40 section 4.9: such a key's value can never be read out of the token, not even wrapped), so only
its public half ever leaves. Finding keys, logging in and signing are the helper's (``pkcs11.py``).
"""

from __future__ import annotations

from . import pkcs11
from .errors import MaterialError

# RFC 5480 section 2.1.1.1 named curves (DER OIDs), as CKA_EC_PARAMS holds them
CURVE_PARAMS = {"secp256r1": bytes.fromhex("06082a8648ce3d030107"), "secp384r1": bytes.fromhex("06052b81040022"),
                "secp521r1": bytes.fromhex("06052b81040023")}


def open_rw_session(library, uri, pin, source, hint):
    """A read-write session of the one token ``uri`` names, logged in with ``pin`` (the core's PIN messages)."""
    p11 = pkcs11.bindings()
    tokens = pkcs11.matching_tokens(library, uri)  # the helper's token matching
    if len(tokens) != 1:
        raise MaterialError("%d PKCS#11 tokens match %s" % (len(tokens), source), hint, source=source)
    session = library.openSession(tokens[0].slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION)
    try:
        pkcs11.log_in(session, tokens[0], pin, source)  # one wording for PIN errors
    except MaterialError:
        session.closeSession()
        raise
    return session, tokens[0]


def uninitialised_slots(library):
    """The slots whose token is present but not initialised (CKF_TOKEN_INITIALIZED unset in C_GetTokenInfo's flags,
    PKCS#11 v2.40 section 3.2 CK_TOKEN_INFO): SoftHSM2's free slot, an HSM's blank partition."""
    p11 = pkcs11.bindings()
    found = []
    for slot in library.getSlotList(tokenPresent=True):
        try:
            flags = library.getTokenInfo(slot).flags
        except p11.PyKCS11Error:  # a slot that cannot describe itself is skipped, as pkcs11's token matching does
            continue
        if not flags & p11.CKF_TOKEN_INITIALIZED:
            found.append(slot)
    return found


def label_field(label):
    """``label`` as CK_TOKEN_INFO's label field: UTF-8, padded with blanks to 32 bytes; ValueError when longer."""
    encoded = label.encode("utf-8")
    if len(encoded) > 32:
        raise ValueError("a PKCS#11 token label is at most 32 bytes, %r has %d" % (label, len(encoded)))
    return encoded.ljust(32, b" ").decode("utf-8")


def initialise_token(library, slot, so_pin, label, pin):
    """C_InitToken on ``slot`` with the SO PIN and ``label``, then C_InitPIN of the user's ``pin`` in an SO session
    (PKCS#11 v2.40 sections 5.6 C_InitToken and C_InitPIN: only the SO may set the user PIN). Raises PyKCS11Error."""
    p11 = pkcs11.bindings()
    # CK_TOKEN_INFO's label is 32 bytes padded with blanks (v2.40 section 3.2); PyKCS11 1.5 pads it with NULs,
    # which RFC 7512 matching (and softhsm2-util, pkcs11-tool) would then see as part of the label.
    library.initToken(slot, so_pin, label_field(label))
    session = library.openSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION)
    try:
        session.login(so_pin, user_type=p11.CKU_SO)
        session.initPin(pin)
        session.logout()
    finally:
        session.closeSession()


def public_key_of(session, handle, source):
    """The cryptography public key of a public key object (EC on CURVE_PARAMS' curves, or RSA)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel
    p11 = pkcs11.bindings()
    if session.getAttributeValue(handle, [p11.CKA_KEY_TYPE])[0] == p11.CKK_EC:
        params, point = [bytes(bytearray(value)) for value in session.getAttributeValue(handle, [p11.CKA_EC_PARAMS, p11.CKA_EC_POINT])]
        curves = dict((oid, name) for name, oid in CURVE_PARAMS.items())
        if params not in curves:
            raise MaterialError("the key %s in the token is on a curve this collection does not sign with" % source,
                                "Use a P-256, P-384 or P-521 key (or RSA)", source=source)
        point = point[2:] if point[1] < 0x80 else point[2 + (point[1] & 0x7F):]  # DER OCTET STRING around the point
        curve = {"secp256r1": ec.SECP256R1, "secp384r1": ec.SECP384R1, "secp521r1": ec.SECP521R1}[curves[params]]()
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
    modulus, exponent = session.getAttributeValue(handle, [p11.CKA_MODULUS, p11.CKA_PUBLIC_EXPONENT])
    return rsa.RSAPublicNumbers(int.from_bytes(bytes(bytearray(exponent)), "big"),
                                int.from_bytes(bytes(bytearray(modulus)), "big")).public_key()


def generate_key_pair(session, label, key_id, curve=None, rsa_bits=None):
    """(public handle, private handle) of a new key pair in the token: EC on ``curve`` (a CURVE_PARAMS name) or RSA
    of ``rsa_bits``; the private half signs only, is private, sensitive and never extractable. Raises PyKCS11Error."""
    p11 = pkcs11.bindings()
    common = [(p11.CKA_TOKEN, True), (p11.CKA_LABEL, label)]
    if key_id:
        common.append((p11.CKA_ID, tuple(bytearray(key_id))))
    private_template = common + [(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY), (p11.CKA_SIGN, True), (p11.CKA_PRIVATE, True),
                                 (p11.CKA_SENSITIVE, True), (p11.CKA_EXTRACTABLE, False)]
    public_template = common + [(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY), (p11.CKA_VERIFY, True)]
    if curve is not None:
        public_template += [(p11.CKA_KEY_TYPE, p11.CKK_EC), (p11.CKA_EC_PARAMS, CURVE_PARAMS[curve])]
        private_template.append((p11.CKA_KEY_TYPE, p11.CKK_EC))
        mechanism = p11.MechanismECGENERATEKEYPAIR
    else:
        public_template += [(p11.CKA_KEY_TYPE, p11.CKK_RSA), (p11.CKA_MODULUS_BITS, int(rsa_bits)),
                            (p11.CKA_PUBLIC_EXPONENT, (1, 0, 1))]
        private_template.append((p11.CKA_KEY_TYPE, p11.CKK_RSA))
        mechanism = p11.MechanismRSAGENERATEKEYPAIR
    return session.generateKeyPair(public_template, private_template, mecha=mechanism)


def destroy_keys(session, label, key_id):
    """Destroy the public and private key objects with ``label`` and ``key_id``; the number destroyed."""
    p11 = pkcs11.bindings()
    template = [(p11.CKA_LABEL, label), (p11.CKA_ID, tuple(bytearray(key_id)))]
    destroyed = 0
    for object_class in (p11.CKO_PRIVATE_KEY, p11.CKO_PUBLIC_KEY):
        for handle in session.findObjects(template + [(p11.CKA_CLASS, object_class)]):
            session.destroyObject(handle)
            destroyed += 1
    return destroyed


def signer_for(library, session, token, private_handle, public_key, description):
    """A Pkcs11Signer of a key just made (no certificate yet: it is proved against its public key)."""
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    holder = PublicKeyHolder(public_key)
    key_type = "EC" if isinstance(public_key, ec.EllipticCurvePublicKey) else "RSA"
    signer = pkcs11.Pkcs11Signer(library, holder, key_type, description, False, None, False)
    signer.attach(session, private_handle, token)
    return signer


class PublicKeyHolder(object):
    """What ``pkcs11.find_key`` proves a key against, before a certificate exists: the public key alone."""

    serial_number = 0

    def __init__(self, public_key):
        self._public_key = public_key

    def public_key(self):
        return self._public_key
