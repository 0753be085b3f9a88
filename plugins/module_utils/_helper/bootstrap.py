# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet credential helper: command-line compatible with AWS's aws_signing_helper.

Generated from the rolesanywhere.fleet collection by its credential_helper module: do not edit.
The program is the zip at the end of this file (base64 comment lines); run it with --help.

How it starts (this file is the helper's head; ``_helper/build.py`` fills in the constants below):
``credential-process --cache`` first runs the cache-hit path, the modules of HIT_MODULES, from code
objects compiled by the builder (hex comment lines, used when this interpreter's bytecode matches) or
else compiled from the zip. On a hit the process ends there: no zip, no argparse, no cryptography, no
site-packages (the builder starts the interpreter with -S when it can). Anything else adds
site-packages, installs an importer of the zip and runs ``_helper/cli.main``.
"""
import sys

SOURCES_SHA256 = ""  # filled in by the builder
CODE_MAGIC = ""  # importlib's MAGIC_NUMBER (hex) of the interpreter that compiled the hit-path code
HELPER_PACKAGE = "rolesanywhere_fleet_helper"
HIT_MODULES = ("_core/files", "_core/refresh", "_core/cache", "_helper/command_line")
CODE_BEGIN = b"\n# rolesanywhere-fleet-code-begin\n"
CODE_END = b"\n# rolesanywhere-fleet-code-end\n"
PAYLOAD_BEGIN = b"\n# rolesanywhere-fleet-payload-begin\n"
PAYLOAD_END = b"\n# rolesanywhere-fleet-payload-end"
PROG = "rolesanywhere-credential-helper"

_FILE = []
_ARCHIVE = []


def _own_bytes():
    if not _FILE:
        with open(__file__, "rb") as handle:
            _FILE.append(handle.read())
    return _FILE[0]


def _section(begin, end):
    """The bytes held by the comment lines between two markers of this file ("#" stripped)."""
    data = _own_bytes()
    start = data.index(begin) + len(begin)
    return data[start:data.index(end, start)].replace(b"\n#", b"")[1:]


def _helper_archive():
    if not _ARCHIVE:
        import base64  # pylint: disable=import-outside-toplevel
        import io  # pylint: disable=import-outside-toplevel
        import zipfile  # pylint: disable=import-outside-toplevel
        _ARCHIVE.append(zipfile.ZipFile(io.BytesIO(base64.b64decode(_section(PAYLOAD_BEGIN, PAYLOAD_END)))))
    return _ARCHIVE[0]


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
        if fullname.split(".")[0] != HELPER_PACKAGE:
            return None
        name, is_package = self._name(fullname)
        if name is None:
            return None
        from importlib.machinery import ModuleSpec  # pylint: disable=import-outside-toplevel
        return ModuleSpec(fullname, self, origin=__file__ + "/" + name, is_package=is_package)

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None

    def get_source(self, fullname):
        return self.archive.read(self._name(fullname)[0]).decode("utf-8")

    def exec_module(self, module):
        module.__file__ = module.__spec__.origin
        exec(compile(self.get_source(module.__name__), module.__file__, "exec"), module.__dict__)  # pylint: disable=exec-used


def _hit_code():
    """[(module name, code)] of HIT_MODULES: the builder's code objects when this interpreter can run them."""
    importer = sys.modules.get("_frozen_importlib_external")
    if CODE_MAGIC and importer is not None and importer.MAGIC_NUMBER.hex() == CODE_MAGIC:
        import marshal  # pylint: disable=import-outside-toplevel  # built in
        return marshal.loads(bytes.fromhex(_section(CODE_BEGIN, CODE_END).decode("ascii")))
    archive = _helper_archive()
    return [(name, compile(archive.read("%s/%s.py" % (HELPER_PACKAGE, name)), "%s/%s/%s.py" % (__file__, HELPER_PACKAGE, name),
                           "exec")) for name in HIT_MODULES]


def _module(fullname, is_package=False):
    module = sys.modules.get(fullname)
    if module is None:
        module = type(sys)(fullname)
        module.__package__ = fullname if is_package else fullname.rpartition(".")[0]
        if is_package:
            module.__path__ = []
        sys.modules[fullname] = module
        parent, _dot, child = fullname.rpartition(".")
        if parent:
            setattr(_module(parent, True), child, module)
    return module


def load_hit_modules():
    """Run the hit-path modules as members of the helper package (relative imports find them in sys.modules)."""
    for name, code in _hit_code():
        module = _module("%s.%s" % (HELPER_PACKAGE, name.replace("/", ".")))
        module.__file__ = "%s/%s/%s.py" % (__file__, HELPER_PACKAGE, name)
        exec(code, module.__dict__)  # pylint: disable=exec-used
    return sys.modules[HELPER_PACKAGE + "._helper.command_line"]


def helper_main(cache_looked_up=False):
    if sys.version_info < (3, 8):
        sys.stderr.write("%s needs Python 3.8 or later (this is %d.%d)\n" % ((PROG,) + tuple(sys.version_info[:2])))
        return 1
    if sys.flags.no_site:  # started with -S for the cache hit: the commands need site-packages (cryptography)
        import site  # pylint: disable=import-outside-toplevel
        site.main()
    sys.meta_path.insert(0, _PayloadImporter(_helper_archive()))
    from rolesanywhere_fleet_helper._helper.cli import main  # pylint: disable=import-error,import-outside-toplevel
    return main(cache_looked_up=cache_looked_up)


def run():
    looked_up = False
    if sys.argv[1:2] == ["credential-process"] and sys.version_info >= (3, 8):
        command_line = load_hit_modules()
        outcome = command_line.answer_from_cache(sys.argv[1:])
        if outcome == command_line.HIT:
            return 0
        looked_up = outcome == command_line.MISS
    return helper_main(looked_up)


if __name__ == "__main__":
    sys.exit(run())
