# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The single helper file: built from module_utils, deterministic, runnable, Python 3.8 compatible."""

from __future__ import annotations

import base64
import glob
import io
import os
import subprocess
import sys
import zipfile

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import bootstrap, build as helper_build
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import (
    HELPER_MODULES,
    HELPER_PACKAGES,
    build_zipapp,
    describe_helper,
    helper_sources,
    read_module_source,
)
from tests.functional.helper.helpers import run_helper, session_args
from tests.support.commands import build_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
OLD_PYTHONS = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.8*/bin/python3.8")))


def checkout_source(name):
    with open(os.path.join(MODULE_UTILS, name + ".py"), "rb") as handle:
        return handle.read()


def payload_zip(content):
    text = content.decode("utf-8")
    body = text.split("\n" + helper_build.PAYLOAD_BEGIN + "\n", 1)[1].split("\n" + helper_build.PAYLOAD_END, 1)[0]
    return base64.b64decode("".join(line[1:] for line in body.splitlines()))


def test_sources_are_read_through_the_package_loader():
    for name in HELPER_MODULES:
        assert read_module_source(name) == checkout_source(name)


def test_build_is_deterministic_and_described():
    first, second = build_helper(), build_helper()
    assert first == second
    info = describe_helper(first)
    assert info["version"] == "0.1.0" and len(info["sha256"]) == 64
    assert describe_helper(b"#!/bin/sh\necho hi\n") is None
    changed = dict(helper_sources())
    changed["_core/errors"] = changed["_core/errors"] + b"\n# changed\n"
    assert describe_helper(build_helper(sources=changed))["sources_sha256"] != info["sources_sha256"]


def test_layout_head_bootstrap_payload():
    content = build_helper("/usr/bin/python3")
    lines = content.decode("utf-8").splitlines(True)
    # -S: a cache hit starts without site-packages (issue 12, "Faster on both paths"); the zip adds them on a miss.
    assert lines[0] == "#!/usr/bin/python3 -S\n"
    assert build_helper("/usr/bin/env python3").startswith(b"#!/usr/bin/env python3\n")  # no room for -S there
    assert lines[1].startswith("# rolesanywhere.fleet credential helper 0.1.0 sha256:")
    head = content.split(helper_build.CODE_BEGIN, maxsplit=1)[0]
    assert len(head) < 8000  # compiled at every start: the cache code itself lives in the payload
    # A cache hit reads the file only to the end of the start-up code: it comes first, the zip and the rest after it.
    assert content.index(helper_build.CODE_END) < content.index(("\n%s\n" % helper_build.PAYLOAD_BEGIN).encode())
    assert content.index(("\n%s\n" % helper_build.PAYLOAD_END).encode()) < content.index(helper_build.REST_BEGIN)
    compile(head, "head", "exec")
    archive = zipfile.ZipFile(io.BytesIO(payload_zip(content)))
    names = archive.namelist()
    assert names[0] == "__main__.py"
    packages = ["rolesanywhere_fleet_helper/%s/__init__.py" % package for package in HELPER_PACKAGES]
    assert sorted(names[2:]) == sorted(packages + ["rolesanywhere_fleet_helper/%s.py" % name for name in HELPER_MODULES])
    for name in HELPER_MODULES:
        assert archive.read("rolesanywhere_fleet_helper/%s.py" % name) == checkout_source(name)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())


def test_a_miss_reads_the_rest_of_the_file_it_started_from(tmp_path):
    """head.py reads the helper only to the end of the start-up code; the rest (zip, other modules) comes from the
    same open file, even when the credential_helper module has renamed a new helper into its place meanwhile."""
    content = build_helper()
    path = tmp_path / "rolesanywhere-credential-helper"
    path.write_bytes(content)
    with open(path, "rb") as handle:
        prefix = handle.read(4096)
        (tmp_path / "new").write_bytes(b"#!/bin/sh\necho newer\n")
        os.replace(tmp_path / "new", path)
        modules = bootstrap.Modules(prefix, {}, {"__file__": str(path)}, handle)
        assert modules.whole() == content and modules.whole() == content
    assert modules.handle is None


def test_start_up_code_encoding_follows_the_builders_built_in_modules():
    assert helper_build.code_encoding(("sys", "marshal", "zlib", "binascii")) == "zlib"  # Debian's python3
    assert helper_build.code_encoding(("sys", "marshal")) == "hex"  # zlib as a shared library: its import costs more


@pytest.mark.parametrize("encoding", ["hex", "zlib"])
def test_start_up_code_in_either_encoding(encoding, tmp_path, trust, helper_env, monkeypatch):
    monkeypatch.setattr(helper_build, "code_encoding", lambda: encoding)
    path = tmp_path / "rolesanywhere-credential-helper"
    path.write_bytes(build_helper(sys.executable))
    path.chmod(0o755)
    assert ('\nCODE_ENCODING = "%s"' % encoding).encode() in path.read_bytes()
    args = [str(path), "credential-process", "--cache"] + session_args(trust)
    filled = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=helper_env, timeout=60, check=False)
    hit = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=helper_env, timeout=60, check=False)
    assert (filled.returncode, hit.returncode, hit.stdout) == (0, 0, filled.stdout), (filled.stderr, hit.stderr)
    assert filled.stdout.startswith(b'{"Version":1,')


