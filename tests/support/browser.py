# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Headless Chromium (Debian's ``chromium``, tests/system-packages.txt) for the report page's tests.

``dump_dom`` prints the DOM after the page's scripts ran (``--virtual-time-budget`` lets them finish);
``screenshot`` writes a PNG. Each call has a profile directory of its own, so parallel tests do not share one,
and no network: the page under test must load nothing, and Chromium is told to fetch nothing in the background.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_LAYOUT = os.sep + os.path.join("collections", "ansible_collections") + os.sep
# Screenshots kept after the run: the checkout's .build/test-artifacts/ (make runs the tests from the layout copy
# in .build/collections/..., whose .build is the checkout's), unless ROLESANYWHERE_TEST_ARTIFACTS names another.
ARTIFACTS = os.environ.get("ROLESANYWHERE_TEST_ARTIFACTS") or (
    os.path.join(REPO.split(_LAYOUT)[0], "test-artifacts") if _LAYOUT in REPO else os.path.join(REPO, ".build", "test-artifacts"))


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is needed for the report page tests: install Debian's chromium "
                "(make system-packages does, as root; or apt-get install -y chromium)")
    return None


def _run(page, *flags, timeout=60):
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                   "--disable-background-networking", "--disable-sync", "--user-data-dir=" + profile,
                   "--virtual-time-budget=3000"] + list(flags) + ["file://" + os.path.abspath(page)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                              env=dict(os.environ, HOME=profile))
    assert done.returncode == 0, "chromium failed (%d): %s" % (done.returncode, done.stderr[-2000:])
    return done.stdout


def dump_dom(page):
    """The page's DOM as serialised after its scripts ran."""
    return _run(page, "--dump-dom")


def screenshot(page, name, size=(1280, 1800)):
    """A PNG of the page under ARTIFACTS/name; its path."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    _run(page, "--hide-scrollbars", "--window-size=%d,%d" % size, "--screenshot=" + path)
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n", "no PNG at %s" % path
    return path


class Dom(HTMLParser):
    """Start tags with their attributes (in document order), and each element's text by id-less position."""

    def __init__(self, text):
        super().__init__()
        self.tags = []
        self._summary_key = None
        self.summary = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._summary_key = attributes.get("data-summary")

    def handle_data(self, data):
        if self._summary_key and data.strip():
            self.summary[self._summary_key] = int(data)
            self._summary_key = None

    def find(self, tag=None, attribute=None):
        return [attrs for name, attrs in self.tags if (tag is None or name == tag) and (attribute is None or attribute in attrs)]
