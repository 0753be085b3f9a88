# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate path validation as IAM Roles Anywhere applies it, written with ``cryptography``.

End entity: X.509 v3, basicConstraints CA:false, keyUsage digitalSignature, signed with SHA-256 or
stronger. CA certificates on the path: CA:true, keyCertSign when keyUsage is present, path length
constraints. Every certificate within its validity period. The path ends at a certificate of the
trust anchor (a root or an intermediate CA). Certificates revoked by an enabled CRL of the trust
anchor are refused.

Signature checks are the expensive part: a verified path is cached by the fingerprints of the leaf,
the presented chain and the anchor certificates, so repeated CreateSession calls of one host cost a
dictionary lookup. Validity periods and CRLs are checked on every call (cheap).
"""

from __future__ import annotations

import datetime
import hashlib
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

try:
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import pem
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import RolesAnywhereError
except ImportError:  # run from a checkout without the collection layout: the same files, imported directly
    from plugins.module_utils._core import pem  # type: ignore[no-redef]
    from plugins.module_utils._core.errors import RolesAnywhereError  # type: ignore[no-redef]

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from . import awserrors
from .verify import MLDSA_PUBLIC_KEY_TYPES

UNTRUSTED = "Untrusted Signing Certificate"
STRONG_HASHES = (hashes.SHA256, hashes.SHA384, hashes.SHA512)
MAX_PATH_LENGTH = 8
CACHE_SIZE = 4096
# CRL distribution points (trust anchors with crlDpRevocationEnabled): bounded download, cached per URL.
CRL_FETCH_TIMEOUT = 5.0
CRL_MAX_BYTES = 1 << 20
CRL_CACHE_SECONDS = 300.0
MLDSA_SIGNATURE_OIDS = ("2.16.840.1.101.3.4.3.17", "2.16.840.1.101.3.4.3.18", "2.16.840.1.101.3.4.3.19")


def untrusted(reason: Optional[str] = None) -> awserrors.ServiceError:
    """403 AccessDeniedException with AWS's message, and the reason after it for the person debugging."""
    return awserrors.access_denied(UNTRUSTED if not reason else "%s: %s" % (UNTRUSTED, reason))


def fingerprint(certificate: x509.Certificate) -> bytes:
    return certificate.fingerprint(hashes.SHA256())


def _extension(certificate: x509.Certificate, extension_class):
    try:
        return certificate.extensions.get_extension_for_class(extension_class).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # an extension cryptography cannot parse: the certificate cannot be trusted
        raise untrusted("a certificate extension is malformed") from None


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def not_before(certificate: x509.Certificate) -> datetime.datetime:
    return _aware(getattr(certificate, "not_valid_before_utc", None) or certificate.not_valid_before)


def not_after(certificate: x509.Certificate) -> datetime.datetime:
    return _aware(getattr(certificate, "not_valid_after_utc", None) or certificate.not_valid_after)


def signed_by(certificate, issuer: x509.Certificate) -> bool:
    """Whether ``certificate`` (a certificate or a CRL) carries a valid signature of ``issuer``'s key."""
    public_key = issuer.public_key()
    try:
        if isinstance(certificate, x509.CertificateRevocationList):
            return certificate.is_signature_valid(public_key)
        algorithm = certificate.signature_hash_algorithm
        if isinstance(public_key, rsa.RSAPublicKey):
            if isinstance(certificate.signature_algorithm_parameters, padding.PSS):
                public_key.verify(certificate.signature, certificate.tbs_certificate_bytes,
                                  certificate.signature_algorithm_parameters, algorithm)
            else:
                public_key.verify(certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            certificate.verify_directly_issued_by(issuer)
        return True
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False


def check_end_entity(leaf: x509.Certificate) -> None:
    """AWS's rules for the signing certificate itself."""
    if leaf.version != x509.Version.v3:
        raise untrusted("the end-entity certificate must be X.509 v3")
    constraints = _extension(leaf, x509.BasicConstraints)
    if constraints is None or constraints.ca:
        raise untrusted("the end-entity certificate must have basicConstraints CA:false")
    usage = _extension(leaf, x509.KeyUsage)
    if usage is None or not usage.digital_signature:
        raise untrusted("the end-entity certificate must have keyUsage digitalSignature")
    check_signature_hash(leaf, "end-entity certificate")
    if not isinstance(leaf.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey) + MLDSA_PUBLIC_KEY_TYPES):
        raise untrusted("the end-entity certificate's key must be RSA, EC or ML-DSA")


