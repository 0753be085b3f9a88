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
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

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
