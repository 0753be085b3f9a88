#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: own_ca_sign
version_added: 0.2.0
short_description: Sign a host's CSR with the own CA on the controller
description:
  - Issues a host certificate for a certificate signing request with the own CA the trust playbook made, with the CA key
    file (plain, or encrypted with O(passphrase)) or, where the trust playbook wrote a key reference instead, the CA
    key inside its PKCS#11 token (opened with O(pin)). The enroll role's C(own_ca) signer.
  - The certificate carries the CSR's subject and extensions (as community.crypto's C(ownca) provider copies them),
    subject and authority key identifiers, and is signed with SHA-256; it is verified against the CA certificate
    before it is returned.
  - An action plugin. It runs on the controller, where the CA's files are, whatever host the task is for, and runs
    no module (no Python start on any host). The CA key never leaves the controller (or its token).
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  csr:
    description: The host's certificate signing request, PEM.
    type: str
    required: true
  ca_certificate:
    description: Path of the CA certificate (PEM) on the controller (C(enroll_own_ca_certificate)).
    type: path
    required: true
  private_key:
    description:
      - Path of the CA's private key (PEM) on the controller, or of the key reference the trust playbook wrote for a
        CA key in a PKCS#11 token (C(enroll_own_ca_private_key)).
    type: path
    required: true
  passphrase:
    description: The CA key's passphrase, from Ansible Vault, when the key file is encrypted; ignored for a plain key.
    type: str
    default: ""
  passphrase_variable:
    description: The variable O(passphrase) came from, named in the error when it is missing or wrong.
    type: str
    default: rolesanywhere_trust_ca_passphrase
  pin:
    description: With a key reference, the token's user PIN (C(rolesanywhere_trust_ca_pkcs11_pin), from Ansible Vault).
    type: str
    default: ""
  validity_days:
    description: Days the certificate is valid.
    type: int
    default: 365
  not_before_minutes:
    description: How many minutes before now the certificate becomes valid (clock skew).
    type: int
    default: 5
  chain:
    description: Path of the intermediate CA certificates (PEM) returned as RV(chain), searched for as the
      C(ansible.builtin.file) lookup searches (C(enroll_own_ca_chain)); empty for none.
    type: str
    default: ""
attributes:
  action:
    description: Runs on the controller, in Ansible's worker process.
    support: full
  check_mode:
    description: Reports that a certificate would be issued (C(changed)); signs nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  idempotent:
    description: Each run issues a new certificate.
    support: none
seealso:
  - module: rolesanywhere.fleet.own_ca_key
  - module: rolesanywhere.fleet.own_ca_token
"""

EXAMPLES = r"""
- name: Sign the host's CSR with the own CA
  rolesanywhere.fleet.own_ca_sign:
    csr: "{{ host_csr.csr }}"
    ca_certificate: ~/.rolesanywhere/fleet/ca.pem
    private_key: ~/.rolesanywhere/fleet/ca-key.pem
    passphrase: "{{ rolesanywhere_trust_ca_passphrase }}"
    validity_days: 90
  register: issued
"""

RETURN = r"""
certificate:
  description: The host certificate, PEM; empty in check mode.
  returned: success
  type: str
chain:
  description: The content of O(chain) (trailing white space removed); empty without O(chain) and in check mode.
  returned: success
  type: str
"""