def check_signature_hash(certificate: x509.Certificate, what: str) -> None:
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if certificate.signature_algorithm_oid.dotted_string in MLDSA_SIGNATURE_OIDS:
        return  # ML-DSA signs the certificate itself, no separate hash (RFC 9881)
    if not isinstance(algorithm, STRONG_HASHES):
        raise untrusted("the %s must be signed with SHA-256 or stronger" % what)


def check_ca(certificate: x509.Certificate, below: int) -> None:
    """A certificate that issues others: CA:true, keyCertSign, and a pathLen allowing ``below`` CAs under it."""
    name = certificate.subject.rfc4514_string()
    constraints = _extension(certificate, x509.BasicConstraints)
    if certificate.version != x509.Version.v3 or constraints is None or not constraints.ca:
        raise untrusted("%s is not a CA certificate (basicConstraints CA:true)" % name)
    usage = _extension(certificate, x509.KeyUsage)
    if usage is not None and not usage.key_cert_sign:
        raise untrusted("%s lacks keyUsage keyCertSign" % name)
    if constraints.path_length is not None and below > constraints.path_length:
        raise untrusted("%s allows %d intermediate CA(s) below it, the path has %d" % (name, constraints.path_length, below))


@dataclass(frozen=True)
class ValidatedPath:
    """leaf first, trust anchor certificate last."""

    certificates: Tuple[x509.Certificate, ...]

    @property
    def leaf(self) -> x509.Certificate:
        return self.certificates[0]


class PathValidator:
    """Builds and verifies a path from a leaf to one of a trust anchor's certificates, with a cache."""

    def __init__(self, cache_size: int = CACHE_SIZE):
        self._cache: "OrderedDict[tuple, object]" = OrderedDict()
        self._crl_cache: Dict[bytes, Tuple[x509.CertificateRevocationList, frozenset]] = {}
        self._lock = threading.Lock()
        self._cache_size = cache_size
        self.hits = 0
        self.misses = 0

    def validate(self, leaf: x509.Certificate, chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate],
                 crls: Sequence[bytes] = (), now: Optional[datetime.datetime] = None) -> ValidatedPath:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        path = self._structural(leaf, chain, anchors)
        check_validity(path, now)
        self._check_revocation(path, crls)
        return path

    def _structural(self, leaf, chain, anchors) -> ValidatedPath:
        key = (fingerprint(leaf), tuple(fingerprint(c) for c in chain), frozenset(fingerprint(a) for a in anchors))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
        if cached is None:
            self.misses += 1
            try:
                cached = build_path(leaf, chain, anchors)
            except awserrors.ServiceError as error:
                cached = error
            with self._lock:
                self._cache[key] = cached
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        if isinstance(cached, awserrors.ServiceError):
            raise awserrors.ServiceError(cached.status, cached.code, cached.message)
        return cached

    def _parsed_crl(self, data: bytes):
        digest = hashlib.sha256(data).digest()
        with self._lock:
            entry = self._crl_cache.get(digest)
        if entry is None:
            from .control_plane import load_crl  # pylint: disable=import-outside-toplevel
            crl = load_crl(data)
            entry = (crl, frozenset(revoked.serial_number for revoked in crl))
            with self._lock:
                self._crl_cache[digest] = entry
        return entry

    def _check_revocation(self, path: ValidatedPath, crls: Sequence[bytes]) -> None:
        """Each certificate below the anchor against every enabled CRL its issuer signed."""
        if not crls:
            return
        parsed = [self._parsed_crl(data) for data in crls]
        for certificate, issuer in zip(path.certificates, path.certificates[1:]):
            for crl, revoked in parsed:
                if certificate.serial_number in revoked and crl.issuer == issuer.subject and signed_by(crl, issuer):
                    what = "certificate" if certificate is path.leaf else "CA certificate %s" % certificate.subject.rfc4514_string()
                    raise untrusted("the %s is revoked (serial %d)" % (what, certificate.serial_number))


