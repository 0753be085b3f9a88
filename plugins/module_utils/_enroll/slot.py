# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The staging slot's life: prepared (empty, 0700, with the passphrase file), installed (certificate, chain and
enrollment.json beside the key), made current (the 'current' link swapped to it in one rename, the previous
slot removed). Files are written to a temporary name in their directory and renamed into place, then given to the
enrolment user; a link or other file in the way is removed, never followed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

from .._core.errors import RolesAnywhereError
from .._core.files import atomic_write
from .command import PASSPHRASE_NAME, PIN_NAME
from .host import is_as_wanted, uid_of
from .request import key_pem, make_key, make_request
from .slots import SLOTS, other_slot
from . import token as token_store
from . import tpm_key

KEY_NAME = "private-key.pem"


def _owner_ids(user):
    uid = uid_of(user)
    if uid is None:
        raise LookupError("user %s does not exist on this host" % user)
    return uid


def _chown(path, uid):
    if os.lstat(path).st_uid != uid:
        os.lchown(path, uid, -1)


def make_directory(path, uid, mode=0o700):
    """path as a directory of uid with mode; True when that changed anything."""
    changed = False
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        os.unlink(path)
    if not os.path.isdir(path):
        os.mkdir(path, mode)
        changed = True
    info = os.lstat(path)
    if info.st_uid != uid:
        os.lchown(path, uid, -1)
        changed = True
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)
        changed = True
    return changed


def write_file(path, data, uid, mode):
    """Write data atomically (the core's atomic_write, as the credential cache writes: temporary file, rename), then give it to uid.

    The staging slot is not in use until the swap, so the file is the owner's by the time the helper reads it.
    """
    atomic_write(path, data, mode)
    _chown(path, uid)


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def check_slot(name):
    if name not in SLOTS:
        raise ValueError("slot must be one of %s, not %r" % (", ".join(SLOTS), name))


def _slot_tpm(token, tpm_device):
    """The TPM where a slot's persistent key is evicted before the slot goes: the key store's (``token``:
    tpm_key.TpmSettings), or, when the key store moved away from tpm, the one ``tpm_device`` names. A slot that
    records no handle opens no TPM (tpm_key.release_slot_key)."""
    return token if isinstance(token, tpm_key.TpmSettings) else tpm_key.TpmSettings(tpm_device)


def prepare(base, slot, user, passphrase="", check_mode=False, token=None, tpm_device=""):
    """An empty staging slot (leftovers of an interrupted run removed, the persistent key a leftover records evicted
    first: _slot_tpm), with the key's passphrase file, or with a key in a token (``token``: token.TokenSettings), the
    helper's pin-source file (0600).

    Always a change: the slot is made anew for the new key.
    """
    check_slot(slot)
    uid = _owner_ids(user)
    if check_mode:
        return True
    os.makedirs(os.path.dirname(base) or "/", exist_ok=True)
    make_directory(base, uid)
    staging = os.path.join(base, slot)
    tpm_key.release_slot_key(_slot_tpm(token, tpm_device), staging)
    _remove(staging)
    make_directory(staging, uid)
    if passphrase:
        write_file(os.path.join(staging, PASSPHRASE_NAME), passphrase.encode("utf-8"), uid, 0o600)
    if isinstance(token, token_store.TokenSettings):
        write_file(os.path.join(staging, PIN_NAME), token.pin.encode("utf-8"), uid, 0o600)
    return True


def make_key_and_request(base, slot, user, request, passphrase="", token=None):
    """The new key (private-key.pem, 0600, PKCS#8, encrypted when there is a passphrase) in the prepared slot, or
    inside the token (``token``: token.TokenSettings) or the TPM (tpm_key.TpmSettings: tpm-key.pem, and
    tpm-key.handle with a persistent handle), and its CSR (PEM text, returned). ``request``: key_spec, common_name,
    subject, subject_alt_names."""
    check_slot(slot)
    uid = _owner_ids(user)
    if isinstance(token, tpm_key.TpmSettings):  # made in the TPM; its TSS2 key file (and handle's record) in the slot
        staging = os.path.join(base, slot)
        return tpm_key.make_key_and_request(token, os.path.join(staging, tpm_key.KEY_NAME), request, slot,
                                            lambda name, data: write_file(os.path.join(staging, name), data, uid, 0o600))[1]
    if token is not None:
        return token_store.make_key_and_request(token, base, slot, request)
    key = make_key(request["key_spec"])
    csr = make_request(key, request["common_name"], request.get("subject"), request.get("subject_alt_names") or ())
    write_file(os.path.join(base, slot, KEY_NAME), key_pem(key, passphrase), uid, 0o600)
    return csr


