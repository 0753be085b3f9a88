# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keys in a TPM 2.0: CreateSession signed inside the TPM (TPM2_Sign), never by a raw RSA decrypt.

What AWS's helper accepts, with its meaning (aws/rolesanywhere-credential-helper aws_signing_helper/tpm_signer.go,
GetTPMv2Signer and TPMv2Signer.Sign; signer.go GetSigner; README "TPMv2 Integration"):
  * ``--private-key handle:0x81xxxxxx``: a persistent key; its public part is read with TPM2_ReadPublic; it has no
    password only when ``--no-tpm-key-password`` says so, else ``--tpm-key-password`` is its password;
  * ``--private-key FILE`` holding ``-----BEGIN TSS2 PRIVATE KEY-----`` (draft-bottomley-tpm2-keys: OID
    2.23.133.10.1.3 loadable key, emptyAuth, parent, public and private blobs): its emptyAuth says whether the key
    has a password (a password given for a key that has none is an error, as in GetTPMv2Signer); policies and
    importable/sealed keys are refused as by AWS's helper; an emptyAuth BOOLEAN written as 0x01 (not DER; OpenSSL
    TPM engines and tpm2-tools 5.4 write it) is accepted, as AWS's fixupEmptyAuth does;
  * to sign, a key file's parent is its persistent handle, or a primary made afresh under the hierarchy it names with
    AWS's template (ECC P-256 storage key, primaryParams, no hierarchy password); the key is loaded, signs, and is
    flushed; RSA keys sign SHA-256 with RSASSA, EC keys a SHA-256 digest padded or cut to the curve's size with
    ECDSA (as TPMv2Signer.Sign), DER-encoded.
Where AWS's helper prompts on the terminal for a missing password, this one stops with a message: it runs unattended.