def test_helper_carries_no_server_side_code():
    """Hosts run the client only: the CreateSession verifier (the emulator's) and the control plane stay out."""
    content = build_helper()
    archive = zipfile.ZipFile(io.BytesIO(payload_zip(content)))
    code = b"".join(archive.read(name) for name in archive.namelist()) + content
    for marker in (b"verify_create_session_request", b"VerifiedRequest", b"def verify_signature", b"_AUTHORIZATION_RE",
                   b"ansible_collections", b"AnsibleModule", b"boto3"):
        assert marker not in code, marker
    assert not any(name.split("/")[1] == "_control_plane" for name in archive.namelist() if name.count("/") > 1)


def test_embedded_zip_is_itself_a_zipapp(tmp_path, helper_env):
    zipapp = tmp_path / "helper.pyz"
    zipapp.write_bytes(payload_zip(build_helper()))
    result = subprocess.run([sys.executable, str(zipapp), "version"], stdout=subprocess.PIPE, env=helper_env, timeout=60, check=True)
    assert result.stdout == b"0.1.0\n"
    assert build_zipapp(helper_sources()) == zipapp.read_bytes()


def test_tools_build_helper(tmp_path, helper_env):
    output = tmp_path / "built"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_helper.py"), str(output), "--interpreter", sys.executable],
                   check=True, stdout=subprocess.PIPE, timeout=60)
    assert output.read_bytes() == build_helper(sys.executable)
    assert os.access(output, os.X_OK)
    zipapp = tmp_path / "built.pyz"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_helper.py"), str(zipapp), "--zipapp"],
                   check=True, stdout=subprocess.PIPE, timeout=60)
    assert subprocess.run([sys.executable, str(zipapp), "version"], stdout=subprocess.PIPE, env=helper_env,
                          timeout=60, check=True).stdout == b"0.1.0\n"


@pytest.mark.parametrize("interpreter", ["python3", "/usr/bin/env python3\nrm -rf /", ""])
def test_bad_interpreters_refused(interpreter):
    if interpreter == "":
        assert build_helper(interpreter).startswith(b"#!/usr/bin/env python3\n")  # empty means the default
        return
    with pytest.raises(ValueError, match="absolute command"):
        build_helper(interpreter)


def test_helper_runs_from_a_symlink_and_another_cwd(helper, helper_env, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(helper)
    result = subprocess.run([str(link), "version"], stdout=subprocess.PIPE, env=helper_env, cwd="/", timeout=60, check=True)
    assert result.stdout == b"0.1.0\n"


# Run as the shebang runs it (-S) under runpy, then list what was imported (on stderr, after the helper's own output).
MODULES_PROBE = (
    "import runpy, sys\n"
    "helper = sys.argv[1]\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(helper, run_name='__main__')\n"
    "except SystemExit as done:\n"
    "    assert not done.code, done.code\n"
    "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
)


def test_a_cold_credential_process_imports_no_module_it_does_not_use(helper, trust, helper_env):
    """Issue 12: a cold credential-process (no config file, a valid command line) loads neither argparse (the table
    reading serves it) nor configparser (only a config file that exists needs it), nor other commands' modules."""
    assert not os.path.exists(helper_env.get("AWS_CONFIG_FILE", "/nonexistent"))
    result = subprocess.run([sys.executable, "-S", "-c", MODULES_PROBE, helper, "credential-process"] + session_args(trust),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=helper_env, timeout=60, check=True)
    assert result.stdout.startswith(b'{"Version":1,')
    loaded = set(result.stderr.decode().rsplit("\nMODULES ", 1)[1].split())
    assert "rolesanywhere_fleet_helper._core.transport" in loaded  # the probe saw the whole call
    unused = {"argparse", "gettext", "configparser", "rolesanywhere_fleet_helper._helper.argument_parser",
              "rolesanywhere_fleet_helper._helper.certificate_commands", "rolesanywhere_fleet_helper._helper.refresh_commands",
              "rolesanywhere_fleet_helper._helper.imds_server", "rolesanywhere_fleet_helper._core.pkcs11"}
    assert not loaded & unused


@pytest.mark.skipif(not OLD_PYTHONS, reason="no Python 3.8 interpreter on this machine")
def test_python_3_8_compatibility(helper, trust, helper_env):
    python38 = OLD_PYTHONS[0]
    for name in HELPER_MODULES:
        subprocess.run([python38, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 8))",
                        os.path.join(MODULE_UTILS, name + ".py")], check=True, timeout=60)
    assert subprocess.run([python38, helper, "version"], stdout=subprocess.PIPE, env=helper_env, timeout=60,
                          check=True).stdout == b"0.1.0\n"
    args = ["credential-process", "--cache"] + session_args(trust)
    filled = run_helper(helper, args, helper_env)
    assert filled.returncode == 0
    hit = subprocess.run([python38, helper] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=helper_env,
                         timeout=60, check=False)
    assert (hit.returncode, hit.stdout) == (0, filled.stdout), hit.stderr  # the hit path needs no cryptography on 3.8
