# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_key_store=pkcs11, the decisions: what is refused before the token is touched, when a key in a token is
renewed, the helper's command line (a pkcs11: URI with a pin-source file, never the PIN), and the CSR of a key
cryptography cannot hold (built by cryptography, signed by the key, verified). The token itself: the functional
test tests/functional/role/test_key_store_pkcs11.py (SoftHSM2)."""

from __future__ import annotations

import json
import os
import shlex

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll import token
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.command import HelperSettings, helper_argv
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.renewal import Material, Wanted, renewal_reasons
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.request import RequestError, make_request, make_token_request
from tests.support import pki

ANCHOR = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/2b7f4f0e-1c3d-4f7a-9c1e-6d5a4b3c2d1e"
PROFILE = "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/7c3e2a1b-4d5f-4a6b-8c7d-9e0f1a2b3c4d"
ROLE = "arn:aws:iam::123456789012:role/fleet"
MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "4711"


class SoftwareSigner(object):
    """A KeySigner over a cryptography key: what the token's signer returns (DER ECDSA or PKCS#1 v1.5, SHA-256)."""

    def __init__(self, key):
        self.key = key
        self.key_type = "EC" if isinstance(key, ec.EllipticCurvePrivateKey) else "RSA"

    def sign(self, data):
        if self.key_type == "EC":
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- refused before the token is touched -------------------------------------------------------------

def test_tpm_is_not_the_tokens_to_check():
    # enroll_key_store=tpm is checked by _enroll/tpm_key.py (tests/unit/plugins/module_utils/_enroll/test_tpm_key.py)
    assert token.check_settings("tpm", token.TokenSettings("", "", ""), "") == []


@pytest.mark.parametrize("module, label, pin", [("", "fleet", PIN), (MODULE, "", PIN), (MODULE, "fleet", "")])
def test_pkcs11_needs_module_label_and_pin(module, label, pin):
    problems = token.check_settings("pkcs11", token.TokenSettings(module, label, pin), "")
    assert len(problems) == 1 and "enroll_pkcs11_module" in problems[0] and PIN not in problems[0]


def test_pkcs11_refuses_a_key_passphrase():
    problems = token.check_settings("pkcs11", token.TokenSettings(MODULE, "fleet", PIN), "secret")
    assert len(problems) == 1 and "enroll_key_passphrase" in problems[0] and "secret" not in problems[0]


def test_file_needs_nothing_and_touches_no_token():
    params = dict(key_store="file", pkcs11_module="/nonexistent.so", pkcs11_token_label="", pkcs11_pin="", key_passphrase="p")
    assert token.key_store_refusal(params) is None


def test_a_missing_module_is_one_line_naming_the_variable():
    params = dict(key_store="pkcs11", pkcs11_module="/nonexistent/libnothing.so", pkcs11_token_label="fleet",
                  pkcs11_pin=PIN, key_passphrase="")
    pytest.importorskip("PyKCS11")
    refusal = token.key_store_refusal(params)
    assert refusal.startswith("enroll_pkcs11_module: PKCS#11 module /nonexistent/libnothing.so cannot be loaded")
    assert "nothing was changed" in refusal and PIN not in refusal and "\n" not in refusal


# --- labels, ids and the command line ----------------------------------------------------------------

def test_one_label_per_directory_one_id_per_slot():
    assert token.key_label("/etc/rolesanywhere") == token.key_label("/etc/rolesanywhere")
    assert token.key_label("/etc/rolesanywhere") != token.key_label("/srv/root/etc/rolesanywhere")
    assert token.key_id("slot-a") != token.key_id("slot-b")


def test_the_helper_names_the_key_by_uri_with_a_pin_source_file():
    settings = HelperSettings(helper="rolesanywhere", helper_file="/usr/local/bin/h", trust_anchor_arn=ANCHOR,
                              profile_arn=PROFILE, role_arn=ROLE, pkcs11_module=MODULE, pkcs11_token_label="my token",
                              pkcs11_key_label=token.key_label("/etc/rolesanywhere"))
    line = " ".join(shlex.quote(a) for a in helper_argv(settings, "/etc/rolesanywhere/current", False))
    argv = shlex.split(line)
    assert argv[argv.index("--certificate") + 1] == "/etc/rolesanywhere/current/certificate.pem"
    assert argv[argv.index("--private-key") + 1] == (
        "pkcs11:token=my%20token;object=" + token.key_label("/etc/rolesanywhere")
        + "?pin-source=/etc/rolesanywhere/current/pkcs11.pin")
    assert argv[argv.index("--pkcs11-lib") + 1] == MODULE
    assert "--pkcs8-password-file" not in argv and PIN not in line


