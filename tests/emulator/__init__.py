# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local IAM Roles Anywhere service that runs beside moto (IAM, STS, ACM PCA).

Start it with ``python -m tests.emulator`` (see ``docs/testing-offline.md``) or, inside Python,
with :func:`tests.emulator.server.start_emulator`.
"""

if __name__ == "rolesanywhere_emulator":  # installed with pip (pyproject.toml): the console script rolesanywhere-emulator
    import importlib as _importlib
    import sys as _sys

    # The modules fall back to ``plugins.*`` (a checkout's root) when the collection is not importable; the
    # package bundles those files as ``rolesanywhere_emulator._fleet``, so that name serves here.
    _sys.modules.setdefault("plugins", _importlib.import_module("._fleet", __name__))
