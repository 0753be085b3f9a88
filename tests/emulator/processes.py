# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a process still runs, for ``--watch-pid`` (standard library only, safe before argument errors)."""

from __future__ import annotations

import os


def process_alive(pid: int) -> bool:
    """True while pid exists (also when it belongs to another user, who may not be signalled)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
