"""tools/layout.py mirrors a checkout into the ansible_collections layout that ansible-test needs."""
import importlib.util
import os
import pathlib
import subprocess

import pytest

LAYOUT_PY = pathlib.Path(__file__).resolve().parents[3] / "tools" / "layout.py"


@pytest.fixture(name="layout")
def layout_module():
    spec = importlib.util.spec_from_file_location("layout_tool", LAYOUT_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(name="checkout")
def checkout_repo(tmp_path):
    root = tmp_path / "checkout"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("/.venv/\n/.build/\n")
    (root / "galaxy.yml").write_text("name: fleet\n")
    (root / "plugins" / "modules").mkdir(parents=True)
    (root / "plugins" / "modules" / "a.py").write_text("A = 1\n")
    (root / ".venv").mkdir()
    (root / ".venv" / "junk.py").write_text("ignored\n")
    return root


def test_copies_tracked_and_untracked_files_but_not_ignored(layout, checkout, tmp_path):
    target = tmp_path / "out"
    layout.sync(str(checkout), str(target))
    assert (target / "galaxy.yml").read_text() == "name: fleet\n"
    assert (target / "plugins" / "modules" / "a.py").exists()
    assert not (target / ".venv").exists()


def test_updates_changed_files_and_removes_deleted_ones(layout, checkout, tmp_path):
    target = tmp_path / "out"
    layout.sync(str(checkout), str(target))
    (checkout / "plugins" / "modules" / "a.py").unlink()
    (checkout / "galaxy.yml").write_text("name: fleet\nversion: 0.2.0\n")
    os.utime(checkout / "galaxy.yml", (1, 1))  # a different mtime even within the same second
    layout.sync(str(checkout), str(target))
    assert "0.2.0" in (target / "galaxy.yml").read_text()
    assert not (target / "plugins" / "modules" / "a.py").exists()
    assert not (target / "plugins").exists(), "directories left empty are removed"


def test_keeps_test_output_and_its_own_git_directory(layout, checkout, tmp_path):
    target = tmp_path / "out"
    (target / "tests" / "output" / "junit").mkdir(parents=True)
    (target / "tests" / "output" / "junit" / "r.xml").write_text("<r/>")
    (target / ".git" / "refs" / "heads").mkdir(parents=True)
    layout.sync(str(checkout), str(target))
    assert (target / "tests" / "output" / "junit" / "r.xml").exists()
    assert (target / ".git" / "refs" / "heads").is_dir(), "empty git directories must survive"
