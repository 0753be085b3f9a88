"""Build the credential helper file from this checkout (the credential_helper module does the same on hosts).

Usage: python3 tools/build_helper.py OUTPUT [--interpreter "/usr/bin/env python3"] [--zipapp]
  --zipapp   write the plain zipapp instead (slower to start: Python runs zip files through runpy)
"""
import argparse
import importlib
import importlib.util
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")


def load_builder():
    """_helper/build.py of this checkout, imported as a member of its package (it imports ./bootstrap.py)."""
    package = "_rolesanywhere_fleet_module_utils"
    if package not in sys.modules:  # module_utils is a namespace package: a module with its path will do
        sys.modules[package] = types.ModuleType(package)
        sys.modules[package].__path__ = [MODULE_UTILS]
    return importlib.import_module(package + "._helper.build")


def checkout_run_command():
    """tests/support/commands.py's run_command (build_helper runs the compiler through a module's run_command)."""
    spec = importlib.util.spec_from_file_location("_rolesanywhere_fleet_commands", os.path.join(ROOT, "tests", "support", "commands.py"))
    commands = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(commands)
    return commands.run_command


def read_checkout_source(name):
    with open(os.path.join(MODULE_UTILS, name + ".py"), "rb") as handle:
        return handle.read()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--interpreter", default="/usr/bin/env python3")
    parser.add_argument("--zipapp", action="store_true")
    args = parser.parse_args(argv)
    builder = load_builder()
    sources = builder.helper_sources(read_checkout_source)
    if args.zipapp:
        content = builder.build_zipapp(sources, shebang=args.interpreter)
    else:
        content = builder.build_helper(checkout_run_command(), args.interpreter, sources)
    temp = args.output + ".tmp"
    with open(temp, "wb") as handle:
        handle.write(content)
    os.chmod(temp, 0o755)
    os.replace(temp, args.output)
    print("%s: %d bytes" % (args.output, len(content)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
