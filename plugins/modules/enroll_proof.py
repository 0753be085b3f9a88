#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: enroll_proof
version_added: 0.2.0
short_description: Prove an AWS config profile with one real CreateSession, paced to AWS's quota
description:
  - Runs the C(credential_process) of an AWS config profile once on the host, as the user the task runs as (use
    C(become_user) for another user), and checks that it printed credentials. Only the access key id and the
    expiration are returned; the secret access key and session token never leave the host.
  - The M(rolesanywhere.fleet.enroll) role proves new material with it before swapping it in.
  - B(Pacing.) Roles Anywhere allows O(rate) CreateSession calls per second per account and Region (10 by
    default, see U(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/quotas.html)). The action plugin
    of this module takes a start time on the controller before it runs the module, spaced C(1 / rate) apart
    over every fork of the run (and every run of the same user on the controller) that proves against the same
    account, Region and endpoint; so a fleet-wide rotation with many forks stays within the quota. The helper
    retries a throttled CreateSession with backoff and jitter all the same.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  config:
    description:
      - The AWS config file whose O(profile) is proven, or V(-) to prove O(command) instead (the role's proof
        before a swap, when the command holds no secret; with a key passphrase the role writes a 0600 config
        file and removes it afterwards).
    type: str
    required: true
  profile:
    description: The profile in O(config) (V(default) is the C([default]) section).
    type: str
    default: default
  command:
    description: With O(config=-), the C(credential_process) command line to run.
    type: str
    default: ""
  rate:
    description:
      - CreateSession calls per second that the controller lets through for the account, Region and endpoint of
        O(trust_anchor_arn), O(region) and O(endpoint_url), over all forks. V(0) for no pacing.
      - Applied by the action plugin on the controller, before the module runs.
    type: float
    default: 0
  trust_anchor_arn:
    description: The trust anchor ARN the profile uses; its account and Region select the quota. Required when O(rate) is set.
    type: str
    default: ""
  region:
    description: The Region the helper calls, when not the trust anchor's.
    type: str
    default: ""
  endpoint_url:
    description: The endpoint the helper calls, when not AWS's; another endpoint is paced on its own.
    type: str
    default: ""
attributes:
  action:
    description: The action plugin paces the call on the controller.
    support: full
  async:
    description: The proof runs in the foreground.
    support: none
  check_mode:
    description: Changes nothing; the proof runs in check mode too.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
  idempotent:
    description: Changes nothing.
    support: full
"""

EXAMPLES = r"""
- name: Prove the installed profile as the user who will use it, at most 5 CreateSession per second fleet-wide
  rolesanywhere.fleet.enroll_proof:
    config: /home/app/.aws/config
    profile: rolesanywhere
    rate: 5
    trust_anchor_arn: arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b
  become: true
  become_user: app
"""

RETURN = r"""
access_key_id:
  description: The access key id of the credentials the helper got (no secret).
  returned: success
  type: str
  sample: ASIAEXAMPLEKEYID0001
expiration:
  description: When those credentials expire (RFC 3339).
  returned: success
  type: str
  sample: "2026-12-07T01:02:03Z"
paced_seconds:
  description: How long the controller held the call back to keep within O(rate).
  returned: always
  type: float
  sample: 0.5
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.proof import ProofError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.proof import prove


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="str", required=True),
            profile=dict(type="str", default="default"),
            command=dict(type="str", default=""),
            rate=dict(type="float", default=0),
            trust_anchor_arn=dict(type="str", default=""),
            region=dict(type="str", default=""),
            endpoint_url=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    refusal = None
    try:
        proven = prove(params["config"], params["profile"], params["command"], module.run_command)
    except ProofError as error:
        refusal = str(error)
    if refusal is not None:
        # Outside the except block, so that no traceback is attached to the helper's reason.
        module.fail_json(msg=refusal)
    module.exit_json(changed=False, **proven)


if __name__ == "__main__":
    main()