def test_key_files_keep_their_command_line():
    settings = HelperSettings(helper="rolesanywhere", helper_file="/usr/local/bin/h", trust_anchor_arn=ANCHOR,
                              profile_arn=PROFILE, role_arn=ROLE)
    argv = helper_argv(settings, "/d/current", False)
    assert argv[argv.index("--private-key") + 1] == "/d/current/private-key.pem" and "--pkcs11-lib" not in argv


# --- renewal -----------------------------------------------------------------------------------------

def material(key_store=None, pin=None):
    view = pki.make_leaf(pki.make_ca(), cn="h01").certificate
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll.host import certificate_view
    state = {"signer_id": "s"}
    if key_store is not None:
        state["key_store"] = key_store
    return Material(slot="slot-a", state=state, certificate=certificate_view(view.public_bytes(serialization.Encoding.PEM)),
                    pin=pin)


def wanted(**values):
    base = dict(key_spec={"type": "ECC", "curve": "secp256r1"}, common_name="h01", signer_id="s", renew_before_days=1)
    base.update(values)
    return Wanted(**base)


@pytest.mark.parametrize("on_host, pin_on_host, key_store, pin, reasons", [
    (None, None, "file", "", []),  # enrolled before key stores: a file key
    (None, None, "pkcs11", PIN, ["key_store", "pkcs11_pin"]),  # a file key moves into the token
    ("pkcs11", PIN, "pkcs11", PIN, []),  # in order
    ("pkcs11", PIN, "pkcs11", "1234", ["pkcs11_pin"]),  # a new PIN is written into a new slot
    ("pkcs11", PIN, "file", "", ["key_store"]),  # back to a key file
])
def test_key_store_and_pin_renew(on_host, pin_on_host, key_store, pin, reasons):
    found = renewal_reasons(material(on_host, pin_on_host), wanted(key_store=key_store, pkcs11_pin=pin))
    assert found == reasons


# --- the CSR of a key cryptography cannot hold -------------------------------------------------------

@pytest.mark.parametrize("key", [ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP384R1()),
                                 rsa.generate_private_key(public_exponent=65537, key_size=2048)],
                         ids=["ec-p256", "ec-p384", "rsa-2048"])
def test_token_request_carries_the_keys_public_half_and_verifies(key):
    pem = make_token_request(SoftwareSigner(key), key.public_key(), "h01.fleet.test", {"organizationName": "Fleet"},
                             ["DNS:h01.fleet.test", "IP:192.0.2.1"])
    request = x509.load_pem_x509_csr(pem.encode("ascii"))
    assert request.is_signature_valid
    assert spki(request.public_key()) == spki(key.public_key())
    # the same request as a key file's, signature aside
    reference = x509.load_pem_x509_csr(make_request(key, "h01.fleet.test", {"organizationName": "Fleet"},
                                                    ["DNS:h01.fleet.test", "IP:192.0.2.1"]).encode("ascii"))
    assert request.tbs_certrequest_bytes == reference.tbs_certrequest_bytes
    assert request.signature_hash_algorithm.name == "sha256"


def test_a_signer_of_another_key_is_refused():
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(RequestError, match="does not verify"):
        make_token_request(SoftwareSigner(other), key.public_key(), "h01.fleet.test")


# --- a real token (SoftHSM2, in a child process: SoftHSM2 reads SOFTHSM2_CONF once per process) ---------------

CHILD = r"""
import json, sys
from cryptography import x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll import token
module, pin = sys.argv[1], sys.argv[2]
settings = token.TokenSettings(module, "enrol", pin)
out = {"refusal": token.key_store_refusal(dict(key_store="pkcs11", pkcs11_module=module, pkcs11_token_label="enrol",
                                               pkcs11_pin=pin, key_passphrase=""))}
if out["refusal"] is None:
    request = {"key_spec": {"type": "ECC", "curve": "secp384r1"}, "common_name": "h01", "subject": {}, "subject_alt_names": []}
    csrs = [token.make_key_and_request(settings, "/etc/ra", slot, request) for slot in ("slot-a", "slot-b", "slot-b")]
    out["valid"] = [x509.load_pem_x509_csr(csr.encode()).is_signature_valid for csr in csrs]
    out["curves"] = [x509.load_pem_x509_csr(csr.encode()).public_key().curve.name for csr in csrs]
    out["removed"] = [token.remove_key(settings, "/etc/ra", "slot-a"), token.remove_key(settings, "/etc/ra", "slot-a")]
print(json.dumps(out))
"""