The helper speaks the TPM's command protocol itself (tpm_protocol.py), as AWS's helper does through go-tpm: no
bindings, no tools, any Python 3.8+. The TPM is /dev/tpmrm0 (then /dev/tpm0), or the TCTI named by TPM2TOOLS_TCTI or
TSS2_TCTI (``device:PATH``, ``swtpm:host=H,port=P`` or ``swtpm:path=SOCKET`` for a software TPM), or AWS's TPM_DEVICE.
The password is sent in a password session (TPM_RS_PW) and never printed.
"""

from __future__ import annotations

import collections
import hashlib

from .errors import ConfigurationError, MaterialError
from .signing import KeySigner
from .tpm_protocol import (
    ALG_ECDSA, ALG_RSASSA, ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512, ATTRIBUTE_SIGN, HT_PERSISTENT, RC_AUTH_FAIL,
    RC_BAD_AUTH, RC_HANDLE, RC_INTEGRITY, RC_LOCKOUT, RH_ENDORSEMENT, RH_NULL, RH_OWNER, RH_PLATFORM, TCTI_HINT, Connection,
    TpmError, create_primary, flush, load, public_key_of, rc_base, rc_name, read_public, sign_digest, tcti_configuration)

TSS2_PEM_LABEL = b"-----BEGIN TSS2 PRIVATE KEY-----"
HANDLE_PREFIX = "handle:"
PASSWORD_HINT = "Pass the key's password with --tpm-key-password, or --no-tpm-key-password for a key without one"
LOADABLE_KEY_OID = bytes.fromhex("6781050a0103")  # contents of the DER OID 2.23.133.10.1.3
TpmKeyOptions = collections.namedtuple("TpmKeyOptions", "password no_password environ")
TpmKeyOptions.__new__.__defaults__ = (None, False, None)
TpmKeyOptions.__repr__ = lambda self: "TpmKeyOptions(password=%s, no_password=%s)" % (
    "<hidden>" if self.password else None, self.no_password)


def is_tpm_handle(value):
    return isinstance(value, str) and value.startswith(HANDLE_PREFIX)


def handle_value(text):
    """The number a handle's hex text names ("0x" optional), as AWS's GetTPMv2Signer reads what follows "handle:";
    None when it is not hex."""
    text = (text or "").strip()
    try:
        return int(text[2:] if text.lower().startswith("0x") else text, 16)
    except ValueError:
        return None


def parse_handle(value, flag="--private-key"):
    """The number of ``handle:0x81000001`` (handle_value); persistent handles only."""
    handle = handle_value(value[len(HANDLE_PREFIX):])
    if handle is None or not 0 <= handle <= 0xFFFFFFFF or handle >> 24 != HT_PERSISTENT:
        raise ConfigurationError("%s %s is not a TPM persistent handle" % (flag, value),
                                 "Give handle:0x81xxxxxx, as tpm2_evictcontrol or tpm2_getcap handles-persistent prints it")
    return handle


# --- the TSS2 PEM key file (draft-bottomley-tpm2-keys) -----------------------------------------------------------

def _der_items(data, description):
    """[(tag, contents)] of the DER TLVs in ``data`` (one level)."""
    items, position = [], 0
    while position < len(data):
        if position + 2 > len(data):
            raise _bad_key(description, "is truncated")
        tag, length, position = data[position], data[position + 1], position + 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4 or position + count > len(data):
                raise _bad_key(description, "has a bad DER length")
            length, position = int.from_bytes(data[position:position + count], "big"), position + count
        if position + length > len(data):
            raise _bad_key(description, "is truncated")
        items.append((tag, data[position:position + length]))
        position += length
    return items


def _bad_key(description, problem):
    return MaterialError("TPM key file %s %s" % (description, problem),
                         "Use a TSS2 key file as tpm2_encodeobject, tpm2-openssl or create_tpm2_key writes it", source=description)


TssKey = collections.namedtuple("TssKey", "empty_auth parent public private")


def parse_tss2_key(der, description):
    """The fields of a TSS2 PRIVATE KEY (TPMKey ASN.1), checked as AWS's GetTPMv2Signer checks them."""
    outer = _der_items(der, description)
    if len(outer) != 1 or outer[0][0] != 0x30:
        raise _bad_key(description, "is not a DER SEQUENCE")
    fields = _der_items(outer[0][1], description)
    if not fields or fields[0] != (0x06, LOADABLE_KEY_OID):
        raise _bad_key(description, "is not a loadable TPM key (OID 2.23.133.10.1.3)")
    empty_auth, rest = False, fields[1:]
    tagged = dict((tag, value) for tag, value in rest if tag & 0xE0 == 0xA0)
    if 0xA0 in tagged:  # [0] EXPLICIT BOOLEAN; 0x01 accepted like 0xff (AWS's fixupEmptyAuth)
        inner = _der_items(tagged[0xA0], description)
        empty_auth = len(inner) == 1 and inner[0][0] == 0x01 and inner[0][1] not in (b"", b"\x00")
    if 0xA1 in tagged or 0xA3 in tagged:
        raise _bad_key(description, "has a TPM policy, which is not supported (as by AWS's helper)")
    if 0xA2 in tagged:
        raise _bad_key(description, "is an importable key ('secret' is set), which is not supported (as by AWS's helper)")
    plain = [(tag, value) for tag, value in rest if tag & 0xE0 != 0xA0]
    if [tag for tag, _value in plain] != [0x02, 0x04, 0x04]:
        raise _bad_key(description, "lacks its parent, public or private part")
    parent = int.from_bytes(plain[0][1], "big")
    if parent >> 24 != HT_PERSISTENT and parent not in (RH_OWNER, RH_NULL, RH_ENDORSEMENT, RH_PLATFORM):
        raise _bad_key(description, "names parent 0x%x, which is neither a hierarchy nor a persistent key" % parent)
    for name, blob in (("public", plain[1][1]), ("private", plain[2][1])):
        if len(blob) < 2 or len(blob) - 2 != int.from_bytes(blob[:2], "big"):
            raise _bad_key(description, "has a %s part of the wrong length" % name)
    return TssKey(empty_auth, parent, plain[1][1], plain[2][1])


