# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's certificate signed by the own CA on the controller: the enroll role's own_ca signer (action own_ca_sign).

One certificate profile for both kinds of CA key (x509_signing.sign_csr: the CSR's subject and extensions as
community.crypto's ownca provider copies them, key identifiers, SHA-256): the CA key file, plain or encrypted with
its passphrase, signs here with cryptography; a CA key in a PKCS#11 token (the key reference the trust playbook
wrote where the key file would be) signs in the token. It runs in the controller's worker, not as a module: a
module delegated to localhost cost every host a Python start and the imports of a module run (issue 17).
"""

from __future__ import annotations

from .._core.errors import MaterialError
from .._core.pkcs11_uri import is_pkcs11_uri
from . import file_key, own_ca_token, x509_signing


class FileKeySigner(object):
    """The CA key file's private key, for x509_signing.sign_with (which signs with it directly)."""

    def __init__(self, private_key):
        from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel
        self.private_key = private_key
        self.key_type = "EC" if isinstance(private_key, ec.EllipticCurvePrivateKey) else (
            "RSA" if isinstance(private_key, rsa.RSAPrivateKey) else None)

    def close(self):
        """Nothing to release (a token signer logs out here)."""


def _file_signer(pem, path, passphrase, variable, ca):
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    signer = FileKeySigner(file_key.load_key(pem, path, passphrase, variable))
    if signer.key_type is None:
        raise MaterialError("the own CA key %s is neither an RSA nor an EC key" % path,
                            "Roles Anywhere's CAs are RSA or EC: point enroll_own_ca_private_key at the CA's key", source=path)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if signer.private_key.public_key().public_bytes(*spki) != ca.public_key().public_bytes(*spki):
        raise MaterialError("the own CA key %s is not the key of the CA certificate" % path,
                            "Point enroll_own_ca_private_key and enroll_own_ca_certificate at the same CA's files; "
                            "nothing was changed", source=path)
    return signer


def sign_host_csr(csr, ca_certificate, private_key, passphrase, variable, pin, validity_days, not_before_minutes=5):
    """The host certificate (PEM text) for ``csr``, issued by the CA certificate at ``ca_certificate`` and signed
    with the key (file or key reference) at ``private_key``. ``variable`` names where the passphrase came from, for
    messages; ``pin`` opens a token. Every failure is a RolesAnywhereError, raised before anything is returned."""
    ca = own_ca_token.load_ca(ca_certificate)
    pem = file_key.read_key_file(private_key)
    if is_pkcs11_uri(pem.decode("utf-8", "replace").strip()):
        signer = own_ca_token.reference_signer(private_key, pin, ca)
    else:
        signer = _file_signer(pem, private_key, passphrase, variable, ca)
    try:
        certificate = x509_signing.sign_csr(signer, ca, csr, validity_days, not_before_minutes)
    finally:
        signer.close()
    return own_ca_token.pem_of(certificate).decode("ascii")
