# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator with moto in this process, plus the one ACM PCA behaviour moto lacks: CRL publishing.

ACM Private CA writes a new CRL to the CA's S3 bucket (``crl/<ca id>.crl``, DER) some time after a
RevokeCertificate. moto records revocations but publishes nothing, so this process plays that part: it
watches moto's ACM PCA backend and, when a CA with CRLs enabled has new revocations, signs a CRL with
the CA's key and puts it into moto's S3 through the public API.

Run: ``python tests/functional/fleet/pca_emulator.py --max-lifetime 900`` prints the emulator's JSON line
and serves until SIGTERM, SIGINT or the lifetime ends.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

PUBLISH_INTERVAL = 0.5


def build_crl(authority, revoked):
    """DER CRL of an ACM PCA certificate authority (moto's model) listing the revoked serials."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now - datetime.timedelta(minutes=1))
        .next_update(now + datetime.timedelta(days=7))
    )
    for serial_text, details in revoked.items():
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(serial_text.replace(":", ""), 16))
            .revocation_date(datetime.datetime.fromtimestamp(details.get("revocation_time", time.time()), datetime.timezone.utc))
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(authority.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def publish_forever(info, stop):
    """Publish a CRL for every CA whose revocations changed since the last look."""
    import boto3  # pylint: disable=import-outside-toplevel
    from moto.acmpca.models import acmpca_backends  # pylint: disable=import-outside-toplevel

    s3 = boto3.client("s3", region_name=info["region"], endpoint_url=info["endpoint"],
                      aws_access_key_id="testing", aws_secret_access_key="testing")  # moto accepts any key
    published = {}
    while not stop.wait(PUBLISH_INTERVAL):
        backend = acmpca_backends[info["account"]][info["region"]]
        for arn, authority in list(backend.certificate_authorities.items()):
            config = authority.revocation_configuration.get("CrlConfiguration") or {}
            state = tuple(sorted(authority.revoked_certificates))
            if not config.get("Enabled") or not state or published.get(arn) == state or authority.certificate is None:
                continue
            key = "crl/%s.crl" % arn.rsplit("/", 1)[-1]
            s3.put_object(Bucket=config["S3BucketName"], Key=key, Body=build_crl(authority, authority.revoked_certificates))
            published[arn] = state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-lifetime", type=float, default=900.0, help="stop after this many seconds")
    args = parser.parse_args()
    from tests.emulator.server import start_emulator  # pylint: disable=import-outside-toplevel

    running = start_emulator()
    info = running.info.as_dict()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    publisher = threading.Thread(target=publish_forever, args=(info, stop), name="crl-publisher", daemon=True)
    publisher.start()
    print(json.dumps(info), flush=True)
    stop.wait(args.max_lifetime)
    stop.set()
    running.stop()


if __name__ == "__main__":
    main()
