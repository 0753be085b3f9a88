# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper's one command line: the cache-hit reading agrees with argparse; Go's boolean flag syntax."""

from __future__ import annotations

import ast
import contextlib
import io
import os
import random
import subprocess
import sys
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.cache import (
    CredentialCache,
    cache_directory,
    certificate_state,
    credential_identity,
    identity_key,
)
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import argument_parser, bootstrap, cli, command_line
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.command_line import (
    FAST_OPTIONS,
    GO_FALSE,
    GO_TRUE,
    answer_from_cache,
    fast_credential_process,
    parse_bool,
    parse_fast_arguments,
    read_options,
)

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/11111111-2222-3333-4444-555555555555"
PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-2222-3333-4444-666666666666"
ROLE = "arn:aws:iam::123456789012:role/fleet"
PAYLOAD = '{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s","SessionToken":"t","Expiration":"2030-01-01T00:00:00Z"}'
MODULE_UTILS = os.path.dirname(os.path.dirname(cli.__file__))

BASE = ["credential-process", "--cache", "--certificate", "c.pem", "--private-key", "k.pem", "--trust-anchor-arn", ANCHOR,
        "--profile-arn", PROFILE, "--role-arn", ROLE]


def full_parse(argv):
    """argparse's reading (argument_parser.parse_with_argparse), or None when it refuses argv (or prints help)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return vars(argument_parser.parse_with_argparse(list(argv)))
    except (command_line.UsageError, SystemExit):
        return None


def helper_parse(argv):
    """The helper's own reading (cli.parse_arguments: the table for the lines it reads, else argparse)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return vars(cli.parse_arguments(list(argv)))
    except (command_line.UsageError, SystemExit):
        return None


# --- moved from test_cache.py (cache.parse_fast_arguments / fast_credential_process) ---------------

@pytest.mark.parametrize("argv, accepted", [
    (BASE, True),
    (BASE + ["--session-duration=900", "--region", "us-east-1", "--endpoint", "https://x", "--no-verify-ssl"], True),
    (BASE + ["--with-proxy", "--use-fips-endpoint", "--pkcs8-password", "pw", "--cache-dir", "/tmp/x"], True),
    (BASE + ["--pkcs8-password-file", "/etc/rolesanywhere/current/private-key.passphrase"], True),
    (BASE + ["--pkcs8-password", "pw", "--pkcs8-password-file=/tmp/p"], False),  # exclusive: argparse says so
    (BASE[:1] + BASE[2:], False),  # no --cache
    (["serve"] + BASE[1:], False),
    (BASE + ["--debug"], False),
    (BASE + ["--help"], False),
    (BASE + ["--pkcs11-lib", "x", "--reuse-pin"], True),  # PKCS#11 keys: a hit reads their flags too
    (BASE + ["--tpm-key-password", "x"], True),  # TPM keys (issue 16): a hit reads their flags too, the TPM stays untouched
    (BASE + ["--no-tpm-key-password"], True),
    (BASE + ["--tpm-key-password", "x", "--no-tpm-key-password"], False),  # exclusive: argparse says so
    (BASE + ["--region"], False),  # missing value
    (BASE[:1] + BASE[2:] + ["--cache=true"], True),  # Go's syntax (issue 13): read like --cache
    (BASE[:1] + BASE[2:] + ["--cache=false"], False),
    (BASE + ["--role-arn", ROLE], False),  # repeated
    (["credential-process", "--cache", "--certificate", "-", "--trust-anchor-arn", ANCHOR], False),  # stdin
    (BASE[:6] + ["--private-key", "-"] + BASE[6:], False),
    (["credential-process", "--cache", "--trust-anchor-arn", ANCHOR], False),  # no certificate
    ([], False),
])
def test_fast_argument_parser(argv, accepted):
    assert (parse_fast_arguments(argv) is not None) is accepted


