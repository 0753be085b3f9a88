# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where users run the collection: the execution-environment metadata, bindep.txt and host-side Python 3.8.

The tools (ansible-builder, bindep, vermin) live in .build/tools-venv (requirements-tools.txt); ``make functional``
passes its bin directory in RA_TOOLS_BIN, and then these tests must run. Everything here works offline:
``ansible-builder create`` only renders the build context, and ``ansible-builder introspect`` reads the metadata of
collections on disk.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
GUIDE = os.path.join(REPO, "docs", "execution-environments.md")


def tools_bin():
    given = os.environ.get("RA_TOOLS_BIN")
    if given:
        return given
    made = os.path.join(REPO, ".build", "tools-venv", "bin")
    return made if os.path.isdir(made) else None


pytestmark = pytest.mark.skipif(tools_bin() is None, reason="the tools venv is missing (make tools-venv makes it)")


def tool(name, *args, cwd=REPO):
    executable = os.path.join(tools_bin(), name)
    assert os.access(executable, os.X_OK), "RA_TOOLS_BIN has no %s" % name
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "ANSIBLE_"))}
    return subprocess.run([executable] + list(args), capture_output=True, text=True, timeout=300, cwd=cwd, env=env, check=False)


def guide_definition():
    """The execution-environment.yml of docs/execution-environments.md (its first yaml block)."""
    with open(GUIDE, encoding="utf-8") as handle:
        match = re.search(r"```yaml\n(# execution-environment\.yml\n.*?)```", handle.read(), re.S)
    assert match, "docs/execution-environments.md has no execution-environment.yml block"
    return match.group(1)


