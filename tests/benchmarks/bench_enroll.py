# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enrolment of a fleet against the emulator, over both transports: the local connection (50 hosts, one root
directory each) and real SSH hosts (20 sshd in mount namespaces of their own, tests/support/ssh_hosts.py).

Prints a table per transport: first run and no-op re-run of the enroll role, then of the shortest playbook a
competent user would write instead with community.crypto (key, CSR, signed by the own CA, certificate installed,
AWS config written; no helper, no proof) on the same hosts; wall time, CPU per host, and the hosts that reported
a change; then our role / that play, and the goals of issue 17.
"CPU" is what ansible-playbook's process tree spends. With the local connection the modules run in that tree
too, so it counts the host side as well: an upper bound of what the controller spends. Over SSH the modules run
under each host's sshd, outside that tree: it is the controller's CPU alone (ansible and its ssh clients).
SSH hosts need root, openssh-server and sudo (tests/system-packages.txt); without them that table is skipped.
Usage: python tests/benchmarks/bench_enroll.py [HOSTS] [FORKS] [SSH_HOSTS]   (SSH_HOSTS 0: local only)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.emulator.client import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position
from tests.support import ssh_hosts  # noqa: E402  pylint: disable=wrong-import-position
from tests.support.fleet import Fleet  # noqa: E402  pylint: disable=wrong-import-position

# The hand-written play: what a user who knows community.crypto writes for the same result, idempotent (the CSR
# and certificate are checked against what is on the host, so a re-run changes nothing). Files go to
# <enroll_root>/hand on the local connection (each host's own tree), and to /root/hand on an SSH host (its /root is
# its own), apart from the role's.
HAND_PLAY = """\
- name: Enrol hosts with community.crypto
  hosts: all
  gather_facts: false
  vars:
    hand: "{{ enroll_root | default('/root', true) }}/hand"
  tasks:
    - name: Make the key directory
      ansible.builtin.file:
        path: "{{ hand }}/etc/pki"
        state: directory
        mode: "0700"

    - name: Make the private key
      community.crypto.openssl_privatekey:
        path: "{{ hand }}/etc/pki/key.pem"
        type: ECC
        curve: secp256r1
        mode: "0600"

    - name: Make the CSR
      community.crypto.openssl_csr:
        path: "{{ hand }}/etc/pki/csr.pem"
        privatekey_path: "{{ hand }}/etc/pki/key.pem"
        common_name: "{{ enroll_common_name }}"
        basic_constraints: ["CA:FALSE"]
        basic_constraints_critical: true
        key_usage: [digitalSignature]
        key_usage_critical: true
        extended_key_usage: [clientAuth]
        return_content: true
      register: csr

    - name: Read the certificate in place
      ansible.builtin.slurp:
        src: "{{ hand }}/etc/pki/cert.pem"
      register: current
      failed_when: false

    - name: Sign the CSR with the own CA
      community.crypto.x509_certificate_pipe:
        provider: ownca
        content: "{{ current.content | b64decode if current.content is defined else omit }}"
        csr_content: "{{ csr.csr }}"
        ownca_path: "{{ enroll_own_ca_certificate }}"
        ownca_privatekey_path: "{{ enroll_own_ca_private_key }}"
        ownca_not_after: "+30d"
      delegate_to: localhost
      register: signed

    - name: Install the certificate
      ansible.builtin.copy:
        content: "{{ signed.certificate }}"
        dest: "{{ hand }}/etc/pki/cert.pem"
        mode: "0644"

    - name: Make the AWS directory
      ansible.builtin.file:
        path: "{{ hand }}/root/.aws"
        state: directory
        mode: "0700"

    - name: Write the AWS config
      ansible.builtin.copy:
        dest: "{{ hand }}/root/.aws/config"
        mode: "0600"
        content: |
          [profile rolesanywhere]
          credential_process = {{ helper_argv | join(' ') }}
      vars:
        helper_argv: [/usr/local/bin/aws_signing_helper, credential-process, --certificate, "{{ hand }}/etc/pki/cert.pem",
                      --private-key, "{{ hand }}/etc/pki/key.pem", --trust-anchor-arn, "{{ enroll_trust_anchor_arn }}",
                      --profile-arn, "{{ enroll_profile_arn }}", --role-arn, "{{ enroll_role_arn }}"]
"""


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(fleet, label, forks, playbook="enroll"):
    cpu, wall = children_cpu(), time.monotonic()
    run = fleet.playbook(playbook, env=fleet.env(ANSIBLE_FORKS=str(forks)), timeout=3600)
    wall, cpu = time.monotonic() - wall, children_cpu() - cpu
    recap = run.recap()
    if run.rc != 0:
        sys.exit("bench_enroll: %s failed:\n%s" % (label, run.tail()))
    changed = sum(1 for host in recap.values() if host["changed"])
    return label, wall, cpu / len(fleet.hosts), changed


