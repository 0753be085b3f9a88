# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How certificate fields are written as text: subject alternative names and serial numbers.

Kept apart from certificate_facts.py (which loads keys and chains through x509.py) so that a module that only reads
a certificate on the host, such as enroll_state on a run where nothing is due, does not import and compile them.
"""

from __future__ import annotations

try:
    from cryptography import x509
except ImportError:  # pragma: no cover - the callers check for cryptography before they read a certificate
    pass


def general_name_text(name):
    """A subject alternative name as community.crypto writes it (DNS:, IP:, URI:, email:, dirName:)."""
    if isinstance(name, x509.DNSName):
        return "DNS:%s" % name.value
    if isinstance(name, x509.IPAddress):
        return "IP:%s" % name.value
    if isinstance(name, x509.UniformResourceIdentifier):
        return "URI:%s" % name.value
    if isinstance(name, x509.RFC822Name):
        return "email:%s" % name.value
    if isinstance(name, x509.DirectoryName):
        return "dirName:%s" % name.value.rfc4514_string()
    return "other:%s" % (name.value,)


def format_serial(value):
    """Colon-separated lowercase hex with an even number of digits (ACM Private CA's RevokeCertificate form, and the
    enroll role's enroll_serial_hex)."""
    digits = format(value, "x")
    if len(digits) % 2:
        digits = "0" + digits
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))
