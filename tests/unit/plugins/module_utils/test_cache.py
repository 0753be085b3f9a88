# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The credential cache of ``credential-process --cache``: keys, staleness, file safety, locking."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.cache import (
    CacheError,
    CredentialCache,
    cache_directory,
    certificate_state,
    credential_identity,
    data_fingerprint,
    identity_key,
)

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/11111111-2222-3333-4444-555555555555"
PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/11111111-2222-3333-4444-666666666666"
ROLE = "arn:aws:iam::123456789012:role/fleet"
PAYLOAD = '{"Version":1,"AccessKeyId":"ASIA","SecretAccessKey":"s","SessionToken":"t","Expiration":"2030-01-01T00:00:00Z"}'


def identity(**changes):
    options = {
        "certificate": "/etc/pki/host.pem", "private_key": "/etc/pki/host.key", "intermediates": None,
        "trust_anchor_arn": ANCHOR, "profile_arn": PROFILE, "role_arn": ROLE, "session_duration": 3600,
        "role_session_name": None, "region": None, "endpoint": None, "use_fips_endpoint": False,
    }
    options.update(changes)
    return options


@pytest.fixture
def certificate(tmp_path):
    path = tmp_path / "host.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    return path


@pytest.fixture
def store(tmp_path):
    return CredentialCache(str(tmp_path / "cache" / "rolesanywhere-fleet"))


def test_cache_directory_rules(tmp_path):
    home = os.path.expanduser("~")
    assert cache_directory({"XDG_CACHE_HOME": str(tmp_path)}) == str(tmp_path / "rolesanywhere-fleet")
    assert cache_directory({}) == os.path.join(home, ".cache", "rolesanywhere-fleet")
    assert cache_directory({"XDG_CACHE_HOME": "relative/ignored"}) == os.path.join(home, ".cache", "rolesanywhere-fleet")
    assert cache_directory({"XDG_CACHE_HOME": str(tmp_path)}, str(tmp_path / "x")) == str(tmp_path / "x")