def bench(scratch, emulator, forks, size=0, hosts=None):
    """The four runs on one fleet: the role's first run and no-op, then the hand-written play's."""
    fleet = Fleet(scratch, emulator.endpoint, emulator.region, size=size, name="bench", ssh_hosts=hosts)
    trust = fleet.trust()
    if trust.rc != 0:
        sys.exit("bench_enroll: trust failed:\n%s" % trust.tail())
    hand = os.path.join(scratch, "hand-written.yml")
    with open(hand, "w", encoding="utf-8") as handle:
        handle.write(HAND_PLAY)
    return [measure(fleet, "role: first run", forks), measure(fleet, "role: no-op re-run", forks),
            measure(fleet, "hand: first run", forks, playbook=hand[:-4]),
            measure(fleet, "hand: no-op re-run", forks, playbook=hand[:-4])]


def report(title, rows):
    print(title)
    print("%-20s %10s %14s %16s" % ("run", "wall (s)", "CPU/host (s)", "hosts changed"))
    for label, wall, cpu, changed in rows:
        print("%-20s %10.1f %14.2f %16d" % (label, wall, cpu, changed))
    first_wall, first_cpu = rows[0][1:3]
    noop_wall, noop_cpu, noop_changed = rows[1][1:4]
    hand_first_wall, hand_first_cpu = rows[2][1:3]
    hand_noop_wall, hand_noop_cpu = rows[3][1:3]
    print("role / hand-written play: first run CPU %.2f, wall %.2f; no-op CPU %.2f, wall %.2f"
          % (first_cpu / hand_first_cpu, first_wall / hand_first_wall, noop_cpu / hand_noop_cpu, noop_wall / hand_noop_wall))
    goals = [("no-op CPU/host <= 1.0 s", noop_cpu <= 1.0), ("first run CPU/host <= 4.0 s", first_cpu <= 4.0),
             ("no-op wall <= 0.3 x first-run wall", noop_wall <= 0.3 * first_wall),
             ("changed=0 on every no-op host", noop_changed == 0),
             ("no-op CPU role / hand-written <= 1.0", noop_cpu <= hand_noop_cpu)]
    for goal, met in goals:
        print("goal %-40s %s" % (goal, "met" if met else "NOT met"))


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    forks = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    ssh_size = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    load = os.getloadavg()[0]
    with EmulatorProcess.start() as emulator:
        with tempfile.TemporaryDirectory(prefix="bench-enroll-") as scratch:
            report("enroll role beside a hand-written community.crypto play, local connection, %d hosts, forks %d, "
                   "%d CPUs, load %.1f" % (size, forks, os.cpu_count() or 0, load), bench(scratch, emulator, forks, size=size))
        missing = ssh_hosts.missing_parts()
        if ssh_size and missing:
            print("\nSSH hosts skipped: they need %s (run `make system-packages` as root)" % ", ".join(missing))
        elif ssh_size:
            with tempfile.TemporaryDirectory(prefix="bench-enroll-ssh-") as scratch:
                hosts = ssh_hosts.SshHosts(scratch, {"h%02d" % index: "root" for index in range(1, ssh_size + 1)}).start()
                try:
                    load = os.getloadavg()[0]
                    rows = bench(scratch, emulator, forks, hosts=hosts)
                finally:
                    hosts.stop()
            print()
            report("the same over SSH (controller CPU only), %d hosts, forks %d, load %.1f" % (ssh_size, forks, load), rows)


if __name__ == "__main__":
    main()