def _der(tag, content):
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(body)]) + body + content


def tss2_pem(key):
    """The ``-----BEGIN TSS2 PRIVATE KEY-----`` file of a TssKey, the form parse_tss2_key reads (DER TPMKey of
    draft-bottomley-tpm2-keys: type loadableKey, emptyAuth [0] TRUE only when the key has no password, parent, public,
    private), as tpm2_encodeobject and AWS's helper's tests write it."""
    import base64  # pylint: disable=import-outside-toplevel
    fields = _der(0x06, LOADABLE_KEY_OID)
    if key.empty_auth:
        fields += _der(0xA0, b"\x01\x01\xff")
    parent = key.parent.to_bytes(4, "big").lstrip(b"\0") or b"\0"
    if parent[0] & 0x80:  # a positive INTEGER: a leading zero when the top bit is set (0x81000001)
        parent = b"\0" + parent
    fields += _der(0x02, parent)
    fields += _der(0x04, key.public) + _der(0x04, key.private)
    text = base64.encodebytes(_der(0x30, fields)).decode("ascii").replace("\n", "")
    lines = [text[index:index + 64] for index in range(0, len(text), 64)]
    return ("-----BEGIN TSS2 PRIVATE KEY-----\n%s\n-----END TSS2 PRIVATE KEY-----\n" % "\n".join(lines)).encode("ascii")


def tss2_der(data):
    """The DER of the TSS2 PRIVATE KEY block in PEM ``data``, or None when there is none."""
    import base64  # pylint: disable=import-outside-toplevel
    start = data.find(TSS2_PEM_LABEL)
    if start < 0:
        return None
    end = data.find(b"-----END TSS2 PRIVATE KEY-----", start)
    if end < 0:
        return b""
    try:
        return base64.b64decode(b"".join(data[start + len(TSS2_PEM_LABEL):end].split()), validate=True)
    except ValueError:
        return b""


# --- the signer --------------------------------------------------------------------------------------------------