def install_helper(path, content, check_mode=False):
    """This collection's credential helper at path (root's, 0755), written when it differs; True when it did."""
    if is_as_wanted(path, "root", 0o755, content=content):
        return False
    if not check_mode:
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        write_file(path, content, _owner_ids("root"), 0o755)
    return True


def install(base, slot, user, certificate, chain, record, check_mode=False):
    """Certificate, chain (when there is one) and enrollment.json into the staging slot, beside the key.
    True (always a change)."""
    check_slot(slot)
    uid = _owner_ids(user)
    if check_mode:
        return True
    staging = os.path.join(base, slot)
    write_file(os.path.join(staging, "certificate.pem"), certificate.strip().encode("ascii") + b"\n", uid, 0o644)
    if chain.strip():
        write_file(os.path.join(staging, "chain.pem"), chain.strip().encode("ascii") + b"\n", uid, 0o644)
    write_file(os.path.join(staging, "enrollment.json"),
               (json.dumps(record, indent=4, sort_keys=True) + "\n").encode("utf-8"), uid, 0o644)
    return True


def make_current(base, slot, user, check_mode=False, token=None, tpm_device=""):
    """Swap 'current' to slot in one rename (the helper never sees a half-made state); remove the other slot, and
    with ``token`` the other slot's key in the token, or its persistent key in the TPM (the new certificate was proved
    before this step; with any key store, the persistent key the previous slot records: _slot_tpm)."""
    check_slot(slot)
    uid = _owner_ids(user)
    current = os.path.join(base, "current")
    previous = os.path.join(base, other_slot(slot))
    if os.path.islink(current) and os.readlink(current) == slot and not os.path.lexists(previous):
        return False
    if check_mode:
        return True
    temporary = os.path.join(base, ".current.%d" % os.getpid())
    _remove(temporary)
    os.symlink(slot, temporary)
    os.lchown(temporary, uid, -1)
    if os.path.isdir(current) and not os.path.islink(current):
        shutil.rmtree(current)  # a directory cannot be renamed over; an unfinished layout of an old run
    os.rename(temporary, current)
    tpm_key.release_slot_key(_slot_tpm(token, tpm_device), previous)  # before its slot goes: its files name the key
    _remove(previous)
    if isinstance(token, token_store.TokenSettings):  # a TPM key file went with the previous slot
        token_store.remove_key(token, base, os.path.basename(previous))
    return True


def discard(base, slot, check_mode=False, token=None):
    """Remove the staging ``slot`` of a failed renewal and, with ``token``, the key pair made for it in the token
    (its own CKA_ID: the key in use, under the other slot's id, is never touched) or the persistent key made for it in
    the TPM (the handle the slot records, holding the slot's key). A slot the 'current' link points at is in use (a
    failure after the swap): it is left alone. (changed, warning): the token's or TPM's failure is a warning, so that
    the renewal's own error stays the one reported."""
    check_slot(slot)
    current = os.path.join(base, "current")
    if os.path.islink(current) and os.readlink(current) == slot:
        return False, None
    staging = os.path.join(base, slot)
    changed = os.path.lexists(staging)
    if check_mode:
        return changed, None
    if isinstance(token, tpm_key.TpmSettings):
        try:
            tpm_key.release_slot_key(token, staging)
        except RolesAnywhereError as error:  # the slot stays: its files let the next renewal find and evict the key
            return False, "the staging key at its persistent handle was not evicted (the next renewal evicts it): %s" % error
    _remove(staging)
    # A TPM key file (tpm_key.TpmSettings) is removed with the slot; only a token holds a key apart.
    if not isinstance(token, token_store.TokenSettings):
        return changed, None
    try:
        destroyed = token_store.remove_key(token, base, slot)
    except RolesAnywhereError as error:
        return changed, "the staging key in the token was not removed (the next renewal replaces it): %s" % error
    return changed or destroyed > 0, None
