# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of PKI files: sources (path, text, bytes, standard input), PEM blocks, DER, certificates,
CRLs and CSRs, and the one check that the ``cryptography`` library is there.

Private keys, PKCS#8 and PKCS#12 are opened in ``x509.py`` from the blocks this module finds; the control
plane's rules about what a trust anchor or a CRL may hold live in ``_control_plane/resources.py``; both read
through here. Messages name the option and the source (a path, "standard input", "<PEM text>"), never the
content of a private key.

No Ansible imports; ships to hosts inside the credential helper.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections import namedtuple

from .errors import MaterialError

try:
    from cryptography import __version__ as _CRYPTOGRAPHY_VERSION, x509
    from cryptography.exceptions import UnsupportedAlgorithm
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as import_error:  # pragma: no cover - exercised only without cryptography
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = import_error
    UnsupportedAlgorithm = ValueError

PEM_TEXT = "<PEM text>"
DER_BYTES = "<DER bytes>"
STANDARD_INPUT = "standard input"
CERTIFICATE_LABELS = ("CERTIFICATE", "X509 CERTIFICATE", "X.509 CERTIFICATE")
PRIVATE_KEY_LABELS = ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY")
CRL_LABEL = "X509 CRL"
CSR_LABELS = ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")

# RFC 7468 textual encoding; CRLF line ends, surrounding text (openssl's "Bag Attributes", comments) and
# RFC 1421 headers (legacy encrypted keys: Proc-Type/DEK-Info) are tolerated.
_PEM_BLOCK_RE = re.compile(rb"-----BEGIN (?P<label>[A-Z0-9 .]+)-----(?P<body>.*?)-----END (?P=label)-----", re.DOTALL)
PRIVATE_KEY_BLOCK_RE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----", re.DOTALL)

PemBlock = namedtuple("PemBlock", ["label", "text", "der"])  # label: str; text: the whole block (bytes); der: bytes or None


def require_cryptography(purpose="read certificates, keys and CRLs"):
    """The one check that the ``cryptography`` library imports; a clear MaterialError when it does not."""
    if not HAS_CRYPTOGRAPHY:
        raise MaterialError(
            "the Python library cryptography is needed to %s but cannot be imported (%s)" % (purpose, CRYPTOGRAPHY_IMPORT_ERROR),
            "Install it on the host that runs this (pip install cryptography, or the OS package python3-cryptography)",
        )


def backend():
    """The backend argument of cryptography's loaders: required before cryptography 3.1 (Ubuntu 20.04 ships 2.8),
    ignored since. Only those old versions import it: the import costs the helper's cold start about 3 ms."""
    if _needs_backend():
        from cryptography.hazmat.backends import default_backend  # pylint: disable=import-outside-toplevel
        return default_backend()
    return None


def _needs_backend():
    try:
        return tuple(int(part) for part in _CRYPTOGRAPHY_VERSION.split(".")[:2]) < (3, 1)
    except ValueError:  # a version such as "3.1.dev1": new enough
        return False


# --- sources --------------------------------------------------------------------------------------------------

class NamedData:
    """Bytes that came from somewhere with a name (standard input, a module option), so messages can say where."""

    __slots__ = ("data", "name")

    def __init__(self, data, name):
        self.data = as_bytes(data)
        self.name = name


def as_bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


def _looks_like_path(source):
    return isinstance(source, os.PathLike) or (isinstance(source, str) and "-----BEGIN" not in source and "\n" not in source)


def read_source(source, what):
    """(data bytes, description) of a path, PEM/DER text or bytes, or NamedData (what: "certificate", ...)."""
    if isinstance(source, NamedData):
        if not source.data.strip():
            raise MaterialError("%s was empty: no %s in it" % (source.name, what), "Send the %s on %s" % (what, source.name), source=source.name)
        return source.data, source.name
    if source is None or (isinstance(source, (str, bytes)) and not source.strip()):
        raise MaterialError("no %s given" % what, "Pass a file path or PEM text")
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return data, PEM_TEXT if b"-----BEGIN" in data else DER_BYTES
    if not _looks_like_path(source):
        return source.encode("utf-8"), PEM_TEXT
    path = os.path.expanduser(os.fspath(source))
    return read_file(path, "%s file" % what), path


