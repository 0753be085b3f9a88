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

The helper speaks the TPM's command protocol (TPM 2.0 Library, Part 3) itself, as AWS's helper does through go-tpm:
no bindings, no tools, any Python 3.8+. The TPM is /dev/tpmrm0 (then /dev/tpm0), or the TCTI named by
TPM2TOOLS_TCTI or TSS2_TCTI (``device:PATH``, ``swtpm:host=H,port=P`` or ``swtpm:path=SOCKET`` for a software TPM),
or AWS's TPM_DEVICE. The password is sent in a password session (TPM_RS_PW) and never printed.
"""

from __future__ import annotations

import collections
import hashlib
import os
import socket
import struct

from .errors import ConfigurationError, MaterialError
from .signing import ALGORITHM_ECDSA, ALGORITHM_RSA, KeySigner

TSS2_PEM_LABEL = b"-----BEGIN TSS2 PRIVATE KEY-----"
HANDLE_PREFIX = "handle:"
LOADABLE_KEY_OID = bytes.fromhex("6781050a0103")  # contents of the DER OID 2.23.133.10.1.3
DEFAULT_DEVICES = ("/dev/tpmrm0", "/dev/tpm0")  # go-tpm's OpenTPM() order, used by AWS's openTPM without TPM_DEVICE
TCTI_VARIABLES = ("TPM2TOOLS_TCTI", "TSS2_TCTI")
SWTPM_DEFAULT = ("127.0.0.1", 2321)
TCTI_HINT = ("Run on a host with a TPM 2.0 (/dev/tpmrm0, readable by the helper's user: group tss), or name the TPM "
             "with TPM2TOOLS_TCTI=device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321 for a software TPM")
PASSWORD_HINT = "Pass the key's password with --tpm-key-password, or --no-tpm-key-password for a key without one"

# TPM 2.0 Library Part 2 constants.
ST_NO_SESSIONS, ST_SESSIONS, ST_HASHCHECK = 0x8001, 0x8002, 0x8024
CC_CREATE_PRIMARY, CC_LOAD, CC_SIGN, CC_FLUSH_CONTEXT, CC_READ_PUBLIC = 0x131, 0x157, 0x15D, 0x165, 0x173
RS_PW, RH_OWNER, RH_NULL, RH_ENDORSEMENT, RH_PLATFORM = 0x40000009, 0x40000001, 0x40000007, 0x4000000B, 0x4000000C
HT_PERSISTENT = 0x81
ALG_RSA, ALG_ECC, ALG_NULL, ALG_AES, ALG_CFB = 0x0001, 0x0023, 0x0010, 0x0006, 0x0043
ALG_RSASSA, ALG_RSAES, ALG_ECDSA, ALG_ECDAA = 0x0014, 0x0015, 0x0018, 0x001A
ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512 = 0x0004, 0x000B, 0x000C, 0x000D
ATTRIBUTE_SIGN = 1 << 18
# AWS's primaryParams: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA | restricted | decrypt.
PRIMARY_ATTRIBUTES = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 10) | (1 << 16) | (1 << 17)
CURVES = {0x0003: ("secp256r1", 32), 0x0004: ("secp384r1", 48), 0x0005: ("secp521r1", 66)}
# Response codes worth a name (Part 2, TPM_RC): format-one codes (bit 7 set) are matched on their low 6 bits.
RC_BAD_AUTH, RC_AUTH_FAIL, RC_HANDLE, RC_INTEGRITY, RC_LOCKOUT = 0x22, 0x0E, 0x0B, 0x1F, 0x921
RC_RETRY = (0x922, 0x908, 0x90A)  # TPM_RC_RETRY, TPM_RC_YIELDED, TPM_RC_TESTING: send the command again
RC_NAMES = {0x22: "TPM_RC_BAD_AUTH", 0x0E: "TPM_RC_AUTH_FAIL", 0x0B: "TPM_RC_HANDLE", 0x1F: "TPM_RC_INTEGRITY",
            0x1C: "TPM_RC_KEY", 0x12: "TPM_RC_SCHEME", 0x02: "TPM_RC_ATTRIBUTES", 0x04: "TPM_RC_VALUE",
            0x921: "TPM_RC_LOCKOUT", 0x902: "TPM_RC_OBJECT_MEMORY", 0x101: "TPM_RC_FAILURE", 0x100: "TPM_RC_INITIALIZE"}

TpmKeyOptions = collections.namedtuple("TpmKeyOptions", "password no_password environ")
TpmKeyOptions.__new__.__defaults__ = (None, False, None)
TpmKeyOptions.__repr__ = lambda self: "TpmKeyOptions(password=%s, no_password=%s)" % (
    "<hidden>" if self.password else None, self.no_password)


class TpmError(Exception):
    """A TPM answered with a response code other than success (rc) or could not be reached (rc None)."""

    def __init__(self, rc, text=None):
        self.rc = rc
        super().__init__(text or rc_name(rc))


def rc_name(rc):
    """``TPM_RC_BAD_AUTH (0x9a2)`` for a response code: the spec's name where it is one of the common ones."""
    base = rc & 0x3F if rc & 0x80 else rc
    return "%s (0x%x)" % (RC_NAMES.get(base, "TPM error"), rc)


