# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroll role's whole decision for one host, in one pass over the host (read only).

decide() returns what the role's tasks need: the renewal reasons, the steps due ('todo'), the helper's command
lines for the AWS config profile, the systemd unit and the proof, and the paths. A host where 'todo' is empty
needs no other task. Where the helper's command line depends on whether the new certificate comes with a chain
(known only once it is signed), both variants are returned, keyed 'chain' and 'plain'.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import socket
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple, Union

from .command import HelperSettings, PASSPHRASE_NAME, command_line, helper_argv, profile_block, systemd_unit, unit_argv
from .host import certificate_summary, has_profile_block, is_as_wanted, read_material, sha1_of, systemd_runs_host, unit_enabled_and_active
from .renewal import Wanted, renewal_reasons
from .slots import other_slot
from .tpm_handle import handle_text, slot_handle

DEFAULT_HELPER_PATHS = {"rolesanywhere": "/usr/local/bin/rolesanywhere-credential-helper",
                        "aws_signing_helper": "/usr/local/bin/aws_signing_helper"}
VARIANTS = (("chain", True), ("plain", False))
# Why this collection's helper could not be built for the host (enroll_state, enroll_slot).
BUILD_REFUSAL = "cannot build the credential helper: %s. Fix enroll_helper_interpreter"


@dataclass
class EnrollSettings:  # pylint: disable=too-many-instance-attributes
    """The module's options: the role's variables as the decision needs them."""
    helper: HelperSettings
    wanted: Wanted
    root: str = ""
    directory: str = "/etc/rolesanywhere"
    user: str = "root"
    profile_users: List[str] = field(default_factory=list)
    aws_profile: str = "rolesanywhere"
    ca_bundle_sha1: str = ""
    # This collection's helper as it would be installed: its bytes, or a function that builds them (called only when
    # a helper file is there to compare with: building costs a first run more than the rest of the decision).
    helper_content: Union[bytes, Callable[[], bytes], None] = None
    # What the build would stamp into that helper (shebang line, sources digest, bytecode magic; helper_stamp()):
    # an installed helper with the same stamp is what the build would make, and is not rebuilt to compare on a run
    # where nothing is due. None: compare the bytes.
    helper_stamp: Optional[Tuple[bytes, bytes, bytes]] = None
    aws_signing_helper_sha256: str = ""
    systemd: str = "none"
    serve_port: int = 9911
    verify: str = "changed"
    chained_profiles: List[dict] = field(default_factory=list)  # chained.check_chained_profiles' entries

    @property
    def base(self):
        return self.root + self.directory

    @property
    def users(self):
        return list(self.profile_users) or [self.user]


def helper_file(helper, helper_path, root):
    """The helper as the host sees it (root prefix included: tests run every "host" on one machine)."""
    return root + (helper_path or DEFAULT_HELPER_PATHS[helper])


def default_common_name():
    """What Ansible's fqdn fact says (socket.getfqdn()), the common name when none is set."""
    return socket.getfqdn()


def _helper_up_to_date(settings):
    path = settings.helper.helper_file
    if settings.helper.helper == "rolesanywhere":
        if not is_as_wanted(path, "root", 0o755):
            return False
        if settings.helper_stamp is not None and has_stamp(path, settings.helper_stamp):
            return True
        if callable(settings.helper_content):
            settings.helper_content = settings.helper_content()
        return is_as_wanted(path, "root", 0o755, content=settings.helper_content)
    return is_as_wanted(path, "root", 0o755, sha256=settings.aws_signing_helper_sha256)


def helper_stamp(shebang, digest, magic):
    """The parts of a built helper that say what it was built from: its first line (the interpreter), its version
    line's sources digest, and the bytecode magic of its compiled code (_helper/build.py, build_helper)."""
    return (shebang.encode("utf-8"), (" sha256:%s " % digest).encode("ascii"), ('CODE_MAGIC = "%s"' % magic).encode("ascii"))


def has_stamp(path, stamp):
    try:
        with open(path, "rb") as handle:
            head = handle.read(16384)
    except OSError:
        return False
    first_line, rest = head.split(b"\n", 1) if b"\n" in head else (head, b"")
    return first_line + b"\n" == stamp[0] and stamp[1] in rest.split(b"\n", 1)[0] and stamp[2] in rest


def _home(user):
    try:
        return pwd.getpwnam(user).pw_dir
    except KeyError:
        return None


def _profiles(settings, blocks, with_chain):
    profiles, missing = [], []
    for user in settings.users:
        home = _home(user)
        if home is None:
            missing.append(user)
            continue
        aws_dir = settings.root + home + "/.aws"
        config = aws_dir + "/config"
        up_to_date = (is_as_wanted(aws_dir, user, 0o700, directory=True) and is_as_wanted(config, user, 0o600)
                      and has_profile_block(config, settings.aws_profile, blocks["chain" if with_chain else "plain"]))
        profiles.append({"user": user, "aws_dir": aws_dir, "config": config, "up_to_date": up_to_date})
    return profiles, missing


def helper_for(settings, slot):
    """The helper's settings for the material of ``slot``: with enroll_tpm_persistent_handle its key is named by that
    slot's handle (tpm_handle.slot_handle), which a renewal changes; else the key file, the same for every slot."""
    handle = slot_handle(settings.wanted.tpm_persistent_handle, slot) if settings.wanted.key_store == "tpm" else None
    if handle is None:
        return settings.helper
    return dataclasses.replace(settings.helper, tpm_key_handle="handle:" + handle_text(handle))


