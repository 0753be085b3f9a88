# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start-up of the single-file credential helper (``head.py`` runs ``run``; ``build.py`` lays out the file).

``credential-process`` first runs the cache-hit modules (HIT_MODULES) and ends there on a hit: no zip, no
argparse, no cryptography, no site-packages (the builder starts the interpreter with -S when it can).
Anything else adds site-packages, installs an importer of the helper's modules and runs
``_helper/cli.main``. Modules come from the code the builder compiled (when this interpreter's bytecode
matches, see head.CODE_MAGIC), else from the zip's sources.
"""
import sys

HELPER_PACKAGE = "rolesanywhere_fleet_helper"
HIT_MODULES = ("_core/files", "_core/refresh", "_core/pkcs11_uri", "_core/cache", "_helper/command_line")
REST_BEGIN = b"\n# rolesanywhere-fleet-modules-begin\n"
REST_END = b"\n# rolesanywhere-fleet-modules-end\n"
PACKAGES = ("", "._core", "._helper")
PROG = "rolesanywhere-credential-helper"  # the one definition: command_line (a hit module) imports it from here


class Modules(object):
    """The helper's modules: compiled code when the builder's matches this interpreter, else the zip's sources.

    ``head``: the globals of head.py (its ``section`` reader, payload markers and ``__file__``); ``data``: the file's
    bytes as far as head.py read them (to the end of the start-up code), ``handle``: the open file, for the rest.
    """

    def __init__(self, data, code, head, handle=None):
        self.data = data
        self.handle = handle
        self.code = code
        self.head = head
        self.path = head["__file__"]
        self.archive = None
        self.rest_loaded = not code  # no compiled code at all: everything comes from the zip

    def whole(self):
        """All of the helper file's bytes (a miss reads what head.py left unread, from the file it started from)."""
        if self.handle is not None:
            self.data += self.handle.read()
            self.handle.close()
            self.handle = None
        return self.data

    def _zip(self):
        if self.archive is None:
            import base64  # pylint: disable=import-outside-toplevel
            import io  # pylint: disable=import-outside-toplevel
            import zipfile  # pylint: disable=import-outside-toplevel
            payload = self.head["section"](self.whole(), self.head["PAYLOAD_BEGIN"], self.head["PAYLOAD_END"])
            self.archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload)))
        return self.archive

    def origin(self, name):
        return "%s/%s/%s" % (self.path, HELPER_PACKAGE, name)

    def code_of(self, name):
        """Code object of ``name`` ("_core/cache" or "_core/__init__"), or None when the helper has no such module."""
        if name not in self.code and not self.rest_loaded:
            self.rest_loaded = True
            import binascii  # pylint: disable=import-outside-toplevel
            import marshal  # pylint: disable=import-outside-toplevel
            import zlib  # pylint: disable=import-outside-toplevel
            rest = self.head["section"](self.whole(), REST_BEGIN, REST_END)
            self.code.update(marshal.loads(zlib.decompress(binascii.a2b_base64(rest))))
        if name not in self.code:
            try:
                source = self._zip().read("%s/%s.py" % (HELPER_PACKAGE, name))
            except KeyError:
                return None
            self.code[name] = compile(source, self.origin(name + ".py"), "exec")
        return self.code[name]


class HelperImporter(object):
    """Imports ``rolesanywhere_fleet_helper.*`` from Modules (a meta path finder and loader)."""

    def __init__(self, modules):
        self.modules = modules

    def find_spec(self, fullname, path=None, target=None):  # pylint: disable=unused-argument
        if not fullname.startswith(HELPER_PACKAGE + ".") or self.modules.code_of(self._name(fullname)) is None:
            return None  # the packages themselves are registered by helper_main
        from importlib.machinery import ModuleSpec  # pylint: disable=import-outside-toplevel
        return ModuleSpec(fullname, self, origin=self.modules.origin(self._name(fullname) + ".py"))

    @staticmethod
    def _name(fullname):
        return fullname[len(HELPER_PACKAGE) + 1:].replace(".", "/")

    def create_module(self, spec):  # pylint: disable=unused-argument
        return None

    def exec_module(self, module):
        module.__file__ = module.__spec__.origin
        exec(self.modules.code_of(self._name(module.__name__)), module.__dict__)  # pylint: disable=exec-used


def _module(fullname, is_package=False):
    """An empty module registered in sys.modules (parents too): the hit modules need no finder."""
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


def _register_bootstrap():
    """This namespace as the helper package's ``_helper.bootstrap`` module: head.py ran the code without a module
    object, and command_line's ``from .bootstrap import PROG`` then finds it in sys.modules (no finder, no second
    run). In the collection and in the zipapp, bootstrap is an ordinary module and this does nothing."""
    fullname = HELPER_PACKAGE + "._helper.bootstrap"
    if __name__ == fullname and fullname not in sys.modules:
        vars(_module(fullname)).update((name, value) for name, value in globals().items() if not name.startswith("__"))


def load_hit_modules(modules):
    """Run the hit-path modules as members of the helper package (their relative imports find each other)."""
    for name in HIT_MODULES:
        module = _module("%s.%s" % (HELPER_PACKAGE, name.replace("/", ".")))
        module.__file__ = modules.origin(name + ".py")
        exec(modules.code_of(name), module.__dict__)  # pylint: disable=exec-used
    # A host whose environment or config file sets the endpoint: cache.resolved_endpoint imports sdk_config.
    _install_importer(modules)
    return sys.modules[HELPER_PACKAGE + "._helper.command_line"]


def _install_importer(modules):
    if not any(isinstance(finder, HelperImporter) for finder in sys.meta_path):
        sys.meta_path.insert(0, HelperImporter(modules))


def helper_main(modules, cache_looked_up=False):
    """Everything but a cache hit: site-packages, the helper's importer, cli.main."""
    if sys.flags.no_site:  # started with -S for the cache hit: the commands need site-packages (cryptography)
        import site  # pylint: disable=import-outside-toplevel
        site.main()
    for package in PACKAGES:
        _module(HELPER_PACKAGE + package, is_package=True)
    _install_importer(modules)
    from rolesanywhere_fleet_helper._helper.cli import main  # pylint: disable=import-error,import-outside-toplevel
    return main(cache_looked_up=cache_looked_up)


def run(data, code, head, handle=None):
    """The helper's exit status. ``data``: the helper file's bytes as far as head.py read them; ``code``: {module
    name: code object} the builder compiled for this interpreter (empty for another one); ``head``: head.py's
    globals; ``handle``: the helper file, open, positioned after ``data``."""
    if sys.version_info < (3, 8):
        sys.stderr.write("%s needs Python 3.8 or later (this is %d.%d)\n" % ((PROG,) + tuple(sys.version_info[:2])))
        return 1
    _register_bootstrap()
    modules = Modules(data, code, head, handle)
    looked_up = False
    if sys.argv[1:2] == ["credential-process"]:
        command_line = load_hit_modules(modules)
        outcome = command_line.answer_from_cache(sys.argv[1:])
        if outcome == command_line.HIT:
            return 0
        looked_up = outcome == command_line.MISS
    return helper_main(modules, looked_up)
