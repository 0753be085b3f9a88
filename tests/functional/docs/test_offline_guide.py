# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/testing-your-playbooks-offline.md, followed word for word as a newcomer would.

Every ```sh block of the guide runs, in order, in one bash from the repository root, the way a reader pastes them:
no venv on PATH until the guide activates it, no USER, no AWS or Ansible settings from the developer. The one
stand-in is `make venv` (make test has made the venv already): a `make` on PATH that accepts only that.
The CI example's `run:` steps run as written too, on the page's pytest example (§5) as the user's repository.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import site
import subprocess
import sys

import yaml

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


def user_files(path):
    """The files of a user's repository the page shows: fenced blocks whose first line is `# <relative path>`."""
    with open(path, encoding="utf-8") as handle:
        blocks = re.findall(r"^```(?:yaml|python)\n# ([\w./-]+)\n(.*?)^```", handle.read(), re.S | re.M)
    return {name: "# %s\n%s" % (name, body) for name, body in blocks}


def not_in_a_checkout(directory, names):
    """What a fresh clone does not have: build and test output, venvs, caches (and .git, which would not matter)."""
    ignored = {".build", ".venv", ".git", "__pycache__", ".pytest_cache"}
    if os.path.basename(directory) == "tests":
        ignored.add("output")
    return [name for name in names if name in ignored]


GITHUB_EXPRESSIONS = re.compile(r"\$\{\{\s*([\w.]+)\s*\}\}")


def test_the_ci_example_runs_its_steps_on_the_pytest_example(tmp_path):
    """The CI job of the page, parsed, its `run:` steps run as written in a checkout made of the page's files.

    What GitHub's actions would do is done here: the first checkout is a directory with the page's `backup.yml`
    and `tests/test_backup.py` (so §5's pytest example runs, through the job's last step), the second a copy of
    this repository in `.fleet`, setup-python a venv of this Python (the version the job asks for) that sees the
    development venv's packages (ansible, awscli, pytest, moto) through a .pth file, as if the job's pip had
    installed them. pip runs offline (PIP_NO_INDEX; the emulator package builds with this venv's setuptools), so
    `pip install ... ./.fleet` really builds and installs the emulator package into the job's venv.
    """
    files = user_files(GUIDE)
    assert set(files) == {"backup.yml", "tests/test_backup.py", ".github/workflows/offline.yml"}, sorted(files)
    workflow = yaml.safe_load(files[".github/workflows/offline.yml"])
    steps = workflow["jobs"]["playbooks"]["steps"]
    actions = [step["uses"] for step in steps if "uses" in step]
    assert actions == ["actions/checkout@v4", "actions/checkout@v4", "actions/setup-python@v5"], actions
    assert steps[1]["with"] == {"repository": "rolesanywhere/fleet", "path": ".fleet"}
    assert steps[2]["with"]["python-version"] == "%d.%d" % sys.version_info[:2], "the job's Python is the one tested"
    runs = [step for step in steps if "run" in step]
    assert len(runs) == 4 and "./.fleet" in runs[0]["run"] and "pytest" in runs[-1]["run"], runs

    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    runner_temp.mkdir()
    for name, text in files.items():  # actions/checkout of the user's repository
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text)
    shutil.copytree(REPO, workspace / ".fleet", symlinks=True, ignore=not_in_a_checkout)  # actions/checkout of this one
    job = tmp_path / "job-venv"  # actions/setup-python
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(job)], check=True, timeout=120)
    purelib = subprocess.run([str(job / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(purelib, "development-venv.pth"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(site.getsitepackages()) + "\n")
    (job / "bin" / "pip").write_text("#!%s\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n" % (job / "bin" / "python"))
    (job / "bin" / "pip").chmod(0o755)
    system_path = [p for p in os.environ.get("PATH", "").split(os.pathsep)
                   if p and not p.startswith(sys.prefix) and p != os.path.dirname(sys.executable)]
    # the development venv's console scripts (ansible-galaxy, ansible-playbook) after the job's own, as pip would
    # have put them beside the job's python
    path = os.pathsep.join([str(job / "bin"), os.path.dirname(sys.executable)] + system_path)
    base_env = {"PATH": path, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8", "TMPDIR": str(tmp_path),
                "XDG_CACHE_HOME": str(tmp_path / "cache"), "ANSIBLE_NOCOLOR": "1", "RUNNER_TEMP": str(runner_temp),
                "GITHUB_WORKSPACE": str(workspace), "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    expressions = {"runner.temp": str(runner_temp), "github.workspace": str(workspace)}
    outputs = []
    for step in runs:
        env = dict(base_env)
        for name, value in (step.get("env") or {}).items():
            env[name] = GITHUB_EXPRESSIONS.sub(lambda match: expressions[match.group(1)], str(value))
        # GitHub's default shell on Linux runners: bash --noprofile --norc -eo pipefail {0}
        run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workspace, env=env,
                             capture_output=True, text=True, timeout=600, check=False)
        outputs.append(run.stdout + run.stderr)
        assert run.returncode == 0, "step %r failed:\n%s" % (step["run"], outputs[-1][-6000:])
    assert "Successfully installed rolesanywhere-emulator-0.1.0" in outputs[0], outputs[0][-3000:]
    assert os.access(job / "bin" / "rolesanywhere-emulator", os.X_OK)
    assert "rolesanywhere.fleet:0.1.0 was installed successfully" in outputs[2], outputs[2][-3000:]
    assert re.search(r"\b1 passed\b", outputs[3]), outputs[3][-6000:]