def _unit(settings, helper, with_chain, renewing, check_mode, run_command):
    name = "rolesanywhere-%s.service" % settings.aws_profile
    path = "%s/etc/systemd/system/%s" % (settings.root, name)
    contents = dict((key, systemd_unit(unit_argv(helper, settings.base + "/current", chain, settings.systemd,
                                                 settings.serve_port, settings.aws_profile),
                                       settings.systemd, settings.aws_profile, settings.user))
                    for key, chain in VARIANTS)
    up_to_date = is_as_wanted(path, "root", 0o600, content=contents["chain" if with_chain else "plain"].encode("utf-8"))
    # Containers and chroots often run another init (or none) as PID 1: the unit is still written, for the day
    # the host boots with systemd. In check mode a new unit is not on disk yet, so systemd could not find it.
    if settings.root:
        not_started = "enroll_root is set (%s), so the unit is not in the running system" % settings.root
    elif not systemd_runs_host():
        not_started = "systemd does not run this host (no /run/systemd/system)"
    elif check_mode and not up_to_date:
        not_started = "check mode: the new unit is not written yet"
    else:
        not_started = ""
    running = not not_started and up_to_date and not renewing and unit_enabled_and_active(name, run_command)
    return {"name": name, "file": path, "directory": os.path.dirname(path), "content": contents,
            "up_to_date": up_to_date, "not_started_because": not_started, "running": bool(running)}


def _proofs(settings, staging, profiles):
    """What prove.yml runs: the new material before the swap (per chain variant), and the installed profile."""
    has_passphrase = bool(settings.wanted.key_passphrase or settings.helper.tpm_key_password)  # a secret in the command
    helper = helper_for(settings, os.path.basename(staging))
    new = {}
    for key, chain in VARIANTS:
        command = command_line(helper_argv(helper, staging, chain))
        # Without a passphrase the command line holds no secret and is enroll_proof's command argument;
        # with one it goes through a 0600 file that is removed right after.
        new[key] = {"user": settings.user, "step": "proving the new certificate before the swap", "profile": "proof",
                    "config": staging + "/proof.config" if has_passphrase else "-",
                    "config_content": "[profile proof]\ncredential_process = %s\n" % command if has_passphrase else "",
                    "command": "" if has_passphrase else command}
    first = profiles[0]["config"] if profiles else ""
    installed = {"user": settings.users[0], "step": "proving the installed AWS config profile",
                 "profile": settings.aws_profile, "config": first, "config_content": "", "command": ""}
    return {"new": new, "installed": installed}


def decide(settings, check_mode=False, now=None, run_command=None, cryptography_available=True):
    """The decision for this host (a JSON-friendly dict); changes nothing. ``run_command`` is the module's
    AnsibleModule.run_command: it asks systemctl whether the unit runs (only when systemd runs this host)."""
    base, current = settings.base, settings.base + "/current"
    material = read_material(current)
    reasons = renewal_reasons(material, settings.wanted, now)
    with_chain = bool(material.complete and material.state.get("with_chain"))
    staging_slot = other_slot(material.slot)
    staging = base + "/" + staging_slot
    # The profile and unit name 'current': after a renewal, the staging slot's material (its key's handle).
    helper = helper_for(settings, staging_slot if reasons else material.slot)
    blocks = dict((key, profile_block(helper, settings.aws_profile, current, chain, settings.chained_profiles))
                  for key, chain in VARIANTS)
    profiles, missing_users = _profiles(settings, blocks, with_chain)
    todo = ["renew"] if reasons else []
    if not _helper_up_to_date(settings):
        todo.append("helper")
    bundle = settings.helper.ca_bundle_file
    bundle_due = bool(bundle) and not (is_as_wanted(bundle, settings.user, 0o644) and sha1_of(bundle) == settings.ca_bundle_sha1)
    # A renewal's staging slot makes the directory too (enroll_slot), unless the CA bundle must go there first.
    if not is_as_wanted(base, settings.user, 0o700, directory=True) and (not reasons or bundle_due):
        todo.append("directory")
    if bundle_due:
        todo.append("ca_bundle")
    if missing_users or not all(profile["up_to_date"] for profile in profiles):
        todo.append("profile")
    unit = None
    if settings.systemd != "none":
        unit = _unit(settings, helper, with_chain, bool(reasons), check_mode, run_command)
        if not unit["up_to_date"]:
            todo.append("unit")
        if not unit["running"] and not unit["not_started_because"]:
            todo.append("start_unit")
    certificate = material.certificate if material.complete else None
    changes_files = any(step != "start_unit" for step in todo)  # starting the unit writes nothing
    return {
        "renew_reasons": reasons,
        "todo": todo,
        "changes_files": changes_files,
        # A renewal proves the new material; the installed profile is proven when something else changes.
        "prove_installed": settings.verify == "always" or (settings.verify == "changed" and not reasons and changes_files),
        "slot": material.slot,
        "staging_slot": staging_slot,
        "staging_exists": os.path.lexists(staging),
        "with_chain": with_chain,
        "base": base,
        "current": current,
        "staging": staging,
        "passphrase_file_name": PASSPHRASE_NAME,
        "common_name": settings.wanted.common_name,
        "cryptography_available": cryptography_available,
        "certificate": certificate_summary(certificate),
        "helper_file": settings.helper.helper_file,
        "users": settings.users,
        "missing_users": missing_users,
        "profiles": profiles,
        "profile_block": blocks,
        "unit": unit or {},
        "proofs": _proofs(settings, staging, profiles),
    }


__all__ = ["EnrollSettings", "HelperSettings", "Wanted", "decide", "helper_file", "default_common_name"]
