# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RFC 7512 ``pkcs11:`` URIs: parsed, checked, and written back without their PIN (standard library only).

A URI is a search term, not a name: its path attributes (``token``, ``manufacturer``, ``model``, ``serial``,
``object``, ``id``, ``type``, ...) must each match the token or object when present; its query attributes carry the
PIN (``pin-value``, or ``pin-source``: a file holding it). AWS's helper reads the same URIs in place of a file name
(aws/rolesanywhere-credential-helper README.md "PKCS#11 Integration"; aws_signing_helper/pkcs11_signer.go
matchSlots / getFindTemplate, through github.com/stefanberger/go-pkcs11uri).

The cache-hit path imports this module (to key entries without the PIN): it imports nothing until it refuses a URI.
"""


def refusal(message, hint):
    """errors.ConfigurationError, imported on first use: the cache hit loads this module and not errors."""
    from .errors import ConfigurationError  # pylint: disable=import-outside-toplevel
    return ConfigurationError(message, hint)


SCHEME = "pkcs11:"
# RFC 7512 section 2.3: the path attributes (slot-* from RFC 7512's update in PKCS#11 3.0 URIs, which AWS's helper
# matches too: pkcs11_signer.go matchSlots), each at most once.
PATH_ATTRIBUTES = (
    "token", "manufacturer", "serial", "model", "library-manufacturer", "library-description", "library-version",
    "object", "type", "id", "slot-description", "slot-manufacturer", "slot-id",
)
QUERY_ATTRIBUTES = ("pin-value", "pin-source", "module-name", "module-path")
PIN_ATTRIBUTES = ("pin-value", "pin-source")
OBJECT_TYPES = ("public", "private", "cert", "secret-key", "data")
HINT = ("Write an RFC 7512 URI such as pkcs11:token=My%20token;object=my-key?pin-source=/etc/ra/pin "
        "(percent-encode ';', '?', '&', '%' and spaces in values)")
_HEX = "0123456789abcdefABCDEF"


def is_pkcs11_uri(value):
    """True for a string that names a PKCS#11 object (AWS's helper tests the same prefix: signer.go GetSigner)."""
    return isinstance(value, str) and value.startswith(SCHEME)


def _decode(text, option, name):
    """Percent-decoding to bytes (RFC 3986 section 2.1); a lone or malformed '%' is refused."""
    out = bytearray()
    index = 0
    raw = text.encode("utf-8", "surrogateescape")
    while index < len(raw):
        byte = raw[index]
        if byte == 0x25:  # '%'
            pair = str(raw[index + 1:index + 3], "ascii", "replace")
            if len(pair) != 2 or any(c not in _HEX for c in pair):
                raise refusal("%s: the pkcs11: URI's %s has a malformed percent-encoding" % (option, name), HINT)
            out.append(int(pair, 16))
            index += 3
        else:
            out.append(byte)
            index += 1
    return bytes(out)


def _attributes(text, separator, known, option, where):
    found = {}
    if not text:
        return found
    for part in text.split(separator):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals or not name:
            raise refusal("%s: the pkcs11: URI has a %s part that is not name=value" % (option, where), HINT)  # not echoed: a PIN?
        if name not in known and not name.startswith("x-"):
            raise refusal("%s: the pkcs11: URI has an unknown %s attribute %r" % (option, where, name), HINT)
        if name in found:
            raise refusal("%s: the pkcs11: URI gives %s twice" % (option, name), HINT)
        found[name] = _decode(value, option, name)
    return found


class Pkcs11Uri(object):
    """``path``: {attribute: bytes} that select the token and object; ``query``: {attribute: bytes} (PIN, module)."""

    __slots__ = ("path", "query", "option")

    def __init__(self, path, query, option="--private-key"):
        self.path = path
        self.query = query
        self.option = option

    def text(self, name):
        """A path attribute as text (labels, serials and models are UTF-8 in PKCS#11 v2.40), or None."""
        value = self.path.get(name)
        return None if value is None else str(value, "utf-8", "replace")

    def has_pin(self):
        return any(name in self.query for name in PIN_ATTRIBUTES)

    def __repr__(self):  # never the PIN
        return "Pkcs11Uri(%s)" % without_pin(format_uri(self.path, {}))


