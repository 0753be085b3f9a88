# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_helper=aws_signing_helper: a controller-side binary, checked against its mandatory SHA-256.

AWS's Go binary cannot be downloaded here; this collection's helper has the same command line, so a copy of
it plays the controller-side "aws_signing_helper" file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess

from tests.support.fleet import BIN, Fleet


def build_helper(fleet, path):
    command = [os.path.join(BIN, "ansible"), "localhost", "-m", "rolesanywhere.fleet.credential_helper",
               "-a", "path=%s interpreter=%s" % (path, os.path.join(BIN, "python"))]
    subprocess.run(command, check=True, capture_output=True, timeout=300, env=fleet.env())
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_aws_signing_helper_from_a_controller_file(pca_emulator, tmp_path):
    fleet = Fleet(str(tmp_path), pca_emulator["endpoint"], pca_emulator["region"], size=1, name="awshelper")
    assert fleet.trust().rc == 0
    binary = os.path.join(str(tmp_path), "controller-files", "aws_signing_helper")
    digest = build_helper(fleet, binary)
    wanted = {"enroll_helper": "aws_signing_helper", "enroll_aws_signing_helper_src": binary}

    # a wrong hash is refused before anything changes on the host
    run = fleet.playbook("enroll", extra_vars=dict(wanted, enroll_aws_signing_helper_sha256="0" * 64))
    assert run.rc != 0
    assert "has SHA-256 %s, not %s" % (digest, "0" * 64) in run.stdout, run.tail()
    assert not os.path.exists(fleet.root("h01")), "the host changed before the hash was checked"

    run = fleet.playbook("enroll", extra_vars=dict(wanted, enroll_aws_signing_helper_sha256=digest.upper()))
    assert run.rc == 0, run.tail()
    installed = os.path.join(fleet.root("h01"), "usr/local/bin/aws_signing_helper")
    assert os.stat(installed).st_mode & 0o777 == 0o755
    with open(fleet.config_file("h01"), encoding="utf-8") as handle:
        config = handle.read()
    assert installed + " credential-process " in config
    assert "--cache" not in config  # AWS's helper has no cache
    identity = fleet.caller_identity("h01")
    assert identity.rc == 0, identity.stderr
