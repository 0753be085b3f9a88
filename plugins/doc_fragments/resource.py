# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This fragment is private to the collection: it may change in any release.

from __future__ import annotations


class ModuleDocFragment:
    # The present/absent modules (trust_anchor, profile, crl): what modules.ResourceFlow gives each of them.
    DOCUMENTATION = r"""
options:
  alias_name:
    description:
      - Alias of the resource; its alias ARN can then be used instead of its ARN.
      - An empty string removes the alias.
      - Needs a botocore release that knows the C(aliasName) field.
    type: str
notes:
  - The Roles Anywhere control plane allows about 1 request per second per family of calls; the module
    retries throttled calls with jittered backoff.
  - A re-run with the same options makes no changing API call.
"""

    # The _info modules that find resources by name (trust_anchor_info, profile_info, crl_info): what
    # modules.run_info_module gives each of them.
    NAMED_INFO = r"""
options:
  name:
    description:
      - Return the resources with this name (names are not unique, so there may be several).
    type: str
notes:
  - Reading the tags takes one request per resource found (the tagging API allows about 1 request per
    second; throttled requests are retried).
"""