def check_validity(path: ValidatedPath, now: datetime.datetime) -> None:
    for certificate in path.certificates:
        what = "certificate" if certificate is path.leaf else "CA certificate %s" % certificate.subject.rfc4514_string()
        if now < not_before(certificate):
            raise untrusted("the %s is not yet valid (notBefore %s)" % (what, not_before(certificate).isoformat()))
        if now > not_after(certificate):
            raise untrusted("the %s has expired (notAfter %s)" % (what, not_after(certificate).isoformat()))


def build_path(leaf: x509.Certificate, chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]) -> ValidatedPath:
    """leaf -> presented intermediates* -> an anchor certificate, every link's signature verified."""
    check_end_entity(leaf)
    anchor_prints = {fingerprint(anchor) for anchor in anchors}
    path: List[x509.Certificate] = [leaf]
    current = leaf
    for _depth in range(MAX_PATH_LENGTH):
        anchor = _issuer_among(current, anchors)
        if anchor is not None:
            path.append(anchor)
            _check_path_cas(path)
            return ValidatedPath(tuple(path))
        if fingerprint(current) in anchor_prints:
            break
        candidates = [c for c in chain if c not in path]
        issuer = _issuer_among(current, candidates)
        if issuer is None:
            break
        path.append(issuer)
        current = issuer
    raise untrusted()


def _issuer_among(certificate: x509.Certificate, candidates: Sequence[x509.Certificate]) -> Optional[x509.Certificate]:
    for candidate in candidates:
        if candidate.subject == certificate.issuer and signed_by(certificate, candidate):
            return candidate
    return None


def _check_path_cas(path: List[x509.Certificate]) -> None:
    """Every certificate above the leaf must be a CA allowed to issue the CAs below it."""
    for index, certificate in enumerate(path[1:], start=1):
        intermediates_below = index - 1
        check_ca(certificate, intermediates_below)
        if index < len(path) - 1:  # the anchor itself is trusted by configuration; intermediates must be strong
            check_signature_hash(certificate, "CA certificate %s" % certificate.subject.rfc4514_string())


