# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys in PKCS#11 tokens (HSMs, smart cards, YubiKey PIV through OpenSC, SoftHSM2): CreateSession signed inside.

``load_pkcs11_material`` finds the certificate (in the token, or a file) and the private key the way AWS's helper
does (aws/rolesanywhere-credential-helper aws_signing_helper/pkcs11_signer.go, GetPKCS11Signer, which follows
draft-woodhouse-cert-best-practice section 8):
  * the module is --pkcs11-lib, else p11-kit's proxy ``p11-kit-proxy.so`` (initializePKCS11Module);
  * tokens match the URI's token, manufacturer, model, serial, slot-description, slot-manufacturer and slot-id
    (matchSlots; RFC 7512 section 2.3: values compared without the tokens' space padding);
  * objects match its ``object`` (CKA_LABEL) and ``id`` (CKA_ID) (getFindTemplate); ``type`` is read, as by AWS's
    helper, only as part of the URI;
  * the certificate is first searched without logging in, then, when exactly one token matches and a PIN is
    given, after logging in (getMatchingCerts); more than one match is an error;
  * the key URI is --private-key, else the certificate's; its token is the one token it matches, or the
    certificate's among several (getPKCS11Key); each candidate key must prove it belongs to the certificate by
    signing AWS's test string (checkPrivateKeyMatchesCert); when none is found by the certificate's label, the
    search is repeated by the certificate's CKA_ID;
  * RSA signs with CKM_SHA256_RSA_PKCS (as AWS's signHelper), or CKM_RSA_PKCS over a DigestInfo where the token
    has only that; EC signs a SHA-256 digest with CKM_ECDSA, whose raw r||s is DER-encoded (encodeEcdsaSigValue);
  * a key with CKA_ALWAYS_AUTHENTICATE takes the user PIN again before each signature only with --reuse-pin.
Where AWS's helper prompts on the terminal for a missing PIN, this one stops with a message: it runs unattended.
The PIN comes from the URI's pin-value or pin-source (a file readable by its owner only); it is never printed.

The bindings (PyKCS11) are imported on first use only: hosts with key files need nothing new.
"""

from __future__ import annotations

import hashlib

from .errors import ConfigurationError, MaterialError
from .pkcs11_uri import format_uri, parse_uri, read_pin, without_pin
from .signing import KeySigner

DEFAULT_MODULE = "p11-kit-proxy.so"
BINDINGS_HINT = ("Install the PKCS#11 bindings for the helper's Python: apt-get install python3-pykcs11 (Debian, Ubuntu), "
                 "dnf install python3-pykcs11 (Fedora, EPEL) or pip install PyKCS11")
MODULE_HINT = ("Install the token's PKCS#11 module (softhsm2, opensc, the vendor's) and pass its path with --pkcs11-lib, "
               "e.g. /usr/lib/softhsm/libsofthsm2.so or /usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so")
# aws_signing_helper/pkcs11_signer.go checkPrivateKeyMatchesCert: "AWS Roles Anywhere Credential Helper PKCS11 Test" ||
# PKCS11_TEST_VERSION || manufacturer ID || SHA256("IAM RA" || public key); any fixed string proves the key alike.
TEST_PREFIX = b"AWS Roles Anywhere Credential Helper PKCS11 Test1"
# DigestInfo of SHA-256 (RFC 8017 section 9.2, note 1): what CKM_RSA_PKCS signs to make an RSASSA-PKCS1-v1_5 signature.
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
# A session or handle went stale (token removed and put back, module reset): find the key again once.
STALE = ("CKR_SESSION_HANDLE_INVALID", "CKR_SESSION_CLOSED", "CKR_DEVICE_REMOVED", "CKR_TOKEN_NOT_PRESENT",
         "CKR_USER_NOT_LOGGED_IN", "CKR_OBJECT_HANDLE_INVALID", "CKR_KEY_HANDLE_INVALID", "CKR_DEVICE_ERROR")
_MODULES = {}  # module path -> PyKCS11Lib: loaded and initialised once per process (serve and update re-use it)


def bindings():
    """The PyKCS11 module, or a ConfigurationError naming the package to install."""
    try:
        import PyKCS11  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise ConfigurationError("PKCS#11 keys need the Python module PyKCS11, which is not installed", BINDINGS_HINT) from None
    return PyKCS11


def open_module(path=None):
    """The PyKCS11Lib of the module at ``path`` (default p11-kit's proxy), loaded once per process."""
    path = path or DEFAULT_MODULE
    if path in _MODULES:
        return _MODULES[path]
    p11 = bindings()
    import ctypes  # pylint: disable=import-outside-toplevel
    try:  # dlopen it through ctypes first: its error is one line, where PyKCS11's loader also prints on stderr
        ctypes.CDLL(path)
    except OSError as exc:
        raise ConfigurationError("PKCS#11 module %s cannot be loaded: %s" % (path, exc), MODULE_HINT) from None
    library = p11.PyKCS11Lib()
    try:
        library.load(path)
    except p11.PyKCS11Error as exc:
        raise ConfigurationError("PKCS#11 module %s cannot be initialised: %s" % (path, error_code(exc)), MODULE_HINT) from None
    _MODULES[path] = library
    return library


def error_code(exc):
    """The CKR_ name of a PyKCS11Error (never its arguments: they may echo what was passed)."""
    p11 = bindings()
    return p11.CKR.get(getattr(exc, "value", None), "error %s" % getattr(exc, "value", "?"))


def _text(value):
    """A token field (fixed-width, space padded) as RFC 7512 compares it."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).rstrip(" \0")


# --- tokens and objects --------------------------------------------------------------------------------

class Token(object):
    """A slot with its token: what a URI's token attributes are matched against."""

    def __init__(self, library, slot):
        self.slot = slot
        slot_info, token_info = library.getSlotInfo(slot), library.getTokenInfo(slot)
        self.fields = {
            "token": _text(token_info.label), "manufacturer": _text(token_info.manufacturerID),
            "model": _text(token_info.model), "serial": _text(token_info.serialNumber),
            "slot-description": _text(slot_info.slotDescription), "slot-manufacturer": _text(slot_info.manufacturerID),
        }
        self.login_required = bool(token_info.flags & bindings().CKF_LOGIN_REQUIRED)

    @property
    def name(self):
        return "token %r (serial %s)" % (self.fields["token"], self.fields["serial"])

    def matches(self, uri):
        if "slot-id" in uri.path and int(uri.path["slot-id"].decode("ascii"), 0) != self.slot:
            return False
        return all(uri.text(name) is None or uri.text(name) == value for name, value in self.fields.items())


def matching_tokens(library, uri):
    """The present tokens whose fields match the URI's token attributes (RFC 7512; used by the helper, the own CA's
    token key and the enroll role)."""
    try:
        slots = library.getSlotList(tokenPresent=True)
    except bindings().PyKCS11Error as exc:
        raise MaterialError("the PKCS#11 module lists no tokens: %s" % error_code(exc), MODULE_HINT) from None
    tokens = []
    for slot in slots:
        try:
            token = Token(library, slot)
        except bindings().PyKCS11Error:  # a slot that cannot describe itself is skipped, as AWS's enumerateSlots does
            continue
        if token.matches(uri):
            tokens.append(token)
    return tokens


def object_template(p11, uri, object_class):
    """The C_FindObjects template of the URI's ``object`` (CKA_LABEL) and ``id`` (CKA_ID) for ``object_class``."""
    template = [(p11.CKA_CLASS, object_class)]
    if "object" in uri.path:
        template.append((p11.CKA_LABEL, uri.text("object")))
    if "id" in uri.path:
        template.append((p11.CKA_ID, tuple(bytearray(uri.path["id"]))))
    return template


def _attribute(session, handle, attribute):
    try:
        value = session.getAttributeValue(handle, [attribute])[0]
    except bindings().PyKCS11Error:
        return None
    return value


def log_in(session, token, pin, uri_text, user_type=None):
    """C_Login; a wrong or locked PIN becomes one MaterialError naming the token and ``uri_text``, never the PIN."""
    p11 = bindings()
    try:
        session.login(pin, p11.CKU_USER if user_type is None else user_type)
    except p11.PyKCS11Error as exc:
        code = error_code(exc)
        if code == "CKR_USER_ALREADY_LOGGED_IN":
            return
        if code in ("CKR_PIN_INCORRECT", "CKR_PIN_LEN_RANGE", "CKR_PIN_INVALID"):
            raise MaterialError("the PIN of %s is wrong (%s)" % (token.name, uri_text),
                                "Check the URI's pin-value or pin-source file; tokens lock after a few wrong PINs",
                                source=uri_text) from None
        if code == "CKR_PIN_LOCKED":
            raise MaterialError("%s is locked: too many wrong PINs" % token.name,
                                "Unblock the user PIN with the SO PIN (pkcs11-tool --init-pin --login --login-type so, "
                                "or the token vendor's tool), then fix the PIN the helper is given", source=uri_text) from None
        raise MaterialError("logging in to %s failed: %s" % (token.name, code), "Check the token and its PIN", source=uri_text) from None


def _certificate_objects(session, template):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    p11 = bindings()
    found = []
    for handle in session.findObjects(template):
        value = _attribute(session, handle, p11.CKA_VALUE)
        if value:
            found.append((handle, x509.load_der_x509_certificate(bytes(bytearray(value)))))
    return found


def find_certificate(library, uri, pin):
    """(token, session, certificate, CKA_ID, chain candidates) for a certificate URI (getMatchingCerts)."""
    p11 = bindings()
    text = without_pin(format_uri(uri.path, {}))
    tokens = matching_tokens(library, uri)
    template = object_template(p11, uri, p11.CKO_CERTIFICATE)
    matches = []
    for token in tokens:
        session = library.openSession(token.slot, p11.CKF_SERIAL_SESSION)
        found = _certificate_objects(session, template)
        if found:
            matches.append((token, session, found))
        else:
            session.closeSession()
    if not matches and len(tokens) == 1 and pin is not None:  # private certificates: log in to the one token
        session = library.openSession(tokens[0].slot, p11.CKF_SERIAL_SESSION)
        log_in(session, tokens[0], pin, text)
        found = _certificate_objects(session, template)
        if found:
            matches.append((tokens[0], session, found))
        else:
            session.closeSession()
    if not tokens:
        raise MaterialError("no PKCS#11 token matches %s" % text,
                            "List the tokens with pkcs11-tool --list-token-slots (or softhsm2-util --show-slots) and fix "
                            "the URI's token, serial, model or manufacturer", source=text)
    if not matches:
        raise MaterialError("no certificate in %s matches %s" % (", ".join(t.name for t in tokens), text),
                            "List the objects with pkcs11-tool --list-objects and fix the URI's object (label) or id; "
                            "a certificate that is private needs the PIN in the URI", source=text)
    if len(matches) > 1 or len(matches[0][2]) > 1:
        for _token, session, _found in matches:
            session.closeSession()
        raise MaterialError("%d certificates match %s" % (sum(len(m[2]) for m in matches), text),
                            "Narrow the URI with the certificate's id or object (label), or the token's serial", source=text)
    token, session, [(handle, certificate)] = matches[0]
    certificate_id = _attribute(session, handle, p11.CKA_ID)
    candidates = [cert for _handle, cert in _certificate_objects(session, [(p11.CKA_CLASS, p11.CKO_CERTIFICATE)])]
    return token, session, certificate, bytes(bytearray(certificate_id or ())), candidates


# --- the signer ----------------------------------------------------------------------------------------

def _der_integer(value):
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big")  # a leading zero keeps it positive
    return b"\x02" + _der_length(len(body)) + body


def _der_length(length):
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def ecdsa_der(raw):
    """PKCS#11's raw r||s (each half the length) as the DER Ecdsa-Sig-Value that SigV4-X509 carries (RFC 3279
    section 2.2.3; AWS's encodeEcdsaSigValue in aws_signing_helper/signer.go)."""
    half = len(raw) // 2
    body = _der_integer(int.from_bytes(raw[:half], "big")) + _der_integer(int.from_bytes(raw[half:], "big"))
    return b"\x30" + _der_length(len(body)) + body


class Pkcs11Signer(KeySigner):
    """A private key in a token. ``locate`` (re)opens a session and returns (session, key handle, token): called
    again once when the session or handle went stale (the token was removed and put back)."""

    def __init__(self, library, certificate, key_type, description, always_authenticate, pin, reuse_pin):
        super().__init__(key_type, description)
        self._library = library
        self._locate = None
        self._certificate = certificate
        self._always_authenticate = always_authenticate
        self._pin = pin
        self._reuse_pin = reuse_pin
        self._session = self._key = self._token = None
        self._mechanism = None

    def __repr__(self):
        return "Pkcs11Signer(%s)" % self.description  # never the PIN

    def public_key(self):
        return self._certificate.public_key()

    def attach(self, session, key, token):
        self._session, self._key, self._token = session, key, token

    def _mechanism_for(self):
        p11 = bindings()
        if self.key_type == "EC":
            return p11.CKM_ECDSA
        available = set()
        try:
            for mechanism in self._library.getMechanismList(self._token.slot):
                available.add(p11.CKM.get(mechanism, mechanism) if isinstance(mechanism, str) else mechanism)
        except p11.PyKCS11Error:
            pass
        return p11.CKM_SHA256_RSA_PKCS if p11.CKM_SHA256_RSA_PKCS in available or not available else p11.CKM_RSA_PKCS

    def _sign_once(self, data):
        p11 = bindings()
        if self._session is None:
            self.attach(*self._locate())
        if self._mechanism is None:
            self._mechanism = self._mechanism_for()
        if self._mechanism == p11.CKM_ECDSA:
            payload = hashlib.sha256(data).digest()
        elif self._mechanism == p11.CKM_RSA_PKCS:
            payload = SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
        else:
            payload = data
        if self._always_authenticate:
            self._context_login()
        signature = bytes(bytearray(self._session.sign(self._key, payload, p11.Mechanism(self._mechanism, None))))
        return ecdsa_der(signature) if self._mechanism == p11.CKM_ECDSA else signature

    def _context_login(self):
        if not (self._reuse_pin and self._pin):
            raise MaterialError("private key %s asks for its PIN at every signature (CKA_ALWAYS_AUTHENTICATE)" % self.description,
                                "Pass --reuse-pin when that PIN is the token's user PIN (as with YubiKey PIV slot 9c); "
                                "this helper does not prompt", source=self.description)
        log_in(self._session, self._token, self._pin, self.description, bindings().CKU_CONTEXT_SPECIFIC)

    def sign(self, data):
        p11 = bindings()
        try:
            return self._sign_once(data)
        except p11.PyKCS11Error as exc:
            if error_code(exc) not in STALE:
                raise MaterialError("signing with %s failed: %s" % (self.description, error_code(exc)),
                                    "Check that the key may sign (CKA_SIGN) with RSA PKCS#1 v1.5 or ECDSA", source=self.description) from None
        self.close()
        try:  # the token went away and came back: find the key again and log in again, once
            return self._sign_once(data)
        except p11.PyKCS11Error as exc:
            raise MaterialError("signing with %s failed: %s" % (self.description, error_code(exc)),
                                "Check that the token is present and unlocked", source=self.description) from None

    def close(self):
        session, self._session = self._session, None
        if session is not None:
            try:
                session.closeSession()
            except bindings().PyKCS11Error:
                pass


def _proves(signer, certificate):
    """True when ``signer`` signs what the certificate's public key verifies (AWS's checkPrivateKeyMatchesCert:
    a key of the certificate's type that signs AWS's test string, bound to the public key, verifiably)."""
    from cryptography.exceptions import InvalidSignature  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # pylint: disable=import-outside-toplevel
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey if signer.key_type == "RSA" else ec.EllipticCurvePublicKey):
        return False
    public_der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    message = TEST_PREFIX + hashlib.sha256(b"IAM RA" + public_der).digest()
    try:
        signature = signer._sign_once(message)  # pylint: disable=protected-access  # no stale-session retry here
        if signer.key_type == "EC":
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (bindings().PyKCS11Error, InvalidSignature, ValueError):
        return False
    return True


def _key_token(library, key_uri, certificate_token, text):
    tokens = matching_tokens(library, key_uri)
    if len(tokens) == 1:
        return tokens[0]
    # Several tokens match: the certificate's, when it is one of them (getPKCS11Key).
    for token in tokens:
        if certificate_token is not None and token.slot == certificate_token.slot:
            return token
    if not tokens:
        raise MaterialError("no PKCS#11 token matches %s" % text,
                            "List the tokens with pkcs11-tool --list-token-slots (or softhsm2-util --show-slots) and fix "
                            "the URI's token, serial, model or manufacturer", source=text)
    raise MaterialError("%d PKCS#11 tokens match %s" % (len(tokens), text),
                        "Add the token's label (token=) or serial (serial=) to the URI", source=text)


def find_key(library, key_uri, pin, certificate, certificate_token=None, certificate_id=None, reuse_pin=False):
    """The Pkcs11Signer of the private key ``key_uri`` selects that belongs to ``certificate`` (getPKCS11Key).

    ``certificate_id``: the CKA_ID of the certificate found in the token when the key URI is the certificate's own
    (no --private-key); a search by label that finds no key is then repeated by that id.
    """
    p11 = bindings()
    text = without_pin(format_uri(key_uri.path, {}))
    token = _key_token(library, key_uri, certificate_token, text)
    session = library.openSession(token.slot, p11.CKF_SERIAL_SESSION)
    if pin is not None:
        log_in(session, token, pin, text)
    elif token.login_required:
        session.closeSession()
        raise MaterialError("%s needs its user PIN to sign (%s)" % (token.name, text),
                            "Add ?pin-source=/path/to/pin-file (chmod 600) or ?pin-value=... to the URI; this helper does not prompt",
                            source=text)
    uri = key_uri
    while True:
        for handle in session.findObjects(object_template(p11, uri, p11.CKO_PRIVATE_KEY)):
            key_type = {p11.CKK_RSA: "RSA", p11.CKK_EC: "EC"}.get(_attribute(session, handle, p11.CKA_KEY_TYPE))
            if key_type is None:
                continue
            label = _attribute(session, handle, p11.CKA_LABEL)
            description = "%s in %s" % (format_uri({"object": str(label or "").encode("utf-8")}, {}) if label else text, token.name)
            signer = Pkcs11Signer(library, certificate, key_type, description,
                                  bool(_attribute(session, handle, p11.CKA_ALWAYS_AUTHENTICATE)), pin, reuse_pin)
            signer.attach(session, handle, token)
            if _proves(signer, certificate):
                return signer
        if certificate_id and "object" in uri.path:  # draft-woodhouse-cert-best-practice 8.2, as getPKCS11Key
            path = dict((name, value) for name, value in uri.path.items() if name != "object")
            path["id"] = certificate_id
            uri, certificate_id = type(uri)(path, uri.query, uri.option), None
            continue
        break
    session.closeSession()
    raise MaterialError("no private key in %s matches %s and certificate serial %d" % (token.name, text, certificate.serial_number),
                        "List the keys with pkcs11-tool --list-objects --type privkey --login and fix the URI's object "
                        "(label) or id; the key must be the one the certificate was issued for", source=text)


def load_pkcs11_material(certificate, private_key=None, intermediates=None, module=None, reuse_pin=False):
    """SigningMaterial whose private_key is a Pkcs11Signer: the certificate is a pkcs11: URI or a file, the key a
    pkcs11: URI (default: the certificate's URI). Intermediates: the file given, else the token's certificates
    that issue the leaf."""
    from .pem import require_cryptography  # pylint: disable=import-outside-toplevel
    from .pkcs11_uri import is_pkcs11_uri  # pylint: disable=import-outside-toplevel
    require_cryptography()
    if is_pkcs11_uri(certificate) and private_key and not is_pkcs11_uri(private_key):
        raise ConfigurationError("--certificate is a pkcs11: URI but --private-key is a file",
                                 "Drop --private-key (the key is looked up beside the certificate) or pass its pkcs11: URI")
    certificate_uri = parse_uri(certificate, "--certificate") if is_pkcs11_uri(certificate) else None
    key_uri = parse_uri(private_key, "--private-key") if private_key else certificate_uri
    pin = read_pin(certificate_uri) if certificate_uri is not None else None
    if key_uri is not certificate_uri and key_uri.has_pin():
        pin = read_pin(key_uri)  # the key URI's PIN wins, as in GetPKCS11Signer
    library = open_module(module)
    try:
        return _load(library, certificate, certificate_uri, key_uri, pin, private_key, intermediates, reuse_pin)
    except bindings().PyKCS11Error as exc:  # the token went away or misbehaved while it was read
        raise MaterialError("the PKCS#11 token of %s failed: %s" % (without_pin(private_key or certificate), error_code(exc)),
                            "Check that the token is present and its module works (pkcs11-tool --module <path> --list-objects)",
                            source=without_pin(private_key or certificate)) from None


def _load(library, certificate, certificate_uri, key_uri, pin, private_key, intermediates, reuse_pin):
    from .pem import load_certificates  # pylint: disable=import-outside-toplevel
    from .x509 import (  # pylint: disable=import-outside-toplevel
        INTERMEDIATES_HINT, SigningMaterial, _check_issuer_given, _der, _order_chain, check_key_supported, not_valid_after)
    token = certificate_id = cert_session = None
    if certificate_uri is not None:
        token, cert_session, leaf, found_id, in_token = find_certificate(library, certificate_uri, pin)
        description = without_pin(certificate)
        certificate_id = found_id if private_key is None else None
        candidates = [] if intermediates else in_token
    else:
        certificates = load_certificates(certificate, "certificate")
        leaf, candidates, description = certificates[0], certificates[1:], getattr(certificate, "name", certificate)
    check_key_supported(leaf.public_key(), description)
    try:
        signer = find_key(library, key_uri, pin, leaf, token, certificate_id, reuse_pin)
    finally:
        if cert_session is not None:
            cert_session.closeSession()
    signer._locate = lambda: _relocate(library, key_uri, pin, leaf, reuse_pin)  # pylint: disable=protected-access
    extra = [c for c in candidates if _der(c) != _der(leaf)]
    if intermediates:
        extra.extend(load_certificates(intermediates, "intermediates", INTERMEDIATES_HINT))
        chain = tuple(_order_chain(leaf, extra))
    else:  # from the token or the certificate file: the issuers of the leaf only, not the token's other certificates
        chain = tuple(_issuer_path(leaf, _order_chain(leaf, extra)))
    _check_issuer_given(leaf, chain, description)
    leaf_der = _der(leaf)
    return SigningMaterial(
        certificate=leaf, certificate_der=leaf_der, chain=chain, chain_der=tuple(_der(c) for c in chain), private_key=signer,
        key_type=signer.key_type, serial=leaf.serial_number, algorithm=signer.algorithm,
        fingerprint_sha256=hashlib.sha256(leaf_der).hexdigest(), not_after=not_valid_after(leaf), source=description,
    )


def _issuer_path(leaf, ordered):
    path, current = [], leaf
    for certificate in ordered:
        if certificate.subject != current.issuer or certificate.subject == certificate.issuer:
            break
        path.append(certificate)
        current = certificate
    return path


def _relocate(library, key_uri, pin, certificate, reuse_pin):
    """(session, key handle, token) found afresh: after the token was removed and put back, log in again."""
    fresh = find_key(library, key_uri, pin, certificate, reuse_pin=reuse_pin)
    return fresh._session, fresh._key, fresh._token  # pylint: disable=protected-access
