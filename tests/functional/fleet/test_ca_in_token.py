# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The own CA's key made inside a PKCS#11 token on the controller (SoftHSM2), with rolesanywhere_trust_ca_pkcs11.

trust.yml makes the key in the token (sensitive, never extractable) and the CA certificate signed there; enroll signs
each host's certificate there, revoke signs the CRL there. Checked with cryptography (verify_directly_issued_by,
is_signature_valid), with `openssl verify` (-crl_check), and by the emulator: the host gets credentials, ImportCrl
takes the CRL and CreateSession then refuses the revoked host. No private key is on disk; the PIN (from a real
Ansible Vault file) is in no output; a wrong PIN is one error naming rolesanywhere_trust_ca_pkcs11_pin, changing
nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.functional.fleet.test_ca_passphrase import VaultFleet, assert_only_h01_revoked, digests, scratch_files
from tests.support import pki
from tests.support.softhsm import SoftHsm, missing_parts

MISSING = missing_parts()
pytestmark = pytest.mark.skipif(bool(MISSING), reason="PKCS#11 tests need %s" % " and ".join(MISSING))
PIN = "ca-token-pin-5521"
TOKEN = "fleet-ca"


class TokenFleet(VaultFleet):
    """A fleet whose controller has a SoftHSM2 token (its private configuration in SOFTHSM2_CONF)."""

    hsm = None

    def env(self, **extra):
        return super().env(**dict(self.hsm.env, **extra))


