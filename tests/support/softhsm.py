# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SoftHSM2 tokens for tests: a private configuration and token directory under the test's tmp directory.

    hsm = SoftHsm(tmp_path)                      # SOFTHSM2_CONF in hsm.env, tokens in tmp_path/tokens
    hsm.init_token("fleet", pin="1234")
    public_key = hsm.generate_key("fleet", "1234", label="ra-ec", key_id=b"\\x01", key_type="EC")
    hsm.import_certificate("fleet", "1234", certificate_der, label="ra-ec", key_id=b"\\x01")
    hsm.key_attributes("fleet", "1234", "ra-ec")   # {"CKA_EXTRACTABLE": False, "CKA_SENSITIVE": True, ...}
    token = TokenTrust(emulator, tmp_path)       # a token with an EC and an RSA key, certified by a trust's CA

Token operations run in a child process (``python -m tests.support.softhsm ...``): SoftHSM2 reads SOFTHSM2_CONF when
the module is initialised, once per process, and each test has its own. Keys are generated inside the token,
sensitive and not extractable; only their public halves come out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.support import pki
from tests.support.hardware_keys import PublicOnly
from tests.support.scenario import make_trust

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULE_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                     "/usr/lib64/pkcs11/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
PIN = "4711"
TOKEN = "fleet"


def softhsm_module():
    """Path of SoftHSM2's PKCS#11 module, or None."""
    return next((path for path in MODULE_CANDIDATES if os.path.exists(path)), None)


def missing_parts():
    """What the PKCS#11 tests lack here (empty when they can run): a Debian package or a Python module."""
    missing = []
    if softhsm_module() is None or shutil.which("softhsm2-util") is None:
        missing.append("the Debian package softhsm2 (make system-packages)")
    try:
        import PyKCS11  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        missing.append("the Python module PyKCS11 (pip install -r requirements-dev.txt)")
    return missing


