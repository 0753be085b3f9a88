# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the single-file credential helper from this collection's own module_utils sources.

The file is a Python script in four parts:

1. ``#!<interpreter>`` (plus ``-S`` when the interpreter is a single absolute path: a cache hit then
   skips site-packages), a version line, and ``_helper/head.py`` verbatim but for two constants: the only
   source Python compiles at every start, so it is kept short.
2. ``_helper/bootstrap.py`` and the cache-hit modules (``bootstrap.HIT_MODULES``) compiled by the building
   interpreter, marshal in comment lines: what every start runs, without compiling. Compressed with zlib, then
   base64, when zlib and binascii are built into the building Python (Debian's, for one: importing them costs
   nothing), else hex (decoding needs no import; elsewhere importing zlib costs more than the bytes it saves).
   It comes right after the head because head.py reads the file only up to its end (a cache hit reads no more).
3. A zipapp (``__main__.py`` plus the package ``rolesanywhere_fleet_helper`` holding copies of the
   module_utils files), base64 in comment lines. Python would run a file that *is* a zip through
   runpy, which alone costs more than a whole cache hit. The zip is deterministic (fixed timestamps and
   order), so the same sources give the same bytes. It serves interpreters whose bytecode differs from
   the builder's, and is a runnable zipapp of its own.
4. The other modules compiled the same way, marshal compressed with zlib, base64 comment lines: read on a
   miss only.

Comment lines still cost the tokenizer at every start (about as much per byte as compiling nothing
else), which is why parts 3 and 4 hold code, not sources, and part 4 is compressed.