class DistributionPointCRLs:
    """Revocation by the CRLs that certificates name in their CRL distribution points.

    AWS: TrustAnchorDetail.crlDpRevocationEnabled "Specifies whether the trust anchor checks certificate
    revocation status against CRL distribution points" (botocore rolesanywhere 2018-05-10 model). How AWS fetches
    and caches is not documented; this emulator's choices, stated as assumptions:
    - only ``http://`` URIs of a distribution point's fullName are used (RFC 5280 4.2.1.13: CRLs over HTTP are
      DER; PEM is accepted too); proxies are never used; a download takes at most ``timeout`` seconds and
      ``max_bytes`` bytes;
    - a CRL is kept for ``cache_seconds`` (at most until its nextUpdate), per URL;
    - fail closed: when no distribution point of a certificate gives a usable CRL (unreachable, too big, not
      a CRL, not signed by the certificate's issuer, past its nextUpdate, or an issuingDistributionPoint naming
      another URL, which ACM PCA's partitioned CRLs carry: "you must validate that the CRL's associated issuing
      distribution point (IDP) URI matches the certificate's CDP URI", acm-pca CrlConfiguration.CrlType), the
      certificate is refused. Certificates without an http distribution point are not checked.
    """

    def __init__(self, timeout: float = CRL_FETCH_TIMEOUT, max_bytes: int = CRL_MAX_BYTES,
                 cache_seconds: float = CRL_CACHE_SECONDS, clock=time.monotonic):
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.fetches = 0
        self._cache: Dict[str, Tuple[x509.CertificateRevocationList, float]] = {}
        self._lock = threading.Lock()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def check(self, path: ValidatedPath, now: datetime.datetime) -> None:
        """Refuse the path when a certificate below the anchor is revoked by the CRL of its distribution point."""
        for certificate, issuer in zip(path.certificates, path.certificates[1:]):
            urls = distribution_point_urls(certificate)
            if not urls:
                continue
            what = "certificate" if certificate is path.leaf else "CA certificate %s" % certificate.subject.rfc4514_string()
            problems = []
            for url in urls:
                try:
                    crl = self._usable_crl(url, issuer, now)
                except ValueError as error:
                    problems.append("%s: %s" % (url, error))
                    continue
                if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
                    raise untrusted("the %s is revoked (serial %d, CRL distribution point %s)" % (what, certificate.serial_number, url))
                break
            else:
                raise untrusted("the revocation status of the %s is unknown (%s)" % (what, "; ".join(problems)))

    def _usable_crl(self, url: str, issuer: x509.Certificate, now: datetime.datetime) -> x509.CertificateRevocationList:
        crl = self.crl(url)
        if crl.issuer != issuer.subject or not signed_by(crl, issuer):
            raise ValueError("the CRL is not signed by the certificate's issuer")
        next_update = getattr(crl, "next_update_utc", None) or crl.next_update
        if next_update is not None and _aware(next_update) < now:
            raise ValueError("the CRL expired (nextUpdate %s)" % _aware(next_update).isoformat())
        try:
            point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
        except x509.ExtensionNotFound:
            point = None
        if point is not None and point.full_name:
            named = [name.value for name in point.full_name if isinstance(name, x509.UniformResourceIdentifier)]
            if url not in named:
                raise ValueError("the CRL's issuing distribution point is %s, not this URL" % ", ".join(named))
        return crl

    def crl(self, url: str) -> x509.CertificateRevocationList:
        """The CRL at url, from the cache while it is fresh; ValueError saying why there is none."""
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and cached[1] > self.clock():
            return cached[0]
        data = self._download(url)
        try:
            crl = pem.load_crl(data, url)
        except RolesAnywhereError:
            raise ValueError("the answer is not a CRL") from None
        expires = self.clock() + self.cache_seconds
        next_update = getattr(crl, "next_update_utc", None) or crl.next_update
        if next_update is not None:
            seconds_left = (_aware(next_update) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
            expires = min(expires, self.clock() + max(0.0, seconds_left))
        with self._lock:
            self._cache[url] = (crl, expires)
        return crl

    def _download(self, url: str) -> bytes:
        with self._lock:
            self.fetches += 1
        try:
            with self._opener.open(url, timeout=self.timeout) as answer:
                data = answer.read(self.max_bytes + 1)
        except urllib.error.HTTPError as error:
            raise ValueError("HTTP %d" % error.code) from None
        except (OSError, ValueError) as error:
            raise ValueError("cannot be fetched (%s)" % (getattr(error, "reason", None) or error)) from None
        if len(data) > self.max_bytes:
            raise ValueError("the CRL is larger than %d bytes" % self.max_bytes)
        return data


def distribution_point_urls(certificate: x509.Certificate) -> List[str]:
    """The http:// URIs of the fullNames of a certificate's CRL distribution points, in order."""
    points = _extension(certificate, x509.CRLDistributionPoints) or []
    return [name.value for point in points for name in (point.full_name or [])
            if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith("http://")]
