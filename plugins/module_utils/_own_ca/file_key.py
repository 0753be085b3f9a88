# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The own CA's private key file on the controller, plain or encrypted with a passphrase.

The trust playbook, the enroll role's own-CA signer and the revoke playbook check the key with ``check_key``
before they sign, so that a missing or wrong passphrase is one clear error naming the variable that holds it, and
nothing is changed (community.crypto's openssl_privatekey would otherwise make a new key over one it cannot open,
and a new CA key breaks every certificate of the fleet). ``encrypt_key`` encrypts an existing plain key in place
(same key, so the trust anchor and the hosts' certificates stay valid): the way to protect a CA made before.
No message holds the passphrase: they name the file and the variable only.
"""

from __future__ import annotations

import os

from .._core.errors import MaterialError
from .._core.files import atomic_write
from .._core.pkcs11_uri import is_pkcs11_uri

MISSING_HINT = ("Pass the CA key's passphrase in %s, from Ansible Vault (e.g. -e @ca-vault.yml --ask-vault-pass); "
                "nothing was changed")
WRONG_HINT = "Pass the passphrase the key was encrypted with in %s (from Ansible Vault); nothing was changed"


def is_encrypted(pem):
    """True for an encrypted PEM key: PKCS#8 "ENCRYPTED PRIVATE KEY", or OpenSSL's traditional Proc-Type header."""
    return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem or b"Proc-Type: 4,ENCRYPTED" in pem


def read_key_file(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(1 << 20)
    except OSError as exc:
        raise MaterialError("the own CA key %s cannot be read: %s" % (path, exc.strerror),
                            "Check enroll_own_ca_private_key (the trust playbook writes it to its enroll variables)",
                            source=path) from None


def load_key(pem, path, passphrase, variable):
    """The private key of ``pem`` (cryptography object). A missing or wrong passphrase is a MaterialError naming
    ``variable``; a passphrase given for a plain key is ignored (the key opens without one)."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    encrypted = is_encrypted(pem)
    if encrypted and not passphrase:
        raise MaterialError("the own CA key %s is encrypted and %s is empty" % (path, variable), MISSING_HINT % variable,
                            source=path)
    try:
        return serialization.load_pem_private_key(pem, password=passphrase.encode("utf-8") if encrypted else None)
    except (ValueError, TypeError):
        error = None
    if encrypted:
        error = MaterialError("the own CA key %s does not open with the passphrase in %s" % (path, variable),
                              WRONG_HINT % variable, source=path)
    else:
        error = MaterialError("the own CA key %s is not a PEM private key" % path,
                              "Point enroll_own_ca_private_key at the CA's key (PEM); nothing was changed", source=path)
    raise error


def check_key(path, passphrase="", variable="rolesanywhere_trust_ca_passphrase", pin=None):
    """{"exists", "encrypted", "in_token"} of the key at ``path``, after proving it opens with ``passphrase``.

    A key that does not exist yet is fine here (the trust playbook makes it); the signers check that it exists.
    A key reference (the key's pkcs11: URI, written by the trust playbook for a CA key in a token) is reported as
    ``in_token``: the token signs; with ``pin`` (not None), the PIN is checked by logging in once.
    """
    if not os.path.lexists(path):
        return {"exists": False, "encrypted": False, "in_token": False}
    pem = read_key_file(path)
    if is_pkcs11_uri(pem.decode("utf-8", "replace").strip()):  # a key reference: the key is in a token (own_ca_token)
        if pin is not None:
            from .token_key import check_pin  # pylint: disable=import-outside-toplevel  # PKCS#11 only when used
            check_pin(pem.decode("utf-8", "replace"), path, pin)
        return {"exists": True, "encrypted": False, "in_token": True}
    load_key(pem, path, passphrase, variable)
    return {"exists": True, "encrypted": is_encrypted(pem), "in_token": False}


def encrypt_key(path, passphrase, variable="rolesanywhere_trust_ca_passphrase", check_mode=False):
    """Encrypt the plain key at ``path`` with ``passphrase`` in place (PKCS#8, the best encryption cryptography
    offers, as community.crypto's openssl_privatekey with cipher=auto writes). True when it was (or would be) changed."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    pem = read_key_file(path)
    if is_pkcs11_uri(pem.decode("utf-8", "replace").strip()):
        return False
    key = load_key(pem, path, passphrase, variable)
    if is_encrypted(pem) or not passphrase:
        return False
    if not check_mode:
        encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(passphrase.encode("utf-8")))
        atomic_write(path, encrypted, 0o600)
    return True