def load_certificate(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def openssl_verify(*args):
    return subprocess.run(["openssl", "verify"] + list(args), capture_output=True, text=True, check=False)


def test_ca_key_in_token_trust_enroll_revoke(pca_emulator, tmp_path):
    hsm = SoftHsm(str(tmp_path / "hsm"))
    hsm.init_token(TOKEN, pin=PIN)
    TokenFleet.hsm = hsm
    fleet = TokenFleet(str(tmp_path / "fleet"), pca_emulator["endpoint"], pca_emulator["region"], size=2, name="catoken")
    fleet.write_vault({"rolesanywhere_trust_ca_pkcs11_pin": PIN})
    pkcs11 = {"module": hsm.module, "token_label": TOKEN, "key_label": "fleet-ca", "key_id": "0a"}

    run = fleet.trust(rolesanywhere_trust_ca_pkcs11=pkcs11)
    assert run.rc == 0, run.tail()
    reference = os.path.join(fleet.trust_dir, "ca-key.pkcs11")
    with open(reference, encoding="utf-8") as handle:
        assert handle.read().strip() == "pkcs11:token=fleet-ca;object=fleet-ca;id=%%0A?module-path=%s" % hsm.module
    with open(fleet.vars_file(), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["enroll_own_ca_private_key"] == reference
    assert not os.path.exists(os.path.join(fleet.trust_dir, "ca-key.pem"))
    assert hsm.key_attributes(TOKEN, PIN, "fleet-ca") == {"CKA_EXTRACTABLE": False, "CKA_SENSITIVE": True,
                                                          "CKA_NEVER_EXTRACTABLE": True, "CKA_ALWAYS_SENSITIVE": True}
    ca_path = os.path.join(fleet.trust_dir, "ca.pem")
    ca = load_certificate(ca_path)
    ca.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert openssl_verify("-CAfile", ca_path, ca_path).returncode == 0

    run = fleet.trust(rolesanywhere_trust_ca_pkcs11=pkcs11)  # made once: a re-run changes nothing
    assert run.rc == 0 and "changed=0" in run.stdout, run.tail()

    run = fleet.playbook("enroll", "-vvv")
    assert run.rc == 0, run.tail()
    assert PIN not in run.stdout + run.stderr
    host_certificates = [os.path.join(fleet.root(host), "etc/rolesanywhere/current/certificate.pem") for host in fleet.hosts]
    for path in host_certificates:
        load_certificate(path).verify_directly_issued_by(ca)
        assert openssl_verify("-CAfile", ca_path, path).returncode == 0
    for host, identity in fleet.identities().items():
        assert identity.rc == 0, "%s: %s" % (host, identity.stderr)

    # a wrong PIN: one error naming the variable, nothing changed (extra vars win over the vault)
    before = digests(host_certificates + [ca_path, reference, os.path.join(fleet.trust_dir, "crl.pem")])
    wrong = "wrong-pin-0000"
    run = fleet.playbook("rotate", extra_vars={"rolesanywhere_trust_ca_pkcs11_pin": wrong, "rolesanywhere_rotate_batch": "100%"})
    assert run.rc != 0 and "rolesanywhere_trust_ca_pkcs11_pin" in run.stdout and "is wrong" in run.stdout, run.tail()
    assert "The certificate in use is unchanged and keeps working" in run.stdout and wrong not in run.stdout + run.stderr
    assert all(run.recap()[host]["failed"] == 1 for host in fleet.hosts), run.tail()
    assert run.stdout.count("TASK [rolesanywhere.fleet.enroll : Check the own CA key opens") == 1  # one login for the batch
    run = fleet.playbook("revoke", extra_vars={"rolesanywhere_trust_ca_pkcs11_pin": wrong, "rolesanywhere_revoke_hosts": "h01"})
    assert run.rc != 0 and "rolesanywhere_trust_ca_pkcs11_pin" in run.stdout and "Traceback" not in run.stdout, run.tail()
    assert digests(host_certificates + [ca_path, reference, os.path.join(fleet.trust_dir, "crl.pem")]) == before

    # the CRL signed in the token: openssl and the emulator's ImportCrl take it, and h01 is refused
    run = fleet.playbook("revoke", "-vvv", extra_vars={"rolesanywhere_revoke_hosts": "h01"})
    assert run.rc == 0, run.tail()
    assert PIN not in run.stdout + run.stderr
    crl_path = os.path.join(fleet.trust_dir, "crl.pem")
    with open(crl_path, "rb") as handle:
        crl = x509.load_pem_x509_crl(handle.read())
    assert crl.is_signature_valid(ca.public_key())
    assert crl.get_revoked_certificate_by_serial_number(fleet.certificate("h01").serial_number) is not None
    revoked = openssl_verify("-crl_check", "-CAfile", ca_path, "-CRLfile", crl_path, host_certificates[0])
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr
    assert openssl_verify("-crl_check", "-CAfile", ca_path, "-CRLfile", crl_path, host_certificates[1]).returncode == 0
    crls = fleet.boto3("rolesanywhere").list_crls()["crls"]
    assert len(crls) == 1 and crls[0]["enabled"]  # imported by ImportCrl (and checked there against the anchor's CA)
    assert_only_h01_revoked(fleet)

    # no private key and no PIN on disk, anywhere the test wrote (the token's own store excepted)
    for path, content in scratch_files(fleet):
        assert b"PRIVATE KEY" not in content or "/hosts/" in path, path  # the hosts' own keys are theirs
        assert PIN.encode() not in content, path


def run_module(fleet, **args):
    """rolesanywhere.fleet.own_ca_token on localhost (ad hoc), as the playbooks run it; (rc, output).

    The output is the task result as JSON after "=>" (stdout), then any warnings (stderr)."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-m", "rolesanywhere.fleet.own_ca_token",
               "-a", json.dumps(args), "-e", "ansible_python_interpreter=%s" % sys.executable]
    done = subprocess.run(command, capture_output=True, text=True, env=fleet.env(), timeout=120, check=False)
    return done.returncode, done.stdout + "\n" + done.stderr


def test_an_existing_ca_key_moved_into_the_token_keeps_its_certificate(tmp_path):
    """The documented move: softhsm2-util --import of the CA key; the trust step proves it against ca.pem and keeps
    ca.pem (so the trust anchor); no key in the token, or another key, is refused and nothing is made."""
    hsm = SoftHsm(str(tmp_path / "hsm"))
    hsm.init_token(TOKEN, pin=PIN)
    TokenFleet.hsm = hsm
    fleet = TokenFleet(str(tmp_path / "fleet"), "http://127.0.0.1:9", "us-east-1", size=1, name="move")
    os.makedirs(fleet.trust_dir)
    issuer = pki.make_ca(cn="Moved CA")
    ca_path, key_path = os.path.join(fleet.trust_dir, "ca.pem"), os.path.join(fleet.trust_dir, "ca-key.pk8")
    pki.write_cert_pem(ca_path, issuer.certificate)
    with open(key_path, "wb") as handle:
        handle.write(issuer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    before = digests([ca_path])
    args = {"what": "ca_certificate", "key_reference": os.path.join(fleet.trust_dir, "ca-key.pkcs11"), "ca_certificate": ca_path,
            "pkcs11_module": hsm.module, "token_label": TOKEN, "key_label": "moved", "key_id": "07", "pin": PIN}

    rc, output = run_module(fleet, **args)  # not imported yet: refused, no key made
    assert rc != 0 and "no key moved in the token, and the CA certificate already exists" in output, output
    assert PIN not in output
    with pytest.raises(AssertionError):
        hsm.key_attributes(TOKEN, PIN, "moved")

    subprocess.run(["softhsm2-util", "--import", key_path, "--token", TOKEN, "--label", "moved", "--id", "07", "--pin", PIN],
                   env=hsm.environ(), check=True, capture_output=True)
    rc, output = run_module(fleet, **args)
    assert rc == 0 and '"changed": true' in output, output
    assert digests([ca_path]) == before  # the same CA certificate, so the same trust anchor
    rc, output = run_module(fleet, **args)
    assert rc == 0 and '"changed": false' in output, output

    leaf_key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "moved-host")]))
           .sign(leaf_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())
    rc, output = run_module(fleet, what="certificate", key_reference=args["key_reference"], ca_certificate=ca_path, pin=PIN, csr=csr)
    assert rc == 0, output
    certificate = x509.load_pem_x509_certificate(json.JSONDecoder().raw_decode(output.split("=>", 1)[1].strip())[0]["certificate"].encode())
    certificate.verify_directly_issued_by(issuer.certificate)

    other = pki.make_ca(cn="Other CA")  # a token key that is not ca.pem's: refused, ca.pem kept
    other_key = os.path.join(fleet.trust_dir, "other.pk8")
    with open(other_key, "wb") as handle:
        handle.write(other.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    subprocess.run(["softhsm2-util", "--import", other_key, "--token", TOKEN, "--label", "other", "--id", "08", "--pin", PIN],
                   env=hsm.environ(), check=True, capture_output=True)
    args.update(key_label="other", key_id="08")
    rc, output = run_module(fleet, **args)
    assert rc != 0 and "does not belong to the key other in the token" in output, output
    assert digests([ca_path]) == before
