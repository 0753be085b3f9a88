# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator as a Python package (pyproject.toml): built, installed into a throwaway venv, started there.

Offline: the wheel is built with the tools venv's setuptools (RA_TOOLS_BIN, ``make functional`` sets it) without
build isolation, and installed with ``--no-deps --no-index``; the throwaway venv sees this venv's packages (moto,
boto3, cryptography) through a .pth file. The emulator runs from a scratch directory, so nothing of the checkout
is importable: it runs from what the package installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys

import boto3
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SOURCES = ("pyproject.toml", "COPYING", "docs/testing-offline.md", "tests/emulator", "plugins/module_utils/_core")


def tools_python():
    given = os.environ.get("RA_TOOLS_BIN")
    made = os.path.join(REPO, ".build", "tools-venv", "bin")
    directory = given or (made if os.path.isdir(made) else None)
    return os.path.join(directory, "python") if directory else None


def clean_env(**extra):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "ANSIBLE_", "PYTHON", "MOTO_")) and key != "VIRTUAL_ENV"}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """bin directory of a venv with the rolesanywhere-emulator package installed from its wheel."""
    python = tools_python()
    if python is None:
        pytest.skip("the tools venv is missing (make tools-venv makes it)")
    base = tmp_path_factory.mktemp("emulator-package")
    source = base / "source"
    for relative in SOURCES:
        origin, target = os.path.join(REPO, relative), source / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.isdir(origin):
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, target)
    built = subprocess.run([python, "-m", "pip", "wheel", "--disable-pip-version-check", "-q", "--no-deps", "--no-build-isolation",
                            "--no-index", "-w", str(base / "dist"), str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = os.listdir(base / "dist")
    assert wheels == ["rolesanywhere_emulator-0.1.0-py3-none-any.whl"], wheels
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(purelib, "development-venv.pth"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(site.getsitepackages()) + "\n")
    installing = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
                                 "--no-index", str(base / "dist" / wheels[0])], capture_output=True, text=True, timeout=300, check=False)
    assert installing.returncode == 0, installing.stdout + installing.stderr
    return venv / "bin"


def options(help_text):
    return set(re.findall(r"(--[a-z][a-z0-9-]+)", help_text))


def test_console_script_has_the_same_flags_as_python_m_tests_emulator(installed, tmp_path):
    script = subprocess.run([str(installed / "rolesanywhere-emulator"), "--help"], capture_output=True, text=True,
                            timeout=120, cwd=str(tmp_path), env=clean_env(), check=False)
    module = subprocess.run([sys.executable, "-m", "tests.emulator", "--help"], capture_output=True, text=True, timeout=120,
                            cwd=REPO, env=clean_env(), check=False)
    assert script.returncode == 0 and module.returncode == 0, script.stderr + module.stderr
    assert script.stdout.startswith("usage: rolesanywhere-emulator "), script.stdout
    assert options(script.stdout) == options(module.stdout) and "--tls-dir" in options(script.stdout)


def test_installed_emulator_serves_roles_anywhere_and_moto(installed, tmp_path):
    process = subprocess.Popen([str(installed / "rolesanywhere-emulator"), "--tls-dir", str(tmp_path / "tls"), "--max-lifetime", "120"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(tmp_path), env=clean_env())
    try:
        line = process.stdout.readline()
        assert line, process.stderr.read()
        info = json.loads(line)
        assert info["endpoint"].startswith("https://127.0.0.1:") and info["ca_bundle"] == str(tmp_path / "tls" / "ca.pem")
        settings = dict(endpoint_url=info["endpoint"], verify=info["ca_bundle"], region_name=info["region"],
                        aws_access_key_id="testing", aws_secret_access_key="testing")
        assert boto3.client("rolesanywhere", **settings).list_trust_anchors()["trustAnchors"] == []
        assert boto3.client("sts", **settings).get_caller_identity()["Account"] == info["account"]
        # AWS managed policies exist, as on AWS (the README's quick start attaches ReadOnlyAccess)
        policy = boto3.client("iam", **settings).get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        assert policy["Policy"]["PolicyName"] == "ReadOnlyAccess"
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
    # it ran from the package, not from a checkout
    code = "import rolesanywhere_emulator, plugins; print(rolesanywhere_emulator.__file__, plugins.__name__)"
    where = subprocess.run([str(installed / "python"), "-c", code], capture_output=True, text=True, cwd=str(tmp_path), env=clean_env(), check=False)
    assert "site-packages/rolesanywhere_emulator/__init__.py rolesanywhere_emulator._fleet" in where.stdout, where.stdout + where.stderr
