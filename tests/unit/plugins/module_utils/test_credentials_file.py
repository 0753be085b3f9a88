# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared credentials file rewrite of ``update``: only the three keys of one profile change."""

from __future__ import annotations

import configparser
import os
import re
import stat
import threading

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import credentials_file
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.credentials_file import (
    credentials_file_path,
    rewrite_profile,
    validate_profile_name,
    write_credentials,
)

NEW = ("ASIANEW", "secretNEW", "tokenNEW")
NEW_LINES = "aws_access_key_id = ASIANEW\naws_secret_access_key = secretNEW\naws_session_token = tokenNEW\n"


def parsed(text):
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


CASES = [
    pytest.param(
        "", "default", "[default]\n" + NEW_LINES, id="empty-file",
    ),
    pytest.param(
        "[default]\naws_access_key_id = OLD\naws_secret_access_key = OLDS\naws_session_token = OLDT\n",
        "default", "[default]\n" + NEW_LINES, id="replace-all-three",
    ),
    pytest.param(
        "[default]\nregion = eu-west-1\naws_access_key_id = OLD\noutput = json\n",
        "default",
        "[default]\nregion = eu-west-1\naws_access_key_id = ASIANEW\noutput = json\n"
        "aws_secret_access_key = secretNEW\naws_session_token = tokenNEW\n",
        id="other-keys-kept-missing-added",
    ),
    pytest.param(
        "[other]\naws_access_key_id = KEEP\n",
        "default", "[other]\naws_access_key_id = KEEP\n\n[default]\n" + NEW_LINES, id="missing-profile-appended",
    ),
    pytest.param(
        "[other]\naws_access_key_id = KEEP",
        "default", "[other]\naws_access_key_id = KEEP\n\n[default]\n" + NEW_LINES, id="append-after-last-line-without-newline",
    ),
    pytest.param(
        "# [default]\n; [default]\n[other]\nx = 1\n# [default]\n",
        "default", "# [default]\n; [default]\n[other]\nx = 1\n# [default]\n\n[default]\n" + NEW_LINES,
        id="commented-headers-ignored",
    ),
    pytest.param(
        "[default]\naws_access_key_id = OLD\nregion = us-east-1",
        "default",
        "[default]\naws_access_key_id = ASIANEW\nregion = us-east-1\naws_secret_access_key = secretNEW\naws_session_token = tokenNEW\n",
        id="last-line-of-file-kept",
    ),
    pytest.param(
        "[a]\nk = 1\n\n[default]\naws_session_token = OLD\n\n\n[b]\nk = 2\n",
        "default",
        "[a]\nk = 1\n\n[default]\naws_session_token = tokenNEW\naws_access_key_id = ASIANEW\n"
        "aws_secret_access_key = secretNEW\n\n\n[b]\nk = 2\n",
        id="blank-lines-before-next-section-kept",
    ),
    pytest.param(
        "[default]\naws_access_key_id = A\n[default]\naws_access_key_id = B\n",
        "default",
        "[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = secretNEW\naws_session_token = tokenNEW\n"
        "[default]\naws_access_key_id = B\n",
        id="only-first-section-touched",
    ),
    pytest.param(
        "[default]\n# comment\nAWS_ACCESS_KEY_ID=OLD\naws_session_token = OLD\n  continued\nregion=x\n",
        "default",
        "[default]\n# comment\naws_access_key_id = ASIANEW\naws_session_token = tokenNEW\nregion=x\n"
        "aws_secret_access_key = secretNEW\n",
        id="case-insensitive-keys-continuation-dropped",
    ),
    pytest.param(
        "[default]\naws_access_key_id = 1\naws_access_key_id = 2\n",
        "default", "[default]\naws_access_key_id = ASIANEW\naws_secret_access_key = secretNEW\naws_session_token = tokenNEW\n",
        id="duplicate-key-collapsed",
    ),
    pytest.param(
        "[default]\r\nregion = x\r\n", "default",
        "[default]\r\nregion = x\r\naws_access_key_id = ASIANEW\r\naws_secret_access_key = secretNEW\r\naws_session_token = tokenNEW\r\n",
        id="crlf-kept",
    ),
    pytest.param(
        "[profile]", "profile", "[profile]\n" + NEW_LINES, id="header-is-last-line",
    ),
    pytest.param(
        "[defaults]\nx = 1\n[default-2]\ny = 2\n", "default",
        "[defaults]\nx = 1\n[default-2]\ny = 2\n\n[default]\n" + NEW_LINES, id="similar-names-not-matched",
    ),
]


@pytest.mark.parametrize("before, profile, expected", CASES)
def test_rewrite_profile(before, profile, expected):
    after = rewrite_profile(before, profile, *NEW)
    assert after == expected
    headers = [match.start() for match in re.finditer(r"^\[%s\]\r?$" % re.escape(profile), after, re.M)]
    section = parsed(after[:headers[1]] if len(headers) > 1 else after)[profile]  # the first section is the one changed
    assert (section["aws_access_key_id"], section["aws_secret_access_key"], section["aws_session_token"]) == NEW


def test_rewrite_is_stable_when_repeated():
    text = "[a]\nx = 1\n\n[default]\nregion = r\n"
    once = rewrite_profile(text, "default", *NEW)
    assert rewrite_profile(once, "default", *NEW) == once
    assert rewrite_profile(once, "default", "A2", "S2", "T2") == once.replace("ASIANEW", "A2").replace(
        "secretNEW", "S2").replace("tokenNEW", "T2")


@pytest.mark.parametrize("name", ["", " default", "a]b", "x[y", "a\nb"])
def test_bad_profile_names_refused(name):
    with pytest.raises(ValueError, match="invalid profile name"):
        validate_profile_name(name)


def test_path_from_environment(tmp_path):
    assert credentials_file_path({"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "c")}) == str(tmp_path / "c")
    assert credentials_file_path({}) == os.path.expanduser("~/.aws/credentials")


def test_write_creates_private_directory_and_file(tmp_path):
    path = tmp_path / "home" / ".aws" / "credentials"
    write_credentials(str(path), "ci", *NEW)
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text() == "[ci]\n" + NEW_LINES
    assert [p.name for p in path.parent.iterdir()] == ["credentials"]  # no temporary file left


def test_write_keeps_everything_else_and_tightens_mode(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\nregion = eu-west-1\n# keep me\n[other]\naws_access_key_id = KEEP\n")
    os.chmod(path, 0o644)
    write_credentials(str(path), "default", *NEW)
    text = path.read_text()
    assert "# keep me\n" in text and "[other]\naws_access_key_id = KEEP\n" in text and "region = eu-west-1\n" in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_write_follows_symlink(tmp_path):
    real = tmp_path / "real-credentials"
    real.write_text("[x]\na = 1\n")
    link = tmp_path / "credentials"
    link.symlink_to(real)
    write_credentials(str(link), "default", *NEW)
    assert link.is_symlink()
    assert "[default]" in real.read_text()


def test_write_is_atomic_for_concurrent_readers(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[default]\n" + NEW_LINES + "[big]\n" + "k = %s\n" % ("v" * 200000))
    seen = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            text = path.read_text()
            seen.append(text.endswith("\n") and "[big]" in text)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for index in range(30):
            write_credentials(str(path), "default", "A%d" % index, "S%d" % index, "T%d" % index)
    finally:
        stop.set()
        thread.join()
    assert seen and all(seen)


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "credentials"
    path.write_text("[default]\nregion = x\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(credentials_file.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_credentials(str(path), "default", *NEW)
    assert path.read_text() == "[default]\nregion = x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["credentials"]
