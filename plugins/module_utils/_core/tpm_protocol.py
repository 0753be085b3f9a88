# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TPM 2.0 command protocol (TPM 2.0 Library, Part 2 structures and Part 3 commands), spoken by the helper itself.

AWS's helper speaks it through go-tpm (aws_signing_helper/tpm_signer.go); this is the handful of commands its
TPMv2Signer sends: TPM2_CreatePrimary, TPM2_Load, TPM2_Sign, TPM2_FlushContext and TPM2_ReadPublic, each with at most
one password session (TPM_RS_PW); TPM2_Create, with which the enroll role makes the host's key in its TPM
(_enroll/tpm_key.py), and TPM2_EvictControl, with which it keeps that key at a persistent handle
(_enroll/tpm_handle.py). No bindings and no tools: any Python 3.8+ on the host can sign with the host's TPM.
The TPM is reached as tpm2-tools reaches it: the TCTI in TPM2TOOLS_TCTI or TSS2_TCTI (``device:PATH``,
``swtpm:host=H,port=P``, ``swtpm:path=SOCKET``), else AWS's TPM_DEVICE, else /dev/tpmrm0 then /dev/tpm0 (go-tpm's
OpenTPM order). swtpm's socket carries the same command bytes as the kernel's device.
"""

from __future__ import annotations

import os
import socket
import struct

from .errors import ConfigurationError, MaterialError

DEFAULT_DEVICES = ("/dev/tpmrm0", "/dev/tpm0")  # go-tpm's OpenTPM() order, used by AWS's openTPM without TPM_DEVICE
TCTI_VARIABLES = ("TPM2TOOLS_TCTI", "TSS2_TCTI")
SWTPM_DEFAULT = ("127.0.0.1", 2321)
TCTI_HINT = ("Run on a host with a TPM 2.0 (/dev/tpmrm0, readable by the helper's user: group tss), or name the TPM "
             "with TPM2TOOLS_TCTI=device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321 for a software TPM")

# TPM 2.0 Library Part 2 constants.
ST_NO_SESSIONS, ST_SESSIONS, ST_HASHCHECK = 0x8001, 0x8002, 0x8024
CC_CREATE_PRIMARY, CC_LOAD, CC_SIGN, CC_FLUSH_CONTEXT, CC_READ_PUBLIC = 0x131, 0x157, 0x15D, 0x165, 0x173
CC_CREATE = 0x153  # TPM 2.0 Library Part 3, 12.1 TPM2_Create (the enroll role's key store: _enroll/tpm_key.py)
CC_EVICT_CONTROL = 0x120  # Part 3, 28.5 TPM2_EvictControl (enroll_tpm_persistent_handle: _enroll/tpm_handle.py)
RS_PW, RH_OWNER, RH_NULL, RH_ENDORSEMENT, RH_PLATFORM = 0x40000009, 0x40000001, 0x40000007, 0x4000000B, 0x4000000C
HT_PERSISTENT = 0x81
ALG_RSA, ALG_ECC, ALG_NULL, ALG_AES, ALG_CFB = 0x0001, 0x0023, 0x0010, 0x0006, 0x0043
ALG_RSASSA, ALG_RSAES, ALG_ECDSA, ALG_ECDAA = 0x0014, 0x0015, 0x0018, 0x001A
ALG_SHA1, ALG_SHA256, ALG_SHA384, ALG_SHA512 = 0x0004, 0x000B, 0x000C, 0x000D
ATTRIBUTE_SIGN = 1 << 18
ATTRIBUTE_RESTRICTED, ATTRIBUTE_DECRYPT = 1 << 16, 1 << 17
# Part 2, TPMA_OBJECT: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth, a key that cannot leave this TPM.
ATTRIBUTES_BOUND = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6)
# A signing key: sign; not decrypt (sign-only), not restricted (it signs outside digests: CreateSession's).
SIGNING_KEY_ATTRIBUTES = ATTRIBUTES_BOUND | ATTRIBUTE_SIGN
ATTRIBUTE_NO_DA = 1 << 10  # set for keys without a password: no dictionary-attack counting on an empty password
CURVE_P256 = 0x0003
# AWS's primaryParams: fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | noDA | restricted | decrypt.
PRIMARY_ATTRIBUTES = ATTRIBUTES_BOUND | ATTRIBUTE_NO_DA | ATTRIBUTE_RESTRICTED | ATTRIBUTE_DECRYPT
CURVES = {0x0003: ("secp256r1", 32), 0x0004: ("secp384r1", 48), 0x0005: ("secp521r1", 66)}
# Response codes worth a name (Part 2, TPM_RC): format-one codes (bit 7 set) are matched on their low 6 bits.
RC_BAD_AUTH, RC_AUTH_FAIL, RC_HANDLE, RC_INTEGRITY, RC_LOCKOUT = 0x22, 0x0E, 0x0B, 0x1F, 0x921
RC_NV_SPACE, RC_NV_DEFINED = 0x14B, 0x14C  # TPM2_EvictControl: no room for another persistent object; the handle is taken
RC_RETRY = (0x922, 0x908, 0x90A)  # TPM_RC_RETRY, TPM_RC_YIELDED, TPM_RC_TESTING: send the command again
RC_NAMES = {0x22: "TPM_RC_BAD_AUTH", 0x0E: "TPM_RC_AUTH_FAIL", 0x0B: "TPM_RC_HANDLE", 0x1F: "TPM_RC_INTEGRITY",
            0x1C: "TPM_RC_KEY", 0x12: "TPM_RC_SCHEME", 0x02: "TPM_RC_ATTRIBUTES", 0x04: "TPM_RC_VALUE",
            0x921: "TPM_RC_LOCKOUT", 0x902: "TPM_RC_OBJECT_MEMORY", 0x101: "TPM_RC_FAILURE", 0x100: "TPM_RC_INITIALIZE",
            0x14B: "TPM_RC_NV_SPACE", 0x14C: "TPM_RC_NV_DEFINED", 0x0D: "TPM_RC_RANGE"}


class TpmError(Exception):
    """A TPM answered with a response code other than success (rc) or could not be reached (rc None)."""

    def __init__(self, rc, text=None):
        self.rc = rc
        super().__init__(text or rc_name(rc))


def rc_base(rc):
    """A response code without its handle, session or parameter number (format-one codes: bit 7 set)."""
    return rc & 0x3F if rc is not None and rc & 0x80 else rc


def rc_name(rc):
    """``TPM_RC_BAD_AUTH (0x9a2)`` for a response code: the spec's name where it is one of the common ones."""
    return "%s (0x%x)" % (RC_NAMES.get(rc_base(rc), "TPM error"), rc)