def test_cache_directory_prefers_a_private_runtime_directory(tmp_path):
    """XDG base directory specification: XDG_RUNTIME_DIR is the user's own 0700, memory-backed directory; a relative
    one, or one that is not such a directory, is ignored."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    cache_home = str(tmp_path / "cache-home")
    environ = {"XDG_RUNTIME_DIR": str(runtime), "XDG_CACHE_HOME": cache_home}
    assert cache_directory(environ) == str(runtime / "rolesanywhere-fleet")
    assert cache_directory(environ, str(tmp_path / "x")) == str(tmp_path / "x")  # --cache-dir still wins
    fallback = os.path.join(cache_home, "rolesanywhere-fleet")
    assert cache_directory({"XDG_CACHE_HOME": cache_home}) == fallback
    assert cache_directory(dict(environ, XDG_RUNTIME_DIR="relative/run")) == fallback
    assert cache_directory(dict(environ, XDG_RUNTIME_DIR=str(tmp_path / "missing"))) == fallback
    os.symlink(str(runtime), str(tmp_path / "link"))
    assert cache_directory(dict(environ, XDG_RUNTIME_DIR=str(tmp_path / "link"))) == fallback  # a link: not ours
    for mode in (0o755, 0o770, 0o701):  # others could enter it (not the per-user directory it should be)
        os.chmod(str(runtime), mode)
        assert cache_directory(environ) == fallback, oct(mode)


@pytest.mark.parametrize("field, value", [
    ("certificate", "/etc/pki/other.pem"), ("private_key", "/etc/pki/other.key"), ("intermediates", "/etc/pki/chain.pem"),
    ("trust_anchor_arn", ANCHOR[:-1] + "0"), ("profile_arn", PROFILE[:-1] + "0"), ("role_arn", ROLE + "2"),
    ("session_duration", 900), ("role_session_name", "web-1"), ("region", "us-east-1"),
    ("endpoint", "https://127.0.0.1:1"), ("use_fips_endpoint", True),
])
def test_every_identity_field_changes_the_key(field, value):
    assert identity_key(identity(**{field: value})) != identity_key(identity())


def test_identity_normalises_equivalent_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert identity_key(identity(certificate="host.pem")) == identity_key(identity(certificate=str(tmp_path / "host.pem")))
    assert identity_key(identity(session_duration="3600")) == identity_key(identity(session_duration=3600))
    assert identity_key(identity(region="")) == identity_key(identity(region=None))
    assert len(identity_key(identity())) == 64


def test_certificate_state_follows_the_file(certificate):
    first = certificate_state(str(certificate))
    assert first == certificate_state(str(certificate))
    os.utime(certificate, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert certificate_state(str(certificate)) != first
    second = certificate_state(str(certificate))
    replacement = certificate.with_name("new.pem")
    replacement.write_bytes(certificate.read_bytes())
    os.utime(replacement, ns=(os.stat(certificate).st_atime_ns, os.stat(certificate).st_mtime_ns))
    os.replace(replacement, certificate)  # same size and mtime, new inode
    assert certificate_state(str(certificate)) != second
    assert certificate_state(str(certificate.with_name("missing.pem"))) is None


def test_stdin_state_is_the_certificate_fingerprint():
    from tests.support import pki  # pylint: disable=import-outside-toplevel

    leaf = pki.make_leaf(pki.make_ca(), cn="stdin.example.com")
    combined = leaf.key_pem + leaf.cert_pem
    assert data_fingerprint(combined) == hashlib.sha256(leaf.cert_der).hexdigest()
    assert certificate_state("-", combined) == "stdin " + hashlib.sha256(leaf.cert_der).hexdigest()
    assert data_fingerprint(b"\x30\x82binary") == hashlib.sha256(b"\x30\x82binary").hexdigest()


def test_store_then_lookup(store, certificate):
    state = certificate_state(str(certificate))
    now = time.time()
    store.store("k" * 64, state, PAYLOAD, now, now + 3600)
    assert store.lookup("k" * 64, state, 1200) == PAYLOAD
    assert stat.S_IMODE(os.stat(store.directory).st_mode) == 0o700
    entry = os.path.join(store.directory, "k" * 64 + ".cred")
    assert stat.S_IMODE(os.stat(entry).st_mode) == 0o600
    assert sorted(os.listdir(store.directory)) == ["k" * 64 + ".cred"]


@pytest.mark.parametrize("offset, margin, hit", [
    (0, 1200, True),
    (3600 - 1201, 1200, True),
    (3600 - 1199, 1200, False),  # inside the refresh margin
    (3601, 0, False),  # expired
    (1799, 5000, True),  # margin capped at half the lifetime
    (1801, 5000, False),
])
def test_refresh_margin(store, certificate, offset, margin, hit):
    state = certificate_state(str(certificate))
    obtained = 1_000_000.0
    store.store("a" * 64, state, PAYLOAD, obtained, obtained + 3600)
    assert (store.lookup("a" * 64, state, margin, now=obtained + offset) is not None) is hit


def test_stale_entries_are_ignored(store, certificate):
    state = certificate_state(str(certificate))
    now = time.time()
    store.store("b" * 64, state, PAYLOAD, now, now + 3600)
    certificate.write_bytes(certificate.read_bytes() + b"\n")
    assert store.lookup("b" * 64, certificate_state(str(certificate)), 0) is None
    assert store.lookup("c" * 64, state, 0) is None  # another identity


def _entry_path(store, key):
    return os.path.join(store.directory, key + ".cred")


def test_unsafe_entries_are_ignored(store, certificate, tmp_path):
    state = certificate_state(str(certificate))
    now = time.time()
    store.store("d" * 64, state, PAYLOAD, now, now + 3600)
    os.chmod(_entry_path(store, "d" * 64), 0o644)
    assert store.lookup("d" * 64, state, 0) is None  # readable by others: not trusted
    os.chmod(_entry_path(store, "d" * 64), 0o600)
    assert store.lookup("d" * 64, state, 0) == PAYLOAD
    os.chmod(store.directory, 0o755)
    assert store.lookup("d" * 64, state, 0) is None  # directory open to others
    store.ensure_directory()
    assert stat.S_IMODE(os.stat(store.directory).st_mode) == 0o700
    target = tmp_path / "elsewhere"
    target.write_bytes(open(_entry_path(store, "d" * 64), "rb").read())
    os.chmod(target, 0o600)
    os.unlink(_entry_path(store, "d" * 64))
    os.symlink(target, _entry_path(store, "d" * 64))
    assert store.lookup("d" * 64, state, 0) is None  # symbolic links are not followed


@pytest.mark.parametrize("content", [b"", b"garbage", b"rolesanywhere-fleet-credential-cache 2\n\n{}", "\u00e9".encode("latin-1")])
def test_foreign_files_are_ignored(store, certificate, content):
    store.ensure_directory()
    path = _entry_path(store, "e" * 64)
    with open(path, "wb") as handle:
        handle.write(content)
    os.chmod(path, 0o600)
    assert store.lookup("e" * 64, certificate_state(str(certificate)), 0) is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another user")
def test_directory_of_another_user_is_refused(store):
    os.makedirs(store.directory, mode=0o700)
    os.chown(store.directory, 4242, 4242)
    assert not store.directory_is_private()
    with pytest.raises(CacheError, match="not a directory owned by this user"):
        store.ensure_directory()


def test_lock_excludes_other_holders(store):
    acquired, release = threading.Event(), threading.Event()

    def holder():
        with store.locked("f" * 64):
            acquired.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert acquired.wait(10)
        started = time.monotonic()
        with pytest.raises(CacheError, match="held the cache lock"):
            with store.locked("f" * 64, timeout=0.3):
                pass
        assert time.monotonic() - started >= 0.3
    finally:
        release.set()
        thread.join()
    with store.locked("f" * 64, timeout=1):
        pass  # free again


ENDPOINT_SETTINGS = [
    {"AWS_USE_FIPS_ENDPOINT": "true"},
    {"AWS_ENDPOINT_URL_ROLESANYWHERE": "https://ra.example.com"},
    {"AWS_ENDPOINT_URL": "https://all.example.com"},
    {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
    {"AWS_PROFILE": "other"},  # [profile other] of the config file below has an endpoint_url
    {"AWS_CONFIG_FILE": "{tmp}/fips-config"},  # use_fips_endpoint = true
]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """HOME with ~/.aws/config naming an endpoint for profile other only (default: the region's endpoint)."""
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text("[default]\nregion = us-east-1\n\n[profile other]\n"
                                              "endpoint_url = https://other.example.com\n")
    (tmp_path / "fips-config").write_text("[default]\nuse_fips_endpoint = true\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("setting", ENDPOINT_SETTINGS, ids=lambda setting: next(iter(setting)))
def test_endpoint_environment_changes_the_key(home, setting):
    """The variables (and the config file) that choose the endpoint choose the entry: a hit never crosses endpoints."""
    environ = dict((name, value.replace("{tmp}", str(home))) for name, value in setting.items())
    plain = identity_key(credential_identity(identity(), {}))
    assert identity_key(credential_identity(identity(), environ)) != plain
    assert identity_key(credential_identity(identity(), {"UNRELATED": "x"})) == plain


def test_key_holds_the_resolved_endpoint_not_where_it_came_from(home):
    """One rule: the key holds the endpoint sdk_config resolves, so the same endpoint set two ways shares an entry
    (the credentials lookup keys its entries the same way)."""
    url = "https://ra.example.com"
    by_option = identity_key(credential_identity(identity(endpoint=url), {}))
    assert identity_key(credential_identity(identity(), {"AWS_ENDPOINT_URL_ROLESANYWHERE": url})) == by_option
    assert identity_key(credential_identity(identity(), {"AWS_ENDPOINT_URL": url})) == by_option
    # AWS_ENDPOINT_URL_ROLESANYWHERE beats --endpoint (sdk_config's order): the key follows the request.
    assert identity_key(credential_identity(identity(endpoint="https://x.example.com"),
                                            {"AWS_ENDPOINT_URL_ROLESANYWHERE": url})) == by_option
    # A profile without an endpoint: the region's endpoint, as without a config file.
    assert identity_key(credential_identity(identity(), {"AWS_PROFILE": "nothing-here"})) == identity_key(
        credential_identity(identity(), {}))
    # A config file that does not exist, or names no endpoint setting: nothing to resolve.
    assert identity_key(credential_identity(identity(), {"AWS_CONFIG_FILE": str(home / "missing")})) == identity_key(
        credential_identity(identity(), {}))


@pytest.mark.parametrize("config", [None, "[default]\nregion = us-east-1\ncredential_process = helper\n",
                                    "[default]\nEndpoint_URL = https://e.example.com\n",
                                    "[default]\nservices = s\n[services s]\nrolesanywhere =\n  endpoint_url = https://s.example.com\n",
                                    "[default]\nuse_dualstack_endpoint = true\n"])
@pytest.mark.parametrize("options", [{}, {"endpoint": " https://o.example.com "}, {"use_fips_endpoint": True}])
def test_resolved_endpoint_is_sdk_configs_answer(tmp_path, monkeypatch, config, options):
    """The shortcut without endpoint settings gives what sdk_config.load_client_config gives."""
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import cache
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.sdk_config import load_client_config

    monkeypatch.setenv("HOME", str(tmp_path))
    if config is not None:
        (tmp_path / ".aws").mkdir()
        (tmp_path / ".aws" / "config").write_text(config)
    values = identity(**options)
    expected = load_client_config({}, endpoint=(values["endpoint"] or "").strip() or None,
                                  use_fips_endpoint=values["use_fips_endpoint"] or None)
    assert cache.resolved_endpoint(values, {}) == (expected.endpoint, expected.use_fips_endpoint,
                                                   expected.use_dualstack_endpoint)


def test_identity_key_is_typed_and_unambiguous():
    """The one identity key (helper and lookup): typed values, length-prefixed, so no two mappings collide."""
    assert identity_key({"a": "1"}) != identity_key({"a": 1}) != identity_key({"a": True})
    assert identity_key({"a": b"x"}) != identity_key({"a": "x"})
    assert identity_key({"a": "x\0b", "b": None}) != identity_key({"a": "x", "b": "b"})
    assert identity_key({"a": None}) == identity_key({"a": ""})
    with pytest.raises(TypeError):
        identity_key({"a": object()})


def test_lookup_takes_a_policy(store, certificate):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.refresh import RefreshPolicy  # pylint: disable=import-outside-toplevel

    state = certificate_state(str(certificate))
    store.store("g" * 64, state, PAYLOAD, 1000, 4600)
    assert store.lookup("g" * 64, state, RefreshPolicy(100), now=4499) == PAYLOAD
    assert store.lookup("g" * 64, state, RefreshPolicy(100), now=4500) is None
    assert store.lookup("g" * 64, state, None, now=3399) == PAYLOAD  # CACHE_POLICY: 1200 s
    assert store.lookup("g" * 64, state, None, now=3400) is None