def test_fast_path_answers_only_fresh_entries(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    certificate = tmp_path / "host.pem"
    certificate.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    environ = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    argv = ["credential-process", "--cache", "--certificate", str(certificate), "--private-key", "k.pem",
            "--trust-anchor-arn", ANCHOR, "--profile-arn", PROFILE, "--role-arn", ROLE]
    out = io.StringIO()
    assert fast_credential_process(argv, environ, out) is False
    options = parse_fast_arguments(argv)
    store = CredentialCache(cache_directory(environ))
    now = time.time()
    store.store(identity_key(credential_identity(options, environ)), certificate_state(str(certificate)), PAYLOAD,
                now - 2000, now + 1600)
    assert fast_credential_process(argv, environ, out) is True
    assert out.getvalue() == PAYLOAD
    assert fast_credential_process(argv + ["--refresh-margin", "1700"], environ, io.StringIO()) is False
    assert fast_credential_process(argv, dict(environ, AWS_USE_FIPS_ENDPOINT="true"), io.StringIO()) is False
    assert fast_credential_process(argv + ["--session-duration", "x"], environ, io.StringIO()) is False
    # The outcome tells the full helper whether it may skip its own look-up before the lock.
    assert answer_from_cache(argv, environ, io.StringIO()) == command_line.HIT
    assert answer_from_cache(argv + ["--role-session-name", "x1"], environ, io.StringIO()) == command_line.MISS
    assert answer_from_cache(argv + ["--debug"], environ, io.StringIO()) == command_line.NOT_READ


def test_hit_path_modules_are_light():
    """What a cache hit runs (bootstrap.HIT_MODULES): fast standard modules and each other, nothing else; sdk_config
    only inside cache.resolved_endpoint, for a host whose environment or config file sets the endpoint, and errors
    only inside pkcs11_uri.refusal, when a pkcs11: URI is refused (never on a hit)."""
    allowed = {"posix", "os", "sys", "time", "fcntl", "_sha256", "_sha2", "hashlib", "binascii", "random"}
    lazy = {"resolved_endpoint": "_core/sdk_config", "refusal": "_core/errors"}  # function -> what it may import
    for name in bootstrap.HIT_MODULES:
        source = open(os.path.join(MODULE_UTILS, name + ".py"), encoding="utf-8").read()
        package = name.split("/", maxsplit=1)[0]
        tree = ast.parse(source)
        inside = dict((node, lazy[function.name]) for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                      and function.name in lazy for node in ast.walk(function))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                target = (node.module or "").replace(".", "/").lstrip("/")
                resolved = target if node.level == 2 else "%s/%s" % (package, target)
                if inside.get(node) == resolved:
                    continue
                # bootstrap runs before the hit modules (and registers itself for them): its PROG is the one name.
                assert resolved in bootstrap.HIT_MODULES or resolved == "_helper/bootstrap", (name, resolved)
            elif isinstance(node, ast.ImportFrom):
                assert node.module != "__future__" and node.module.split(".")[0] in allowed, (name, node.module)
            elif isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] in allowed for alias in node.names), name


def test_the_program_name_is_defined_once():
    """bootstrap prints it before any hit module can load (a Python older than 3.8); command_line takes it from there."""
    assert command_line.PROG is bootstrap.PROG
    assert bootstrap.PROG == "rolesanywhere-credential-helper"
    assert not any(isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "PROG" for target in node.targets)
                   for node in ast.walk(ast.parse(open(command_line.__file__, encoding="utf-8").read())))
    bootstrap_source = open(bootstrap.__file__, encoding="utf-8").read()
    assert [node.names[0].name for node in ast.parse(bootstrap_source).body if isinstance(node, ast.Import)] == ["sys"]


# --- one parser: the fast reading never disagrees with argparse -----------------------------------

VALUES = {
    "--session-duration": ["900", "3600", "x", "-5", "1_000", " 12", ""],
    "--refresh-margin": ["0", "300", "-1", "1e3"],
}
WORDS = ["c.pem", "k.pem", ANCHOR, PROFILE, ROLE, "us-east-1", "https://127.0.0.1:1", "/tmp/x", "a b", "-", "",
         "--", "=", "x=y", "-x"]
BOOLEAN_VALUES = list(GO_TRUE + GO_FALSE) + ["yes", "no", "", "TRUE ", "tRUE"]
EXTRA = ["--debug", "--debug=false", "--pkcs11-lib", "--reuse-pin", "--reuse-pin=0", "--tpm-key-password", "--unknown", "-h", "--cert", "stray",
         "--", "-", "--trust-anchor", "--no-verify-ssl=", "--cache-dir=", "--region=", "-5"]


def random_argv(rng):
    argv = [rng.choice(["credential-process"] * 12 + ["serve", "update", "sign-string", "version"])]
    names = list(FAST_OPTIONS)
    for _option in range(rng.randint(0, 9)):
        roll = rng.random()
        if roll < 0.08:
            argv.append(rng.choice(EXTRA))
            continue
        name = rng.choice(names)
        option = FAST_OPTIONS[name]
        if option.kind == "flag":
            style = rng.random()
            if style < 0.5:
                argv.append(name)
            elif style < 0.9:
                argv.append("%s=%s" % (name, rng.choice(BOOLEAN_VALUES)))
            else:
                argv += [name, rng.choice(BOOLEAN_VALUES + ["--cache"])]
        else:
            value = rng.choice(VALUES.get(name, WORDS) + WORDS[:3])
            if rng.random() < 0.3:
                argv.append("%s=%s" % (name, value))
            elif rng.random() < 0.05:
                argv.append(name)  # maybe missing its value
            else:
                argv += [name, value]
    return argv


