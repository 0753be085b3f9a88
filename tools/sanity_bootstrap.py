"""Put tools/get_pip_offline.py where ansible-test looks for its cached pip bootstrap script."""
import os
import re
import shutil
import sys

import ansible_test


def wanted_pip_version():
    source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    with open(source, encoding="utf-8") as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    if not match:
        sys.exit("tools/sanity_bootstrap.py: cannot find the pip version ansible-test wants in " + source)
    return match.group(1)


def main():
    version = wanted_pip_version()
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    target = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
    shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "get_pip_offline.py"), target)


if __name__ == "__main__":
    main()
