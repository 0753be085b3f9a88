# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor under a cold ``credential-process``: the same public libraries, none of the helper's code.

bench_helper runs this beside the helper (``python3 -S cold_floor.py`` + the helper's credential flags) to show
how much of a cold call is the helper's own work. It does what every cold call must do and nothing else:
start the interpreter, load site-packages, import ssl, http.client and cryptography (primitives and x509: AWS's
helper parses the certificate before the request, signer.go ReadCertificateData), load the key and the
certificate, sign, make the TLS connection and POST. The request is not a valid SigV4-X509 request, so the
emulator refuses it at once: the floor is a lower bound (less work on both sides than a real call).
"""
# pylint: disable=import-outside-toplevel
import sys


def main(argv):
    import site
    site.main()  # started with -S, as the helper's shebang does; site-packages as the helper adds them on a miss
    import base64
    import hashlib
    import http.client
    import json
    import os
    import ssl
    from urllib.parse import urlsplit
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    flags = dict(zip(argv[0::2], argv[1::2]))
    with open(flags["--private-key"], "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    with open(flags["--certificate"], "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    string_to_sign = b"AWS4-X509-ECDSA-SHA256\n" + hashlib.sha256(b"request").hexdigest().encode()
    if isinstance(key, rsa.RSAPrivateKey):
        key.sign(string_to_sign, padding.PKCS1v15(), hashes.SHA256())
    else:
        key.sign(string_to_sign, ec.ECDSA(hashes.SHA256()))
    endpoint = urlsplit(flags["--endpoint"])
    context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE"))
    connection = http.client.HTTPSConnection(endpoint.hostname, endpoint.port, context=context)
    der = certificate.public_bytes(serialization.Encoding.DER)
    connection.request("POST", "/sessions", body=json.dumps({"durationSeconds": 3600}),
                       headers={"X-Amz-X509": base64.b64encode(der).decode("ascii")})
    connection.getresponse().read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
