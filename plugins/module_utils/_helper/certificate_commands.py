# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``sign-string`` and ``read-certificate-data``: AWS's helper's commands on the key and the certificate alone."""

from __future__ import annotations

from .._core.errors import ConfigurationError, MaterialError
from .session_request import check_unsupported, key_password, source, tpm_options

SIGNING_TEST_PREFIX = b"AWS Roles Anywhere Credential Helper Signing Test"
SIGNING_TEST_VERSION = 1


# --- sign-string and read-certificate-data -------------------------------------------------------

def signing_test_message(public_key):
    """``prefix || version || SHA256("IAM RA" || public key bytes)``, as AWS's helper builds it.

    Only RSA and EC keys get the suffix: for any other key (ML-DSA) AWS's helper leaves it empty
    (aws/rolesanywhere-credential-helper v1.8.0 cmd/sign_string.go getFixedStringToSign).
    """
    import hashlib  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel

    message = SIGNING_TEST_PREFIX + str(SIGNING_TEST_VERSION).encode("ascii")
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        key_bytes = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    elif isinstance(public_key, rsa.RSAPublicKey):
        key_bytes = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    else:
        return message
    return message + hashlib.sha256(b"IAM RA" + key_bytes).digest()


def sign_with_digest(private_key, message, digest_name):
    """PKCS#1 v1.5 (RSA) or DER ECDSA (EC) over ``digest_name`` of message; raw signature bytes.

    ML-DSA keys sign the message itself and ignore ``--digest``, as AWS's helper does (file_system_signer.go Sign).
    """
    from cryptography.hazmat.primitives import hashes  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, padding  # pylint: disable=import-outside-toplevel
    from .._core.signing import KeySigner, mldsa_private_key_types  # pylint: disable=import-outside-toplevel

    if isinstance(private_key, KeySigner):  # a key in a PKCS#11 token or a TPM: SigV4-X509's digest only
        if digest_name != "SHA256":
            raise ConfigurationError("--digest %s is not available for a key in a PKCS#11 token or a TPM" % digest_name,
                                     "Use --digest SHA256 (the digest CreateSession signs with)")
        return private_key.sign(message)
    if isinstance(private_key, mldsa_private_key_types()):
        return private_key.sign(message)
    algorithm = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}[digest_name]()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(message, ec.ECDSA(algorithm))
    return private_key.sign(message, padding.PKCS1v15(), algorithm)


def _signing_key(args, context):
    from .._core.pkcs11_uri import is_pkcs11_uri  # pylint: disable=import-outside-toplevel
    from .._core.x509 import load_private_key, load_signing_material  # pylint: disable=import-outside-toplevel

    passphrase = key_password(args)
    if is_pkcs11_uri(args.private_key) or is_pkcs11_uri(args.certificate):  # the key stays in its token
        if not args.certificate:
            raise ConfigurationError("sign-string with a pkcs11: key needs --certificate",
                                     "Pass the certificate (a file or its pkcs11: URI): the key is proved against it")
        return load_signing_material(source(args.certificate, context), args.private_key, None,
                                     pkcs11_module=args.pkcs11_lib, reuse_pin=args.reuse_pin).private_key
    if args.private_key:  # a key file, or a TPM key (handle:0x81... or a TSS2 key file) that signs in the TPM
        return load_private_key(source(args.private_key, context), passphrase, tpm_options(args))
    if args.certificate:  # a combined PEM or PKCS#12 file holds the key too
        return load_signing_material(source(args.certificate, context), None, None, passphrase).private_key
    raise ConfigurationError("--private-key is required", "Pass the private key file (or a combined PEM / PKCS#12 as --certificate)")


def run_sign_string(args, context):
    check_unsupported(args)
    private_key = _signing_key(args, context)
    signature = sign_with_digest(private_key, signing_test_message(private_key.public_key()), args.digest)
    if args.format == "bin":
        stream = getattr(context.stdout, "buffer", None)
        if stream is None:
            context.stdout.write(signature.decode("latin-1"))
        else:
            context.stdout.flush()
            stream.write(signature)
    elif args.format == "text":
        context.stdout.write(signature.hex())
    else:
        context.stdout.write('"%s"' % signature.hex())
    return 0


def certificate_data(certificate):
    """The official ``read-certificate-data`` document (same keys, order and spelling).

    As AWS's helper (v1.8.0 aws_signing_helper/signer.go ReadCertificateData): an ML-DSA certificate (found by
    its SubjectPublicKeyInfo OID) has keyType "ML-DSA-44|65|87" and that name as its only supported algorithm;
    otherwise keyType is "RSA", "EC" or "" with the SHA256/384/512 algorithms of it.
    """
    import base64  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel
    from .._core.mldsa_keys import mldsa_certificate_variant  # pylint: disable=import-outside-toplevel

    der = certificate.public_bytes(serialization.Encoding.DER)
    variant = mldsa_certificate_variant(der)
    if variant:
        key_type, algorithms = variant, [variant]
    else:
        public_key = certificate.public_key()
        key_type = "RSA" if isinstance(public_key, rsa.RSAPublicKey) else "EC" if isinstance(public_key, ec.EllipticCurvePublicKey) else ""
        algorithms = ["%sSHA256" % key_type, "%sSHA384" % key_type, "%sSHA512" % key_type]
    return {
        "keyType": key_type,
        "certificateData": base64.b64encode(der).decode("ascii"),
        "serialNumber": str(certificate.serial_number),
        "supportedAlgorithms": algorithms,
    }


def run_read_certificate_data(args, context):
    import json  # pylint: disable=import-outside-toplevel
    from .._core.x509 import load_certificates  # pylint: disable=import-outside-toplevel

    check_unsupported(args)
    if not args.certificate:
        raise ConfigurationError("--certificate is required", "Pass the certificate file (OS certificate stores are not supported yet)")
    if args.certificate.startswith("pkcs11:"):
        raise ConfigurationError("read-certificate-data --certificate pkcs11:... is not supported yet",
                                 "Read the certificate with pkcs11-tool --read-object --type cert --id <id>, or use AWS's aws_signing_helper")
    certificates = load_certificates(source(args.certificate, context))
    if not certificates:
        raise MaterialError("%s holds no certificate" % args.certificate, "Pass a PEM or DER certificate file", source=args.certificate)
    context.stdout.write(json.dumps(certificate_data(certificates[0]), separators=(",", ":")))
    return 0