def test_collection_metadata_points_at_requirements_and_bindep():
    with open(os.path.join(REPO, "meta", "execution-environment.yml"), encoding="utf-8") as handle:
        metadata = yaml.safe_load(handle)
    assert metadata["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    for name in ("requirements.txt", "bindep.txt"):
        assert os.path.isfile(os.path.join(REPO, name)), name


def test_requirements_are_ranges_and_the_test_pins_satisfy_them():
    """requirements.txt states lower bounds (users install it beside their own pins); constraints.txt pins."""
    with open(os.path.join(REPO, "requirements.txt"), encoding="utf-8") as handle:
        lines = [line.split("#")[0].strip() for line in handle]
    requirements = [line for line in lines if line]
    assert {re.split(r"[<>=!~]", line)[0] for line in requirements} == {"boto3", "botocore", "cryptography"}
    for line in requirements:
        assert "==" not in line and ">=" in line, "requirements.txt must state a range, not a pin: %s" % line
    with open(os.path.join(REPO, "constraints.txt"), encoding="utf-8") as handle:
        pins = dict(line.strip().split("==", 1) for line in handle if "==" in line)
    from packaging.requirements import Requirement  # pylint: disable=import-outside-toplevel
    for line in requirements:
        requirement = Requirement(line)
        assert requirement.specifier.contains(pins[requirement.name]), (line, pins[requirement.name])


def test_ansible_builder_renders_a_context_for_the_guides_definition(tmp_path):
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(guide_definition())
    context = tmp_path / "context"
    run = tool("ansible-builder", "create", "-f", str(definition), "-c", str(context), "--output-filename", "Containerfile")
    assert run.returncode == 0, run.stdout + run.stderr
    containerfile = (context / "Containerfile").read_text()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert "rolesanywhere.fleet" in [collection["name"] for collection in galaxy["collections"]]
    # The image installs the collections, then asks introspect for their requirements.txt and bindep.txt.
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile and "bindep" in containerfile


def collections_tree(tmp_path):
    """A collections path with this collection and the amazon.aws and community.crypto `make test` uses."""
    import ansible_collections.amazon.aws as amazon_aws  # pylint: disable=import-outside-toplevel
    import ansible_collections.community.crypto as community_crypto  # pylint: disable=import-outside-toplevel
    root = tmp_path / "collections"
    for namespace, name, source in (("rolesanywhere", "fleet", REPO),
                                    ("amazon", "aws", list(amazon_aws.__path__)[0]),
                                    ("community", "crypto", list(community_crypto.__path__)[0])):
        (root / "ansible_collections" / namespace).mkdir(parents=True, exist_ok=True)
        os.symlink(source, root / "ansible_collections" / namespace / name)
    return root


def test_ansible_builder_finds_our_requirements_and_bindep(tmp_path):
    run = tool("ansible-builder", "introspect", "--sanitize", "--write-pip", str(tmp_path / "pip.txt"),
               "--write-bindep", str(tmp_path / "bindep.txt"), str(collections_tree(tmp_path)))
    assert run.returncode == 0, run.stdout + run.stderr
    pip = (tmp_path / "pip.txt").read_text()
    bindep = (tmp_path / "bindep.txt").read_text()
    for line in ("boto3>=1.35.0", "botocore>=1.35.0", "cryptography>=41.0.0"):
        assert re.search(r"^%s\b.*rolesanywhere\.fleet" % re.escape(line), pip, re.M), pip
    for line in ("openssh-client [platform:dpkg platform:apk]", "gcc [compile]", "opensc [pkcs11]", "tpm2-tools [tpm]"):
        assert re.search(r"^%s\s+# from collection rolesanywhere\.fleet" % re.escape(line), bindep, re.M), bindep


@pytest.mark.parametrize("profiles, wanted, unwanted", [
    ((), {"openssh-client", "ca-certificates"}, {"gcc", "opensc", "tpm2-tools"}),
    (("compile",), {"openssh-client", "gcc", "python3-dev", "libffi-dev", "libssl-dev"}, {"opensc"}),
    (("pkcs11", "tpm"), {"opensc", "p11-kit", "tpm2-tools"}, {"gcc", "libtss2-dev"}),  # the TPM needs no TSS libraries (issue 16)
])
def test_bindep_reads_the_file_and_selects_by_profile(profiles, wanted, unwanted):
    """bindep parses bindep.txt and lists this platform's packages per profile (this machine is Debian)."""
    run = tool("bindep", "--file", os.path.join(REPO, "bindep.txt"), "--list_all=newline", *profiles)
    assert run.returncode == 0, run.stdout + run.stderr
    listed = set(run.stdout.split())
    assert wanted <= listed and not unwanted & listed, listed


def test_bindep_refuses_a_broken_file(tmp_path):
    broken = tmp_path / "bindep.txt"
    broken.write_text("openssh-client [platform:dpkg\n")
    run = tool("bindep", "--file", str(broken), "--list_all=newline")
    assert run.returncode != 0


def check_host_python(*paths):
    return subprocess.run([sys.executable, os.path.join(REPO, "tools", "check_host_python.py"), "--vermin",
                           os.path.join(tools_bin(), "vermin")] + list(paths), capture_output=True, text=True, timeout=300, check=False)


def test_host_side_code_is_valid_for_python_3_8():
    run = check_host_python()
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"Analyzing \d+ files", run.stdout), run.stdout


@pytest.mark.parametrize("source, reason", [
    ("from __future__ import annotations\n\ndef f(x: list[int]) -> dict[str, int]:\n    return {}\n", "generic type annotation"),
    ("def f(x):\n    match x:\n        case 1:\n            return 2\n", "pattern matching"),
    ("import functools\n\n@functools.cache\ndef f():\n    return 1\n", "functools.cache"),
    ("def f(a, b):\n    return list(zip(a, b, strict=True))\n", "strict"),
])
def test_host_side_check_refuses_newer_python(tmp_path, source, reason):
    module = tmp_path / "host_module.py"
    module.write_text(source)
    run = check_host_python(str(module))
    assert run.returncode == 1, run.stdout + run.stderr
    assert reason in run.stdout and "must work on Python 3.8" in run.stderr, run.stdout + run.stderr
