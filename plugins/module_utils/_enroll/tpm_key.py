# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""enroll_key_store=tpm: the host's key is made inside the host's TPM 2.0, and the CSR is signed there.

The key is made with TPM2_Create under the owner hierarchy's primary made from AWS's template (the parent AWS's helper
re-creates to load a key file: aws/rolesanywhere-credential-helper aws_signing_helper/tpm_signer.go, primaryParams),
or under the persistent storage key enroll_tpm_parent_handle. It is sign-only, fixedTPM and fixedParent: the TPM
refuses to duplicate it, so its wrapped private part is useless anywhere else. It is written to the slot as a TSS2 key
file (``-----BEGIN TSS2 PRIVATE KEY-----``, draft-bottomley-tpm2-keys "ASN.1 Specification for TPM 2.0 Key Files",
the format AWS's helper reads in GetTPMv2Signer and _core/tpm.py reads), which both helpers take in --private-key.

With enroll_tpm_persistent_handle the key is also made persistent at a handle (TPM2_Load, TPM2_EvictControl), which
the helper is given instead of the file: the handle's rule, record and eviction are in tpm_handle.py.

The CSR is signed by that key through the signer the helper itself uses (_core/tpm.py TpmSigner: TPM2_Sign; through
the handle when there is one) and verified before it leaves (request.make_token_request). A renewal makes the new key
file in the staging slot; the old one goes with the old slot at the swap, after the new certificate was proved (its
persistent key evicted first).

Which TPM: enroll_tpm_device, a device path or a TCTI string (``device:/dev/tpmrm0``, ``swtpm:path=SOCKET``,
``swtpm:host=H,port=P``); empty is the helpers' default (/dev/tpmrm0, then /dev/tpm0). The modules reach it through
TPM2TOOLS_TCTI as the helper reads it; the credential_process line sets it with env(1) (TPM2TOOLS_TCTI for this
collection's helper; AWS's helper reads only TPM_DEVICE, a device path: tpm_signer_helper_other.go OpenTPM, then go-tpm tpm2.OpenTPM).
"""

from __future__ import annotations

import os

from .._core.errors import RolesAnywhereError
from .._core.tpm import TpmKeyOptions, TssKey, parse_handle, tpm_handle_signer, tpm_key_signer, tss2_pem
from .._core.tpm_protocol import (
    ATTRIBUTE_DECRYPT, ATTRIBUTE_RESTRICTED, RC_HANDLE, RH_OWNER, TCTI_HINT, Connection, TpmError, create,
    create_primary, flush, rc_base, rc_name, read_public, signing_key_template, tcti_configuration)
from .tpm_handle import (
    HANDLE_NAME, SLOT_OFFSETS, evict_own, handle_problems, handle_refusal, handle_text, key_of, key_public, occupant,
    persist, recorded_handle, slot_handle)
from .slots import other_slot
from .token import key_store_refusal as token_refusal

KEY_NAME = "tpm-key.pem"  # the TSS2 key file in the slot
KEY_KINDS = {("RSA", 2048): ("RSA", 2048), ("ECC", "secp256r1"): ("EC", "secp256r1")}
KEY_TYPE_REFUSAL = "enroll_key_store=tpm makes rsa-2048 or ec-p256 keys (what every TPM 2.0 makes): set enroll_key_type to one of them"
DEVICE_HINT = ("Set enroll_tpm_device to the TPM's device (/dev/tpmrm0) or a TCTI (device:PATH, swtpm:path=SOCKET, "
               "swtpm:host=HOST,port=PORT), or leave it empty for /dev/tpmrm0; nothing was changed")


class TpmSettings(object):
    """The role's enroll_tpm_* variables (the password never in repr)."""

    def __init__(self, device="", parent_handle="", password="", persistent_handle=""):
        self.device, self.parent_handle, self.password = device or "", parent_handle or "", password or ""
        self.persistent_handle = (persistent_handle or "").strip()  # enroll_tpm_persistent_handle: tpm_handle.py

    def __repr__(self):
        return "TpmSettings(device=%r, parent_handle=%r, password=%s, persistent_handle=%r)" % (
            self.device, self.parent_handle, "<hidden>" if self.password else "''", self.persistent_handle)

    @property
    def tcti(self):
        """The TCTI string of enroll_tpm_device ('' for the default devices); a bare path is a device."""
        return "device:" + self.device if self.device.startswith("/") else self.device

    @property
    def environ(self):
        """The environment _core/tpm.py reads the TPM from (empty: /dev/tpmrm0, then /dev/tpm0)."""
        return {"TPM2TOOLS_TCTI": self.tcti} if self.tcti else {}


class TpmKeyError(RolesAnywhereError):
    """The TPM, its parent key or the role's TPM variables are not as they must be (the user's to fix)."""


def key_kind(key_spec):
    """("RSA", 2048) or ("EC", "secp256r1") for the role's key spec; None for kinds the role does not make in a TPM."""
    second = key_spec.get("size") if key_spec.get("type") == "RSA" else key_spec.get("curve")
    return KEY_KINDS.get((key_spec.get("type"), second))


def helper_environment(settings, helper):
    """The NAME=value words env(1) gives the helper so that it finds the TPM; empty for the default device."""
    if not settings.tcti:
        return []
    if helper == "rolesanywhere":
        return ["TPM2TOOLS_TCTI=" + settings.tcti]
    return ["TPM_DEVICE=" + settings.tcti[len("device:"):]]


def check_settings(params):
    """Refusals of the TPM variables alone (before the TPM is touched): a list of messages, empty when fine."""
    settings = tpm_settings(params)
    problems = []
    if key_kind(params["key_spec"]) is None:
        problems.append(KEY_TYPE_REFUSAL)
    if params["key_passphrase"]:
        problems.append("enroll_key_passphrase encrypts a key file; with enroll_key_store=tpm the key is in the TPM: "
                        "leave enroll_key_passphrase empty (enroll_tpm_key_password protects the TPM key)")
    if settings.parent_handle:
        try:
            parse_handle("handle:" + settings.parent_handle, "enroll_tpm_parent_handle")
        except RolesAnywhereError:
            problems.append("enroll_tpm_parent_handle=%s is not a TPM persistent handle: give 0x81xxxxxx (a storage "
                            "key, as tpm2_getcap handles-persistent lists them), or leave it empty for the owner "
                            "hierarchy's primary" % settings.parent_handle)
    if handle_refusal(settings.persistent_handle):
        problems.append(handle_refusal(settings.persistent_handle))
    if settings.device:
        try:
            tcti_configuration(settings.environ)
        except RolesAnywhereError:
            problems.append("enroll_tpm_device=%s is neither a device path nor a TCTI the helper speaks. %s"
                            % (settings.device, DEVICE_HINT))
        if params["helper"] != "rolesanywhere" and not settings.tcti.startswith("device:"):
            problems.append("enroll_tpm_device=%s: AWS's helper reaches a TPM by device path only (TPM_DEVICE): give a "
                            "path, or use enroll_helper=rolesanywhere" % settings.device)
    return problems


def key_file_has_password(data):
    """Whether the key of a TSS2 key file has a password (its emptyAuth is false); None without a readable file."""
    key = key_of(data, KEY_NAME)
    return None if key is None else not key.empty_auth


def tpm_helper_settings(params):
    """The HelperSettings fields of enroll_state's options (empty unless enroll_key_store=tpm)."""
    if params["key_store"] != "tpm":
        return {}
    settings = tpm_settings(params)
    return {"tpm_key_name": KEY_NAME, "tpm_environment": tuple(helper_environment(settings, params["helper"])),
            "tpm_key_password": settings.password}


def tpm_settings(params):
    return TpmSettings(params["tpm_device"], params["tpm_parent_handle"], params["tpm_key_password"],
                       params.get("tpm_persistent_handle", ""))


def _open(settings):
    try:
        return Connection(tcti_configuration(settings.environ))
    except RolesAnywhereError as error:
        where = "enroll_tpm_device=%s" % settings.device if settings.device else "enroll_tpm_device (empty: /dev/tpmrm0)"
        raise TpmKeyError("the TPM of %s cannot be reached: %s" % (where, error.message), DEVICE_HINT) from None


def _parent(connection, settings):
    """(parent handle, loaded handles to flush): the persistent enroll_tpm_parent_handle, checked to be a storage key,
    or the owner hierarchy's primary of AWS's template, made now."""
    if not settings.parent_handle:
        try:
            handle = create_primary(connection, RH_OWNER)
        except TpmError as exc:
            raise TpmKeyError("the TPM %s cannot make the owner hierarchy's primary key: %s" % (connection.name, exc),
                              "The owner hierarchy must have no password (as AWS's helper needs), or give a persistent "
                              "storage key in enroll_tpm_parent_handle; nothing was changed") from None
        return handle, [handle]
    handle = parse_handle("handle:" + settings.parent_handle, "enroll_tpm_parent_handle")
    try:
        public = read_public(connection, handle)
    except TpmError as exc:
        missing = rc_base(exc.rc) == RC_HANDLE
        raise TpmKeyError("enroll_tpm_parent_handle=%s: %s" % (
            settings.parent_handle, "the TPM %s has no key there" % connection.name if missing else exc),
            "Make the storage key first (tpm2_createprimary, tpm2_evictcontrol) or leave enroll_tpm_parent_handle "
            "empty; nothing was changed") from None
    attributes = int.from_bytes(public[6:10], "big")  # TPM2B size, type, nameAlg, then objectAttributes
    if attributes & (ATTRIBUTE_RESTRICTED | ATTRIBUTE_DECRYPT) != ATTRIBUTE_RESTRICTED | ATTRIBUTE_DECRYPT:
        raise TpmKeyError("enroll_tpm_parent_handle=%s is not a storage key (restricted, decrypt)" % settings.parent_handle,
                          "Give the handle of a storage key, or leave enroll_tpm_parent_handle empty; nothing was changed")
    return handle, []


def check_tpm(settings):
    """The preflight: the TPM answers and the parent is there (made and flushed again); changes nothing."""
    connection = _open(settings)
    try:
        _handle, loaded = _parent(connection, settings)
        for handle in loaded:
            flush(connection, handle)
    finally:
        connection.close()


def make_key(settings, key_spec, handle=None, save=None):
    """A new sign-only key in the TPM under the parent: the TSS2 key file's bytes. With ``handle`` the key is then made
    persistent there (tpm_handle.persist) once ``save(key file bytes)`` has recorded it, so that a failure after that
    leaves what release_slot_key needs to evict it."""
    password, kind = settings.password.encode("utf-8"), key_kind(key_spec)
    if kind is None:
        raise TpmKeyError(KEY_TYPE_REFUSAL)
    connection = _open(settings)
    try:
        parent, loaded = _parent(connection, settings)
        try:
            private, public = _create(connection, parent, kind, password)
            key = TssKey(not password, parent if settings.parent_handle else RH_OWNER, public, private)
            if handle is not None:
                save(tss2_pem(key))
                _persist(connection, parent, key, handle)
        finally:
            for loaded_handle in loaded:  # no resource manager on swtpm or /dev/tpm0: free the slot
                flush(connection, loaded_handle)
    finally:
        connection.close()
    return tss2_pem(key)


def _create(connection, parent, kind, password):
    try:
        return create(connection, parent, signing_key_template(kind, bool(password)), password)
    except TpmError as exc:
        raise TpmKeyError("the TPM %s cannot make a %s %s key: %s" % ((connection.name,) + kind + (rc_name(exc.rc),)),
                          "Check the TPM (tpm2_getcap properties-variable: lockout, free object memory); nothing in use "
                          "was changed") from None


def _persist(connection, parent, key, handle):
    try:
        persist(connection, parent, key, handle)
    except TpmError as exc:
        raise TpmKeyError("the TPM %s cannot keep the new key at %s (enroll_tpm_persistent_handle): %s" % (
            connection.name, handle_text(handle), exc),
            "Free a persistent handle (tpm2_getcap handles-persistent, tpm2_evictcontrol -C o -c HANDLE) or give another "
            "enroll_tpm_persistent_handle; the owner hierarchy must have no password (as AWS's helper needs); nothing in "
            "use was changed") from None


def make_key_and_request(settings, key_file, request, slot=None, save=None):
    """A new key in the TPM and its CSR (PEM text), signed there through the helper's own TPM signer and verified.
    Returns (TSS2 key file bytes, CSR); ``key_file`` names the key in messages. ``save(name, data)`` writes the slot's
    files: the key file, and with enroll_tpm_persistent_handle first the record of ``slot``'s handle (tpm_handle.py),
    where the key is then made persistent and signs, as the helper will sign with it."""
    from .request import make_token_request  # pylint: disable=import-outside-toplevel
    handle = slot_handle(settings.persistent_handle, slot) if slot else None
    options = TpmKeyOptions(password=settings.password or None, no_password=not settings.password, environ=settings.environ)
    if handle is None:
        pem = make_key(settings, request["key_spec"])
    else:
        pem = make_key(settings, request["key_spec"], handle, _recorder(save, handle))
    try:
        if handle is None:
            signer = tpm_key_signer(pem, key_file, options)
        else:
            signer = tpm_handle_signer("handle:" + handle_text(handle), options, "enroll_tpm_persistent_handle")
        csr = make_token_request(signer, signer.public_key(), request["common_name"], request.get("subject"),
                                 request.get("subject_alt_names") or ())
    except RolesAnywhereError as error:
        raise TpmKeyError("the new TPM key %s cannot sign its request: %s" % (key_file, error.message),
                          "%s; nothing in use was changed" % TCTI_HINT) from None
    if save is not None and handle is None:
        save(KEY_NAME, pem)
    return pem, csr


def _recorder(save, handle):
    """make_key's ``save`` with a persistent handle: the handle's record, then the key file."""
    def record(pem):
        save(HANDLE_NAME, (handle_text(handle) + "\n").encode("ascii"))
        save(KEY_NAME, pem)
    return record


def check_handles(settings, base):
    """The preflight of enroll_tpm_persistent_handle (tpm_handle.handle_problems): both handles free or this
    enrolment's (``base``'s slots' keys), the new key's not the key in use. The message, None when all is well."""
    current = os.path.join(base, "current")
    staging = other_slot(os.path.basename(os.readlink(current)) if os.path.islink(current) else None)
    keys = dict((slot, key_public(os.path.join(base, slot), KEY_NAME)) for slot, _offset in SLOT_OFFSETS)
    connection = _open(settings)
    try:
        occupants = dict((slot, occupant(connection, slot_handle(settings.persistent_handle, slot)))
                         for slot, _offset in SLOT_OFFSETS)
    except TpmError as exc:
        raise TpmKeyError("enroll_tpm_persistent_handle=%s: the TPM %s cannot say what its handles hold: %s" % (
            settings.persistent_handle, connection.name, exc), "Check the TPM; nothing was changed") from None
    finally:
        connection.close()
    return " | ".join(handle_problems(settings.persistent_handle, occupants, keys, staging, connection.name)) or None


def release_slot_key(settings, slot_dir):
    """Evict the slot's persistent key: at the handle its tpm-key.handle records, when the TPM holds the slot's key
    there (never another). True when it did; a slot without that record (a key file alone) does not open the TPM."""
    handle, public = recorded_handle(slot_dir), key_public(slot_dir, KEY_NAME)
    if handle is None or public is None:
        return False
    connection = _open(settings)
    try:
        return evict_own(connection, handle, public)
    except TpmError as exc:
        raise TpmKeyError("the TPM %s cannot evict the key at %s: %s" % (connection.name, handle_text(handle), exc),
                          "Check the TPM; tpm2_evictcontrol -C o -c %s evicts it" % handle_text(handle)) from None
    finally:
        connection.close()


def key_store_refusal(params, key_due=True):
    """enroll_state's preflight of enroll_key_store=tpm (the message of what is wrong, None when all is well), checked
    on the host before anything changes: the variables, then (when a key is due) the TPM, the parent and the
    persistent handles (check_handles); other key stores: token.py's."""
    if params["key_store"] != "tpm":
        return token_refusal(params, key_due)
    problems = check_settings(params)
    if problems:
        return " | ".join(problems)
    if not key_due:
        return None  # creating the owner primary costs a real TPM up to seconds: only when a key is to be made
    settings = tpm_settings(params)
    try:
        check_tpm(settings)
        if settings.persistent_handle:
            return check_handles(settings, params.get("root", "") + params.get("directory", ""))
    except RolesAnywhereError as error:
        return str(error)
    return None


def unmask_password(module):
    """As token.unmask_pin: the password option is no_log (never logged, never in the invocation), but AnsibleModule
    would mask every occurrence of a short password in the result (the CSR, paths); the result holds none."""
    password = module.params.get("tpm_key_password")
    if password:
        module.params["tpm_key_password"] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        module.no_log_values.discard(password)
