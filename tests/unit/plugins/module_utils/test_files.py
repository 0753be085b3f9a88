# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private files: atomic writes, reads that refuse links and shared files, the one lock."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import files
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.files import FileLock, PrivateFileError, read_private_file


def test_atomic_write_cleans_up_on_failure(tmp_path, monkeypatch):
    """Moved from test_cache (cache.atomic_write)."""
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
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
    path = str(tmp_path / "x.lock")
    held, release = threading.Event(), threading.Event()

    def holder():
        with FileLock(path):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(PrivateFileError, match="x.lock was held by another process for more than 0 seconds"):
            with FileLock(path, timeout=0.2):
                pass
        assert time.monotonic() - started >= 0.2
    finally:
        release.set()
        thread.join()


def test_private_directory(tmp_path):
    directory = tmp_path / "a" / "b"
    files.ensure_private_directory(str(directory))
    assert files.directory_is_private(str(directory))
    os.chmod(directory, 0o755)
    assert not files.directory_is_private(str(directory))
    files.ensure_private_directory(str(directory))
    assert files.directory_is_private(str(directory))
