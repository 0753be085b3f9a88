# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS config profiles enroll_slot writes in one call: blockinfile's markers and placement, the user's
directory and file modes, idempotence, check mode, and links replaced, never followed."""

from __future__ import annotations

import os
import pwd
import stat

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import has_profile_block
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.profiles import ProfileError, with_block, write_profiles

ME = pwd.getpwuid(os.getuid()).pw_name
BLOCK = "[profile rolesanywhere]\ncredential_process = /usr/local/bin/helper credential-process --cache\n"
BEGIN, END = "# BEGIN rolesanywhere.fleet profile rolesanywhere\n", "# END rolesanywhere.fleet profile rolesanywhere\n"


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def profile(tmp_path, user=ME):
    aws_dir = str(tmp_path / "home" / ".aws")
    return {"user": user, "aws_dir": aws_dir, "config": aws_dir + "/config", "up_to_date": False}


def test_the_block_is_appended_after_the_users_lines_as_blockinfile_did():
    assert with_block("", "rolesanywhere", BLOCK) == BEGIN + BLOCK + END
    assert with_block("[default]\nregion = eu-west-1", "rolesanywhere", BLOCK) == (
        "[default]\nregion = eu-west-1\n" + BEGIN + BLOCK + END)


def test_a_block_already_there_is_replaced_in_place():
    text = "[default]\n" + BEGIN + "[profile rolesanywhere]\nold\n" + END + "[profile other]\nregion = x\n"
    assert with_block(text, "rolesanywhere", BLOCK) == "[default]\n" + BEGIN + BLOCK + END + "[profile other]\nregion = x\n"
    other = with_block(text, "second", "[profile second]\n")
    assert other.startswith(text) and other.endswith("# END rolesanywhere.fleet profile second\n")


def test_profiles_are_written_once_with_the_users_modes(tmp_path):
    wanted = profile(tmp_path)
    assert write_profiles([wanted], "rolesanywhere", BLOCK) == [ME]
    assert mode(wanted["aws_dir"]) == 0o700 and mode(wanted["config"]) == 0o600
    assert os.lstat(wanted["config"]).st_uid == os.getuid()
    assert has_profile_block(wanted["config"], "rolesanywhere", BLOCK)
    assert write_profiles([wanted], "rolesanywhere", BLOCK) == []
    os.chmod(wanted["config"], 0o644)
    assert write_profiles([wanted], "rolesanywhere", BLOCK) == [ME] and mode(wanted["config"]) == 0o600


def test_check_mode_reports_and_changes_nothing(tmp_path):
    wanted = profile(tmp_path)
    assert write_profiles([wanted], "rolesanywhere", BLOCK, check_mode=True) == [ME]
    assert not os.path.exists(str(tmp_path / "home"))


def test_links_in_the_way_are_replaced_not_followed(tmp_path):
    wanted = profile(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("not yours\n")
    os.makedirs(wanted["aws_dir"], mode=0o700)
    os.symlink(str(elsewhere), wanted["config"])
    write_profiles([wanted], "rolesanywhere", BLOCK)
    assert elsewhere.read_text() == "not yours\n"
    assert not os.path.islink(wanted["config"]) and has_profile_block(wanted["config"], "rolesanywhere", BLOCK)


def test_a_missing_user_is_refused(tmp_path):
    with pytest.raises(LookupError, match="user no-such-user-x does not exist"):
        write_profiles([profile(tmp_path, "no-such-user-x")], "rolesanywhere", BLOCK)


def test_a_profile_that_cannot_be_written_is_named_with_the_reason(tmp_path):
    wanted = profile(tmp_path)
    os.makedirs(wanted["config"])  # a directory in the way of the file
    with pytest.raises(ProfileError, match="cannot write the AWS config profile of %s in %s: Is a directory" % (ME, wanted["config"])):
        write_profiles([wanted], "rolesanywhere", BLOCK)
