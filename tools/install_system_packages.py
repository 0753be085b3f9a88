# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install the Debian packages listed in tests/system-packages.txt that are missing (``make system-packages``).

Tests drive real system parts (a PKCS#11 token, a software TPM, a browser): CI is a clean Debian machine where
the build runs as root, so ``make test`` installs them with apt-get. Elsewhere this says what to install and
fails, rather than letting the tests that need them fail later with a less clear message.
"""

import os
import shutil
import subprocess
import sys

LIST = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "system-packages.txt")


def wanted(path=LIST):
    packages = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            name = line.split("#", 1)[0].strip()
            if name:
                packages.append(name)
    return packages


def missing(packages):
    absent = []
    for name in packages:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
        if status.returncode != 0 or "install ok installed" not in status.stdout:
            absent.append(name)
    return absent


def main():
    packages = wanted()
    if not packages:
        return 0
    if shutil.which("dpkg-query") is None:
        print("make: the tests need these Debian packages (or your system's equivalents): %s" % " ".join(packages))
        return 0
    absent = missing(packages)
    if not absent:
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("make: missing Debian packages the tests need: %s\n      install them: sudo apt-get install -y %s"
              % (" ".join(absent), " ".join(absent)), file=sys.stderr)
        return 1
    print("== installing Debian packages the tests need: %s" % " ".join(absent))
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + absent):
        if subprocess.run(command, env=environment, check=False).returncode != 0:
            print("make: '%s' failed" % " ".join(command), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
