# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ACM Private CA behaviour moto lacks, added around moto's in-process ACM PCA backend.

moto records revocations but never publishes a CRL, and its IssueCertificate ignores ``Validity``,
``ValidityNotBefore``, ``SigningAlgorithm`` and ``IdempotencyToken``. Requests with
``X-Amz-Target: ACMPrivateCA.*`` still go to moto (it validates input and answers errors); this module
acts before and after it:

- IssueCertificate: the same ``IdempotencyToken`` + CSR for the same CA within 5 minutes answers the first
  certificate's ARN without issuing; after moto issued, the certificate is signed again with the CA key,
  keeping moto's serial, subject, key and extensions but with AWS's validity ("Not Before" 60 minutes
  back unless ``ValidityNotBefore``; "Not After" from ``Validity``), the requested hash, and a CRL
  distribution point when the CA publishes CRLs;
- RevokeCertificate / UpdateCertificateAuthority: a CRL (DER, signed by the CA key, listing every revoked
  serial with its reason) is put into moto's S3 in the bucket of the CA's enabled ``CrlConfiguration``,
  ``crl_delay`` seconds later (AWS takes about 30 minutes): complete CRLs at ``<CustomPath or "crl">/<CA id>.crl``;
  with ``CrlType: PARTITIONED`` one CRL per partition (``PARTITION_SIZE`` certificates each) at the key of
  ``crl_object_key``, with a critical issuingDistributionPoint naming the URL in its certificates.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import io
import json
import sys
import threading
import time
import uuid
from typing import Dict, List, Optional, Set, Tuple

from .wsgi import read_body

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import identifiers
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
except ImportError:  # run from a checkout without the collection layout: the same files, imported directly
    from plugins.module_utils._core import identifiers  # type: ignore[no-redef]
    from plugins.module_utils._core.errors import ConfigurationError  # type: ignore[no-redef]

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtensionOID
except ImportError:  # pragma: no cover - the emulator always runs where moto (and so cryptography) is installed
    x509 = None

TARGET_PREFIX = "ACMPrivateCA."
IDEMPOTENCY_SECONDS = 300
BACKDATE = datetime.timedelta(minutes=60)
RETRY_SECONDS = 2.0
MAX_ATTEMPTS = 30
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
# Certificates per CRL partition of a PARTITIONED CA: small on purpose, so that a test sees several partitions.
PARTITION_SIZE = 3
HASH_BY_PREFIX = {"SHA256": "SHA256", "SHA384": "SHA384", "SHA512": "SHA512"}
REASONS = {
    "UNSPECIFIED": "unspecified", "KEY_COMPROMISE": "key_compromise", "CERTIFICATE_AUTHORITY_COMPROMISE": "ca_compromise",
    "AFFILIATION_CHANGED": "affiliation_changed", "SUPERSEDED": "superseded",
    "CESSATION_OF_OPERATION": "cessation_of_operation", "PRIVILEGE_WITHDRAWN": "privilege_withdrawn",
    "A_A_COMPROMISE": "aa_compromise",
}


