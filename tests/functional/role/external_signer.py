# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for a site's own PKI, called by external_signer.yml: CSR on stdin, JSON {certificate, chain} out.

It signs with an intermediate CA that the trust anchor does not hold and returns it as the chain, so the role
must install the chain and hand it to the helper. ``--wrong-key`` certifies a key of its own instead of the
CSR's: a broken signer the role must refuse.

    python external_signer.py ISSUER_CERT ISSUER_KEY [--wrong-key] < csr.pem
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID


def issue_leaf(subject, public_key, issuer_cert, issuer_key, days=20):
    now = datetime.datetime.now(datetime.timezone.utc)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_cert.subject).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("issuer_certificate")
    parser.add_argument("issuer_private_key")
    parser.add_argument("--wrong-key", action="store_true")
    args = parser.parse_args()
    with open(args.issuer_certificate, "rb") as handle:
        issuer_cert = x509.load_pem_x509_certificate(handle.read())
    with open(args.issuer_private_key, "rb") as handle:
        issuer_key = serialization.load_pem_private_key(handle.read(), password=None)
    csr = x509.load_pem_x509_csr(sys.stdin.read().encode())
    public_key = ec.generate_private_key(ec.SECP256R1()).public_key() if args.wrong_key else csr.public_key()
    leaf = issue_leaf(csr.subject, public_key, issuer_cert, issuer_key)
    json.dump({"certificate": pem(leaf), "chain": pem(issuer_cert)}, sys.stdout)


if __name__ == "__main__":
    main()
