# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection (throttling, random 500s, latency, dropped connections) and request counters.

``throttle: "aws"`` applies AWS's quotas: CreateSession 10 requests/s; 1 request/s for each
control-plane family (trust anchor, profile, subject, tagging, CRL), shared by every operation of
the family; ACM PCA IssueCertificate 25 requests/s (Service Quotas L-CAFB4993,
https://docs.aws.amazon.com/general/latest/gr/pca.html#limits_pca). A dict sets rates per operation
name or family name instead.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Dict, Optional, Union

from . import awserrors

CREATE_SESSION = "CreateSession"
FAMILIES = {
    "trust-anchor": ("CreateTrustAnchor", "GetTrustAnchor", "UpdateTrustAnchor", "DeleteTrustAnchor", "EnableTrustAnchor",
                     "DisableTrustAnchor", "ListTrustAnchors", "PutNotificationSettings", "ResetNotificationSettings"),
    "profile": ("CreateProfile", "GetProfile", "UpdateProfile", "DeleteProfile", "EnableProfile", "DisableProfile",
                "ListProfiles", "PutAttributeMapping", "DeleteAttributeMapping"),
    "subject": ("GetSubject", "ListSubjects"),
    "tagging": ("TagResource", "UntagResource", "ListTagsForResource"),
    "crl": ("ImportCrl", "GetCrl", "UpdateCrl", "DeleteCrl", "EnableCrl", "DisableCrl", "ListCrls"),
    "session": (CREATE_SESSION,),
    "issue-certificate": ("IssueCertificate",),  # ACM PCA (served by moto, faults applied by the server)
}
FAMILY_OF = {operation: family for family, operations in FAMILIES.items() for operation in operations}
AWS_QUOTAS = {"session": 10.0, "trust-anchor": 1.0, "profile": 1.0, "subject": 1.0, "tagging": 1.0, "crl": 1.0,
              "issue-certificate": 25.0}

Drop = object()  # sentinel: close the connection without an answer


class TokenBucket:
    """``rate`` requests per second with a burst of ``max(1, rate)``."""

    def __init__(self, rate: float):
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


def _fraction(settings: dict, name: str) -> float:
    value = settings.get(name, 0) or 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError("%s must be a number between 0 and 1, not %r" % (name, value))
    return float(value)


def _throttle_rates(throttle) -> Dict[str, float]:
    """{operation or family: requests per second} from None, "aws" or a dict."""
    if throttle in (None, "", "none", False):
        return {}
    if throttle == "aws":
        return dict(AWS_QUOTAS)
    if not isinstance(throttle, dict):
        raise ValueError('throttle must be null, "aws" or {"OperationOrFamily": requests_per_second}')
    rates = {}
    for name, rate in throttle.items():
        if name not in FAMILY_OF and name not in FAMILIES:
            raise ValueError("unknown operation or family %r in throttle (families: %s)" % (name, ", ".join(sorted(FAMILIES))))
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
            raise ValueError("throttle rate for %s must be a positive number of requests per second" % name)
        rates[name] = float(rate)
    return rates


class Faults:
    """The current fault settings; ``check(operation)`` applies them to one request."""

    def __init__(self, seed: Optional[int] = None):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._settings = {"throttle": None, "error_rate": 0.0, "latency_ms": 0, "drop_rate": 0.0}
        self._rates: Dict[str, float] = {}
        self._buckets: Dict[str, TokenBucket] = {}

    def configure(self, changes: dict) -> dict:
        """Apply the given keys (others keep their value); ValueError names a bad one. Returns the settings."""
        unknown = set(changes) - set(self._settings)
        if unknown:
            raise ValueError("unknown fault setting(s) %s; known: %s" % (", ".join(sorted(unknown)), ", ".join(self._settings)))
        merged = dict(self._settings)
        merged.update(changes)
        rates = _throttle_rates(merged["throttle"])
        latency = merged["latency_ms"] or 0
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
            raise ValueError("latency_ms must be a number >= 0, not %r" % (latency,))
        merged["error_rate"] = _fraction(merged, "error_rate")
        merged["drop_rate"] = _fraction(merged, "drop_rate")
        with self._lock:
            self._settings = merged
            self._rates = rates
            self._buckets = {}
        return self.settings()

    def settings(self) -> dict:
        with self._lock:
            return dict(self._settings)

    def _bucket(self, operation: str) -> Optional[TokenBucket]:
        family = FAMILY_OF.get(operation)
        key = operation if operation in self._rates else family if family in self._rates else None
        if key is None:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._rates[key])
        return bucket

    def check(self, operation: str) -> Union[None, object, awserrors.ServiceError]:
        """None to go on, ``Drop`` to close the connection, or the error to answer (after any latency)."""
        with self._lock:
            settings = self._settings
            bucket = self._bucket(operation)
            dropped = settings["drop_rate"] and self._random.random() < settings["drop_rate"]
            failed = settings["error_rate"] and self._random.random() < settings["error_rate"]
        if settings["latency_ms"]:
            time.sleep(settings["latency_ms"] / 1000.0)
        if dropped:
            return Drop
        if bucket is not None and not bucket.take():
            return awserrors.throttled()
        if failed:
            return awserrors.internal()
        return None


class Counters:
    """Requests received per operation name (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Dict[str, int] = {}

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1

    def snapshot(self) -> Dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