def test_fast_reading_agrees_with_argparse():
    rng = random.Random(12)
    read = refused = 0
    for _case in range(1500):
        argv = random_argv(rng)
        fast = read_options(argv)
        full = full_parse(argv)
        if full is None:
            assert fast is None, argv  # argparse refuses it: a cache hit must not answer it
            assert helper_parse(argv) is None, argv
            refused += 1
            continue
        if fast is not None:
            read += 1
            for dest, value in fast.items():
                assert full[dest] == value and type(full[dest]) is type(value), (argv, dest, value, full[dest])
        # The helper's reading (table, else argparse) is argparse's, every field and type, on every line argparse takes.
        helper = helper_parse(argv)
        assert helper == full and all(type(helper[dest]) is type(full[dest]) for dest in full), argv
    assert read > 250 and refused > 150  # both kinds of command line were exercised


def test_a_cold_credential_process_reads_its_line_without_argparse():
    """Issue 12: argparse (and gettext, which it imports) and building the parser cost the cold path ~15 ms."""
    code = (
        "import sys\n"
        "from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import cli\n"
        "args = cli.parse_arguments(%r)\n"
        "print(args.command, args.cache, args.debug, 'argparse' in sys.modules)\n"
        "cli.parse_arguments(['credential-process', '--debug'])\n"
        "print('argparse' in sys.modules)\n"
    ) % (BASE[:1] + BASE[2:],)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["credential-process", "False", "False", "False", "True"]


@pytest.mark.parametrize("argv", [
    BASE, BASE + ["--no-verify-ssl=false", "--with-proxy=1", "--use-fips-endpoint=F"],
    BASE + ["--session-duration=900", "--refresh-margin", "10", "--region=", "--role-session-name", "web-1"],
    BASE[:2] + ["--certificate=/etc/pki/host.pem"] + BASE[4:] + ["--cache-dir", "relative/dir", "--endpoint=https://x:1/p?q=1"],
])
def test_known_command_lines_read_alike(argv):
    fast, full = read_options(argv), full_parse(argv)
    assert fast is not None and full is not None
    assert dict((dest, full[dest]) for dest in fast) == fast


# --- Go's boolean syntax ----------------------------------------------------------------------------

def test_parse_bool_is_go_strconv():
    assert all(parse_bool(text) is True for text in GO_TRUE)
    assert all(parse_bool(text) is False for text in GO_FALSE)
    for text in ("yes", "on", "", "tRuE", " true"):
        with pytest.raises(ValueError):
            parse_bool(text)


@pytest.mark.parametrize("command, flag", [
    ("credential-process", "--no-verify-ssl"), ("credential-process", "--with-proxy"), ("credential-process", "--cache"),
    ("credential-process", "--use-fips-endpoint"), ("credential-process", "--debug"), ("serve", "--with-proxy"),
    ("update", "--once"), ("update", "--retry-errors"), ("sign-string", "--debug"), ("read-certificate-data", "--debug"),
    ("credential-process", "--reuse-pin"),
])
def test_every_boolean_flag_takes_go_syntax(command, flag):
    dest = flag[2:].replace("-", "_")
    assert full_parse([command])[dest] is False
    assert full_parse([command, flag])[dest] is True
    assert full_parse([command, flag + "=true"])[dest] is True
    assert full_parse([command, flag + "=false"])[dest] is False
    assert full_parse([command, flag + "=0"])[dest] is False
    assert full_parse([command, flag + "=T"])[dest] is True
    assert full_parse([command, flag + "=yes"]) is None
    assert full_parse([command, flag, "false"]) is None  # AWS's helper: true plus a stray argument; we refuse


def test_separate_boolean_value_is_refused_with_a_clear_message():
    err = io.StringIO()
    status = cli.main(["credential-process", "--no-verify-ssl", "false", "--certificate", "c.pem"], stdout=io.StringIO(),
                      stderr=err, environ={})
    assert status == 1
    assert "--no-verify-ssl false: a boolean flag takes its value after '=': write --no-verify-ssl=false" in err.getvalue()
    err = io.StringIO()
    assert cli.main(["credential-process", "--with-proxy=maybe"], stdout=io.StringIO(), stderr=err, environ={}) == 1
    assert "argument --with-proxy: expected true or false" in err.getvalue()
    # A flag followed by another option, or at the end, is the flag alone.
    assert full_parse(["credential-process", "--with-proxy", "--cache"])["with_proxy"] is True
    assert full_parse(["credential-process", "--cache", "--with-proxy"])["with_proxy"] is True


def test_with_proxy_stays_accepted():
    assert full_parse(BASE + ["--with-proxy"])["with_proxy"] is True
    assert read_options(BASE + ["--with-proxy"])["with_proxy"] is True