def test_in_a_softhsm2_token(tmp_path):
    import subprocess
    import sys
    from tests.support.softhsm import SoftHsm, missing_parts
    if missing_parts():
        pytest.skip("needs %s" % " and ".join(missing_parts()))
    hsm = SoftHsm(tmp_path)
    hsm.init_token("enrol", pin=PIN)

    def child(pin):
        done = subprocess.run([sys.executable, "-c", CHILD, hsm.module, pin], capture_output=True, text=True, check=False,
                              env=hsm.environ({"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path)}))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    wrong = child("0000")
    assert "is wrong" in wrong["refusal"] and "enroll_pkcs11_pin" in wrong["refusal"] and "0000" not in wrong["refusal"]
    assert hsm.private_keys("enrol", PIN) == []  # the check made nothing
    made = child(PIN)
    assert made["refusal"] is None and made["valid"] == [True] * 3 and made["curves"] == ["secp384r1"] * 3
    assert made["removed"] == [2, 0]  # slot-a's pair destroyed once; slot-b's second key replaced its leftover
    [key] = hsm.private_keys("enrol", PIN)
    assert key["id"] == "0b" and key["label"] == token.key_label("/etc/ra")
    assert key["CKA_SENSITIVE"] and not key["CKA_EXTRACTABLE"] and key["CKA_NEVER_EXTRACTABLE"]


# --- enroll_pkcs11_so_pin: initialising a token that does not exist yet -------------------------------

@pytest.mark.parametrize("labelled, uninitialised, so_pin, plan", [
    (1, 0, "", "use"), (1, 1, "so", "use"),        # a token with the label is never initialised again
    (2, 1, "so", "use"),                           # two with the label: open_rw_session's refusal names them
    (0, 1, "", "use"),                             # no SO PIN: the refusal naming the label, as before
    (0, 1, "so", "initialise"), (0, 3, "so", "initialise"),
    (0, 0, "so", "no_free_slot"),
])
def test_token_plan(labelled, uninitialised, so_pin, plan):
    assert token.token_plan(labelled, uninitialised, so_pin) == plan


INIT_CHILD = r"""
import json, sys
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._enroll import token
module, label, pin, so_pin = sys.argv[1:5]
params = dict(key_store="pkcs11", pkcs11_module=module, pkcs11_token_label=label, pkcs11_pin=pin, pkcs11_so_pin=so_pin,
              key_passphrase="")
out = {"refusal": token.key_store_refusal(params)}
if out["refusal"] is None and sys.argv[5] == "make":
    settings = token.TokenSettings(module, label, pin, so_pin)
    request = {"key_spec": {"type": "ECC", "curve": "secp256r1"}, "common_name": "h01", "subject": {}, "subject_alt_names": []}
    out["csr"] = token.make_key_and_request(settings, "/etc/ra", "slot-a", request).startswith("-----BEGIN CERTIFICATE REQUEST")
print(json.dumps(out))
"""


def test_so_pin_initialises_an_empty_slot_in_a_softhsm2_token(tmp_path):
    import subprocess
    import sys
    from tests.support.softhsm import SoftHsm, missing_parts
    if missing_parts():
        pytest.skip("needs %s" % " and ".join(missing_parts()))
    hsm = SoftHsm(tmp_path)  # no token yet: SoftHSM2 shows one slot with an uninitialised token
    so_pin = "So-9d2e-never-shown"

    def child(label, so, step="check"):
        done = subprocess.run([sys.executable, "-c", INIT_CHILD, hsm.module, label, PIN, so, step], capture_output=True,
                              text=True, check=False,
                              env=hsm.environ({"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(sys.path)}))
        assert done.returncode == 0, done.stderr
        assert PIN not in done.stdout and so_pin not in done.stdout
        return json.loads(done.stdout)

    without = child("enrol", "")
    assert without["refusal"].startswith("0 PKCS#11 tokens match enroll_pkcs11_token_label=enrol")
    assert "enroll_pkcs11_so_pin" in without["refusal"]
    assert child("enrol", so_pin) == {"refusal": None}  # the preflight passes and initialises nothing
    assert child("enrol", "") == without
    made = child("enrol", so_pin, "make")
    assert made == {"refusal": None, "csr": True}
    [key] = hsm.private_keys("enrol", PIN)  # the user PIN was set by C_InitPIN: the test logs in with it
    assert key["id"] == "0a" and key["CKA_SENSITIVE"] and not key["CKA_EXTRACTABLE"]
    # now the token exists: a run without the SO PIN uses it, a run with it does not initialise it again
    assert child("enrol", "") == {"refusal": None}
    assert child("enrol", so_pin, "make") == {"refusal": None, "csr": True}
    assert [k["id"] for k in hsm.private_keys("enrol", PIN)] == ["0a"]


def test_a_label_too_long_for_a_token_is_refused_before_initialising():
    problems = token.check_settings("pkcs11", token.TokenSettings(MODULE, "x" * 33, PIN, "so-pin"), "")
    assert len(problems) == 1 and "at most 32 bytes" in problems[0] and "so-pin" not in problems[0]
    assert token.check_settings("pkcs11", token.TokenSettings(MODULE, "x" * 32, PIN, "so-pin"), "") == []


# --- enroll_install_packages: what a host lacks for a key in a token -----------------------------------

OPENSC = "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so"


@pytest.mark.parametrize("module_path, importable, present, packages", [
    (MODULE, True, True, []),
    (MODULE, False, True, ["python3-pykcs11"]),
    (MODULE, True, False, []),                       # SoftHSM2's or a vendor's module: the user's to install
    (OPENSC, True, False, ["opensc"]),
    (OPENSC, False, False, ["python3-pykcs11", "opensc"]),
    ("/usr/lib64/opensc-pkcs11.so", True, True, []),
    ("/usr/lib64/onepin-opensc-pkcs11.so", True, False, ["opensc"]),
])
def test_missing_packages(module_path, importable, present, packages):
    assert token.missing_packages(module_path, importable, present) == packages


def pkcs11_params(**values):
    params = dict(key_store="pkcs11", pkcs11_module=OPENSC + ".absent", pkcs11_token_label="fleet", pkcs11_pin=PIN,
                  pkcs11_so_pin="", key_passphrase="", install_packages=True)
    params.update(values)
    return params


def test_file_keys_need_no_package(monkeypatch):
    monkeypatch.setattr(token.importlib.util, "find_spec", lambda name: None)
    assert token.packages_to_install(pkcs11_params(key_store="file")) == []


def test_missing_packages_are_installed_or_refused(monkeypatch):
    monkeypatch.setattr(token.importlib.util, "find_spec", lambda name: None)  # PyKCS11 cannot be imported
    params = pkcs11_params(pkcs11_module="/nonexistent/opensc-pkcs11.so")
    assert token.packages_to_install(params) == ["python3-pykcs11", "opensc"]
    assert token.key_store_refusal(params) is None  # installed by the role; the token is checked by the key's step
    refusal = token.key_store_refusal(dict(params, install_packages=False))
    assert refusal.startswith("enroll_key_store=pkcs11 needs the OS package(s) python3-pykcs11, opensc on the host")
    assert "enroll_install_packages" in refusal and "nothing was changed" in refusal and PIN not in refusal
    # the variables are still checked first
    assert "enroll_key_passphrase" in token.key_store_refusal(dict(params, key_passphrase="secret"))


def test_a_gone_token_is_not_silently_initialised_under_a_key_in_use(tmp_path, monkeypatch):
    """The key in use is in a token with the label (the slot has its pin-source file), and that token is gone: the
    SO PIN would make a new, empty one and nothing would renew. Refused, unless the user forces a renewal."""
    monkeypatch.setattr(token, "packages_to_install", lambda params: [])
    monkeypatch.setattr(token, "check_token", lambda settings: True)  # no token has the label, a slot is free
    params = pkcs11_params(pkcs11_module=MODULE, pkcs11_so_pin="so-pin", root=str(tmp_path), directory="/etc/ra",
                           force_renew=False)
    assert token.key_store_refusal(params) is None  # not enrolled yet: initialised by the key's step
    os.makedirs(str(tmp_path) + "/etc/ra/slot-a")
    os.symlink("slot-a", str(tmp_path) + "/etc/ra/current")
    with open(str(tmp_path) + "/etc/ra/slot-a/pkcs11.pin", "w", encoding="ascii") as handle:
        handle.write(PIN)
    refusal = token.key_store_refusal(params)
    assert refusal.startswith("enroll_pkcs11_so_pin would initialise a new token labelled fleet, but the key in use")
    assert "enroll_force_renew" in refusal and PIN not in refusal and "so-pin" not in refusal
    assert token.key_store_refusal(dict(params, force_renew=True)) is None
    monkeypatch.setattr(token, "check_token", lambda settings: False)  # the token is there: used as it is
    assert token.key_store_refusal(params) is None


def test_no_key_due_logs_in_to_no_token(monkeypatch):
    """A host where no key is to be made: the variables and packages are checked, the token is not opened."""
    monkeypatch.setattr(token, "packages_to_install", lambda params: [])

    def unreachable(settings):
        raise AssertionError("the token was reached")
    monkeypatch.setattr(token, "check_token", unreachable)
    params = pkcs11_params(pkcs11_module=MODULE)
    assert token.key_store_refusal(params, key_due=False) is None
    with pytest.raises(AssertionError, match="the token was reached"):
        token.key_store_refusal(params)
    assert "enroll_key_passphrase" in token.key_store_refusal(dict(params, key_passphrase="secret"), key_due=False)


def test_settings_repr_hides_the_pins():
    settings = token.TokenSettings("/usr/lib/softhsm/libsofthsm2.so", "fleet", "483921", "771234")
    assert "fleet" in repr(settings) and "483921" not in repr(settings) and "771234" not in repr(settings)
