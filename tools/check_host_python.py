# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fail when code that runs on managed hosts needs a Python newer than the hosts' minimum (3.8).

    python tools/check_host_python.py --vermin PATH/TO/vermin [PATH ...]

Runs vermin (pinned in requirements-tools.txt) over the modules and module_utils (the credential helper is built
from module_utils), or over the PATHs given. Annotations are evaluated as if they ran, so `list[str]` fails even
under `from __future__ import annotations`. plugins/plugin_utils, the lookup and the tests run on the controller
only and are not checked.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST_MINIMUM = "3.8"
HOST_PATHS = ("plugins/modules", "plugins/module_utils")


def vermin_command(vermin, paths):
    return [vermin, "--no-tips", "--violations", "--eval-annotations", "--no-parse-comments",
            "-t=%s-" % HOST_MINIMUM] + list(paths)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--vermin", required=True, help="the vermin executable")
    parser.add_argument("paths", nargs="*", help="files or directories (default: %s)" % ", ".join(HOST_PATHS))
    arguments = parser.parse_args(argv)
    paths = arguments.paths or [os.path.join(CHECKOUT, path) for path in HOST_PATHS]
    missing = [path for path in paths if not os.path.exists(path)]
    if missing:
        print("check_host_python: no such file or directory: %s" % ", ".join(missing), file=sys.stderr)
        return 2
    completed = subprocess.run(vermin_command(arguments.vermin, paths), capture_output=True, text=True, check=False)
    sys.stdout.write(completed.stdout)
    sys.stderr.write(completed.stderr)
    if completed.returncode != 0:
        print("check_host_python: code that runs on managed hosts must work on Python %s (see the lines above)"
              % HOST_MINIMUM, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
