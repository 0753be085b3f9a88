# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the control-plane modules in-process against the emulator (real botocore, real HTTP).

``modules.run("trust_anchor", name=..., check_mode=True)`` returns the module result; the emulator's
request counters around the run are in ``modules.calls`` and ``modules.changing_calls``.
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections import namedtuple

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 (the floor of the supported range, `make floor`)
    import contextlib
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """What ansible-core 2.19's ansible.module_utils.testing.patch_module_args does, for older cores."""
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()):
            yield

# Distinctive, so that a leak into any output is found by a plain substring search.
SECRET_KEY = "ModuleTestSecretKey/DoNotPrint+0123456789"
Rhythm = namedtuple("Rhythm", ["predicted", "applied", "calls", "again"])
CHANGING_PREFIXES = ("Create", "Update", "Delete", "Enable", "Disable", "Put", "Reset", "Tag", "Untag", "Import")


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


class ModuleRunner:
    """Runs rolesanywhere.fleet modules' main() with module args and AWS settings pointing at the emulator."""

    def __init__(self, emulator, capsys):
        self.emulator = emulator
        self.capsys = capsys
        self.calls = {}
        self.outputs = []

    def connection(self):
        return {"endpoint_url": self.emulator.endpoint, "region": self.emulator.region, "access_key": "testing", "secret_key": SECRET_KEY}

    def run(self, module_name, check_mode=False, diff=True, **params):
        args = dict(self.connection(), **params)
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        module = importlib.import_module("ansible_collections.rolesanywhere.fleet.plugins.modules." + module_name)
        self.capsys.readouterr()
        before = self.emulator.counters()
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module.main()
        after = self.emulator.counters()
        self.calls = {name: after.get(name, 0) - before.get(name, 0) for name in after if after.get(name, 0) != before.get(name, 0)}
        captured = self.capsys.readouterr()
        self.outputs.append(captured.out + captured.err)
        assert SECRET_KEY not in captured.out + captured.err
        return json.loads(captured.out)

    def run_ok(self, module_name, **params):
        result = self.run(module_name, **params)
        assert not result.get("failed"), result.get("msg")
        return result

    @property
    def changing_calls(self):
        return {name: count for name, count in self.calls.items() if name.startswith(CHANGING_PREFIXES)}

    def rhythm(self, module_name, expect_change=True, **params):
        """check mode, apply, check mode again, apply again; returns a Rhythm.

        Asserts the changed flags (expect_change, expect_change, False, False), that no run failed, and that
        neither check mode nor the re-run made a changing call; Rhythm.calls are the applying run's.
        """
        first_check = self.run_ok(module_name, check_mode=True, **params)
        assert not self.changing_calls, "check mode made changing calls: %s" % self.changing_calls
        applied = self.run_ok(module_name, **params)
        applied_calls = self.changing_calls
        second_check = self.run_ok(module_name, check_mode=True, **params)
        assert not self.changing_calls
        second_apply = self.run_ok(module_name, **params)
        assert not self.changing_calls, "idempotent re-run made changing calls: %s" % self.changing_calls
        assert [first_check["changed"], applied["changed"], second_check["changed"], second_apply["changed"]] == [
            expect_change,
            expect_change,
            False,
            False,
        ]
        return Rhythm(first_check, applied, applied_calls, second_apply)


@pytest.fixture
def modules(emulator, capsys, monkeypatch):
    # The modules read AWS settings from the environment too: give them the emulator's clean one.
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return ModuleRunner(emulator, capsys)
