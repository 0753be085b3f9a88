# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust anchors with crlDpRevocationEnabled: the emulator fetches the CRL of a certificate's CRL distribution point.

AWS: CreateTrustAnchorRequest / UpdateTrustAnchorRequest / TrustAnchorDetail.crlDpRevocationEnabled, "Specifies
whether the trust anchor checks certificate revocation status against CRL distribution points" (botocore
rolesanywhere 2018-05-10 model). The CRLs are served here over http on loopback, by a server that counts requests.
"""

from __future__ import annotations

import datetime
import http.server
import threading
import time
import uuid

import pytest
from cryptography import x509

from tests.emulator.pathvalidation import DistributionPointCRLs, ValidatedPath
from tests.emulator import awserrors
from tests.functional.emulator import helpers
from tests.support import pki
from tests.support.scenario import make_trust

UNTRUSTED = "Untrusted Signing Certificate"


class CRLServer:
    """http://127.0.0.1:<free port>/<name>: serves the bytes put under that name; counts GETs per name."""

    def __init__(self, delay=0.0):
        self.documents = {}
        self.gets = {}
        self.delay = delay
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  pylint: disable=invalid-name
                name = self.path.lstrip("/")
                server.gets[name] = server.gets.get(name, 0) + 1
                time.sleep(server.delay)
                body = server.documents.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return "http://127.0.0.1:%d/%s" % (self.httpd.server_address[1], name)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def crl_server():
    server = CRLServer()
    yield server
    server.stop()


def distribution_point(url):
    return (x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]), False)


def issue_with_dp(trust, url, cn="host1.example.com"):
    return trust.issue(cn, extra_extensions=[distribution_point(url)])


def set_dp_revocation(emulator, trust, enabled):
    anchor = emulator.boto3_client("rolesanywhere").update_trust_anchor(trustAnchorId=trust.trust_anchor_id,
                                                                        crlDpRevocationEnabled=enabled)["trustAnchor"]
    assert anchor["crlDpRevocationEnabled"] is enabled


def session(trust, leaf, emulator):
    return helpers.create_session(helpers.material_for(leaf), trust, emulator.endpoint)


def test_revoked_certificate_refused_only_when_the_anchor_checks_distribution_points(emulator, crl_server, tmp_path):
    trust = make_trust(emulator, tmp_path)
    name = "revoked-%s.crl" % uuid.uuid4().hex
    leaf = issue_with_dp(trust, crl_server.url(name))
    crl_server.documents[name] = pki.make_crl(trust.issuer, [leaf.serial]).der  # DER, as ACM PCA publishes

    assert session(trust, leaf, emulator).status == 201  # disabled (the emulator's default): nothing fetched
    assert crl_server.gets.get(name) is None

    set_dp_revocation(emulator, trust, True)
    answer = session(trust, leaf, emulator)
    assert answer.status == 403 and answer.code == "AccessDeniedException"
    assert answer.message.startswith(UNTRUSTED) and "revoked" in answer.message and crl_server.url(name) in answer.message
    assert crl_server.gets[name] == 1

    set_dp_revocation(emulator, trust, False)
    assert session(trust, leaf, emulator).status == 201


def test_certificate_not_on_the_crl_passes_and_the_crl_is_cached(emulator, crl_server, tmp_path):
    trust = make_trust(emulator, tmp_path)
    set_dp_revocation(emulator, trust, True)
    name = "good-%s.crl" % uuid.uuid4().hex
    leaf = issue_with_dp(trust, crl_server.url(name))
    crl_server.documents[name] = pki.make_crl(trust.issuer, [12345]).pem  # PEM is accepted too
    assert session(trust, leaf, emulator).status == 201
    assert session(trust, leaf, emulator).status == 201
    assert crl_server.gets[name] == 1  # the second request used the cached CRL
    # A certificate without a distribution point is not checked.
    assert session(trust, trust.leaf, emulator).status == 201


@pytest.mark.parametrize("problem", ["unreachable", "not-a-crl", "other-issuer", "expired", "other-idp"])
def test_unusable_crl_fails_closed(emulator, crl_server, tmp_path, problem):
    trust = make_trust(emulator, tmp_path)
    set_dp_revocation(emulator, trust, True)
    name = "%s-%s.crl" % (problem, uuid.uuid4().hex)
    leaf = issue_with_dp(trust, crl_server.url(name))
    if problem == "not-a-crl":
        crl_server.documents[name] = b"<html>not found</html>"
    elif problem == "other-issuer":
        crl_server.documents[name] = pki.make_crl(pki.make_ca("EC", cn=trust.issuer.certificate.subject.rfc4514_string())).der
    elif problem == "expired":
        crl_server.documents[name] = pki.make_crl(trust.issuer, next_update=-60, last_update=-3600).der
    elif problem == "other-idp":
        crl_server.documents[name] = _crl_with_idp(trust.issuer, crl_server.url("another.crl"))
    answer = session(trust, leaf, emulator)
    assert answer.status == 403 and answer.message.startswith(UNTRUSTED)
    assert "revocation status of the certificate is unknown" in answer.message


def _crl_with_idp(issuer, url):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.certificate.subject)
               .last_update(now - datetime.timedelta(minutes=5)).next_update(now + datetime.timedelta(days=1))
               .add_extension(x509.IssuingDistributionPoint([x509.UniformResourceIdentifier(url)], None, False, False, None, False, False),
                              critical=True))
    return builder.sign(issuer.private_key, pki.SHA256).public_bytes(pki.serialization.Encoding.DER)


# --- bounds, in process ------------------------------------------------------------------------------

def _path_for(url):
    ca = pki.make_ca("EC")
    leaf = pki.make_leaf(ca, extra_extensions=[distribution_point(url)])
    return ca, ValidatedPath((leaf.certificate, ca.certificate))


def test_download_time_and_size_are_bounded():
    slow = CRLServer(delay=3.0)
    try:
        ca, path = _path_for(slow.url("slow.crl"))
        slow.documents["slow.crl"] = pki.make_crl(ca).der
        checker = DistributionPointCRLs(timeout=0.5)
        started = time.monotonic()
        with pytest.raises(awserrors.ServiceError, match="unknown"):
            checker.check(path, datetime.datetime.now(datetime.timezone.utc))
        assert time.monotonic() - started < 2.5
    finally:
        slow.stop()
    big = CRLServer()
    try:
        ca, path = _path_for(big.url("big.crl"))
        big.documents["big.crl"] = pki.make_crl(ca, range(1, 400)).der
        with pytest.raises(awserrors.ServiceError, match="larger than 1000 bytes"):
            DistributionPointCRLs(max_bytes=1000).check(path, datetime.datetime.now(datetime.timezone.utc))
        DistributionPointCRLs().check(path, datetime.datetime.now(datetime.timezone.utc))  # within the default bound
    finally:
        big.stop()


def test_cache_expires():
    server = CRLServer()
    try:
        ca, path = _path_for(server.url("c.crl"))
        server.documents["c.crl"] = pki.make_crl(ca).der
        ticks = [0.0]
        checker = DistributionPointCRLs(cache_seconds=60, clock=lambda: ticks[0])
        now = datetime.datetime.now(datetime.timezone.utc)
        checker.check(path, now)
        checker.check(path, now)
        assert server.gets["c.crl"] == 1
        server.documents["c.crl"] = pki.make_crl(ca, [path.leaf.serial_number]).der
        ticks[0] = 61.0
        with pytest.raises(awserrors.ServiceError, match="revoked"):
            checker.check(path, now)
        assert server.gets["c.crl"] == 2
    finally:
        server.stop()