class TpmSigner(KeySigner):
    """A key in a TPM: a persistent ``handle`` or a TSS2 ``key`` (loaded under its parent at every signature)."""

    def __init__(self, public_key, key_type, description, password, configuration, handle=None, key=None):
        super().__init__(key_type, description)
        self._public_key = public_key
        self._password = password
        self._configuration = configuration
        self._handle = handle
        self._key = key

    def __repr__(self):
        return "TpmSigner(%s)" % self.description  # never the password

    def public_key(self):
        return self._public_key

    def _digest_and_hash(self, data):
        digest = hashlib.sha256(data).digest()  # AWS's helper signs SHA-256 for every key (signer.go)
        if self.key_type == "RSA":
            return digest, ALG_SHA256
        size = min((self._public_key.curve.key_size + 7) // 8, 64)  # TPMv2Signer.Sign: hash named by the curve's size
        return digest[:size].rjust(size, b"\0"), {64: ALG_SHA512, 48: ALG_SHA384, 32: ALG_SHA256, 20: ALG_SHA1}[size]

    def sign(self, data):
        digest, hash_alg = self._digest_and_hash(data)
        connection = Connection(self._configuration)
        loaded = []
        try:
            handle = self._handle
            if handle is None:
                parent = self._key.parent
                if parent >> 24 != HT_PERSISTENT:
                    parent = create_primary(connection, parent)
                    loaded.append(parent)
                handle = load(connection, parent, self._key)
                loaded.append(handle)
            scheme = ALG_RSASSA if self.key_type == "RSA" else ALG_ECDSA
            algorithm, fields = sign_digest(connection, handle, digest, scheme, hash_alg, self._password)
        except TpmError as exc:
            raise self._error(exc) from None
        finally:
            for handle in reversed(loaded):  # no resource manager (swtpm, /dev/tpm0): free the slots
                flush(connection, handle)
            connection.close()
        if algorithm == ALG_ECDSA:
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # pylint: disable=import-outside-toplevel
            return encode_dss_signature(*fields)
        return fields

    def _error(self, exc):
        base = rc_base(exc.rc)
        if exc.rc is None:
            return MaterialError(str(exc), TCTI_HINT, source=self.description)
        if base in (RC_BAD_AUTH, RC_AUTH_FAIL):
            hint = "Pass the right --tpm-key-password" if self._password else PASSWORD_HINT
            return MaterialError("incorrect TPM key password for %s (%s)" % (self.description, rc_name(exc.rc)),
                                 hint + "; wrong passwords count towards the TPM's dictionary-attack lockout", source=self.description)
        if base == RC_LOCKOUT:
            return MaterialError("the TPM is in dictionary-attack lockout (%s)" % rc_name(exc.rc),
                                 "Wait for the lockout to expire or reset it (tpm2_dictionarylockout --clear-lockout)",
                                 source=self.description)
        if base == RC_INTEGRITY:
            return MaterialError("TPM key %s cannot be loaded under its parent (%s)" % (self.description, rc_name(exc.rc)),
                                 "The key was made by another TPM, or under another parent: make it under the owner "
                                 "hierarchy's storage key of this TPM", source=self.description)
        return MaterialError("signing with TPM key %s failed: %s" % (self.description, rc_name(exc.rc)),
                             "Check that the key may sign (sign attribute) with RSASSA or ECDSA", source=self.description)


def _check_password(empty_auth, options, description):
    if empty_auth:
        if options.password:  # GetTPMv2Signer: "password is provided but TPM key file indicates that one isn't required"
            raise ConfigurationError("--tpm-key-password is given but TPM key %s has no password" % description,
                                     "Drop --tpm-key-password: the key file says it needs none (emptyAuth)")
        return b""
    if options.password:
        return options.password.encode("utf-8") if isinstance(options.password, str) else options.password
    raise ConfigurationError("TPM key %s needs its password" % description, PASSWORD_HINT)


def _signer(tpm2b_public, description, password, configuration, handle=None, key=None):
    try:
        public_key, key_type, attributes = public_key_of(tpm2b_public)
    except ValueError as exc:
        raise MaterialError("TPM key %s is not usable: %s" % (description, exc),
                            "IAM Roles Anywhere takes RSA and EC (P-256, P-384, P-521) keys", source=description) from None
    if not attributes & ATTRIBUTE_SIGN:
        raise MaterialError("TPM key %s may not sign (no sign attribute)" % description,
                            "Make the key with the sign attribute (tpm2_create does by default); this helper signs inside "
                            "the TPM and never with a raw RSA decrypt", source=description)
    return TpmSigner(public_key, key_type, description, password, configuration, handle, key)


def tpm_key_signer(data, description, options):
    """A TpmSigner for the TSS2 PEM key file ``data``; the TPM is touched only when it signs."""
    options = options or TpmKeyOptions()
    der = tss2_der(data)
    if not der:
        raise _bad_key(description, "has no complete TSS2 PRIVATE KEY block")
    key = parse_tss2_key(der, description)
    password = _check_password(key.empty_auth, options, description)
    return _signer(key.public, description, password, tcti_configuration(options.environ), key=key)


def tpm_handle_signer(value, options, flag="--private-key"):
    """A TpmSigner for ``handle:0x81...``; its public part is read from the TPM now (TPM2_ReadPublic)."""
    options = options or TpmKeyOptions()
    handle = parse_handle(value, flag)
    password = b"" if options.no_password else _check_password(False, options, value)
    configuration = tcti_configuration(options.environ)
    connection = Connection(configuration)
    try:
        public = read_public(connection, handle)
    except TpmError as exc:
        if rc_base(exc.rc) == RC_HANDLE:
            raise MaterialError("the TPM %s has no key at %s" % (connection.name, value),
                                "List its persistent keys with tpm2_getcap handles-persistent", source=value) from None
        raise MaterialError("reading TPM key %s failed: %s" % (value, exc), TCTI_HINT, source=value) from None
    finally:
        connection.close()
    return _signer(public, value, password, configuration, handle=handle)
