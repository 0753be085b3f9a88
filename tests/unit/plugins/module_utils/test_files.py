# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private files: atomic writes, reads that refuse links and shared files, the one lock."""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import files
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.files import FileLock, PrivateFileError, read_private_file


def test_atomic_write_cleans_up_on_failure(tmp_path, monkeypatch):
    """Moved from test_cache (cache.atomic_write)."""
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.atomic_write(str(tmp_path / "entry"), b"data")
    assert list(tmp_path.iterdir()) == []


def test_read_private_file(tmp_path):
    path = tmp_path / "secret"
    files.atomic_write(str(path), b"data")
    assert read_private_file(str(path)) == b"data"
    assert read_private_file(str(path), limit=3) is None
    os.chmod(path, 0o640)
    assert read_private_file(str(path)) is None
    os.chmod(path, 0o600)
    link = tmp_path / "link"
    link.symlink_to(path)
    assert read_private_file(str(link)) is None
    assert read_private_file(str(tmp_path / "missing")) is None


def test_lock_busy_message(tmp_path):
    """flock belongs to an open file: a second FileLock on the same path waits even in the same thread."""
    path = str(tmp_path / "x.lock")
    with FileLock(path):
        started = time.monotonic()
        with pytest.raises(PrivateFileError, match="x.lock was held by another process for more than 0 seconds"):
            with FileLock(path, timeout=0.2):
                pass
        assert time.monotonic() - started >= 0.2
    with FileLock(path, timeout=0.2) as lock:
        assert lock.fd is not None  # released with the first one
    assert lock.fd is None


def test_private_directory(tmp_path):
    directory = tmp_path / "a" / "b"
    files.ensure_private_directory(str(directory))
    assert files.directory_is_private(str(directory))
    os.chmod(directory, 0o755)
    assert not files.directory_is_private(str(directory))
    files.ensure_private_directory(str(directory))
    assert files.directory_is_private(str(directory))


def test_paths_and_environment_without_os(tmp_path, monkeypatch):
    """What a cache hit uses instead of os (importing os costs a -S process more than the rest of a hit)."""
    monkeypatch.chdir(tmp_path)
    assert files.absolute_path("c.pem") == os.path.join(str(tmp_path), "c.pem")
    assert files.absolute_path("/etc/x") == "/etc/x"
    assert files.join_path("/a/", "b") == "/a/b" == files.join_path("/a", "b")
    monkeypatch.setenv("HOME", "/home/someone/")
    assert files.home_directory() == "/home/someone" == os.path.expanduser("~")
    monkeypatch.setenv("ROLESANYWHERE_TEST_VALUE", "caf\u00e9")
    view = files._ProcessEnvironment(files.system.environ)  # pylint: disable=protected-access
    assert view.get("ROLESANYWHERE_TEST_VALUE") == "caf\u00e9" == view["ROLESANYWHERE_TEST_VALUE"]
    assert view.get("ROLESANYWHERE_TEST_MISSING", "d") == "d" and "ROLESANYWHERE_TEST_MISSING" not in view
    assert files.process_environment() is os.environ  # os is loaded here: its environ is used


def test_read_bytes_absent_means_missing_unless_told_otherwise(tmp_path):
    """One reader for "the file's bytes, or None": what counts as absent is the caller's choice."""
    present = tmp_path / "present"
    present.write_bytes(b"data")
    assert files.read_bytes(str(present)) == b"data"
    assert files.read_bytes(str(tmp_path / "missing")) is None
    with pytest.raises(IsADirectoryError):  # credential_helper: anything but a missing file must surface
        files.read_bytes(str(tmp_path))
    assert files.read_bytes(str(tmp_path), absent=OSError) is None  # fleet_report: unreadable is absent
