# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_tpm_persistent_handle: the enroll role's TPM key kept at a persistent handle, which the helper is given
instead of the key file (tpm_key.py makes the key; this is the handle's rule, its record and its TPM commands).

How AWS's helper uses such a key (aws/rolesanywhere-credential-helper): aws_signing_helper/signer.go GetSigner takes a
--private-key starting with "handle:" as a TPM key; aws_signing_helper/tpm_signer.go GetTPMv2Signer reads the hex
after the colon ("0x" optional) and the key's public area with TPM2_ReadPublic, and TPMv2Signer.Sign signs with that
handle as it is (no TPM2_Load, no flush). Such a key carries no emptyAuth: its password is --tpm-key-password, and a
key without one needs --no-tpm-key-password (cmd/credentials.go: "Required if the TPM key has no password and a handle
is used to refer to the key"), or tpm_signer.go signHelper prompts for one. This collection's helper reads handles
the same way (_core/tpm.py tpm_handle_signer); both helpers' command lines are made in command.py.

The handle rule: slot-a's key is at the handle given, slot-b's at the next one, so that a renewal makes the new key
beside the one in use. Both handles must be free or hold this enrolment's own keys (a key whose public area is that of
a slot's tpm-key.pem): another key at either is refused before anything changes, and so is the new key's handle when
it holds the key in use (a handle moved by one). A slot records its handle in tpm-key.handle, written with its key
file before TPM2_EvictControl makes the key persistent: the key of a failed or interrupted renewal is found there and
evicted (enroll_slot discarded, or the next prepared), and the previous slot's key after the swap. The key file stays
in the slot as the record of which key the handle holds (and whether it has a password); the helper uses the handle.
The owner's persistent handles are 0x81000000 to 0x817fffff (TPM 2.0 Library Part 2, TPM_HT_PERSISTENT; TCG's
registry of reserved handles): TPM2_EvictControl under the owner hierarchy takes no other.
"""

from __future__ import annotations

import os

from .._core.errors import RolesAnywhereError
from .._core.files import read_bytes
from .._core.tpm import handle_value, parse_tss2_key, tss2_der
from .._core.tpm_protocol import RC_HANDLE, TpmError, evict_control, flush, load, rc_base, read_public
from .slots import SLOTS

HANDLE_NAME = "tpm-key.handle"  # the slot's record of its key's persistent handle
SLOT_OFFSETS = tuple((slot, offset) for offset, slot in enumerate(SLOTS))  # slot-a at the handle, slot-b the next
OWNER_FIRST, OWNER_LAST = 0x81000000, 0x817FFFFF
FORM_REFUSAL = ("enroll_tpm_persistent_handle=%s is not a persistent handle the owner hierarchy can take with the next "
                "one: give 0x81000000 to 0x817ffffe (0x81000100: slot-a's key there, slot-b's at 0x81000101), or leave "
                "it empty to keep the key as a TSS2 key file")
FOREIGN_REFUSAL = ("enroll_tpm_persistent_handle=%s: the TPM %s holds a key that is not this enrolment's at %s (the "
                   "handle of %s's key). Give a pair of free handles (tpm2_getcap handles-persistent lists those in "
                   "use; the role takes the handle given and the next one), or evict that key (tpm2_evictcontrol -C o "
                   "-c %s) if nothing needs it; nothing was changed")
IN_USE_REFUSAL = ("enroll_tpm_persistent_handle=%s would put the new key at %s, where the key in use is. Give a handle "
                  "that is neither %s nor the one before it (the role takes the handle given and the next one); nothing "
                  "was changed")


def handle_number(text):
    """The number of enroll_tpm_persistent_handle, when it and the next are owner persistent handles; else None."""
    number = handle_value(text)
    return number if number is not None and OWNER_FIRST <= number < OWNER_LAST else None


def handle_refusal(text):
    """The form's refusal of enroll_tpm_persistent_handle (None when it is empty or good)."""
    return FORM_REFUSAL % text if text and handle_number(text) is None else None


def slot_handle(text, slot):
    """The persistent handle of ``slot``'s key for enroll_tpm_persistent_handle ``text``: the handle given for slot-a,
    the next one for slot-b; None without a (good) handle or slot."""
    number, offset = handle_number(text), dict(SLOT_OFFSETS).get(slot)
    return None if number is None or offset is None else number + offset


def handle_text(number):
    """How handles are written: in tpm-key.handle, messages and the helper's ``handle:`` argument."""
    return "0x%08x" % number


def recorded_handle(slot_dir):
    """The handle the slot's tpm-key.handle records; None without one (a TSS2 key file alone)."""
    data = read_bytes(os.path.join(slot_dir, HANDLE_NAME), absent=(OSError,))
    number = handle_value(data.decode("ascii", "replace")) if data else None
    return number if number is not None and OWNER_FIRST <= number <= OWNER_LAST else None


def key_of(data, key_name):
    """The TssKey of a TSS2 key file's bytes; None without a readable one."""
    der = tss2_der(data) if data else None
    if not der:
        return None
    try:
        return parse_tss2_key(der, key_name)
    except RolesAnywhereError:
        return None


def key_public(slot_dir, key_name):
    """The TPM2B_PUBLIC of the slot's key file: how this enrolment knows its own key at a handle; None without one."""
    key = key_of(read_bytes(os.path.join(slot_dir, key_name), absent=(OSError,)), key_name)
    return key.public if key else None


def handle_problems(text, occupants, keys, staging, tpm_name):
    """Why the handles of enroll_tpm_persistent_handle ``text`` cannot be used, one message each (empty: they can).
    ``occupants``: {slot: the TPM2B_PUBLIC at that slot's handle, None when it is free}; ``keys``: {slot: the
    TPM2B_PUBLIC of its key file, None without}; ``staging``: the slot the new key goes to."""
    problems = []
    for slot, _offset in SLOT_OFFSETS:
        public = occupants.get(slot)
        if public is None:
            continue
        handle = handle_text(slot_handle(text, slot))
        owners = [name for name, _offset in SLOT_OFFSETS if keys.get(name) == public]
        if not owners:
            problems.append(FOREIGN_REFUSAL % (text, tpm_name, handle, slot, handle))
        elif slot == staging and owners != [staging]:  # its own leftover is evicted by prepared; the key in use is not
            problems.append(IN_USE_REFUSAL % (text, handle, handle))
    return problems


def occupant(connection, handle):
    """The TPM2B_PUBLIC of the persistent key at ``handle``; None when the handle is free."""
    try:
        return read_public(connection, handle)
    except TpmError as exc:
        if rc_base(exc.rc) == RC_HANDLE:
            return None
        raise


def persist(connection, parent, key, handle):
    """Load the TssKey ``key`` under ``parent`` and make it persistent at ``handle`` by the owner (TPM2_EvictControl,
    empty owner password, as the parent AWS's helper makes needs); the loaded copy is flushed again."""
    loaded = load(connection, parent, key)
    try:
        evict_control(connection, loaded, handle)
    finally:
        flush(connection, loaded)


def evict_own(connection, handle, public):
    """Evict the persistent key at ``handle`` when it is the key of ``public`` (this enrolment's, never another's);
    True when it did."""
    if public is None or occupant(connection, handle) != public:
        return False
    evict_control(connection, handle, handle)
    return True
