# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the key and certificate in use must be renewed, and why.

The reasons, in the order they are reported (each one is a renewal on its own):
  missing            no complete material in use (no 'current' link, no enrollment.json, unreadable certificate)
  forced             enroll_force_renew (rotation), only when there is material to replace
  expiring           the certificate ends within enroll_renew_before_days
  key_type           the certificate's key is not of enroll_key_type (its spec in the role's vars)
  subject            the subject differs from commonName + enroll_subject
  subject_alt_names  the SANs differ from enroll_subject_alt_names (order aside)
  signer             another signer made it (enrollment.json's signer_id)
  key_passphrase     the key's passphrase file differs from enroll_key_passphrase (none when the key is plain)
  key_store          the key is in another store than enroll_key_store (enrollment.json's key_store; file when absent)
  pkcs11_pin         with a key in a token, the slot's pin-source file differs from enroll_pkcs11_pin
  tpm_key_password   with a key in the TPM, its key file says it has a password and enroll_tpm_key_password is empty,
                     or the other way round (a password is the key's own: only a new key changes it)
  tpm_persistent_handle  with a key in the TPM, the persistent handle the slot records (tpm-key.handle; none for a
                     key file alone) is not that slot's handle of enroll_tpm_persistent_handle (tpm_handle.slot_handle)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .tpm_handle import slot_handle

REASONS = ("missing", "forced", "expiring", "key_type", "subject", "subject_alt_names", "signer", "key_passphrase", "key_store",
           "pkcs11_pin", "tpm_key_password", "tpm_persistent_handle")


@dataclass
class CertificateView:
    """What the renewal rules read from a certificate (made by certificate_view)."""
    subject: Dict[str, str]
    subject_alt_names: List[str]
    key_type: str  # "RSA" or "ECC" (community.crypto's names)
    key_curve: Optional[str]  # cryptography's curve name, e.g. secp256r1
    key_size: int
    serial_number: int
    not_after: datetime.datetime  # aware, UTC


@dataclass
class Material:
    """The material in use on the host: its slot, enrollment.json, certificate and passphrase file."""
    slot: str = ""  # slot-a / slot-b, '' when 'current' is no link
    state: Optional[dict] = None  # enrollment.json, None when missing or unreadable
    certificate: Optional[CertificateView] = None  # None when missing or unreadable
    passphrase: Optional[str] = None  # the passphrase file's text, None when there is none
    pin: Optional[str] = None  # the pin-source file's text (enroll_key_store=pkcs11), None when there is none
    tpm_key_password: Optional[bool] = None  # whether the TPM key file's key has a password; None without a file
    tpm_handle: Optional[int] = None  # the persistent handle the slot's tpm-key.handle records; None without one

    @property
    def complete(self):
        # The link is swapped in only once key, certificate, chain and enrollment.json are complete.
        return bool(self.slot) and self.state is not None and self.certificate is not None


@dataclass
class Wanted:
    """What the material must match (from the role's variables)."""
    key_spec: Dict[str, object]  # the role's __enroll_key_types entry: type (ECC/RSA), curve, size
    common_name: str
    signer_id: str
    renew_before_days: int
    subject: Dict[str, str] = field(default_factory=dict)
    subject_alt_names: List[str] = field(default_factory=list)
    force_renew: bool = False
    key_passphrase: str = ""
    key_store: str = "file"
    pkcs11_pin: str = ""
    tpm_key_password: bool = False  # whether enroll_tpm_key_password is set (never the password)
    tpm_persistent_handle: str = ""  # enroll_tpm_persistent_handle, as given


def _key_differs(view, spec):
    if view.key_type != spec["type"]:
        return True
    if spec["type"] == "ECC":
        return view.key_curve != spec.get("curve")
    return view.key_size != spec.get("size")


def renewal_reasons(material, wanted, now=None):
    """The reasons to renew (a list in REASONS order; empty when the material in use is fine)."""
    if not material.complete:
        return ["missing"]
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    view = material.certificate
    expected_subject = {"commonName": wanted.common_name}
    expected_subject.update(wanted.subject)
    checks = {
        "forced": bool(wanted.force_renew),
        "expiring": view.not_after - now <= datetime.timedelta(days=int(wanted.renew_before_days)),
        "key_type": _key_differs(view, wanted.key_spec),
        "subject": view.subject != expected_subject,
        "subject_alt_names": sorted(view.subject_alt_names) != sorted(wanted.subject_alt_names),
        "signer": material.state.get("signer_id", "") != wanted.signer_id,
        # The renewal writes the passphrase file beside the key it encrypts (none when the key is plain), so the
        # file tells the key's passphrase.
        "key_passphrase": material.passphrase != (wanted.key_passphrase or None),
        "key_store": material.state.get("key_store", "file") != wanted.key_store,
        # The renewal writes the PIN into the slot (the helper's pin-source): a new PIN is a new slot.
        "pkcs11_pin": wanted.key_store == "pkcs11" and material.pin != wanted.pkcs11_pin,
        "tpm_key_password": (wanted.key_store == "tpm" and material.tpm_key_password is not None
                             and material.tpm_key_password != wanted.tpm_key_password),
        # The slot records the handle its key was made persistent at; the helper is told the slot's handle of the
        # variable, so a key elsewhere (or none) is a new key.
        "tpm_persistent_handle": (wanted.key_store == "tpm" and material.state.get("key_store") == "tpm"
                                  and material.tpm_handle != slot_handle(wanted.tpm_persistent_handle, material.slot)),
    }
    return [reason for reason in REASONS if checks.get(reason)]