class InvalidRequest(Exception):
    """A request AWS would refuse with a 400; ``code`` is the error type."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    year += moment.year
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _end_date(value: int) -> datetime.datetime:
    text = str(value)
    if len(text) == 12:  # UTCTime YYMMDDHHMMSS: YY >= 50 is 19YY
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    if len(text) != 14:
        raise ValueError("END_DATE must be YYMMDDHHMMSS or YYYYMMDDHHMMSS")
    return datetime.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=datetime.timezone.utc)


def validity_time(validity: dict, issued_at: datetime.datetime, parameter: str = "Validity") -> datetime.datetime:
    """The instant an ACM PCA ``Validity`` structure names (DAYS/MONTHS/YEARS count from ``issued_at``)."""
    kind, value = validity.get("Type"), validity.get("Value")
    try:
        value = int(value)
        if value < 1:
            raise ValueError("Value must be at least 1")
        if kind == "DAYS":
            return issued_at + datetime.timedelta(days=value)
        if kind == "MONTHS":
            return _add_months(issued_at, value)
        if kind == "YEARS":
            return _add_months(issued_at, 12 * value)
        if kind == "ABSOLUTE":
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        if kind == "END_DATE":
            return _end_date(value)
    except (TypeError, ValueError, OverflowError, OSError) as error:
        raise InvalidRequest("ValidationException", "Invalid %s %r: %s" % (parameter, validity, error)) from None
    raise InvalidRequest("ValidationException", "Invalid %s Type %r: use END_DATE, ABSOLUTE, DAYS, MONTHS or YEARS" % (parameter, kind))


def hash_for(signing_algorithm: Optional[str]):
    """cryptography hash of an ACM PCA signing algorithm name (SHA256WITHRSA, SHA384WITHECDSA, ...)."""
    name = HASH_BY_PREFIX.get((signing_algorithm or "SHA256WITHRSA")[:6], "SHA256")
    return getattr(hashes, name)()


def crl_object_key(ca_arn: str, crl_configuration: dict, partition: Optional[str] = None) -> str:
    """Where ACM PCA writes a CA's CRL in its bucket.

    Complete CRLs: ``crl/<CA id>.crl``, or ``<CustomPath>/<CA id>.crl`` (privateca user guide crl-planning.html
    #crl-url; the CustomPath form as the collection has always read it). Partitioned CRLs: AWS documents
    ``<CustomPath>/<CrlPartition_GUID>.crl`` (acm-pca CrlConfiguration.CustomPath) and, without CustomPath, only
    that they "have a random GUID appended to them" (crl-planning.html#crl-url). ``crl/<CA id>/<GUID>.crl`` is this
    emulator's assumption; clients find the object through the certificate's CRL distribution point, as AWS says
    they should, so nothing depends on it.
    """
    custom = (crl_configuration.get("CustomPath") or "").strip("/")
    ca_id = identifiers.parse_acm_pca_arn(ca_arn)["ca_id"]
    if partition is None:
        return "%s/%s.crl" % (custom or "crl", ca_id)
    return "%s/%s.crl" % (custom, partition) if custom else "crl/%s/%s.crl" % (ca_id, partition)


def crl_url(ca_arn: str, crl_configuration: dict, partition: Optional[str] = None) -> str:
    """The CRL distribution point ACM PCA writes into issued certificates (the S3 host of the CA's region)."""
    region = identifiers.parse_acm_pca_arn(ca_arn)["region"]
    host = crl_configuration.get("CustomCname") or "%s.s3.%s.amazonaws.com" % (crl_configuration["S3BucketName"], region)
    return "http://%s/%s" % (host, crl_object_key(ca_arn, crl_configuration, partition))


def is_partitioned(crl_configuration: dict) -> bool:
    return crl_configuration.get("CrlType") == "PARTITIONED"


def serial_from_text(serial_text: str) -> int:
    return int(serial_text.replace(":", "").strip(), 16)


def _crl_configuration(authority) -> dict:
    configuration = (authority.revocation_configuration or {}).get("CrlConfiguration") or {}
    return configuration if configuration.get("Enabled") and configuration.get("S3BucketName") else {}


def _authority_key_identifier(authority_certificate):
    try:
        ski = authority_certificate.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_certificate.public_key())


def build_crl(authority, crl_number: int, now: Optional[datetime.datetime] = None,
              serials: Optional[Set[int]] = None, distribution_point: Optional[str] = None) -> bytes:
    """DER CRL of a moto CertificateAuthority: every revoked serial with date and reason, signed by the CA key.

    A partition lists only ``serials`` and carries a critical issuingDistributionPoint naming its URL, which
    clients must match against the certificate's CRL distribution point (acm-pca CrlConfiguration.CrlType).
    """
    now = now or _utcnow()
    configuration = _crl_configuration(authority)
    days = int(configuration.get("ExpirationInDays") or 7)
    certificate = authority.certificate
    builder = (x509.CertificateRevocationListBuilder().issuer_name(certificate.subject).last_update(now)
               .next_update(now + datetime.timedelta(days=days))
               .add_extension(x509.CRLNumber(crl_number), critical=False)
               .add_extension(_authority_key_identifier(certificate), critical=False))
    if distribution_point is not None:
        builder = builder.add_extension(x509.IssuingDistributionPoint(
            [x509.UniformResourceIdentifier(distribution_point)], None, False, False, None, False, False), critical=True)
    for serial_text, details in sorted(authority.revoked_certificates.items()):
        if serials is not None and serial_from_text(serial_text) not in serials:
            continue
        revoked_at = datetime.datetime.fromtimestamp(details.get("revocation_time") or time.time(), datetime.timezone.utc)
        reason = getattr(x509.ReasonFlags, REASONS.get(details.get("revocation_reason"), "unspecified"))
        entry = (x509.RevokedCertificateBuilder().serial_number(serial_from_text(serial_text))
                 .revocation_date(revoked_at.replace(microsecond=0)).add_extension(x509.CRLReason(reason), critical=False).build())
        builder = builder.add_revoked_certificate(entry)
    algorithm = authority.certificate_authority_configuration.get("SigningAlgorithm")
    return builder.sign(authority.key, hash_for(algorithm)).public_bytes(serialization.Encoding.DER)


class PrivateCaExtension:
    """Wraps moto's in-process WSGI application for ``ACMPrivateCA.*`` requests (see the module docstring)."""

    def __init__(self, account: str, region: str, crl_delay: float = 1.0):
        if x509 is None:
            raise RuntimeError("the emulator's ACM PCA extension needs the cryptography package")
        # pylint: disable=import-outside-toplevel
        from moto.acmpca.models import acmpca_backends
        from moto.s3.models import s3_backends

        self.account = account
        self.region = region
        self.crl_delay = float(crl_delay)
        self._acmpca = acmpca_backends
        self._s3 = s3_backends
        self._lock = threading.Lock()
        self._tokens: Dict[Tuple[str, str, str], Tuple[str, float]] = {}
        self._due: Dict[str, Tuple[float, int]] = {}  # CA ARN -> (monotonic due time, attempts so far)
        self._crl_numbers: Dict[str, int] = {}
        self._partitions: Dict[str, List[Tuple[str, Set[int]]]] = {}  # CA ARN -> [(partition GUID, its serials)]
        self._wake = threading.Condition(self._lock)
        self._publisher = threading.Thread(target=self._publish_forever, name="acmpca-crl", daemon=True)
        self._publisher.start()

    # --- request handling -----------------------------------------------------------------------

    def handle(self, environ, start_response, moto_app):
        operation = environ.get("HTTP_X_AMZ_TARGET", "")[len(TARGET_PREFIX):]
        body = read_body(environ)
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}  # moto answers the malformed request
        validity = (None, None)
        if operation == "IssueCertificate" and isinstance(request, dict):
            try:
                remembered = self._remembered_certificate(request)
                if remembered:
                    return _answer(start_response, "200 OK", [("Content-Type", JSON_CONTENT_TYPE)],
                                   json.dumps({"CertificateArn": remembered}).encode("utf-8"))
                validity = self._validity(request)
            except InvalidRequest as error:
                return _answer(start_response, "400 Bad Request", [("Content-Type", JSON_CONTENT_TYPE), ("X-Amzn-ErrorType", error.code)],
                               json.dumps({"__type": error.code, "message": error.message}).encode("utf-8"))
        if operation == "RevokeCertificate" and isinstance(request, dict) and self._already_revoked(request):
            # AWS answers a second revocation of a serial with RequestAlreadyProcessedException ("Your request has
            # already been completed", botocore acm-pca model, RevokeCertificate errors); moto revokes it again
            code = "RequestAlreadyProcessedException"
            return _answer(start_response, "400 Bad Request", [("Content-Type", JSON_CONTENT_TYPE), ("X-Amzn-ErrorType", code)],
                           json.dumps({"__type": code, "message": "Your request has already been completed."}).encode("utf-8"))
        status, headers, answer = _call(moto_app, environ, body)
        if status.startswith("200") and isinstance(request, dict):
            self._after(operation, request, answer, validity)
        return _answer(start_response, status, headers, answer)

    def _after(self, operation: str, request: dict, answer: bytes, validity) -> None:
        ca_arn = request.get("CertificateAuthorityArn", "")
        if operation == "IssueCertificate":
            certificate_arn = json.loads(answer or b"{}").get("CertificateArn")
            if certificate_arn:
                self._resign(ca_arn, certificate_arn, request, *validity)
                self._remember_certificate(request, certificate_arn)
        elif operation in ("RevokeCertificate", "UpdateCertificateAuthority"):
            self.schedule_crl(ca_arn)

    def _already_revoked(self, request: dict) -> bool:
        ca_arn = str(request.get("CertificateAuthorityArn", ""))
        try:
            revoked = self._acmpca[self.account][identifiers.parse_acm_pca_arn(ca_arn)["region"]].describe_certificate_authority(ca_arn).revoked_certificates
        except Exception:  # pylint: disable=broad-except  # moto's own errors: moto answers the request itself
            return False
        wanted = _serial_int(request.get("CertificateSerial"))
        return wanted is not None and any(_serial_int(serial) == wanted for serial in list(revoked))

    # --- IssueCertificate -----------------------------------------------------------------------

    @staticmethod
    def _token_key(request: dict):
        token = request.get("IdempotencyToken")
        if not token:
            return None
        csr_digest = hashlib.sha256(str(request.get("Csr", "")).encode("utf-8")).hexdigest()
        return request.get("CertificateAuthorityArn", ""), token, csr_digest

    def _remembered_certificate(self, request: dict) -> Optional[str]:
        key = self._token_key(request)
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, (_arn, at) in self._tokens.items() if now - at > IDEMPOTENCY_SECONDS]:
                del self._tokens[stale]
            remembered = self._tokens.get(key) if key else None
        return remembered[0] if remembered else None

    def _remember_certificate(self, request: dict, certificate_arn: str) -> None:
        key = self._token_key(request)
        if key:
            with self._lock:
                self._tokens.setdefault(key, (certificate_arn, time.monotonic()))

    @staticmethod
    def _validity(request: dict):
        issued_at = _utcnow()
        not_after = validity_time(request["Validity"], issued_at) if request.get("Validity") else None
        not_before = issued_at - BACKDATE
        if request.get("ValidityNotBefore"):
            not_before = validity_time(request["ValidityNotBefore"], issued_at, "ValidityNotBefore")
        if not_after is not None and not_after <= not_before:
            raise InvalidRequest("ValidationException", "The certificate's Validity ends before it starts (%s <= %s)"
                                 % (not_after.isoformat(), not_before.isoformat()))
        return not_before, not_after

    def authority(self, ca_arn: str):
        """moto's certificate authority of that ARN; None when the ARN is not an ACM PCA ARN (moto answers the error)."""
        try:
            region = identifiers.parse_acm_pca_arn(ca_arn, "CertificateAuthorityArn")["region"]
        except ConfigurationError:
            return None
        return self._acmpca[self.account][region].certificate_authorities.get(ca_arn)

    def _resign(self, ca_arn: str, certificate_arn: str, request: dict, not_before, not_after) -> None:
        """Sign moto's certificate again with the validity, hash and CRL distribution point AWS would use."""
        authority = self.authority(ca_arn)
        if authority is None or certificate_arn not in authority.issued_certificates:
            return
        issued = x509.load_pem_x509_certificate(authority.issued_certificates[certificate_arn])
        builder = (x509.CertificateBuilder().subject_name(issued.subject).issuer_name(issued.issuer)
                   .public_key(issued.public_key()).serial_number(issued.serial_number)
                   .not_valid_before(not_before).not_valid_after(not_after or issued.not_valid_after_utc))
        for extension in issued.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        distribution_point = self._distribution_point(ca_arn, authority, request, issued.serial_number)
        if distribution_point is not None:
            builder = builder.add_extension(distribution_point, critical=False)
        certificate = builder.sign(authority.key, hash_for(request.get("SigningAlgorithm")))
        with self._lock:
            authority.issued_certificates[certificate_arn] = certificate.public_bytes(serialization.Encoding.PEM)

    def _distribution_point(self, ca_arn: str, authority, request: dict, serial: int):
        configuration = _crl_configuration(authority)
        omitted = (configuration.get("CrlDistributionPointExtensionConfiguration") or {}).get("OmitExtension")
        root_certificate = request.get("TemplateArn", "").split("/")[-2:-1] == ["RootCACertificate"]
        if not configuration or root_certificate:
            return None
        partition = self._partition_for(ca_arn, serial) if is_partitioned(configuration) else None
        if omitted:
            return None
        url = crl_url(ca_arn, configuration, partition)
        return x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)])

    def _partition_for(self, ca_arn: str, serial: int) -> str:
        """The GUID of the CRL partition a new certificate is bound to (a new partition every PARTITION_SIZE)."""
        with self._lock:
            partitions = self._partitions.setdefault(ca_arn, [])
            if not partitions or len(partitions[-1][1]) >= PARTITION_SIZE:
                partitions.append((str(uuid.uuid4()), set()))
            partitions[-1][1].add(serial)
            return partitions[-1][0]

    # --- CRL publication ------------------------------------------------------------------------

    def schedule_crl(self, ca_arn: str, attempts: int = 0, delay: Optional[float] = None) -> None:
        with self._wake:
            self._due[ca_arn] = (time.monotonic() + (self.crl_delay if delay is None else delay), attempts)
            self._wake.notify()

    def _publish_forever(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                ready = [(arn, attempts) for arn, (due, attempts) in self._due.items() if due <= now]
                for arn, _attempts in ready:
                    del self._due[arn]
                if not ready:
                    next_due = min((due for due, _attempts in self._due.values()), default=now + 60)
                    self._wake.wait(max(0.05, next_due - now))
                    continue
            for arn, attempts in ready:
                self._publish_once(arn, attempts)

    def _publish_once(self, ca_arn: str, attempts: int) -> None:
        try:
            self.publish_crl(ca_arn)
        except Exception as error:  # pylint: disable=broad-except  # AWS retries a failed CRL update; so do we
            if attempts + 1 < MAX_ATTEMPTS:
                self.schedule_crl(ca_arn, attempts + 1, RETRY_SECONDS)
            else:
                print("emulator: CRL of %s not published: %s" % (ca_arn, error), file=sys.stderr)

    def publish_crl(self, ca_arn: str) -> Optional[str]:
        """Write the CA's CRL now when its CRL configuration is enabled; the S3 key written, or None."""
        authority = self.authority(ca_arn)
        if authority is None or authority.certificate is None:
            return None
        configuration = _crl_configuration(authority)
        if not configuration:
            return None
        with self._lock:
            number = self._crl_numbers.get(ca_arn, 0) + 1
            self._crl_numbers[ca_arn] = number
            partitions = [(guid, set(serials)) for guid, serials in self._partitions.get(ca_arn, [])]
        bucket = self._s3[self.account]["aws"]
        if not is_partitioned(configuration):
            key = crl_object_key(ca_arn, configuration)
            bucket.put_object(configuration["S3BucketName"], key, build_crl(authority, number))
            return key
        key = None
        for guid, serials in partitions:  # each partition: its own object, naming its URL as distribution point
            key = crl_object_key(ca_arn, configuration, guid)
            url = crl_url(ca_arn, configuration, guid)
            bucket.put_object(configuration["S3BucketName"], key, build_crl(authority, number, serials=serials, distribution_point=url))
        return key


def _call(app, environ, body: bytes):
    """Run a WSGI application on a request whose body was already read; (status, headers, body)."""
    environ = dict(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("wsgi.input_terminated", None)
    captured, chunks = {}, []

    def start_response(status, headers, exc_info=None):  # pylint: disable=unused-argument
        captured["status"], captured["headers"] = status, headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    headers = [(name, value) for name, value in captured["headers"] if name.lower() != "content-length"]
    return captured["status"], headers, b"".join(chunks)


def _serial_int(serial) -> Optional[int]:
    try:
        return int(str(serial).replace(":", ""), 16)
    except ValueError:
        return None


def _answer(start_response, status: str, headers, body: bytes):
    start_response(status, list(headers) + [("Content-Length", str(len(body)))])
    return [body]
