# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local IAM Roles Anywhere service that runs beside moto (IAM, STS, ACM PCA).

Start it with ``python -m tests.emulator`` (see ``docs/testing-offline.md``) or, inside Python,
with :func:`tests.emulator.server.start_emulator`.
"""
