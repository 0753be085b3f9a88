# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a built collection artifact before it is published.

    python tools/check_artifact.py ARTIFACT.tar.gz [--install DIR] [--galaxy-importer PYTHON]
    python tools/check_artifact.py --build [--output-path DIR] ...

Lists the tarball and fails when it holds development files (tests, the emulator, tools, virtualenvs, caches,
build output, CI and lint configuration), when a file the collection needs is missing, when MANIFEST.json does
not match galaxy.yml, or when FILES.json and the tarball disagree. ``--install DIR`` also installs it with
``ansible-galaxy collection install --no-deps`` into DIR (which must be empty) and checks that Ansible finds the
collection there. ``--galaxy-importer PYTHON`` runs galaxy-importer (installed in the environment of PYTHON)
offline on the artifact and fails on any error or warning it reports.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Development files that must never ship: at the collection root (the path or one of its parents), or
# anywhere (any component of the path).
FORBIDDEN_AT_ROOT = (
    "tests", "tools", ".build", ".ci", ".git", ".github", ".gitignore", ".ansible", ".ansible-lint", ".cache",
    "Makefile", "constraints.txt", "requirements-dev.txt", "requirements-importer.txt", "constraints-importer.txt",
    "requirements-tools.txt", "constraints-tools.txt", "requirements-floor.txt", "constraints-floor.txt", "pyproject.toml",
    "pytest.ini", "tox.ini", "setup.cfg", "docs/dev",
    "changelogs/.plugin-cache.yaml", "changelogs/fragments",
)
FORBIDDEN_ANYWHERE = (
    ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".tox", "emulator",
    "*.pyc", "*.pyo", "*.retry", "*.tar.gz", "*.log", "*.orig", "*.rej", "*~",
)
# Files the collection cannot work or be published without.
REQUIRED = (
    "MANIFEST.json", "FILES.json", "README.md", "COPYING", "meta/runtime.yml", "changelogs/changelog.yaml",
    "meta/execution-environment.yml", "requirements.txt", "bindep.txt",
    "plugins/modules/trust_anchor.py", "plugins/module_utils/_core/signing.py", "plugins/lookup/credentials.py",
    "roles/enroll/tasks/main.yml", "roles/enroll/meta/argument_specs.yml",
    "playbooks/trust.yml", "playbooks/enroll.yml", "playbooks/rotate.yml", "playbooks/revoke.yml", "playbooks/demo.yml",
    "playbooks/report.yml", "docs/fleet-report.schema.json",
)
GALAXY_IMPORTER_CONFIG = """[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = {lint}
ANSIBLE_LOCAL_TMP = {tmp}
CHECK_REQUIRED_TAGS = False
LOG_LEVEL_MAIN = INFO
"""


class ArtifactProblems(Exception):
    """One or more problems with the artifact, one per line."""


