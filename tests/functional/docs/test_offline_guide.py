# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/testing-your-playbooks-offline.md, followed word for word as a newcomer would.

Every ```sh block of the guide runs, in order, in one bash from the repository root, the way a reader pastes them:
no venv on PATH until the guide activates it, no USER, no AWS or Ansible settings from the developer. The one
stand-in is `make venv` (make test has made the venv already): a `make` on PATH that accepts only that.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
GUIDE = os.path.join(REPO, "docs", "testing-your-playbooks-offline.md")
MAKE_SHIM = """#!/bin/sh
[ "$*" = venv ] && exit 0
echo "make shim: only 'make venv' is expected here, not: make $*" >&2
exit 2
"""


def shell_blocks(path):
    with open(path, encoding="utf-8") as handle:
        return re.findall(r"^```sh\n(.*?)^```", handle.read(), re.S | re.M)


def test_the_guide_has_the_steps_a_newcomer_needs():
    script = "\n".join(shell_blocks(GUIDE))
    for needed in (". .venv/bin/activate", "ansible-galaxy collection install", "ANSIBLE_COLLECTIONS_PATH=",
                   "AWS_DEFAULT_REGION=", "rolesanywhere.fleet.trust", "rolesanywhere.fleet.enroll", "rolesanywhere.fleet.demo",
                   "aws sts get-caller-identity"):
        assert needed in script, needed
    # the emulator picks its port: no port is written down, and nothing depends on USER
    assert not re.search(r"127\.0\.0\.1:\d+", script) and "'USER'" not in script and "$USER" not in script


def test_every_shell_block_of_the_guide_runs_as_written(tmp_path):
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "make").write_text(MAKE_SHIM)
    (shims / "make").chmod(0o755)
    created_venv_link = False
    venv_link = os.path.join(REPO, ".venv")
    if not os.path.exists(venv_link):  # the layout copy of the checkout has no .venv: the reader's checkout has
        os.symlink(sys.prefix, venv_link)
        created_venv_link = True
    system_path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                                  if p and not p.startswith(sys.prefix) and p != os.path.dirname(sys.executable))
    env = {"PATH": str(shims) + os.pathsep + system_path, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
           "TMPDIR": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), "ANSIBLE_NOCOLOR": "1"}
    script = "set -e -o pipefail\n" + "\n".join(shell_blocks(GUIDE)) + "\necho GUIDE-DONE\n"
    (tmp_path / "guide.sh").write_text(script)
    try:
        run = subprocess.run(["bash", str(tmp_path / "guide.sh")], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=900, check=False)
    finally:
        if created_venv_link:
            os.unlink(venv_link)
        for pid_file in tmp_path.glob("tmp.*/emulator.pid"):  # a failed run leaves its emulator: stop it (ours only)
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
    output = run.stdout + run.stderr
    assert run.returncode == 0 and "GUIDE-DONE" in run.stdout, output[-6000:]
    assert re.search(r"rolesanywhere\.fleet\s+0\.1\.0", run.stdout), output[-3000:]
    assert "failed=0" in run.stdout and "unreachable=0" in run.stdout
    assert re.search(r'"Arn": "arn:aws:sts::123456789012:assumed-role/rolesanywhere-test/', run.stdout), output[-3000:]
    assert not [name for name in os.listdir(tmp_path) if name.startswith("tmp.")], "the guide's last step removes $WORK"