def read_file(path, option):
    """The bytes of a file the user named; MaterialError naming option and path when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise _unreadable(option, path, "does not exist", "Check the path") from None
    except IsADirectoryError:
        raise _unreadable(option, path, "is a directory", "Give the path of a file") from None
    except PermissionError:
        raise _unreadable(option, path, "is not readable (permission denied)", "Run as a user that can read it, or fix its owner and mode") from None
    except OSError as error:
        raise _unreadable(option, path, "gave %s" % (error.strerror or error), "Check the path and its permissions") from None


def _unreadable(option, path, problem, hint):
    return MaterialError("%s %s could not be read: it %s" % (option, path, problem), hint, source=path)


# --- PEM ------------------------------------------------------------------------------------------------------

def looks_like_pem(data):
    return b"-----BEGIN" in as_bytes(data)


def pem_blocks(data):
    """Every PEM block of data, in order; der is None when the body is not plain base64 (or has RFC 1421 headers)."""
    blocks = []
    for match in _PEM_BLOCK_RE.finditer(as_bytes(data)):
        body = match.group("body")
        der = None
        if b":" not in body:
            try:
                der = base64.b64decode(b"".join(body.split()), validate=True)
            except (binascii.Error, ValueError):
                der = None
        blocks.append(PemBlock(match.group("label").decode("ascii"), match.group(0), der))
    return blocks


def pem_encode(der, label):
    text = base64.b64encode(der).decode("ascii")
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def labels_text(blocks):
    return ", ".join(sorted({block.label for block in blocks})) or "nothing"


# --- certificates ---------------------------------------------------------------------------------------------

def certificate_from_der(der, description, index=0, hint=None):
    try:
        return x509.load_der_x509_certificate(der, backend())
    except (ValueError, UnsupportedAlgorithm):
        raise MaterialError(
            "certificate #%d in %s is not a valid X.509 certificate" % (index + 1, description),
            hint or "Check the file: it must hold PEM (-----BEGIN CERTIFICATE-----) or DER certificates", source=description,
        ) from None


def parse_certificates(data, description, hint=None):
    """All certificates of PEM data (in order), or the one certificate of DER data.

    hint replaces the advice for a file that is no certificate (e.g. for --intermediates, not --certificate).
    """
    hint = hint or "Use a PEM or DER certificate, a combined PEM (key + certificate) or a PKCS#12 file"
    blocks = pem_blocks(data)
    if blocks:
        certificates = []
        for index, block in enumerate(b for b in blocks if b.label in CERTIFICATE_LABELS):
            if block.der is None:
                raise MaterialError(
                    "certificate #%d in %s is not valid base64 (%s)" % (index + 1, description, block.label),
                    "Check the file for truncation or stray characters", source=description,
                )
            certificates.append(certificate_from_der(block.der, description, index, hint))
        if not certificates:
            raise MaterialError("%s holds no certificate (found: %s)" % (description, labels_text(blocks)), hint, source=description)
        return certificates
    if b"-----BEGIN" in data:
        raise MaterialError("%s has a PEM header but no complete PEM block" % description, "Check the file for truncation", source=description)
    try:
        return [x509.load_der_x509_certificate(data, backend())]
    except (ValueError, UnsupportedAlgorithm):
        raise MaterialError("%s is neither a PEM nor a DER certificate" % description, hint, source=description) from None


def load_certificates(source, what="certificate", hint=None):
    """All certificates in a PEM file/text (in file order), or the one certificate of a DER file; [] when empty."""
    require_cryptography()
    data, description = read_source(source, what)
    if not data.strip():
        return []  # an empty intermediates file means "no intermediates"
    return parse_certificates(data, description, hint)


def certificate_ders(data, source, only_certificates_hint):
    """DER of every certificate of a PEM bundle (refusing any other block), or [data] for DER input."""
    raw = as_bytes(data)
    if not looks_like_pem(raw):
        return [raw]
    ders = []
    for position, block in enumerate(pem_blocks(raw), 1):
        if block.label not in CERTIFICATE_LABELS:
            raise MaterialError("%s block %d is a %s, not a CERTIFICATE" % (source, position, block.label), only_certificates_hint, source=source)
        if block.der is None:
            raise MaterialError("%s block %d is not valid base64" % (source, position), "Check that the PEM text is complete", source=source)
        ders.append(block.der)
    return ders


def split_pem_certificates(text):
    """Each PEM certificate of text re-encoded canonically (64-column base64, trailing newline)."""
    return [pem_encode(block.der, "CERTIFICATE") for block in pem_blocks(text or "") if block.label in CERTIFICATE_LABELS and block.der]


# --- CRLs -----------------------------------------------------------------------------------------------------

def crl_der(data, source):
    """DER of the one CRL in data (PEM -----BEGIN X509 CRL----- or DER), checked to parse."""
    require_cryptography()
    raw = as_bytes(data)
    der = raw
    if looks_like_pem(raw):
        crls = [block for block in pem_blocks(raw) if block.label == CRL_LABEL]
        if len(crls) != 1 or crls[0].der is None:
            raise MaterialError(
                "%s holds %s" % (source, "no readable X509 CRL block" if not crls or crls[0].der is None else "more than one CRL"),
                "Give exactly one CRL, PEM (-----BEGIN X509 CRL-----) or DER", source=source,
            )
        der = crls[0].der
    load_crl(der, source)
    return der


def load_crl(data, source):
    """The cryptography CRL object of PEM or DER data."""
    require_cryptography()
    raw = as_bytes(data)
    if looks_like_pem(raw):
        blocks = [block.der for block in pem_blocks(raw) if block.label == CRL_LABEL and block.der]
        raw = blocks[0] if len(blocks) == 1 else None
    crl = _parsed(x509.load_der_x509_crl, raw)
    if crl is None:
        raise MaterialError("%s could not be read as a certificate revocation list" % source, "Give one CRL, PEM or DER", source=source)
    return crl


def _parsed(load, der):
    """load(der), or None when der is None or does not parse."""
    if der is None:
        return None
    try:
        return load(der, backend())
    except (ValueError, UnsupportedAlgorithm):
        return None


def crl_der_or_none(data):
    """DER of a CRL held as PEM or DER bytes (what a service returns); None when there is none."""
    if not data:
        return None
    raw = as_bytes(data)
    if looks_like_pem(raw):
        blocks = [block.der for block in pem_blocks(raw) if block.label == CRL_LABEL]
        return blocks[0] if blocks else None
    return raw


# --- CSRs -----------------------------------------------------------------------------------------------------

def load_csr(data, source="csr"):
    """The certificate signing request of PEM or DER data, its signature checked."""
    require_cryptography()
    raw = as_bytes(data)
    blocks = [block for block in pem_blocks(raw) if block.label in CSR_LABELS]
    der = blocks[0].der if blocks else (None if looks_like_pem(raw) else raw)
    csr = _parsed(x509.load_der_x509_csr, der)
    if csr is None:
        raise MaterialError(
            "%s is not a PEM certificate signing request" % source,
            "Pass the csr_pipe result's 'csr' value (-----BEGIN CERTIFICATE REQUEST-----)", source=source,
        )
    if not csr.is_signature_valid:
        raise MaterialError("%s has an invalid signature" % source, "Create the CSR again with the private key it names", source=source)
    return csr