def parse_uri(value, option="--private-key"):
    """A Pkcs11Uri from ``value`` (ConfigurationError naming the option and what is wrong; never the PIN)."""
    if not is_pkcs11_uri(value):
        raise refusal("%s is not a pkcs11: URI" % option, HINT)
    rest = value[len(SCHEME):]
    path_text, _question, query_text = rest.partition("?")
    path = _attributes(path_text, ";", PATH_ATTRIBUTES, option, "path")
    query = _attributes(query_text, "&", QUERY_ATTRIBUTES, option, "query")
    if "type" in path and str(path["type"], "utf-8", "replace") not in OBJECT_TYPES:
        raise refusal("%s: the pkcs11: URI's type must be one of %s" % (option, ", ".join(OBJECT_TYPES)), HINT)
    if "pin-value" in query and "pin-source" in query:
        raise refusal("%s: the pkcs11: URI gives both pin-value and pin-source" % option,
                      "Keep one: pin-source (a file readable by its owner only) keeps the PIN out of the process list")
    if "slot-id" in path:
        try:
            int(str(path["slot-id"], "ascii"), 0)
        except ValueError:
            raise refusal("%s: the pkcs11: URI's slot-id is not a number" % option, HINT) from None
    return Pkcs11Uri(path, query, option)


_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:[]@!$'()*+,=/")


def _encode(value):
    return "".join(chr(byte) if byte in _UNRESERVED else "%%%02X" % byte for byte in value)


def format_uri(path, query):
    """The URI text of attribute maps (values percent-encoded where RFC 7512 requires it)."""
    text = SCHEME + ";".join("%s=%s" % (name, _encode(value)) for name, value in path.items())
    if query:
        text += "?" + "&".join("%s=%s" % (name, _encode(value)) for name, value in query.items())
    return text


def without_pin(value):
    """``value`` with its pin-value / pin-source removed (for cache keys, logs and messages); other values as given."""
    if not is_pkcs11_uri(value):
        return value
    path_text, question, query_text = value[len(SCHEME):].partition("?")
    if not question:
        return value
    kept = [part for part in query_text.split("&") if part.partition("=")[0] not in PIN_ATTRIBUTES]
    return SCHEME + path_text + ("?" + "&".join(kept) if kept else "")


# --- the PIN -------------------------------------------------------------------------------------------

def read_pin(uri):
    """The user PIN of a Pkcs11Uri (pin-value, or the file pin-source names), or None when it gives none."""
    if "pin-value" in uri.query:
        return str(uri.query["pin-value"], "utf-8")
    if "pin-source" not in uri.query:
        return None
    source = str(uri.query["pin-source"], "utf-8")
    # RFC 7512 section 2.3: pin-source is a URI; a "file:" URI or a plain path, as p11-kit and OpenSSL's engine read it.
    path = source[len("file://"):] if source.startswith("file://") else source[len("file:"):] if source.startswith("file:") else source
    import os  # pylint: disable=import-outside-toplevel  # not on the cache hit's path

    hint = "Write the token's user PIN into a file only its owner can read (chmod 600) and name it in pin-source"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise refusal("%s: pin-source %s cannot be read: %s" % (uri.option, path, exc.strerror or type(exc).__name__), hint) from None
    try:
        mode = os.fstat(fd).st_mode
        if os.name == "posix" and mode & 0o077:
            raise refusal("%s: pin-source %s is accessible by group or others (mode %04o)" % (uri.option, path, mode & 0o7777),
                          "Run chmod 600 %s: only its owner may read the token's PIN" % path)
        data = os.read(fd, 4096)
    finally:
        os.close(fd)
    for newline in (b"\r\n", b"\n"):
        if data.endswith(newline):
            data = data[:-len(newline)]
            break
    if not data:
        raise refusal("%s: pin-source %s is empty" % (uri.option, path), hint)
    return str(data, "utf-8")
