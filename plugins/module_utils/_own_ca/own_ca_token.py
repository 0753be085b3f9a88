# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The steps of the own_ca_token module: the CA certificate, a host certificate and the CRL, signed in the token.

Every refusal is a RolesAnywhereError raised before anything is written: the key reference, the CA certificate and
the CRL are written (atomically) only after the token signed and the result verified.
"""

from __future__ import annotations

import os

from .._core.errors import MaterialError
from .._core.files import atomic_write
from . import token_key, x509_signing

PEM = "PEM"


def _read(path, what):
    try:
        with open(path, "rb") as handle:
            return handle.read(1 << 22)
    except OSError as exc:
        raise MaterialError("the %s %s cannot be read: %s" % (what, path, exc.strerror), "Run the trust playbook first", source=path) from None


def load_ca(path):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    try:
        return x509.load_pem_x509_certificate(_read(path, "CA certificate"))
    except ValueError:
        raise MaterialError("the CA certificate %s is not a PEM certificate" % path, "Point enroll_own_ca_certificate at the CA's certificate",
                            source=path) from None


def pem_of(obj):
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    return obj.public_bytes(serialization.Encoding.PEM)


def make_ca_certificate(params, check_mode):
    reference = token_key.reference_text(params["pkcs11_module"], params["token_label"], params["key_label"], params["key_id"])
    path, reference_path = params["ca_certificate"], params["key_reference"]
    existing = load_ca(path) if os.path.exists(path) else None
    public_key, made = token_key.wrong_pin_names_the_variable(
        lambda: token_key.find_or_make_key(reference, params["pin"], params["key_type"], check_mode, may_make=existing is None))
    if existing is None and public_key is None and not made:
        raise MaterialError("the CA key %s in the token has no public key object, and there is no CA certificate %s"
                            % (params["key_label"], path), "Import the key pair (softhsm2-util --import, pkcs11-tool "
                            "--write-object for both halves), or keep the CA certificate beside it", source=path)
    if existing is not None and not check_mode:
        # the CA certificate must be this key's (a key moved into the token: proved by a signature, as the helper does)
        holder = existing if public_key is None else token_key.PublicKeyHolder(public_key)
        signer = token_key.wrong_pin_names_the_variable(lambda: token_key.ca_signer(reference, token_key.OPTION, params["pin"], holder))
        signer.close()
        if public_key is not None and existing.public_key().public_bytes(*_spki()) != public_key.public_bytes(*_spki()):
            raise MaterialError("the CA certificate %s does not belong to the key %s in the token" % (path, params["key_label"]),
                                "Move the old CA's key into the token (docs/setting-up-trust.md), or name the right "
                                "key_label/key_id; nothing was changed", source=path)
    changed = made
    if not os.path.exists(reference_path) or token_key.read_reference(reference_path).strip() != reference:
        changed = True
        if not check_mode:
            atomic_write(reference_path, (reference + "\n").encode("utf-8"), 0o600)
    if existing is not None:
        return {"changed": changed, "key_made": made, "certificate": pem_of(existing).decode("ascii")}
    if check_mode:
        return {"changed": True, "key_made": made}
    signer = token_key.wrong_pin_names_the_variable(
        lambda: token_key.ca_signer(reference, token_key.OPTION, params["pin"], token_key.PublicKeyHolder(public_key)))
    try:
        certificate = x509_signing.self_signed_ca(signer, public_key, params["common_name"], params["validity_days"])
    finally:
        signer.close()
    atomic_write(path, pem_of(certificate), 0o644)
    return {"changed": True, "key_made": made, "certificate": pem_of(certificate).decode("ascii")}


def _spki():
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    return serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo


def reference_signer(key_reference, pin, ca):
    """The signer of the key the key reference (its path) names, proved against the CA certificate."""
    reference = token_key.read_reference(key_reference)
    return token_key.wrong_pin_names_the_variable(lambda: token_key.ca_signer(reference, key_reference, pin, ca))


def sign_certificate(params, check_mode):
    ca = load_ca(params["ca_certificate"])
    if check_mode:
        return {"changed": True}
    signer = reference_signer(params["key_reference"], params["pin"], ca)
    try:
        certificate = x509_signing.sign_csr(signer, ca, params["csr"], params["validity_days"], params["not_before_minutes"])
    finally:
        signer.close()
    return {"changed": True, "certificate": pem_of(certificate).decode("ascii")}


def _reason(name):
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    if name not in x509_signing.REASONS:
        raise MaterialError("unknown revocation reason %r" % name, "Use one of %s" % ", ".join(x509_signing.REASONS))
    return x509.ReasonFlags[name]


def update_crl(params, check_mode):
    import datetime  # pylint: disable=import-outside-toplevel
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    ca = load_ca(params["ca_certificate"])
    existing = None
    if os.path.exists(params["crl_path"]):
        try:
            existing = x509.load_pem_x509_crl(_read(params["crl_path"], "CRL"))
        except ValueError:
            raise MaterialError("the CRL %s is not a PEM CRL" % params["crl_path"], "Remove it; a new one is made",
                                source=params["crl_path"]) from None
    entries = x509_signing.crl_entries(existing)
    now = datetime.datetime.now(x509_signing.UTC)
    wanted = dict((item["serial_number"], _reason(item["reason"])) for item in params["revoked_certificates"])
    added = [serial for serial, reason in wanted.items() if serial not in entries or entries[serial][1] != reason]
    if existing is not None and not added and not params["force"]:
        return {"changed": False, "crl": pem_of(existing).decode("ascii")}
    if check_mode:
        return {"changed": True}
    for serial in added:
        entries[serial] = (entries.get(serial, (now, None))[0], wanted[serial])
    signer = reference_signer(params["key_reference"], params["pin"], ca)
    try:
        crl = x509_signing.sign_crl(signer, ca, entries, params["next_update_days"], now)
    finally:
        signer.close()
    atomic_write(params["crl_path"], pem_of(crl), 0o644)
    return {"changed": True, "crl": pem_of(crl).decode("ascii")}


def run(params, check_mode):
    return {"ca_certificate": make_ca_certificate, "certificate": sign_certificate, "crl": update_crl}[params["what"]](params, check_mode)