def forbidden_reason(path):
    """The pattern of a development file that ``path`` matches, or None."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        for pattern in FORBIDDEN_AT_ROOT:
            if fnmatch.fnmatchcase(prefix, pattern):
                return pattern
    for name in parts:
        for pattern in FORBIDDEN_ANYWHERE:
            if fnmatch.fnmatchcase(name, pattern):
                return pattern
    return None


def read_members(artifact):
    """{path: TarInfo} of the artifact, without the leading ./"""
    try:
        with tarfile.open(artifact, "r:gz") as tar:
            return {member.name[2:] if member.name.startswith("./") else member.name: member for member in tar.getmembers()}
    except (OSError, tarfile.TarError) as error:
        raise ArtifactProblems("%s is not a readable .tar.gz collection artifact: %s" % (artifact, error)) from None


def read_json_member(artifact, name):
    with tarfile.open(artifact, "r:gz") as tar:
        handle = tar.extractfile(name)
        return json.loads(handle.read().decode("utf-8"))


def galaxy_metadata(collection_root):
    """namespace, name and version from galaxy.yml (three plain keys: no YAML library needed)."""
    values = {}
    with open(os.path.join(collection_root, "galaxy.yml"), encoding="utf-8") as handle:
        for line in handle:
            found = re.match(r"^(namespace|name|version):\s*['\"]?([^'\"\s#]+)", line)
            if found:
                values[found.group(1)] = found.group(2)
    return values


def check_contents(artifact, collection_root=CHECKOUT):
    """Every problem of the tarball's file list and metadata; an empty list when it is fit to publish."""
    members = read_members(artifact)
    problems = []
    for path in sorted(members):
        reason = forbidden_reason(path)
        if reason:
            problems.append("development file in the artifact: %s (matches %r; add it to build_ignore in galaxy.yml)" % (path, reason))
        if members[path].issym() or members[path].islnk():
            problems.append("link in the artifact: %s (ship real files)" % path)
    for path in REQUIRED:
        if path not in members:
            problems.append("missing from the artifact: %s" % path)
    if "MANIFEST.json" in members:
        info = read_json_member(artifact, "MANIFEST.json")["collection_info"]
        for key, expected in galaxy_metadata(collection_root).items():
            if info.get(key) != expected:
                problems.append("MANIFEST.json %s is %r, galaxy.yml says %r" % (key, info.get(key), expected))
    if "FILES.json" in members:
        problems += check_files_json(artifact, members)
    return problems


def check_files_json(artifact, members):
    """FILES.json lists exactly the tarball's files, with their SHA-256."""
    problems = []
    listed = {entry["name"]: entry for entry in read_json_member(artifact, "FILES.json")["files"] if entry["name"] != "."}
    with tarfile.open(artifact, "r:gz") as tar:
        for name, entry in sorted(listed.items()):
            member = members.get(name)
            if member is None:
                problems.append("FILES.json lists %s, which is not in the tarball" % name)
            elif entry["ftype"] == "file":
                digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
                if digest != entry["chksum_sha256"]:
                    problems.append("%s does not match its checksum in FILES.json" % name)
    for name, member in sorted(members.items()):
        if name not in ("MANIFEST.json", "FILES.json") and name not in listed and member.isfile():
            problems.append("%s is in the tarball but not in FILES.json" % name)
    return problems


def ansible_galaxy():
    """ansible-galaxy of the Python running this script (its venv), else from PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "ansible-galaxy")
    return beside if os.access(beside, os.X_OK) else "ansible-galaxy"


def build(collection_root, output_path):
    """ansible-galaxy collection build; the artifact's path."""
    command = [ansible_galaxy(), "collection", "build", "--force", "--output-path", output_path, collection_root]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if completed.returncode != 0:
        raise ArtifactProblems("ansible-galaxy collection build failed:\n%s" % (completed.stdout + completed.stderr).strip())
    if "[WARNING]" in completed.stderr + completed.stdout:
        raise ArtifactProblems("ansible-galaxy collection build warned:\n%s" % (completed.stdout + completed.stderr).strip())
    found = re.search(r"Created collection for \S+ at (\S+\.tar\.gz)", completed.stdout)
    if not found:
        raise ArtifactProblems("ansible-galaxy collection build did not say where the artifact is:\n%s" % completed.stdout)
    return found.group(1)


