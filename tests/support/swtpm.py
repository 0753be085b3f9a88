# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A software TPM 2.0 for tests: swtpm on a private unix socket, driven by tpm2-tools.

    tpm = SoftTpm(tmp_path)                         # swtpm running; tpm.env = {"TPM2TOOLS_TCTI": "swtpm:path=..."}
    key = tpm.make_key("rsa", "rsa2048")            # key.pem (TSS2 PRIVATE KEY), key.public_key
    key = tpm.make_key("ec", "ecc256", password="s3cret", persistent=0x81000002)   # key.handle "handle:0x81000002"
    tpm.persistent_handles()                        # [0x81000002]: tpm2_getcap handles-persistent
    tpm.stop()
    trust = TpmTrust(emulator, tmp_path)            # RSA and EC keys (files and handles) certified by a trust's CA

Keys are made inside the TPM by tpm2-tools (tpm2_createprimary, tpm2_create, tpm2_encodeobject, tpm2_evictcontrol),
an implementation independent of the helper's; only public halves and TPM-wrapped blobs come out. The primary is the
owner hierarchy's ECC P-256 storage key of AWS's helper (tpm_signer.go primaryParams), so key files name the owner
hierarchy (0x40000001) as their parent. swtpm 0.7.1 has no resource manager: transient objects and sessions are flushed
after every tool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from tests.support import pki
from tests.support.scenario import make_trust
from tests.support.hardware_keys import PublicOnly

PACKAGES = {"swtpm": "swtpm", "swtpm_setup": "swtpm-tools", "tpm2_encodeobject": "tpm2-tools"}
PRIMARY = ["-C", "o", "-G", "ecc256:aes128cfb", "-g", "sha256",
           "-a", "restricted|decrypt|fixedtpm|fixedparent|sensitivedataorigin|userwithauth|noda"]
KEY_PASSWORD = "tpm-key-s3cret"


def missing_parts():
    """The Debian packages the TPM tests lack here (empty when they can run)."""
    return sorted({package for tool, package in PACKAGES.items() if shutil.which(tool) is None})


class TpmKey(object):
    def __init__(self, pem, public_key, password=None, handle=None):
        self.pem, self.public_key, self.password, self.handle = pem, public_key, password, handle