def is_tpm_handle(value):
    return isinstance(value, str) and value.startswith(HANDLE_PREFIX)


def parse_handle(value, flag="--private-key"):
    """The number of ``handle:0x81000001`` (hex, "0x" optional, as AWS's GetTPMv2Signer); persistent handles only."""
    text = value[len(HANDLE_PREFIX):]
    try:
        handle = int(text[2:] if text.lower().startswith("0x") else text, 16)
    except ValueError:
        handle = -1
    if not 0 <= handle <= 0xFFFFFFFF or handle >> 24 != HT_PERSISTENT:
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


# --- TPMT_PUBLIC -> a cryptography public key ------------------------------------------------------------------

class _Reader(object):
    def __init__(self, data):
        self.data, self.position = data, 0

    def take(self, count):
        if self.position + count > len(self.data):
            raise ValueError("truncated")
        value = self.data[self.position:self.position + count]
        self.position += count
        return value

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def tpm2b(self):
        return self.take(self.u16())


def public_key_of(tpm2b_public):
    """(cryptography public key, "RSA" or "EC", attributes) of a TPM2B_PUBLIC; ValueError for anything else."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel
    reader = _Reader(_Reader(tpm2b_public).tpm2b())
    kind, _name_alg, attributes = reader.u16(), reader.u16(), reader.u32()
    reader.tpm2b()  # authPolicy
    if reader.u16() != ALG_NULL:  # symmetric: keyBits, mode
        reader.take(4)
    scheme = reader.u16()
    if kind == ALG_RSA:
        if scheme not in (ALG_NULL, ALG_RSAES):
            reader.take(2)
        reader.u16()  # keyBits
        exponent = reader.u32() or 65537
        modulus = int.from_bytes(reader.tpm2b(), "big")
        return rsa.RSAPublicNumbers(exponent, modulus).public_key(), "RSA", attributes
    if kind == ALG_ECC:
        if scheme != ALG_NULL:
            reader.take(4 if scheme == ALG_ECDAA else 2)
        curve = CURVES.get(reader.u16())
        if reader.u16() != ALG_NULL:  # kdf
            reader.take(2)
        if curve is None:
            raise ValueError("an EC curve IAM Roles Anywhere does not take")
        x, y = reader.tpm2b(), reader.tpm2b()
        size = curve[1]
        point = b"\x04" + x.rjust(size, b"\0") + y.rjust(size, b"\0")
        return ec.EllipticCurvePublicKey.from_encoded_point(getattr(ec, curve[0].upper())(), point), "EC", attributes
    raise ValueError("neither an RSA nor an EC key")


# --- talking to the TPM ------------------------------------------------------------------------------------------

def tcti_configuration(environ=None):
    """(kind, where) from TPM2TOOLS_TCTI / TSS2_TCTI / TPM_DEVICE: ("device", path), ("tcp", (host, port)),
    ("unix", path); None: the default devices."""
    environ = os.environ if environ is None else environ
    for name in TCTI_VARIABLES:
        text = (environ.get(name) or "").strip()
        if text:
            return _parse_tcti(name, text)
    if environ.get("TPM_DEVICE"):  # AWS's helper's variable (tpm_signer_helper_other.go openTPM)
        return "device", environ["TPM_DEVICE"]
    return None


def _parse_tcti(name, text):
    kind, _sep, conf = text.partition(":")
    if kind in ("device", "libtss2-tcti-device.so.0"):
        return "device", conf or DEFAULT_DEVICES[0]
    if kind in ("swtpm", "libtss2-tcti-swtpm.so.0"):
        options = dict(part.partition("=")[::2] for part in conf.split(",") if "=" in part)
        if options.get("path"):
            return "unix", options["path"]
        try:
            return "tcp", (options.get("host") or SWTPM_DEFAULT[0], int(options.get("port") or SWTPM_DEFAULT[1]))
        except ValueError:
            pass
    raise ConfigurationError("%s=%s is not a TCTI this helper speaks" % (name, text),
                             "Use device:/dev/tpmrm0, swtpm:host=HOST,port=PORT or swtpm:path=SOCKET (tabrmd and mssim "
                             "are not supported: use the kernel's resource manager /dev/tpmrm0)")


class Connection(object):
    """One open TPM: ``call`` sends a command and returns its response parameters (after the header)."""

    def __init__(self, configuration=None):
        self._socket = self._fd = None
        kind, where = configuration or ("device", None)
        label = "%s:%d" % where if kind == "tcp" else where or " or ".join(DEFAULT_DEVICES)
        try:
            if kind == "tcp":
                self._socket, self.name = socket.create_connection(where, timeout=30), "swtpm:host=%s,port=%d" % where
            elif kind == "unix":
                self._socket, self.name = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), "swtpm:path=%s" % where
                self._socket.settimeout(30)
                self._socket.connect(where)
            else:
                self._open_device([where] if where else DEFAULT_DEVICES)
        except OSError as exc:
            self.close()
            raise MaterialError("the TPM (%s) cannot be opened: %s" % (label, exc.strerror or exc), TCTI_HINT) from None

    def _open_device(self, paths):
        error = None
        for path in paths:
            try:
                self._fd, self.name = os.open(path, os.O_RDWR), path
                return
            except OSError as exc:
                error = exc if error is None or not isinstance(exc, FileNotFoundError) else error
        raise error

    def _exchange(self, command):
        if self._fd is not None:
            os.write(self._fd, command)
            return os.read(self._fd, 8192)
        self._socket.sendall(command)
        response = self._receive(10)
        return response + self._receive(struct.unpack(">I", response[2:6])[0] - 10)

    def _receive(self, count):
        chunks = []
        while count > 0:
            chunk = self._socket.recv(count)
            if not chunk:
                raise OSError(0, "the TPM closed the connection")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def call(self, code, handles=(), parameters=b"", auth=None):
        """The response after its header (and after the parameter size when sessions were used)."""
        tag = ST_NO_SESSIONS if auth is None else ST_SESSIONS
        body = b"".join(struct.pack(">I", handle) for handle in handles)
        if auth is not None:  # one password session: TPM_RS_PW, empty nonce, attributes 0, the password as hmac
            session = struct.pack(">IH", RS_PW, 0) + b"\0" + struct.pack(">H", len(auth)) + auth
            body += struct.pack(">I", len(session)) + session
        body += parameters
        command = struct.pack(">HII", tag, 10 + len(body), code) + body
        for _attempt in range(20):
            try:
                response = self._exchange(command)
            except OSError as exc:
                raise TpmError(None, "the TPM %s did not answer: %s" % (self.name, exc.strerror or exc)) from None
            if len(response) < 10:
                raise TpmError(None, "the TPM %s gave a short answer" % self.name)
            rc = struct.unpack(">I", response[6:10])[0]
            if rc not in RC_RETRY:
                break
        if rc:
            raise TpmError(rc)
        return response[10:]

    def close(self):
        if self._socket is not None:
            self._socket.close()
        if self._fd is not None:
            os.close(self._fd)
        self._socket = self._fd = None


def _tpm2b(data):
    return struct.pack(">H", len(data)) + data


def primary_template():
    """TPM2B_PUBLIC of AWS's primaryParams: ECC P-256 storage key, SHA-256 names, AES-128-CFB, empty unique."""
    public = struct.pack(">HHI", ALG_ECC, ALG_SHA256, PRIMARY_ATTRIBUTES) + _tpm2b(b"")
    public += struct.pack(">HHH", ALG_AES, 128, ALG_CFB) + struct.pack(">HHH", ALG_NULL, 0x0003, ALG_NULL)
    return _tpm2b(public + _tpm2b(b"") + _tpm2b(b""))


