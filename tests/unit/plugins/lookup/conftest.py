# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load ``rolesanywhere.fleet.credentials`` through Ansible's own plugin loader, as a play would.

``credentials_lookup`` is the plugin instance, ``trust`` a fresh Roles Anywhere trust on the emulator, and
``run_lookup(**options)`` calls it the way the ``lookup()`` template function does (no terms, options by
name) and returns the dictionary.
"""

from __future__ import annotations

import importlib

import pytest

from tests.support.scenario import make_trust

NAME = "rolesanywhere.fleet.credentials"


@pytest.fixture(scope="session")
def credentials_module():
    return importlib.import_module("ansible_collections.rolesanywhere.fleet.plugins.lookup.credentials")


@pytest.fixture(scope="session")
def credentials_lookup(credentials_module):
    """The plugin, configured from its own DOCUMENTATION by Ansible's loader and config manager.

    ``lookup_loader.get()`` itself needs Ansible's collection finder installed before any
    ``ansible_collections`` import, which a pytest session shared with other tests cannot promise; the
    functional tests load it the ordinary way, through ansible-playbook.
    """
    from ansible.plugins.loader import lookup_loader  # pylint: disable=import-outside-toplevel

    path = credentials_module.__file__
    lookup_loader._load_config_defs(NAME, credentials_module, path)  # pylint: disable=protected-access
    plugin = credentials_module.LookupModule(loader=None, templar=None)
    lookup_loader._update_object(obj=plugin, name=NAME, path=path, resolved=NAME)  # pylint: disable=protected-access
    assert "certificate" in plugin.option_definitions
    return plugin


@pytest.fixture(autouse=True)
def private_credential_cache(tmp_path, monkeypatch):
    """Every test starts with an empty credential cache of its own: a private XDG_RUNTIME_DIR (forked workers
    inherit it), and an XDG_CACHE_HOME that would show any entry written outside it."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    return runtime / "rolesanywhere-fleet"


@pytest.fixture
def trust(emulator, tmp_path):
    return make_trust(emulator, tmp_path / "trust", cn="controller.example.com")


def options_for(trust, emulator, **overrides):
    options = dict(certificate=trust.certificate, private_key=trust.private_key, intermediates=trust.intermediates,
                   endpoint_url=emulator.endpoint, **trust.arns())
    options.update(overrides)
    return {name: value for name, value in options.items() if value is not None}


@pytest.fixture
def run_lookup(credentials_lookup):
    def run(**options):
        result = credentials_lookup.run([], {}, **options)
        assert isinstance(result, list) and len(result) == 1
        return result[0]
    return run