class SoftTpm(object):
    """swtpm serving a fresh TPM state in ``directory`` on a unix socket (no port to race for)."""

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.state = os.path.join(self.directory, "state")
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        self.socket = os.path.join(self.directory, "tpm.sock")
        self.tcti = "swtpm:path=%s" % self.socket
        self.env = {"TPM2TOOLS_TCTI": self.tcti}
        self.log = open(os.path.join(self.directory, "swtpm.log"), "wb")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=%s" % self.state,
             "--server", "type=unixio,path=%s" % self.socket, "--ctrl", "type=unixio,path=%s.ctrl" % self.socket,
             "--flags", "not-need-init,startup-clear"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError("swtpm did not start (see %s)" % self.log.name)
            time.sleep(0.02)
        # Tests try wrong passwords on purpose: allow many tries, recover after 1 s (the default would lock out).
        self.tool("tpm2_dictionarylockout", "--setup-parameters", "--max-tries=1000", "--recovery-time=1", "--lockout-recovery-time=1")
        self.primary = os.path.join(self.directory, "primary.ctx")
        self.tool("tpm2_createprimary", *PRIMARY, "-c", self.primary)
        self._inverted = None

    def environ(self, base=None):
        environment = dict(os.environ if base is None else base)
        environment.update(self.env)
        return environment

    def tool(self, name, *args, data=None):
        """Run one tpm2-tools command against this TPM, then flush what it left loaded (no resource manager)."""
        done = subprocess.run([name] + [str(arg) for arg in args], input=data, env=self.environ(), check=False,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for kind in ("-t", "-l", "-s"):
            subprocess.run(["tpm2_flushcontext", kind], env=self.environ(), check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done.returncode:
            raise AssertionError("%s failed: %s" % (name, done.stderr.decode("utf-8", "replace")))
        return done.stdout

    def persistent_handles(self):
        """The persistent handles in use, as tpm2_getcap handles-persistent lists them (sorted numbers)."""
        listing = self.tool("tpm2_getcap", "handles-persistent").decode("ascii")
        return sorted(int(line.strip().lstrip("- "), 16) for line in listing.splitlines() if line.strip())

    def _path(self, name, suffix):
        return os.path.join(self.directory, "%s.%s" % (name, suffix))

    def make_key(self, name, algorithm="rsa2048", password=None, persistent=None):
        """A signing key made in the TPM under the owner's primary: a TSS2 key file, and a persistent handle if asked."""
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
        public, private = self._path(name, "pub"), self._path(name, "priv")
        auth = ["-p", "file:-"] if password else []
        self.tool("tpm2_create", "-C", self.primary, "-G", algorithm, *auth, "-u", public, "-r", private,
                  data=password.encode() if password else None)
        pem = self._path(name, "pem")
        self._encode(public, private, pem, bool(password))
        context = self._path(name, "ctx")
        public_pem = self._path(name, "public.pem")
        self.tool("tpm2_load", "-C", self.primary, "-u", public, "-r", private, "-c", context)
        self.tool("tpm2_readpublic", "-c", context, "-f", "pem", "-o", public_pem)
        handle = None
        if persistent is not None:
            self.tool("tpm2_evictcontrol", "-C", "o", "-c", context, "0x%x" % persistent)
            handle = "handle:0x%x" % persistent
        with open(public_pem, "rb") as stream:
            public_key = serialization.load_pem_public_key(stream.read())
        return TpmKey(pem, public_key, password, handle)

    def _encode(self, public, private, pem, has_password):
        """tpm2_encodeobject's TSS2 file, with emptyAuth true exactly when the key has no password.

        Debian's tpm2-tools 5.4 writes emptyAuth inverted (``-p``/``--key-auth`` gives emptyAuth TRUE, leaving it out
        FALSE: seen here with tpm2_encodeobject + openssl asn1parse), so which spelling gives the right file is found
        once by reading back what the tool wrote. Its TRUE is the non-DER 0x01 that AWS's fixupEmptyAuth accepts.
        """
        if self._inverted is None:
            self.tool("tpm2_encodeobject", "-C", self.primary, "-u", public, "-r", private, "-o", pem)
            self._inverted = empty_auth(pem)  # without -p the key "needs no auth": a true tool writes TRUE
            self._inverted = not self._inverted
        key_auth = has_password != self._inverted
        self.tool("tpm2_encodeobject", "-C", self.primary, "-u", public, "-r", private, "-o", pem, *(["-p"] if key_auth else []))
        assert empty_auth(pem) == (not has_password), "tpm2_encodeobject wrote emptyAuth %s" % empty_auth(pem)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def empty_auth(pem):
    """The emptyAuth of a TSS2 key file, read with openssl asn1parse (the first BOOLEAN; FALSE when absent)."""
    done = subprocess.run(["openssl", "asn1parse", "-in", pem], stdout=subprocess.PIPE, check=True)
    for line in done.stdout.decode("ascii").splitlines():
        if "BOOLEAN" in line:
            return not line.rstrip().endswith(":0")
        if "INTEGER" in line:
            break
    return False


class TpmTrust(object):
    """A software TPM with four keys certified by a trust's CA: RSA and EC key files (the EC one with a password)
    and RSA and EC persistent handles (the RSA one with a password)."""

    RSA_HANDLE, EC_HANDLE = 0x81000011, 0x81000012

    def __init__(self, emulator, directory):
        self.tpm = SoftTpm(os.path.join(directory, "tpm"))
        self.trust = make_trust(emulator, os.path.join(directory, "trust"))
        self.keys, self.certificates, self.leaves = {}, {}, {}
        for name, algorithm, password, handle in (("rsa-file", "rsa2048", None, None), ("ec-file", "ecc256", KEY_PASSWORD, None),
                                                  ("rsa-handle", "rsa2048", KEY_PASSWORD, self.RSA_HANDLE),
                                                  ("ec-handle", "ecc384", None, self.EC_HANDLE)):
            key = self.tpm.make_key(name, algorithm, password, handle)
            leaf = pki.make_leaf(self.trust.issuer, cn="tpm-%s.example.com" % name, private_key=PublicOnly(key.public_key))
            path = os.path.join(directory, "%s-leaf.pem" % name)
            pki.write_cert_pem(path, leaf.certificate)
            self.keys[name], self.certificates[name], self.leaves[name] = key, path, leaf

    def key_args(self, name, password=True):
        key = self.keys[name]
        args = ["--certificate", self.certificates[name], "--private-key", key.handle or key.pem]
        if password and key.password:
            args += ["--tpm-key-password", key.password]
        elif password and key.handle:
            args += ["--no-tpm-key-password"]
        return args

    def args(self, name, password=True):
        trust = self.trust
        return self.key_args(name, password) + ["--trust-anchor-arn", trust.trust_anchor_arn, "--profile-arn", trust.profile_arn,
                                                "--role-arn", trust.role_arn, "--endpoint", trust.endpoint]

    def stop(self):
        self.tpm.stop()