def create_primary(connection, hierarchy):
    sensitive = _tpm2b(_tpm2b(b"") + _tpm2b(b""))
    response = connection.call(CC_CREATE_PRIMARY, (hierarchy,), sensitive + primary_template() + _tpm2b(b"") + b"\0\0\0\0", b"")
    return struct.unpack(">I", response[:4])[0]


def load(connection, parent, key):
    return struct.unpack(">I", connection.call(CC_LOAD, (parent,), key.private + key.public, b"")[:4])[0]


def flush(connection, handle):
    try:
        connection.call(CC_FLUSH_CONTEXT, (), struct.pack(">I", handle))
    except TpmError:
        pass


def read_public(connection, handle):
    """The TPM2B_PUBLIC (size included) of a loaded or persistent key."""
    response = connection.call(CC_READ_PUBLIC, (handle,))
    return response[:2 + struct.unpack(">H", response[:2])[0]]


def sign_digest(connection, handle, digest, scheme, hash_alg, password):
    """TPMT_SIGNATURE of TPM2_Sign: (sigAlg, fields) with RSASSA's signature or ECDSA's (r, s)."""
    parameters = _tpm2b(digest) + struct.pack(">HH", scheme, hash_alg) + struct.pack(">HI", ST_HASHCHECK, RH_NULL) + _tpm2b(b"")
    reader = _Reader(connection.call(CC_SIGN, (handle,), parameters, password or b"")[4:])
    algorithm = reader.u16()
    reader.u16()  # hash
    if algorithm == ALG_ECDSA:
        return algorithm, (int.from_bytes(reader.tpm2b(), "big"), int.from_bytes(reader.tpm2b(), "big"))
    return algorithm, reader.tpm2b()


# --- the signer --------------------------------------------------------------------------------------------------

class TpmSigner(KeySigner):
    """A key in a TPM: a persistent ``handle`` or a TSS2 ``key`` (loaded under its parent at every signature)."""

    def __init__(self, public_key, key_type, description, password, configuration, handle=None, key=None):
        self._public_key = public_key
        self.key_type = key_type
        self.algorithm = ALGORITHM_RSA if key_type == "RSA" else ALGORITHM_ECDSA
        self.description = description
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
        base = exc.rc & 0x3F if exc.rc is not None and exc.rc & 0x80 else exc.rc
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
        base = exc.rc & 0x3F if exc.rc is not None and exc.rc & 0x80 else exc.rc
        if base == RC_HANDLE:
            raise MaterialError("the TPM %s has no key at %s" % (connection.name, value),
                                "List its persistent keys with tpm2_getcap handles-persistent", source=value) from None
        raise MaterialError("reading TPM key %s failed: %s" % (value, exc), TCTI_HINT, source=value) from None
    finally:
        connection.close()
    return _signer(public, value, password, configuration, handle=handle)
