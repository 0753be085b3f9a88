# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release artifact: built with ansible-galaxy, free of development files, and working once installed.

tests/functional/demo runs the offline demo from the installed artifact (its playbooks, role, modules, lookup
and helper come from the artifact; only the emulator comes from this checkout). galaxy-importer runs when its Python is given in
GALAXY_IMPORTER_PYTHON or found at .build/importer-venv/bin/python (``make artifact`` makes it).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOLS = os.path.join(REPO, "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

import check_artifact  # noqa: E402  pylint: disable=wrong-import-position,import-error

BIN = os.path.dirname(sys.executable)


def tool(*args, timeout=900):
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable] + list(args), capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO, check=False)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    output = tmp_path_factory.mktemp("artifact")
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    completed = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(output), REPO],
                               capture_output=True, text=True, timeout=600, env=env, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "[WARNING]" not in completed.stdout + completed.stderr, completed.stderr
    return str(output / "rolesanywhere-fleet-0.1.0.tar.gz")


def rewrite(artifact, target, extra=None, drop=()):
    """A copy of ``artifact`` with files added ({path: bytes}) or dropped."""
    with tarfile.open(artifact, "r:gz") as source, tarfile.open(target, "w:gz") as copy:
        for member in source.getmembers():
            if member.name in drop:
                continue
            copy.addfile(member, source.extractfile(member) if member.isfile() else None)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return target


def test_artifact_holds_no_development_files(artifact):
    assert check_artifact.check_contents(artifact, REPO) == []
    names = check_artifact.read_members(artifact)
    assert not [name for name in names if name.startswith(("tests/", "tools/", ".venv", "docs/dev"))]
    assert "plugins/module_utils/_core/signing.py" in names and "roles/enroll/tasks/main.yml" in names


@pytest.mark.parametrize("path, pattern", [
    ("tests/emulator/server.py", "tests"),
    ("tools/demo.py", "tools"),
    (".venv/bin/python", ".venv"),
    ("plugins/module_utils/_core/__pycache__/signing.cpython-311.pyc", "__pycache__"),
    ("docs/dev/architecture.md", "docs/dev"),
    ("Makefile", "Makefile"),
    ("rolesanywhere-fleet-0.0.9.tar.gz", "*.tar.gz"),
])
def test_check_finds_each_kind_of_development_file(artifact, tmp_path, path, pattern):
    polluted = rewrite(artifact, str(tmp_path / "polluted.tar.gz"), extra={path: b"x"})
    problems = check_artifact.check_contents(polluted, REPO)
    assert any(path in problem and repr(pattern) in problem for problem in problems), problems
    completed = tool(os.path.join(TOOLS, "check_artifact.py"), polluted)
    assert completed.returncode == 1 and path in completed.stderr and "Traceback" not in completed.stderr


def test_check_finds_a_missing_file_and_a_files_json_mismatch(artifact, tmp_path):
    damaged = rewrite(artifact, str(tmp_path / "damaged.tar.gz"), drop=("playbooks/trust.yml",))
    problems = check_artifact.check_contents(damaged, REPO)
    assert "missing from the artifact: playbooks/trust.yml" in problems
    assert "FILES.json lists playbooks/trust.yml, which is not in the tarball" in problems


def galaxy_importer_python():
    """The Python that has galaxy-importer: GALAXY_IMPORTER_PYTHON (make functional sets it, and then it must work),
    else the checkout's .build/importer-venv when a developer made it, else None (the test is skipped)."""
    given = os.environ.get("GALAXY_IMPORTER_PYTHON")
    if given:
        return given
    made = os.path.join(REPO, ".build", "importer-venv", "bin", "python")
    return made if os.access(made, os.X_OK) else None


NO_IMPORTER = "galaxy-importer is not installed (make importer-venv installs it)"


@pytest.mark.skipif(galaxy_importer_python() is None, reason=NO_IMPORTER)
def test_galaxy_importer_accepts_the_artifact(artifact):
    python = galaxy_importer_python()
    assert os.access(python, os.X_OK), "GALAXY_IMPORTER_PYTHON=%s is not an executable Python" % python
    findings, output = check_artifact.run_galaxy_importer(artifact, python, lint=True)
    assert findings == [], output
    # It really looked: every kind of content was loaded and the lint ran.
    for loaded in ("Loading module trust_anchor", "Loading lookup credentials", "Loading role enroll", "Loading playbook enroll.yml",
                   "ansible-lint run complete", "Importer processing completed successfully"):
        assert loaded in output, output


@pytest.mark.skipif(galaxy_importer_python() is None, reason=NO_IMPORTER)
def test_galaxy_importer_reports_a_broken_artifact(artifact, tmp_path):
    broken_module = b'DOCUMENTATION = """\nnot: [yaml\n"""\n'
    # galaxy-importer takes namespace, name and version from the file name.
    broken = rewrite(artifact, str(tmp_path / os.path.basename(artifact)), extra={"plugins/modules/broken.py": broken_module})
    findings, output = check_artifact.run_galaxy_importer(broken, galaxy_importer_python(), lint=False)
    assert any("plugins/modules/broken.py" in finding for finding in findings), output
