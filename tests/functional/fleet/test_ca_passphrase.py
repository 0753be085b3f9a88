# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The own CA's key encrypted with rolesanywhere_trust_ca_passphrase, from a real Ansible Vault file.

A trust made with a plain key (as before) gets the vault: the trust playbook encrypts the same key in place (the CA
certificate, so the trust anchor, stays), then enroll signs with it and revoke signs a CRL with it that the emulator's
ImportCrl accepts and that revokes the host. A wrong or empty passphrase is one error naming the variable, and
changes nothing (CA key, CA certificate, hosts' certificates, CRL). The passphrase, right or wrong, is in no output
(-vvv) and in no file in clear: its only home is the vault file, encrypted.
"""

from __future__ import annotations

import hashlib
import os
import subprocess

from cryptography.hazmat.primitives import serialization

from tests.support.fleet import BIN, Fleet, session_serial

PASSPHRASE = "ca-vault-passphrase-2f9c1e77"
WRONG = "not-the-ca-passphrase-8d41"


class VaultFleet(Fleet):
    """A fleet whose inventory's group_vars/all/ca-vault.yml is an Ansible Vault file (its password in a 0600 file)."""

    def env(self, **extra):
        password = os.path.join(self.scratch, "vault-password")
        if os.path.exists(password):
            extra.setdefault("ANSIBLE_VAULT_PASSWORD_FILE", password)
        return super().env(**extra)

    def write_vault(self, variables):
        password = os.path.join(self.scratch, "vault-password")
        with open(os.open(password, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="ascii") as handle:
            handle.write("vault-password-for-tests\n")
        directory = os.path.join(self.scratch, "group_vars", "all")
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "ca-vault.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join("%s: %s\n" % item for item in variables.items()))
        subprocess.run([os.path.join(BIN, "ansible-vault"), "encrypt", path], env=self.env(), check=True, capture_output=True)
        return path


def digests(paths):
    """SHA-256 of each file (None when it does not exist): what "nothing changed" compares."""
    found = {}
    for path in paths:
        if os.path.exists(path):
            with open(path, "rb") as handle:
                found[path] = hashlib.sha256(handle.read()).hexdigest()
        else:
            found[path] = None
    return found


def scratch_files(fleet):
    """(path, content) of every file the test wrote."""
    for directory, _dirs, files in os.walk(fleet.scratch):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                with open(path, "rb") as handle:
                    yield path, handle.read()


def assert_only_h01_revoked(fleet):
    """A fresh CreateSession: h01's certificate is refused as revoked, h02's is not."""
    fleet.forget_cached_credentials()
    identities = fleet.identities()
    assert identities["h01"].rc != 0 and "revoked" in identities["h01"].stderr, identities["h01"].stderr
    assert identities["h02"].rc == 0, identities["h02"].stderr


def assert_refused(run, variable, text):
    assert run.rc != 0, run.tail()
    output = run.stdout + run.stderr
    assert text in output and variable in output, run.tail()
    assert "Traceback" not in output, run.tail()
    for secret in (PASSPHRASE, WRONG):
        assert secret not in output


def test_encrypted_ca_key_trust_enroll_revoke(pca_emulator, tmp_path):
    fleet = VaultFleet(str(tmp_path), pca_emulator["endpoint"], pca_emulator["region"], size=2, name="cavault")
    ca_key = os.path.join(fleet.trust_dir, "ca-key.pem")
    ca_certificate = os.path.join(fleet.trust_dir, "ca.pem")
    crl = os.path.join(fleet.trust_dir, "crl.pem")

    # an existing CA with a plain key (today's trust), then the vault: the same key is encrypted in place
    assert fleet.trust().rc == 0
    with open(ca_key, "rb") as handle:
        plain = serialization.load_pem_private_key(handle.read(), password=None)
    before = digests([ca_certificate])
    fleet.write_vault({"rolesanywhere_trust_ca_passphrase": PASSPHRASE})
    plain_digests = digests([ca_key, ca_certificate])
    run = fleet.playbook("trust", "--check", extra_vars={"rolesanywhere_trust_dir": fleet.trust_dir, "rolesanywhere_trust_name": fleet.name,
                                                         "enroll_endpoint_url": fleet.endpoint})
    assert run.rc == 0, run.tail()  # check mode: would encrypt, writes nothing
    assert digests([ca_key, ca_certificate]) == plain_digests
    run = fleet.trust()
    assert run.rc == 0, run.tail()
    assert "Check the CA private key opens" in run.stdout and "changed: [localhost]" in run.stdout
    with open(ca_key, "rb") as handle:
        pem = handle.read()
    assert b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem
    encrypted = serialization.load_pem_private_key(pem, password=PASSPHRASE.encode())
    assert encrypted.private_numbers() == plain.private_numbers()
    assert digests([ca_certificate]) == before, "the CA certificate changed: the trust anchor would break"
    assert os.stat(ca_key).st_mode & 0o777 == 0o600

    # a re-run changes nothing (the enroll variables are written again, identical)
    run = fleet.trust()
    assert run.rc == 0 and "changed=0" in run.stdout, run.tail()

    # the enroll variables name the key, not the passphrase
    with open(fleet.vars_file(), encoding="utf-8") as handle:
        assert "passphrase" not in handle.read()

    run = fleet.playbook("enroll", "-vvv")
    assert run.rc == 0, run.tail()
    assert PASSPHRASE not in run.stdout + run.stderr
    serials = fleet.serials()
    for host, identity in fleet.identities().items():
        assert identity.rc == 0, "%s: %s" % (host, identity.stderr)
        assert session_serial(identity) == serials[host]

    # wrong passphrase (extra vars win over the vault): trust, rotate (the role's signer) and revoke refuse it,
    # naming the variable, and change nothing
    watched = [ca_key, ca_certificate, crl] + [os.path.join(fleet.root(host), "etc/rolesanywhere/current/certificate.pem")
                                               for host in fleet.hosts]
    before = digests(watched)
    wrong = {"rolesanywhere_trust_ca_passphrase": WRONG}
    run = fleet.playbook("trust", "-vvv", extra_vars=dict(wrong, rolesanywhere_trust_dir=fleet.trust_dir,
                                                          rolesanywhere_trust_name=fleet.name, enroll_endpoint_url=fleet.endpoint))
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "does not open with the passphrase in")
    run = fleet.playbook("rotate", "-vvv", extra_vars=dict(wrong, rolesanywhere_rotate_batch="100%"))
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "does not open with the passphrase in")
    assert "The certificate in use is unchanged and keeps working" in run.stdout, run.tail()
    # one batch (rotate's default batches would stop after the first): each host fails, named, and keeps its certificate
    assert all(run.recap()[host]["failed"] == 1 for host in fleet.hosts), run.tail()
    run = fleet.playbook("revoke", "-vvv", extra_vars=dict(wrong, rolesanywhere_revoke_hosts="h01"))
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "does not open with the passphrase in")
    run = fleet.playbook("revoke", extra_vars={"enroll_own_ca_private_key_passphrase": WRONG, "rolesanywhere_revoke_hosts": "h01"})
    assert_refused(run, "enroll_own_ca_private_key_passphrase", "does not open with the passphrase in")
    run = fleet.playbook("rotate", extra_vars={"rolesanywhere_trust_ca_passphrase": ""})
    assert_refused(run, "rolesanywhere_trust_ca_passphrase", "is encrypted and rolesanywhere_trust_ca_passphrase is empty")
    assert digests(watched) == before, "a refused run changed a file"

    # revoke with the vault's passphrase: the CRL signed by the encrypted key is imported and revokes h01
    run = fleet.playbook("revoke", "-vvv", extra_vars={"rolesanywhere_revoke_hosts": "h01"})
    assert run.rc == 0, run.tail()
    assert PASSPHRASE not in run.stdout + run.stderr
    assert_only_h01_revoked(fleet)

    # the passphrase is in no file in clear (the vault file holds it encrypted)
    for path, content in scratch_files(fleet):
        assert PASSPHRASE.encode() not in content, path