# --- TPMT_PUBLIC -> a cryptography public key ------------------------------------------------------------------

class _Reader(object):
    """Big-endian fields of a TPM structure, in order."""

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
        label = "%s:%d" % (where[0], where[1]) if kind == "tcp" else where or " or ".join(DEFAULT_DEVICES)
        try:
            if kind == "tcp":
                self._socket, self.name = socket.create_connection(where, timeout=30), "swtpm:host=%s,port=%d" % (where[0], where[1])
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


def signing_key_template(kind, has_password):
    """TPM2B_PUBLIC of a new sign-only key: ("RSA", 2048) or ("EC", "secp256r1"), SHA-256 names, scheme NULL (TPM2_Sign
    names RSASSA or ECDSA, as the helper's sign_digest does), unique empty (the TPM fills it)."""
    attributes = SIGNING_KEY_ATTRIBUTES | (0 if has_password else ATTRIBUTE_NO_DA)
    if kind == ("RSA", 2048):
        public = struct.pack(">HHI", ALG_RSA, ALG_SHA256, attributes) + _tpm2b(b"")
        public += struct.pack(">HHHI", ALG_NULL, ALG_NULL, 2048, 0) + _tpm2b(b"")
    elif kind == ("EC", "secp256r1"):
        public = struct.pack(">HHI", ALG_ECC, ALG_SHA256, attributes) + _tpm2b(b"")
        public += struct.pack(">HHHH", ALG_NULL, ALG_NULL, CURVE_P256, ALG_NULL) + _tpm2b(b"") + _tpm2b(b"")
    else:
        raise ValueError("a TPM key is RSA 2048 or EC secp256r1, not %s %s" % kind)
    return _tpm2b(public)


def create(connection, parent, template, password=b""):
    """TPM2_Create under the loaded or persistent storage key ``parent`` (no parent password): the new key's
    (TPM2B_PRIVATE, TPM2B_PUBLIC), sizes included. The private part is wrapped by the parent: it is usable only
    in this TPM, under that parent."""
    sensitive = _tpm2b(_tpm2b(password or b"") + _tpm2b(b""))
    response = connection.call(CC_CREATE, (parent,), sensitive + template + _tpm2b(b"") + b"\0\0\0\0", b"")
    reader = _Reader(response[4:])  # after the parameter size
    private = reader.tpm2b()
    public = reader.tpm2b()
    return _tpm2b(private), _tpm2b(public)


def load(connection, parent, key):
    return struct.unpack(">I", connection.call(CC_LOAD, (parent,), key.private + key.public, b"")[:4])[0]


def evict_control(connection, object_handle, persistent_handle, hierarchy=RH_OWNER):
    """TPM2_EvictControl under ``hierarchy``'s authorisation (an empty password, as AWS's helper needs the owner's:
    tpm_signer.go CreatePrimary with ""). A loaded object is copied to ``persistent_handle`` (0x81000000 to 0x817fffff
    for the owner); with ``object_handle`` equal to ``persistent_handle`` that persistent object is evicted. The
    loaded object stays loaded: flush it."""
    connection.call(CC_EVICT_CONTROL, (hierarchy, object_handle), struct.pack(">I", persistent_handle), b"")


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
