# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what is on the host (read only): material in use, files and directories, users, profiles, systemd."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import stat

from .._core.certificate_text import format_serial, general_name_text
from .._core.files import read_bytes
from .tpm_handle import recorded_handle
from .tpm_key import KEY_NAME as TPM_KEY_NAME, key_file_has_password
from .command import PASSPHRASE_NAME, PIN_NAME, PROFILE_MARKER
from .renewal import CertificateView, Material

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - exercised only without cryptography
    HAS_CRYPTOGRAPHY = False

# OpenSSL long names of the subject attributes, as community.crypto reports them (and enroll_subject takes them).
LONG_NAMES = {"2.5.4.3": "commonName", "2.5.4.6": "countryName", "2.5.4.7": "localityName",
              "2.5.4.8": "stateOrProvinceName", "2.5.4.10": "organizationName", "2.5.4.11": "organizationalUnitName",
              "1.2.840.113549.1.9.1": "emailAddress", "2.5.4.5": "serialNumber", "2.5.4.4": "surname",
              "2.5.4.42": "givenName", "2.5.4.12": "title", "0.9.2342.19200300.100.1.25": "domainComponent",
              "0.9.2342.19200300.100.1.1": "userId"}


def certificate_view(pem):
    """The CertificateView of PEM bytes (cryptography required)."""
    certificate = x509.load_pem_x509_certificate(pem)
    key = certificate.public_key()
    subject = {}
    for attribute in certificate.subject:
        name = LONG_NAMES.get(attribute.oid.dotted_string) or getattr(attribute.oid, "_name", attribute.oid.dotted_string)
        subject[name] = attribute.value
    try:
        sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = []
    after = getattr(certificate, "not_valid_after_utc", None)
    if after is None:  # cryptography < 42
        import datetime  # pylint: disable=import-outside-toplevel
        after = certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    if isinstance(key, ec.EllipticCurvePublicKey):
        key_type, curve = "ECC", key.curve.name
    else:
        key_type, curve = ("RSA" if isinstance(key, rsa.RSAPublicKey) else type(key).__name__), None
    return CertificateView(subject=subject, subject_alt_names=[general_name_text(name) for name in sans],
                           key_type=key_type, key_curve=curve, key_size=getattr(key, "key_size", 0),
                           serial_number=certificate.serial_number, not_after=after)


def certificate_summary(view):
    """What the role publishes of a certificate (enroll_serial, enroll_serial_hex, enroll_not_after): serial_number,
    serial_number_hex (colon hex) and not_after as community.crypto's x509_certificate_info gives it
    (YYYYMMDDHHMMSSZ); empty for none."""
    if view is None:
        return {}
    return {"serial_number": view.serial_number, "serial_number_hex": format_serial(view.serial_number),
            "not_after": view.not_after.strftime("%Y%m%d%H%M%SZ")}


def _read(path):
    """The bytes at path; None when it cannot be read (absent, a directory, no permission)."""
    return read_bytes(path, absent=(OSError,))


def _read_text(path):
    """The text at path; None when it cannot be read or is not UTF-8."""
    data = _read(path)
    try:
        return data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return None


def read_material(current):
    """The Material behind the 'current' link (what cannot be read stays None)."""
    material = Material()
    if not os.path.islink(current):
        return material
    material.slot = os.path.basename(os.readlink(current))
    state = _read(os.path.join(current, "enrollment.json"))
    try:
        material.state = json.loads(state.decode("utf-8")) if state is not None else None
    except ValueError:
        material.state = None
    pem = _read(os.path.join(current, "certificate.pem"))
    if pem is not None and HAS_CRYPTOGRAPHY:
        try:
            material.certificate = certificate_view(pem)
        except ValueError:
            material.certificate = None
    material.passphrase = _read_text(os.path.join(current, PASSPHRASE_NAME))
    material.pin = _read_text(os.path.join(current, PIN_NAME))
    material.tpm_key_password = key_file_has_password(_read(os.path.join(current, TPM_KEY_NAME)))
    material.tpm_handle = recorded_handle(current)
    return material


def uid_of(user):
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def is_as_wanted(path, owner, mode, directory=False, content=None, sha256=None):
    """True when path is a (not linked) file or directory with this owner and mode, and the content or its SHA-256."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    kind_ok = stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)
    if not kind_ok or info.st_uid != uid_of(owner) or stat.S_IMODE(info.st_mode) != mode:
        return False
    if content is not None:
        return _read(path) == content
    if sha256 is not None:
        data = _read(path)
        return data is not None and hashlib.sha256(data).hexdigest() == sha256.lower()
    return True


def sha1_of(path):
    data = _read(path)
    return hashlib.sha1(data).hexdigest() if data is not None else None  # nosec - a content check, as copy's


def has_profile_block(config_file, aws_profile, block):
    """True when config_file holds exactly this block between blockinfile's markers (a re-write would change nothing)."""
    data = _read(config_file)
    if data is None:
        return False
    lines = data.decode("utf-8", "replace").splitlines()
    begin, end = PROFILE_MARKER.format(mark="BEGIN") % aws_profile, PROFILE_MARKER.format(mark="END") % aws_profile
    if lines.count(begin) != 1 or lines.count(end) != 1 or lines.index(begin) > lines.index(end):
        return False
    return lines[lines.index(begin) + 1:lines.index(end)] == block.splitlines()


def systemd_runs_host():
    """systemd is PID 1 (sd_booted(3): /run/systemd/system exists)."""
    return os.path.isdir("/run/systemd/system")


def unit_enabled_and_active(name, run_command):
    """True when systemctl says the unit is enabled and active (then starting it again changes nothing).
    ``run_command``: the module's AnsibleModule.run_command (ansible-test's pylint rule ansible-bad-function)."""
    for verb in ("is-enabled", "is-active"):
        try:
            returncode = run_command(["systemctl", verb, "--quiet", name], handle_exceptions=False)[0]
        except OSError:  # no systemctl
            return False
        if returncode != 0:
            return False
    return True
