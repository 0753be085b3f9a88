# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.credentials in real ansible-playbook runs against the emulator (STS/IAM by moto).

The plays run with forks > 1, so the lookup is evaluated in Ansible's forked worker processes, one per
host and task. The emulator's counters show how many CreateSession requests reached "AWS".
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.functional.lookup import runner
from tests.support import pki
from tests.support.scenario import make_trust

PLAYBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
# 200 hosts is the acceptance scale (make test-fleet); make test runs the same play over fewer hosts to stay fast.
FLEET_SIZE = int(os.environ.get("ROLESANYWHERE_TEST_LOOKUP_HOSTS", "200"))
PASSPHRASE = "Functional-Lookup-Passphrase-Never-Shown-3"


def playbook(name):
    return os.path.join(PLAYBOOKS, name)


def counter(emulator, name):
    return emulator.counters().get(name, 0)


def test_many_hosts_one_create_session(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path / "trust", cn="controller.example.com")
    inventory = runner.write_inventory(tmp_path / "inventory.json", FLEET_SIZE)
    result_file = str(tmp_path / "callers.json")
    environment = runner.ansible_environment(emulator, tmp_path)
    sessions, calls = counter(emulator, "CreateSession"), counter(emulator, "moto:sts")

    run = runner.run_playbook(playbook("fleet.yml"), inventory, environment, runner.trust_vars(trust, emulator, result_file=result_file),
                              forks=10, directory=tmp_path).check()

    with open(result_file, encoding="utf-8") as handle:
        callers = json.load(handle)
    assert len(callers) == FLEET_SIZE
    expected_prefix = "arn:aws:sts::%s:assumed-role/%s/" % (emulator.account, trust.role_name)
    assert len(set(callers)) == 1 and callers[0].startswith(expected_prefix), set(callers)
    assert counter(emulator, "CreateSession") - sessions == 1
    assert counter(emulator, "moto:sts") - calls >= FLEET_SIZE  # every host really called STS
    # The shared cache: 0600 files in the run's private XDG_RUNTIME_DIR, nothing in XDG_CACHE_HOME.
    directory = runner.cache_directory(environment)
    assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o700
    entries = [name for name in os.listdir(directory) if name.endswith(".cred")]
    assert len(entries) == 2, entries  # the helper's entry and the lookup's details
    assert all(stat.S_IMODE(os.lstat(os.path.join(directory, name)).st_mode) == 0o600 for name in entries)
    assert not os.path.exists(environment["XDG_CACHE_HOME"])
    print("\n%d hosts, forks 10: %.1f s, 1 CreateSession" % (FLEET_SIZE, run.seconds))


def test_verbose_output_shows_no_secret(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path / "trust", cn="controller.example.com")
    leaf = trust.issue("verbose.example.com", key_format="pkcs8-encrypted", passphrase=PASSPHRASE)
    inventory = runner.write_inventory(tmp_path / "inventory.json", 3)
    result_file = str(tmp_path / "credentials.json")
    environment = runner.ansible_environment(emulator, tmp_path)
    # ansible-core 2.21 adds the module arguments (`invocation`) to results only when asked (INJECT_INVOCATION,
    # default false; older cores always did): ask, so that -vvv prints them and the masking is seen.
    environment["ANSIBLE_INJECT_INVOCATION"] = "true"
    variables = runner.trust_vars(trust, emulator, ra_certificate=leaf.certificate, ra_private_key=leaf.private_key,
                                  ra_passphrase=PASSPHRASE, result_file=result_file)
    sessions = counter(emulator, "CreateSession")

    run = runner.run_playbook(playbook("verbose.yml"), inventory, environment, variables, forks=3, verbosity=3,
                              directory=tmp_path).check()

    with open(result_file, encoding="utf-8") as handle:
        credentials = json.load(handle)
    assert credentials["source_identity"] == "verbose.example.com"
    output = run.output
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # -vvv printed the module arguments, masked
    assert "rolesanywhere.fleet.credentials: CreateSession for certificate serial" in output
    assert credentials["assumed_role_arn"] in output
    for name in ("secret_key", "session_token"):
        assert credentials[name] not in output, "%s leaked into -vvv output" % name
    assert PASSPHRASE not in output
    with open(leaf.private_key, encoding="ascii") as handle:
        for line in handle.read().splitlines():
            if line and not line.startswith("-----"):
                assert line not in output
    assert counter(emulator, "CreateSession") - sessions == 1  # 3 hosts, 3 tasks, 9 evaluations


@pytest.fixture
def failure_cases(emulator, tmp_path):
    trust = make_trust(emulator, tmp_path / "trust")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    stranger = pki.make_leaf(pki.make_ca("EC", cn="Stranger CA"), key_type="EC", cn="stranger.example.com")
    stranger_paths = stranger.write(str(tmp_path), "stranger")
    other = make_trust(emulator, tmp_path / "other")
    disabled = make_trust(emulator, tmp_path / "disabled", profile_enabled=False)
    base = {"certificate": trust.certificate, "private_key": trust.private_key, **trust.arns()}
    cases = {
        "bad_certificate": {"certificate": str(garbage)},
        "untrusted_chain": {"certificate": stranger_paths.certificate, "private_key": stranger_paths.private_key},
        "wrong_profile": {"profile_arn": other.profile_arn},
        "disabled_profile": {"certificate": disabled.certificate, "private_key": disabled.private_key, **disabled.arns()},
        "wrong_region": {"region": "eu-west-1"},
    }
    return trust, base, cases


def test_failures_have_clear_messages(emulator, tmp_path, failure_cases):
    trust, base, cases = failure_cases
    inventory = runner.write_inventory(tmp_path / "inventory.json", 2)
    result_file = str(tmp_path / "messages.json")
    environment = runner.ansible_environment(emulator, tmp_path)
    variables = runner.trust_vars(trust, emulator, ra_base=base, cases=cases, result_file=result_file)
    sessions = counter(emulator, "CreateSession")

    run = runner.run_playbook(playbook("failures.yml"), inventory, environment, variables, forks=2, directory=tmp_path).check()

    for host in ("h1", "h2"):
        with open("%s-%s" % (result_file, host), encoding="utf-8") as handle:
            messages = json.load(handle)
        assert "garbage.pem" in messages["bad_certificate"]
        assert "Untrusted Signing Certificate" in messages["untrusted_chain"]
        assert "trust anchor" in messages["untrusted_chain"]
        assert "profile" in messages["wrong_profile"].lower()
        assert "AccessDenied" in messages["wrong_profile"] or "ResourceNotFound" in messages["wrong_profile"]
        assert "enabled" in messages["disabled_profile"]
        assert "region eu-west-1 differs from the trust anchor's region" in messages["wrong_region"]
        for message in messages.values():
            assert "The lookup plugin 'rolesanywhere.fleet.credentials' failed: " in message
    assert "Traceback" not in run.output
    # Three cases reach the service; the second host gets the remembered failures without asking again.
    assert counter(emulator, "CreateSession") - sessions == 3