Sources are read with ``pkgutil.get_data`` (or this module's loader), so the build works from a
checkout, from an installed collection and inside AnsiballZ.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import marshal
import os
import pkgutil
import re
import sys
import zipfile
import zlib

from .bootstrap import HELPER_PACKAGE, HIT_MODULES, REST_BEGIN, REST_END
from .head import CODE_BEGIN, CODE_END, PAYLOAD_BEGIN as _PAYLOAD_BEGIN, PAYLOAD_END as _PAYLOAD_END

# Every module_utils file the helper runs, as "<package>/<module>" under module_utils. The helper holds the
# signing core (_core) and its own commands (_helper): nothing else.
HELPER_MODULES = ("_core/files", "_core/refresh", "_core/cache", "_core/errors", "_core/records", "_core/identifiers", "_core/pem",
                  "_core/mldsa_keys", "_core/x509", "_core/certificate_text", "_core/certificate_facts", "_core/endpoints",
                  "_core/signing",
                  "_core/sdk_config", "_core/transport", "_core/pkcs11_uri", "_core/pkcs11", "_core/tpm_protocol", "_core/tpm",
                  "_helper/command_line", "_helper/argument_parser",
                  "_helper/credentials_file",
                  "_helper/imds_server", "_helper/failover", "_helper/session_request", "_helper/certificate_commands",
                  "_helper/refresh_commands", "_helper/cli", "_helper/bootstrap")
HELPER_PACKAGES = ("_core", "_helper")
BOOTSTRAP_MODULE = "_helper/bootstrap"
HEAD_MODULE = "_helper/head"
CLI_MODULE = "_helper/cli"
DEFAULT_INTERPRETER = "/usr/bin/env python3"
PAYLOAD_BEGIN = _PAYLOAD_BEGIN.decode("ascii").strip()
PAYLOAD_END = _PAYLOAD_END.decode("ascii").strip()
VERSION_LINE_RE = re.compile(r"^# rolesanywhere\.fleet credential helper (?P<version>\S+) sha256:(?P<digest>[0-9a-f]{64})", re.M)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
COMMENT_WIDTH = 76

ZIP_MAIN = '''\
"""rolesanywhere.fleet credential helper (zipapp entry): a cache hit imports nothing else."""
import sys

from rolesanywhere_fleet_helper._helper.command_line import HIT, MISS, answer_from_cache

OUTCOME = answer_from_cache(sys.argv[1:])
if OUTCOME != HIT:
    from rolesanywhere_fleet_helper._helper.cli import main
    sys.exit(main(cache_looked_up=OUTCOME == MISS))
'''


def _bundle_dependencies():  # pragma: no cover - never called
    """Name every packed module in an import, so that AnsiballZ ships their sources with the module."""
    from .._core import cache, certificate_facts, endpoints, errors, files, identifiers  # noqa: F401 pylint: disable=unused-import
    from .._core import mldsa_keys, pem, refresh, sdk_config, signing, transport, x509  # noqa: F401 pylint: disable=unused-import
    from .._core import pkcs11, pkcs11_uri, records  # noqa: F401 pylint: disable=unused-import
    from . import argument_parser, bootstrap, certificate_commands, cli, command_line, credentials_file, head, imds_server  # noqa: F401 pylint: disable=unused-import
    from . import refresh_commands, session_request  # noqa: F401 pylint: disable=unused-import


def read_module_source(name):
    """The source bytes of module_utils/<package>/<module>.py, from a checkout, an installed collection or AnsiballZ."""
    subpackage, module = name.split("/")
    filename = module + ".py"
    module_utils = (__package__ or __name__.rpartition(".")[0]).rpartition(".")[0]
    data = None
    try:
        data = pkgutil.get_data(module_utils + "." + subpackage, filename)
    except (OSError, ImportError, ValueError, AttributeError):
        data = None
    if data is None:
        loader = globals().get("__loader__")
        path = os.path.join(os.path.dirname(os.path.dirname(__file__)), subpackage, filename)
        data = loader.get_data(path) if loader is not None and hasattr(loader, "get_data") else None
        if data is None:
            with open(path, "rb") as handle:
                data = handle.read()
    return data


def helper_sources(read=read_module_source):
    """{module name: source bytes} of every module the helper needs, and of its head."""
    return dict((name, read(name)) for name in HELPER_MODULES + (HEAD_MODULE,))


def sources_digest(sources):
    digest = hashlib.sha256()
    for name in sorted(sources):
        digest.update(name.encode("utf-8") + b"\0" + sources[name] + b"\0")
    return digest.hexdigest()


def _zip_entry(archive, name, data):
    info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    archive.writestr(info, data, compresslevel=9)


def build_zipapp(sources, shebang=None):
    """A runnable zipapp of the helper (deterministic bytes for the same sources)."""
    buffer = io.BytesIO()
    if shebang:
        buffer.write(b"#!" + shebang.encode("utf-8") + b"\n")
    with zipfile.ZipFile(buffer, "w") as archive:
        _zip_entry(archive, "__main__.py", ZIP_MAIN.encode("utf-8"))
        _zip_entry(archive, HELPER_PACKAGE + "/__init__.py", b'"""rolesanywhere.fleet credential helper."""\n')
        for package in HELPER_PACKAGES:
            _zip_entry(archive, "%s/%s/__init__.py" % (HELPER_PACKAGE, package), b"")
        for name in HELPER_MODULES:
            _zip_entry(archive, "%s/%s.py" % (HELPER_PACKAGE, name), sources[name])
    return buffer.getvalue()


def helper_version(sources):
    match = re.search(rb'^VERSION = "([^"]+)"', sources[CLI_MODULE], re.M)
    if not match:
        raise ValueError("%s.py defines no VERSION" % CLI_MODULE)
    return match.group(1).decode("ascii")


def _comment_lines(text):
    return "\n".join("#" + text[index:index + COMMENT_WIDTH] for index in range(0, len(text), COMMENT_WIDTH))


def _fill(source, name, value):
    """head.py with the constant ``name`` set to ``value`` (its one assignment line replaced)."""
    pattern = re.compile(r'^%s = "".*$' % name, re.M)
    if len(pattern.findall(source)) != 1:
        raise ValueError("%s.py must assign %s = \"\" exactly once" % (HEAD_MODULE, name))
    return pattern.sub(lambda _match: '%s = "%s"' % (name, value), source)


# marshal's bytes depend on the process that writes them, not only on the code: an object another reference
# holds is written with a back-reference flag, and set constants (``x in {"a", "b"}``) follow the string hash seed.
# So the code is compiled and marshalled by a fresh interpreter of the same build with hash seed 0: the same
# sources then give the same bytes in the credential_helper module, tools/build_helper.py and the tests, and a
# re-run of the module reports changed=false. ``-I`` would ignore PYTHONHASHSEED (it implies -E), so the child
# starts isolated and, unless its seed is already 0, re-executes itself with an environment that holds only
# PYTHONHASHSEED=0 (no PYTHONPATH, PYTHONOPTIMIZE...) and without site-packages; its input is marshalled (no
# import beyond the built-in sys, os and marshal, so nothing in the working directory is imported).
_COMPILER = (
    "import sys, os, marshal\n"
    "if sys.flags.hash_randomization:\n"
    "    os.execve(sys.executable, [sys.executable, '-s', '-S', '-c', sys.argv[-1], sys.argv[-1]], {'PYTHONHASHSEED': '0'})\n"
    "items = marshal.loads(sys.stdin.buffer.read())\n"
    "sys.stdout.buffer.write(marshal.dumps([(name, compile(text, origin, 'exec', dont_inherit=True, optimize=2))"
    " for name, origin, text in items]))\n"
)


def compile_modules(sources, names, run_command):
    """marshal of [(name, code)] of ``names``, compiled by this interpreter without docstrings (-OO: nothing
    reads them at run time, and every byte of the file costs the tokenizer at every start).

    ``run_command`` runs the compiler: a module's AnsibleModule.run_command (modules run commands through it, as
    ansible-test's pylint rule ansible-bad-function requires), or one with its signature and result
    (tests/support/commands.py for tools/build_helper.py and the tests)."""
    items = [(name, "%s/%s.py" % (HELPER_PACKAGE, name), sources[name].decode("utf-8")) for name in names]
    returncode, stdout, stderr = run_command([sys.executable, "-I", "-S", "-c", _COMPILER, _COMPILER], data=marshal.dumps(items),
                                             binary_data=True, encoding=None, expand_user_and_vars=False)
    if returncode != 0:
        raise ValueError("cannot compile the helper's modules with %s: %s"
                         % (sys.executable, stderr.decode("utf-8", "replace").strip().splitlines()[-1:]))
    marshal.loads(stdout)  # the child's output is this interpreter's marshal format, or this fails here
    return stdout


def code_encoding(builtin_modules=None):
    """How the start-up code is written (head.CODE_ENCODING): "zlib" when zlib and binascii are built into this
    Python (no import to pay at every start), else "hex"."""
    builtin_modules = sys.builtin_module_names if builtin_modules is None else builtin_modules
    return "zlib" if "zlib" in builtin_modules and "binascii" in builtin_modules else "hex"


def encode_code(marshalled, encoding):
    """The start-up code's text for head.py to decode (``code_encoding`` names the form)."""
    if encoding == "zlib":
        return base64.b64encode(zlib.compress(marshalled, 9)).decode("ascii")
    return marshalled.hex()


def shebang_line(interpreter):
    """``#!interpreter``, with -S (no site-packages until needed) when interpreter is one absolute path."""
    interpreter = (interpreter or DEFAULT_INTERPRETER).strip()
    if not interpreter.startswith("/") or "\n" in interpreter:
        raise ValueError("interpreter %r must be an absolute command, e.g. /usr/bin/env python3" % interpreter)
    if len(interpreter.split()) == 1:  # the kernel passes one argument after the interpreter: room for -S
        return "#!%s -S\n" % interpreter
    return "#!%s\n" % interpreter


def build_helper(run_command, interpreter=DEFAULT_INTERPRETER, sources=None):
    """The helper file's bytes: head, the start-up and hit code, the zipapp, the other modules' code.
    ``run_command``: see compile_modules."""
    sources = sources if sources is not None else helper_sources()
    shebang = shebang_line(interpreter)
    digest = sources_digest(sources)
    first = (BOOTSTRAP_MODULE,) + HIT_MODULES
    head = sources[HEAD_MODULE].decode("utf-8")
    encoding = code_encoding()
    head = _fill(_fill(head, "SOURCES_SHA256", digest), "CODE_MAGIC", importlib.util.MAGIC_NUMBER.hex())
    head = _fill(head, "CODE_ENCODING", encoding)
    rest = zlib.compress(compile_modules(sources, [name for name in HELPER_MODULES if name not in first], run_command), 9)
    parts = [
        shebang,
        "# rolesanywhere.fleet credential helper %s sha256:%s (generated from the collection's module_utils; do not edit)\n"
        % (helper_version(sources), digest),
        head,
        CODE_BEGIN.decode("ascii"),
        _comment_lines(encode_code(compile_modules(sources, first, run_command), encoding)),
        CODE_END.decode("ascii").rstrip("\n"),
        _PAYLOAD_BEGIN.decode("ascii"),
        _comment_lines(base64.b64encode(build_zipapp(sources)).decode("ascii")),
        _PAYLOAD_END.decode("ascii"),
        REST_BEGIN.decode("ascii"),
        _comment_lines(base64.b64encode(rest).decode("ascii")),
        REST_END.decode("ascii"),
    ]
    return "".join(parts).encode("utf-8")


def describe_helper(content):
    """{"version", "sources_sha256", "sha256"} of helper file bytes, or None when they are not a helper."""
    if not content:
        return None
    match = VERSION_LINE_RE.search(content[:4096].decode("utf-8", "replace"))
    if not match:
        return None
    return {"version": match.group("version"), "sources_sha256": match.group("digest"),
            "sha256": hashlib.sha256(content).hexdigest()}
