# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the single-file credential helper from this collection's own module_utils sources.

The file is a Python script in two parts:

1. ``#!/usr/bin/env python3``, a version line and a small bootstrap. For ``credential-process
   --cache`` it runs ``cache.py`` first and nothing else: on a hit the process ends there (no zip, no
   argparse, no cryptography, no network). Compiling cache.py would cost more than the rest of a hit,
   so its code object is kept (marshal) next to the cache entries, in the user's 0700 cache
   directory, keyed by Python version and sources digest. Anything else loads part 2 and runs
   ``_helper/cli.main``.
2. A zipapp (``__main__.py`` plus the package ``rolesanywhere_fleet_helper`` holding copies of the
   module_utils files), base64 in comment lines. Python would run a file that *is* a zip through
   runpy, which alone costs more than a whole cache hit; comment lines cost the tokenizer little.
   The zip is deterministic (fixed timestamps and order), so the same sources give the same bytes.

Sources are read with ``pkgutil.get_data`` (or this module's loader), so the build works from a
checkout, from an installed collection and inside AnsiballZ.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import pkgutil
import re
import zipfile

HELPER_PACKAGE = "rolesanywhere_fleet_helper"
# Every module_utils file the helper runs, as "<package>/<module>" under module_utils; the cache first (a cache
# hit runs it alone). The helper holds the signing core (_core) and its own commands (_helper): nothing else.
HELPER_MODULES = ("_core/cache", "_core/errors", "_core/identifiers", "_core/pem", "_core/x509", "_core/certificate_facts", "_core/signing", "_core/sdk_config",
                  "_core/transport",
                  "_helper/credentials_file", "_helper/imds_server", "_helper/cli")
HELPER_PACKAGES = ("_core", "_helper")
CACHE_MODULE = "_core/cache"
CLI_MODULE = "_helper/cli"
DEFAULT_INTERPRETER = "/usr/bin/env python3"
PAYLOAD_BEGIN = "# rolesanywhere-fleet-payload-begin"
PAYLOAD_END = "# rolesanywhere-fleet-payload-end"
VERSION_LINE_RE = re.compile(r"^# rolesanywhere\.fleet credential helper (?P<version>\S+) sha256:(?P<digest>[0-9a-f]{64})", re.M)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

ZIP_MAIN = '''\
"""rolesanywhere.fleet credential helper (zipapp entry): a cache hit imports nothing else."""
import sys

from rolesanywhere_fleet_helper._core.cache import fast_credential_process

if not fast_credential_process(sys.argv[1:]):
    from rolesanywhere_fleet_helper._helper.cli import main
    sys.exit(main())
'''

BOOTSTRAP = '''\
"""rolesanywhere.fleet credential helper: command-line compatible with AWS's aws_signing_helper.

Generated from the rolesanywhere.fleet collection by its credential_helper module: do not edit.
The program itself is the zip at the end of this file (base64); run it with --help.
"""
import os
import sys

SOURCES_SHA256 = "%(digest)s"


class _PayloadImporter(object):
    """Imports the helper package from the zip held in this file's trailing comment lines."""

    def __init__(self, archive):
        self.archive = archive
        self.names = set(archive.namelist())

    def _name(self, fullname):
        relative = fullname.replace(".", "/")
        if relative + "/__init__.py" in self.names:
            return relative + "/__init__.py", True
        if relative + ".py" in self.names:
            return relative + ".py", False
        return None, False

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if fullname.split(".")[0] != "%(package)s":
            return None
        name, is_package = self._name(fullname)
        if name is None:
            return None
        from importlib.machinery import ModuleSpec
        return ModuleSpec(fullname, self, origin=__file__ + "/" + name, is_package=is_package)

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None

    def get_source(self, fullname):
        return self.archive.read(self._name(fullname)[0]).decode("utf-8")

    def exec_module(self, module):
        module.__file__ = module.__spec__.origin
        exec(compile(self.get_source(module.__name__), module.__file__, "exec"), module.__dict__)  # pylint: disable=exec-used


_ARCHIVE = []


def _helper_archive():
    if not _ARCHIVE:
        import base64
        import io
        import zipfile
        with open(__file__, "rb") as handle:
            data = handle.read()
        begin = data.index(b"\\n%(begin)s\\n")
        end = data.index(b"\\n%(end)s", begin)
        encoded = b"".join(line[1:] for line in data[begin:end].split(b"\\n")[2:])
        _ARCHIVE.append(zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded))))
    return _ARCHIVE[0]


def _code_directory(argv):
    \"\"\"Where the cache entries go (cache.cache_directory's rule, without loading it).\"\"\"
    for index, argument in enumerate(argv):
        if argument.startswith("--cache-dir="):
            return os.path.abspath(os.path.expanduser(argument.split("=", 1)[1]))
        if argument == "--cache-dir" and index + 1 < len(argv):
            return os.path.abspath(os.path.expanduser(argv[index + 1]))
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "rolesanywhere-fleet")


def _kept_code(path):
    """cache.py's code object kept by an earlier run, if it is ours and nobody else could write it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o077:
            return None
        data = os.read(fd, st.st_size + 1)
    finally:
        os.close(fd)
    import marshal
    try:
        return marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None


def _keep_code(module, directory, name, code):
    import marshal
    try:
        store = module.CredentialCache(directory)
        store.ensure_directory()
        module.atomic_write(os.path.join(directory, name), marshal.dumps(code))
        for other in os.listdir(directory):
            if other.startswith("helper-") and other.endswith(".code") and other != name:
                os.unlink(os.path.join(directory, other))
    except (OSError, module.CacheError):
        pass  # no cache directory: compile every time


def _cache_module(argv):
    """The cache module, from its kept code object when possible (compiling it costs more than a hit)."""
    directory = _code_directory(argv)
    name = "helper-%%x-%%s.code" %% (sys.hexversion, SOURCES_SHA256[:24])
    code = _kept_code(os.path.join(directory, name))
    fresh = code is None
    if fresh:
        origin = __file__ + "/%(package)s/_core/cache.py"
        code = compile(_helper_archive().read("%(package)s/_core/cache.py"), origin, "exec")
    module = type(sys)("%(package)s_cache")
    exec(code, module.__dict__)  # pylint: disable=exec-used
    if fresh:
        _keep_code(module, directory, name, code)
    return module


def _helper_main():
    if sys.version_info < (3, 8):
        sys.stderr.write("%(prog)s needs Python 3.8 or later (this is %%d.%%d)\\n" %% sys.version_info[:2])
        return 1
    sys.meta_path.insert(0, _PayloadImporter(_helper_archive()))
    from %(package)s._helper.cli import main
    return main()


if __name__ == "__main__":
    if sys.argv[1:2] == ["credential-process"] and "--cache" in sys.argv and _cache_module(sys.argv).fast_credential_process(sys.argv[1:]):
        sys.exit(0)
    sys.exit(_helper_main())
'''


def _bundle_dependencies():  # pragma: no cover - never called
    """Name every packed module in an import, so that AnsiballZ ships their sources with the module."""
    from .._core import cache, errors, sdk_config, signing, transport, x509  # noqa: F401 pylint: disable=unused-import
    from . import cli, credentials_file, imds_server  # noqa: F401 pylint: disable=unused-import


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
    """{module name: source bytes} of every module the helper needs."""
    return dict((name, read(name)) for name in HELPER_MODULES)


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


def build_helper(interpreter=DEFAULT_INTERPRETER, sources=None):
    """The helper file's bytes: script head (cache code), bootstrap, and the zipapp as base64 comment lines."""
    sources = sources if sources is not None else helper_sources()
    interpreter = (interpreter or DEFAULT_INTERPRETER).strip()
    if not interpreter.startswith("/") or "\n" in interpreter:
        raise ValueError("interpreter %r must be an absolute command, e.g. /usr/bin/env python3" % interpreter)
    if re.search(rb"^(from __future__|from \.)", sources[CACHE_MODULE], re.M):
        raise ValueError("cache.py must not use __future__ or relative imports: the helper runs it on its own")
    encoded = base64.b64encode(build_zipapp(sources)).decode("ascii")
    payload = "\n".join("#" + encoded[index:index + 76] for index in range(0, len(encoded), 76))
    digest = sources_digest(sources)
    parts = [
        "#!%s\n" % interpreter,
        "# rolesanywhere.fleet credential helper %s sha256:%s (generated from the collection's module_utils; do not edit)\n"
        % (helper_version(sources), digest),
        BOOTSTRAP % {"package": HELPER_PACKAGE, "begin": PAYLOAD_BEGIN, "end": PAYLOAD_END, "digest": digest,
                     "prog": "rolesanywhere-credential-helper"},
        "\n%s\n%s\n%s\n" % (PAYLOAD_BEGIN, payload, PAYLOAD_END),
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
