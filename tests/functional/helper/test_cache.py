# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``credential-process --cache`` end to end: one CreateSession per identity, hits without cryptography."""

from __future__ import annotations

import concurrent.futures
import datetime
import os
import re
import shutil
import stat
import sys

import pytest

from tests.functional.helper.helpers import run_helper, session_args

CONCURRENCY = 32


def cached(trust, *extra):
    return ["credential-process", "--cache"] + session_args(trust) + list(extra)


def cache_dir(env):
    return os.path.join(env["XDG_CACHE_HOME"], "rolesanywhere-fleet")


def test_cold_then_hit(helper, trust, emulator, helper_env):
    emulator.reset_counters()
    first = run_helper(helper, cached(trust), helper_env)
    second = run_helper(helper, cached(trust), helper_env)
    assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
    assert first.stdout == second.stdout and first.stdout.startswith(b'{"Version":1,')
    assert second.stderr == b""
    assert emulator.counters().get("CreateSession") == 1
    directory = cache_dir(helper_env)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    entries = [name for name in os.listdir(directory) if name.endswith(".cred")]
    assert len(entries) == 1
    assert stat.S_IMODE(os.stat(os.path.join(directory, entries[0])).st_mode) == 0o600


def test_entries_go_to_a_private_runtime_directory(helper, trust, emulator, helper_env, tmp_path):
    """With a private XDG_RUNTIME_DIR (systemd's /run/user/UID, memory-backed) the entry goes there, not to disk;
    the lookup chooses the same directory (one rule: cache_directory in module_utils/_core/cache.py)."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = dict(helper_env, XDG_RUNTIME_DIR=str(runtime))
    emulator.reset_counters()
    first = run_helper(helper, cached(trust), env)
    assert first.returncode == 0, first.stderr
    assert run_helper(helper, cached(trust), env).stdout == first.stdout
    assert emulator.counters().get("CreateSession") == 1
    assert [name for name in os.listdir(str(runtime / "rolesanywhere-fleet")) if name.endswith(".cred")]
    assert not os.path.exists(cache_dir(helper_env))
    runtime.chmod(0o755)  # not private: ignored, the entry is made on disk
    assert run_helper(helper, cached(trust), env).returncode == 0
    assert os.listdir(cache_dir(helper_env))


def test_hit_code_is_compiled_at_build_time(helper, trust, emulator, helper_env, tmp_path):
    """The hit path unmarshals code the builder compiled (it replaces the marshal file once kept in the cache
    directory: no code is read from a writable directory any more); a helper whose code was compiled for
    another bytecode version compiles the hit modules from its zip instead, with the same answer."""
    first = run_helper(helper, cached(trust), helper_env)
    assert first.returncode == 0, first.stderr
    directory = cache_dir(helper_env)
    assert {name.rsplit(".", 1)[-1] for name in os.listdir(directory)} <= {"cred", "lock"}
    emulator.reset_counters()
    assert run_helper(helper, cached(trust), helper_env).stdout == first.stdout
    content = open(helper, "rb").read()
    magic = re.search(rb'^CODE_MAGIC = "([0-9a-f]+)"$', content, re.M).group(1)
    other = tmp_path / "helper-of-another-python"
    other.write_bytes(content.replace(b'CODE_MAGIC = "%s"' % magic, b'CODE_MAGIC = "00000000"', 1))
    other.chmod(0o755)
    assert run_helper(str(other), cached(trust), helper_env).stdout == first.stdout
    assert emulator.counters().get("CreateSession") is None  # both were hits


def test_hit_starts_without_site_packages(helper, trust, helper_env):
    """-S in the shebang: a hit imports neither site nor anything from site-packages; a miss adds them."""
    assert run_helper(helper, cached(trust), helper_env).returncode == 0
    env = dict(helper_env, PYTHONPROFILEIMPORTTIME="1")
    result = run_helper(helper, cached(trust), env)
    assert result.returncode == 0 and result.stdout.startswith(b'{"Version":1,')
    imported = {line.split("|")[-1].strip() for line in result.stderr.decode().splitlines() if line.startswith("import time:")}
    assert "_sha256" in imported or "_sha2" in imported, imported  # the listing works
    assert "site" not in imported and "cryptography" not in imported
    assert "os" not in imported  # the hit path uses posix: importing os would cost more than the rest of a hit
    miss = run_helper(helper, cached(trust, "--role-session-name", "site-check"), env)
    assert miss.returncode == 0, miss.stderr
    assert b"| site\n" in miss.stderr and b"cryptography" in miss.stderr


def test_hit_imports_no_cryptography_and_opens_no_socket(helper, trust, helper_env):
    assert run_helper(helper, cached(trust), helper_env).returncode == 0
    result = run_helper(helper, cached(trust), helper_env, python_args=("-X", "importtime"))
    assert result.returncode == 0 and result.stdout.startswith(b'{"Version":1,')
    imported = {line.split("|")[-1].strip() for line in result.stderr.decode().splitlines() if line.startswith("import time:")}
    assert "fcntl" in imported or "_sha256" in imported or "_sha2" in imported, imported  # the listing works
    for module in ("cryptography", "ssl", "socket", "http.client", "urllib.request", "json", "argparse", "zipfile"):
        assert module not in imported, module


def test_miss_path_does_import_them(helper, trust, helper_env):
    """Control for the test above: a cold run does load cryptography and the network stack."""
    result = run_helper(helper, cached(trust), helper_env, python_args=("-X", "importtime"))
    imported = {line.split("|")[-1].strip() for line in result.stderr.decode().splitlines() if line.startswith("import time:")}
    assert {"cryptography", "ssl", "http.client"} <= imported


def test_changed_certificate_file_is_a_miss(helper, trust, emulator, helper_env, tmp_path):
    certificate = tmp_path / "cert.pem"
    shutil.copy(trust.certificate, certificate)
    args = cached(trust)
    args[args.index("--certificate") + 1] = str(certificate)
    emulator.reset_counters()
    first = run_helper(helper, args, helper_env)
    assert run_helper(helper, args, helper_env).stdout == first.stdout
    assert emulator.counters().get("CreateSession") == 1
    shutil.copy(trust.certificate, tmp_path / "new.pem")
    os.replace(tmp_path / "new.pem", certificate)  # same bytes, new file (renewal writes a new one)
    third = run_helper(helper, args, helper_env)
    assert third.returncode == 0 and third.stdout != first.stdout
    assert emulator.counters().get("CreateSession") == 2


def test_identity_parts_select_separate_entries(helper, trust, emulator, helper_env):
    emulator.reset_counters()
    for extra in ([], ["--session-duration", "900"], ["--role-session-name", "other-name"], []):
        assert run_helper(helper, cached(trust, *extra), helper_env).returncode == 0
    assert emulator.counters().get("CreateSession") == 3


def test_stdin_certificate_is_cached_by_fingerprint(helper, trust, emulator, helper_env):
    with open(trust.certificate, "rb") as cert, open(trust.private_key, "rb") as key:
        combined = key.read() + cert.read()
    args = cached(trust)
    args[args.index("--certificate") + 1] = "-"
    args[args.index("--private-key") + 1] = "-"
    emulator.reset_counters()
    first = run_helper(helper, args, helper_env, stdin=combined)
    second = run_helper(helper, args, helper_env, stdin=combined)
    assert first.returncode == 0 and first.stdout == second.stdout
    other = trust.issue("stdin-other.example.com")
    with open(other.certificate, "rb") as cert, open(other.private_key, "rb") as key:
        third = run_helper(helper, args, helper_env, stdin=key.read() + cert.read())
    assert third.returncode == 0 and third.stdout != first.stdout
    assert emulator.counters().get("CreateSession") == 2


def test_entry_never_outlives_the_certificate(helper, trust, helper_env):
    not_after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)
    leaf = trust.issue("short.example.com", not_after=not_after)
    args = cached(trust)
    args[args.index("--certificate") + 1] = leaf.certificate
    args[args.index("--private-key") + 1] = leaf.private_key
    assert run_helper(helper, args, helper_env).returncode == 0
    directory = cache_dir(helper_env)
    (entry,) = [name for name in os.listdir(directory) if name.endswith(".cred")]
    with open(os.path.join(directory, entry), encoding="utf-8") as handle:
        header = dict(line.split(" ", 1) for line in handle.read().split("\n\n", 1)[0].splitlines()[1:])
    assert int(header["expires"]) <= not_after.timestamp()


def test_32_concurrent_cold_invocations_make_one_create_session(helper, trust, emulator, helper_env):
    emulator.reset_counters()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(lambda _: run_helper(helper, cached(trust), helper_env), range(CONCURRENCY)))
    assert all(result.returncode == 0 for result in results), [r.stderr for r in results if r.returncode]
    assert len({result.stdout for result in results}) == 1
    assert emulator.counters().get("CreateSession") == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the cache directory to another user")
def test_unusable_cache_directory_still_gives_credentials(helper, trust, emulator, helper_env):
    directory = cache_dir(helper_env)
    os.makedirs(directory, mode=0o700)
    os.chown(directory, 4242, 4242)
    result = run_helper(helper, cached(trust), helper_env)
    assert result.returncode == 0 and result.stdout.startswith(b'{"Version":1,')
    assert b"credential cache not used" in result.stderr and b"not a directory owned by this user" in result.stderr


def test_cache_dir_flag(helper, trust, helper_env, tmp_path):
    target = tmp_path / "custom-cache"
    assert run_helper(helper, cached(trust, "--cache-dir", str(target)), helper_env).returncode == 0
    assert [name for name in os.listdir(target) if name.endswith(".cred")]
    assert not os.path.exists(cache_dir(helper_env))


def test_interpreter_is_the_one_in_the_shebang(helper):
    with open(helper, "rb") as handle:
        assert handle.readline() == b"#!" + sys.executable.encode() + b" -S\n"


def test_key_holds_the_endpoint_the_environment_resolves(helper, trust, emulator, helper_env):
    """The key holds the endpoint sdk_config resolves: the same endpoint named by AWS_ENDPOINT_URL_ROLESANYWHERE is
    a hit (resolved on the hit path, still without cryptography); another one is not (AWS's order: the variable
    beats --endpoint, so that run goes to a closed port and fails)."""
    first = run_helper(helper, cached(trust), helper_env)
    assert first.returncode == 0, first.stderr
    emulator.reset_counters()
    same = dict(helper_env, AWS_ENDPOINT_URL_ROLESANYWHERE=trust.endpoint)
    hit = run_helper(helper, cached(trust), same, python_args=("-X", "importtime"))
    assert hit.returncode == 0 and hit.stdout == first.stdout, hit.stderr
    assert b"cryptography" not in hit.stderr and b"argparse" not in hit.stderr
    assert emulator.counters().get("CreateSession") is None
    other = dict(helper_env, AWS_ENDPOINT_URL_ROLESANYWHERE="http://127.0.0.1:1")
    miss = run_helper(helper, cached(trust, "--debug"), other)
    assert miss.returncode == 1 and miss.stdout == b"", miss.stderr
    assert b"127.0.0.1:1" in miss.stderr