def install(artifact, directory):
    """Install into an empty collections path and check that Ansible lists the collection there."""
    if os.path.isdir(directory) and os.listdir(directory):
        raise ArtifactProblems("--install %s: the directory must be empty, to prove the artifact alone works" % directory)
    command = [ansible_galaxy(), "collection", "install", artifact, "-p", directory, "--no-deps", "--force"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    if completed.returncode != 0:
        raise ArtifactProblems("ansible-galaxy collection install failed:\n%s" % (completed.stdout + completed.stderr).strip())
    listing = subprocess.run([ansible_galaxy(), "collection", "list", "rolesanywhere.fleet", "-p", directory, "--format", "json"],
                             capture_output=True, text=True, check=False, timeout=300)
    installed = json.loads(listing.stdout or "{}") if listing.returncode == 0 else {}
    if not any("rolesanywhere.fleet" in collections for path, collections in installed.items() if path.startswith(os.path.abspath(directory))):
        raise ArtifactProblems("ansible-galaxy collection list does not find rolesanywhere.fleet in %s:\n%s"
                               % (directory, (listing.stdout + listing.stderr).strip()))
    return os.path.join(directory, "ansible_collections", "rolesanywhere", "fleet")


def run_galaxy_importer(artifact, python, lint=False):
    """galaxy-importer's findings (errors and warnings) on the artifact, run offline without ansible-test."""
    with tempfile.TemporaryDirectory(prefix="galaxy-importer-") as scratch:
        config = os.path.join(scratch, "galaxy-importer.cfg")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(GALAXY_IMPORTER_CONFIG.format(lint=lint, tmp=scratch))
        # galaxy-importer runs ansible-doc and ansible-lint from PATH: those of its own environment, which must also
        # hold the collections this one depends on (the `ansible` package), or the lint cannot resolve their modules.
        env = dict(os.environ, GALAXY_IMPORTER_CONFIG=config, HOME=scratch, ANSIBLE_LOCAL_TEMP=os.path.join(scratch, "ansible"),
                   PATH=os.path.dirname(os.path.abspath(python)) + os.pathsep + os.environ.get("PATH", ""))
        for name in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_CONFIG"):
            env.pop(name, None)
        command = [os.path.abspath(python), "-m", "galaxy_importer.main", os.path.abspath(artifact)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900, env=env, cwd=scratch)
    output = completed.stdout + completed.stderr
    findings = [line.strip() for line in output.splitlines() if re.search(r"\b(ERROR|WARNING)\b", line)]
    if completed.returncode != 0:
        findings.append("galaxy-importer exited with %d:\n%s" % (completed.returncode, output.strip()[-3000:]))
    return findings, output


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(prog="tools/check_artifact.py", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("artifact", nargs="?", help="the .tar.gz made by ansible-galaxy collection build")
    parser.add_argument("--build", action="store_true", help="build the artifact from --collection-root first")
    parser.add_argument("--collection-root", default=CHECKOUT, help="collection to build and whose galaxy.yml to compare with")
    parser.add_argument("--output-path", help="where --build writes the artifact (default: a temporary directory)")
    parser.add_argument("--install", metavar="DIR", help="install the artifact into this empty collections path")
    parser.add_argument("--galaxy-importer", metavar="PYTHON", help="run galaxy-importer with this Python (which has it installed)")
    parser.add_argument("--galaxy-importer-lint", action="store_true", help="let galaxy-importer run ansible-lint too")
    args = parser.parse_args(argv)
    if bool(args.artifact) == args.build:
        parser.error("give an artifact or --build (one of them)")
    return args


def main(argv=None):
    args = parse_arguments(argv)
    try:
        artifact = args.artifact
        if args.build:
            output_path = args.output_path or tempfile.mkdtemp(prefix="rolesanywhere-artifact-")
            artifact = build(args.collection_root, output_path)
            print("built %s" % artifact)
        problems = check_contents(artifact, args.collection_root)
        if problems:
            raise ArtifactProblems("\n".join(problems))
        print("contents: %d entries, no development files, metadata and FILES.json consistent" % len(read_members(artifact)))
        if args.install:
            print("installed: %s" % install(artifact, args.install))
        if args.galaxy_importer:
            findings, _output = run_galaxy_importer(artifact, args.galaxy_importer, args.galaxy_importer_lint)
            if findings:
                raise ArtifactProblems("galaxy-importer reported:\n" + "\n".join(findings))
            print("galaxy-importer: no errors, no warnings")
    except ArtifactProblems as problems:
        print("check_artifact: FAILED\n%s" % problems, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