class SoftHsm(object):
    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.tokens = os.path.join(self.directory, "tokens")
        os.makedirs(self.tokens, exist_ok=True)
        self.conf = os.path.join(self.directory, "softhsm2.conf")
        with open(self.conf, "w", encoding="ascii") as handle:
            handle.write("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n" % self.tokens)
        self.module = softhsm_module()
        self.env = {"SOFTHSM2_CONF": self.conf}

    def environ(self, base=None):
        environment = dict(os.environ if base is None else base)
        environment.update(self.env)
        return environment

    def init_token(self, label, pin="1234", so_pin="5678"):
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
                       env=self.environ(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def token_labels(self):
        """The labels of the initialised tokens (softhsm2-util, independent of the collection's code)."""
        done = subprocess.run(["softhsm2-util", "--show-slots"], env=self.environ(), check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
        labels, initialised = [], False
        for line in done.stdout.splitlines():
            field, _colon, value = line.strip().partition(":")
            if field == "Initialized":
                initialised = value.strip() == "yes"
            elif field == "Label" and initialised:
                labels.append(value.strip())
        return labels

    def _call(self, *args):
        done = subprocess.run([sys.executable, "-m", "tests.support.softhsm", self.module] + [str(a) for a in args],
                              env=self.environ(), cwd=ROOT, check=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if done.returncode:
            raise AssertionError("token operation %s failed: %s" % (args[0], done.stderr.decode("utf-8", "replace")))
        return json.loads(done.stdout or b"null")

    def generate_key(self, token, pin, label, key_id, key_type="EC"):
        """A key pair made inside the token; returns the public key (cryptography object)."""
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
        der = bytes.fromhex(self._call("generate", token, pin, label, key_id.hex(), key_type))
        return serialization.load_der_public_key(der)

    def import_certificate(self, token, pin, certificate_der, label, key_id, private=False):
        path = os.path.join(self.directory, "import-%s.der" % key_id.hex())
        with open(path, "wb") as handle:
            handle.write(certificate_der)
        self._call("import", token, pin, label, key_id.hex(), path, "private" if private else "public")

    def key_attributes(self, token, pin, label):
        return self._call("attributes", token, pin, label)

    def private_keys(self, token, pin):
        """Every private key object in the token: [{"label", "id" (hex), "CKA_EXTRACTABLE", "CKA_SENSITIVE", ...}]."""
        return self._call("keys", token, pin, "")


class TokenTrust(object):
    """A SoftHSM2 token with an EC key whose certificate is in the token, and an RSA key whose certificate is a file."""

    def __init__(self, emulator, directory):
        self.hsm = SoftHsm(os.path.join(directory, "hsm"))
        self.hsm.init_token(TOKEN, pin=PIN)
        self.trust = make_trust(emulator, os.path.join(directory, "trust"))
        ec_public = self.hsm.generate_key(TOKEN, PIN, "ra-ec", b"\x01", "EC")
        self.ec_leaf = pki.make_leaf(self.trust.issuer, cn="hsm-ec.example.com", private_key=PublicOnly(ec_public))
        self.hsm.import_certificate(TOKEN, PIN, self.ec_leaf.cert_der, "ra-ec", b"\x01")
        rsa_public = self.hsm.generate_key(TOKEN, PIN, "ra-rsa", b"\x02", "RSA")
        self.rsa_leaf = pki.make_leaf(self.trust.issuer, cn="hsm-rsa.example.com", private_key=PublicOnly(rsa_public))
        self.rsa_certificate = os.path.join(directory, "rsa-leaf.pem")
        pki.write_cert_pem(self.rsa_certificate, self.rsa_leaf.certificate)
        self.pin_file = os.path.join(directory, "pin")
        with open(os.open(self.pin_file, os.O_WRONLY | os.O_CREAT, 0o600), "w", encoding="ascii") as handle:
            handle.write(PIN + "\n")

    def uri(self, path, pin=True):
        return "pkcs11:token=%s;%s%s" % (TOKEN, path, "?pin-source=" + self.pin_file if pin else "")

    def args(self, certificate, private_key=None, module=None):
        trust = self.trust
        args = ["--certificate", certificate, "--trust-anchor-arn", trust.trust_anchor_arn, "--profile-arn", trust.profile_arn,
                "--role-arn", trust.role_arn, "--endpoint", trust.endpoint, "--pkcs11-lib", module or self.hsm.module]
        return args + (["--private-key", private_key] if private_key else [])


# --- the child process -------------------------------------------------------------------------------------

def _session(module, token, pin):
    import PyKCS11  # pylint: disable=import-outside-toplevel
    library = PyKCS11.PyKCS11Lib()
    library.load(module)
    for slot in library.getSlotList(tokenPresent=True):
        if library.getTokenInfo(slot).label.rstrip() == token:
            session = library.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
            session.login(pin)
            return PyKCS11, library, session
    raise SystemExit("no token %s" % token)


def _generate(session, label, key_id, key_type):
    """The key pair made by the collection's own code (_core/pkcs11_keys, as the role and the own CA make theirs):
    the tests read its protection back through the token, independently."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import pkcs11_keys  # pylint: disable=import-outside-toplevel
    curve = {"EC": "secp256r1", "EC-P384": "secp384r1"}.get(key_type)
    public_handle, _private = pkcs11_keys.generate_key_pair(session, label, key_id, curve=curve, rsa_bits=2048)
    key = pkcs11_keys.public_key_of(session, public_handle, label)
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo).hex()


def _protection(p11, session, handle):
    names = ("CKA_EXTRACTABLE", "CKA_SENSITIVE", "CKA_NEVER_EXTRACTABLE", "CKA_ALWAYS_SENSITIVE")
    values = session.getAttributeValue(handle, [getattr(p11, name) for name in names])
    return dict(zip(names, [bool(v) for v in values]))


def main(argv):
    module, command, token, pin, label = argv[:5]
    p11, _library, session = _session(module, token, pin)
    if command == "generate":
        print(json.dumps(_generate(session, label, bytes.fromhex(argv[5]), argv[6])))
    elif command == "import":
        from cryptography import x509  # pylint: disable=import-outside-toplevel
        with open(argv[6], "rb") as handle:
            value = handle.read()
        subject = x509.load_der_x509_certificate(value).subject.public_bytes()  # SoftHSM2 requires CKA_SUBJECT
        session.createObject([(p11.CKA_SUBJECT, tuple(subject)), (p11.CKA_CLASS, p11.CKO_CERTIFICATE), (p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
                              (p11.CKA_TOKEN, True), (p11.CKA_PRIVATE, argv[7] == "private"), (p11.CKA_LABEL, label),
                              (p11.CKA_ID, tuple(bytes.fromhex(argv[5]))), (p11.CKA_VALUE, tuple(value))])
    elif command == "attributes":
        handles = session.findObjects([(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY), (p11.CKA_LABEL, label)])
        print(json.dumps(_protection(p11, session, handles[0])))
    elif command == "keys":
        keys = []
        for handle in session.findObjects([(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY)]):
            label_value, id_value = session.getAttributeValue(handle, [p11.CKA_LABEL, p11.CKA_ID])
            keys.append(dict(_protection(p11, session, handle), label=label_value, id=bytes(id_value).hex()))
        print(json.dumps(keys))
    session.logout()
    session.closeSession()


if __name__ == "__main__":
    main(sys.argv[1:])
