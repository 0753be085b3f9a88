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

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
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
    # Issue 13: the mode is kept (here 0640 for a service group), but never any access for others.
    path = tmp_path / "credentials"
    path.write_text("[default]\nregion = eu-west-1\n# keep me\n[other]\naws_access_key_id = KEEP\n")
    os.chmod(path, 0o644)
    write_credentials(str(path), "default", *NEW)
    text = path.read_text()
    assert "# keep me\n" in text and "[other]\naws_access_key_id = KEEP\n" in text and "region = eu-west-1\n" in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and not os.stat(path).st_mode & 0o007


def test_tightening_the_mode_is_said_once_and_only_when_it_happens(tmp_path):
    # AWS's helper keeps an existing file's mode (update.go: OpenFile O_WRONLY|O_TRUNC); this helper removes the
    # "other" bits and says so, naming the file and both modes, so the change is never silent.
    path = tmp_path / "credentials"
    path.write_text("[default]\n")
    os.chmod(path, 0o664)
    notices = []
    write_credentials(str(path), "default", *NEW, notice=notices.append)
    assert notices == ["the credentials file %s was readable or writable by other users (mode 0664); it is now 0660 "
                       "(update never leaves credentials open to others)" % path]
    write_credentials(str(path), "default", *NEW, notice=notices.append)
    assert len(notices) == 1 and stat.S_IMODE(os.stat(path).st_mode) == 0o660


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


# --- links, owners, modes, mounts (issue 13) ---------------------------------------------------------------

OTHER_UID = 65534  # nobody
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own files as another user")


@needs_root
def test_a_symlink_planted_by_another_user_is_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("[keep]\na = 1\n")
    link = tmp_path / "credentials"
    link.symlink_to(victim)
    os.lchown(link, OTHER_UID, OTHER_UID)
    with pytest.raises(ConfigurationError) as caught:
        write_credentials(str(link), "default", *NEW)
    assert "%s is a symbolic link owned by nobody (uid 65534), not by you" % link in str(caught.value)
    assert "Remove the link" in str(caught.value)
    assert victim.read_text() == "[keep]\na = 1\n" and link.is_symlink()


@needs_root
def test_own_symlink_in_another_users_world_writable_directory_is_not_followed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chown(shared, OTHER_UID, OTHER_UID)
    os.chmod(shared, 0o1777)
    victim = tmp_path / "victim"
    victim.write_text("")
    link = shared / "credentials"
    link.symlink_to(victim)
    with pytest.raises(ConfigurationError, match="a world-writable directory of nobody"):
        write_credentials(str(link), "default", *NEW)
    assert victim.read_text() == ""


@needs_root
def test_another_users_file_is_not_written(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[x]\n")
    os.chown(path, OTHER_UID, OTHER_UID)
    with pytest.raises(ConfigurationError) as caught:
        write_credentials(str(path), "default", *NEW)
    assert "belongs to nobody (uid 65534), not to you" in str(caught.value) and str(path) in str(caught.value)
    assert path.read_text() == "[x]\n"


@needs_root
def test_owner_group_and_mode_are_kept(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[x]\n")
    os.chown(path, 0, OTHER_UID)
    os.chmod(path, 0o640)
    write_credentials(str(path), "default", *NEW)
    info = os.stat(path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, OTHER_UID, 0o640)
    assert "[default]" in path.read_text()


def test_a_read_only_file_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "credentials"
    path.write_text("[x]\n")
    os.chmod(path, 0o400)
    with pytest.raises(ConfigurationError) as caught:
        write_credentials(str(path), "default", *NEW)
    assert "%s is read-only (mode 0400)" % path in str(caught.value) and "chmod u+w %s" % path in str(caught.value)
    assert path.read_text() == "[x]\n"


def test_a_directory_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        write_credentials(str(tmp_path), "default", *NEW)
    assert "the credentials file %s is a directory" % tmp_path in str(caught.value)
    assert "AWS_SHARED_CREDENTIALS_FILE" in str(caught.value)


# Mount cases run in a private mount namespace (unshare --mount), so nothing leaks to the host.
MOUNT_SCRIPT = r'''
import os, subprocess, sys
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.credentials_file import write_credentials
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
case, base = sys.argv[1], sys.argv[2]
target = os.path.join(base, "aws", "credentials")
if case == "bind":
    source = os.path.join(base, "host-credentials")
    subprocess.check_call(["mount", "--bind", source, target])
else:
    subprocess.check_call(["mount", "--bind", os.path.dirname(target), os.path.dirname(target)])
    subprocess.check_call(["mount", "-o", "remount,bind,ro", os.path.dirname(target)])
try:
    write_credentials(target, "default", "AKIDNEW", "SECRETNEW", "TOKENNEW")
except ConfigurationError as error:
    print("ERROR " + str(error))
print("INODE %d" % os.stat(target).st_ino)
print("MOUNTED %s" % (target in open("/proc/self/mountinfo").read() or os.path.dirname(target) in open("/proc/self/mountinfo").read()))
print("LEFT %s" % sorted(os.listdir(os.path.dirname(target))))
'''


def run_in_mount_namespace(tmp_path, case):
    import shutil  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private mount namespace")
    script = tmp_path / "mount_case.py"
    script.write_text(MOUNT_SCRIPT)
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable, str(script), case, str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


def test_a_single_file_bind_mount_is_rewritten_in_place(tmp_path):
    (tmp_path / "aws").mkdir()
    target = tmp_path / "aws" / "credentials"
    target.write_text("placeholder\n")
    source = tmp_path / "host-credentials"
    source.write_text("[other]\naws_access_key_id = KEEP\n")
    os.chmod(source, 0o600)
    inode = os.stat(source).st_ino
    output = run_in_mount_namespace(tmp_path, "bind")
    assert "ERROR" not in output and "INODE %d" % inode in output and "MOUNTED True" in output
    assert "LEFT ['credentials']" in output  # no temporary file left behind
    text = source.read_text()  # through the mount, the host's file changed
    assert "[other]\naws_access_key_id = KEEP\n" in text and "aws_secret_access_key = SECRETNEW" in text
    assert target.read_text() == "placeholder\n"  # outside the namespace the mount point is untouched


def test_an_unwritable_directory_is_refused_with_the_fix(tmp_path):
    (tmp_path / "aws").mkdir()
    target = tmp_path / "aws" / "credentials"
    target.write_text("[x]\n")
    output = run_in_mount_namespace(tmp_path, "readonly")
    assert "ERROR cannot write in directory %s (read-only file system)" % target.parent in output
    assert "Make %s writable by you" % (tmp_path / "aws") in output
    assert target.read_text() == "[x]\n"
