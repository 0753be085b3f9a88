# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enrolment directory's two slots: the material in use is in one ('current' points at it), and a renewal makes
the new material in the other, beside it, before the swap."""

from __future__ import annotations

SLOTS = ("slot-a", "slot-b")


def other_slot(slot):
    """The slot beside ``slot``: where a renewal makes new material while ``slot`` is in use, and the one a swap to
    ``slot`` removes (slot-a when ``slot`` is none, on a first enrolment)."""
    return "slot-b" if slot == "slot-a" else "slot-a"
