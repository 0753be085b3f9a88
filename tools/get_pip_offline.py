"""Stand-in for the get-pip.py that ansible-test downloads from Ansible's CI file host.

That host is not reachable from our machines, but ansible-test first looks for the script in its cache
(~/.ansible/test/cache/get_pip_<version>.py); tools/sanity_bootstrap.py installs this file there. It
bootstraps pip from the standard library's ensurepip, then lets that pip install what ansible-test asked
for (the pinned pip and friends) from the package index configured on this machine.
"""
import ensurepip
import os
import subprocess
import sys

# Options that only the real get-pip.py understands; pip itself would reject them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    ensurepip.bootstrap(upgrade=True)
    # ensurepip points pip at /dev/null for its own run and leaves that in the environment; without the
    # machine's pip configuration (CA bundle, index), every download below would fail TLS verification.
    os.environ.pop("PIP_CONFIG_FILE", None)
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
