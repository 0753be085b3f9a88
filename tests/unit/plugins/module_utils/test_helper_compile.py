# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper's code is compiled to the same bytes every time, set constants included (hash seed 0)."""

from __future__ import annotations

import marshal

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import compile_modules
from tests.support.commands import run_command

# A set literal in a membership test is compiled to a frozenset constant, which marshal writes in iteration order:
# the string hash seed's order on Python 3.8-3.10 (the helper's hosts may run those), unless the compiler runs with
# PYTHONHASHSEED=0 (python -I alone ignores it). Python 3.11 and later sort them when marshalling, so on this
# machine's interpreters these tests guard the bytes, and they bite where the module runs on an older Python.
SOURCE = ("def kind(value):\n    return value in {%s}\n" % ", ".join('"name-%d"' % number for number in range(40))).encode("utf-8")


def test_set_constants_compile_to_the_same_bytes_every_time():
    outputs = {compile_modules({"_core/sample": SOURCE}, ["_core/sample"], run_command) for _run in range(4)}
    assert len(outputs) == 1
    ((name, code),) = marshal.loads(outputs.pop())
    namespace = {}
    exec(code, namespace)  # pylint: disable=exec-used  # the compiled sample, to prove it is the code given
    assert name == "_core/sample" and namespace["kind"]("name-7") and not namespace["kind"]("other")


def test_the_callers_hash_seed_changes_nothing(monkeypatch):
    """The compiler's environment holds only PYTHONHASHSEED=0, whatever the caller's says."""
    plain = compile_modules({"_core/sample": SOURCE}, ["_core/sample"], run_command)
    monkeypatch.setenv("PYTHONHASHSEED", "123")
    assert compile_modules({"_core/sample": SOURCE}, ["_core/sample"], run_command) == plain
