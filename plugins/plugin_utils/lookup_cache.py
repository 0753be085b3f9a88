# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``rolesanywhere.fleet.credentials`` lookup on the credential helper's file cache (standard library only).

Ansible evaluates lookups in worker processes that it forks per host and task, so memory is lost after
every task. The lookup therefore keeps its credentials where ``credential-process --cache`` keeps them:
``CredentialCache`` of ``module_utils/_core/cache.py``, one 0600 file per identity in a 0700 directory of
the user, with the same per-identity ``flock`` so that any number of workers make one CreateSession.
The directory is ``$XDG_RUNTIME_DIR/rolesanywhere-fleet`` when that is a private directory of this user
(memory-backed and removed at logout on systemd systems), else the helper's default directory.

Per identity the directory holds:

* ``<key>.cred``: the helper's entry, whose payload is exactly what ``credential-process`` prints, so the
  helper serves an entry the lookup wrote, for the same inputs;
* ``<sha256("lookup-details", key)>.cred``: what the lookup returns beyond that (the assumed-role ARN,
  the source identity), with no secret, valid exactly as long as the credentials;
* ``<sha256("lookup-failure", key, TLS settings)>.cred``: the secret-free message of a CreateSession
  that failed, for ``FAILURE_TTL_SECONDS``, so that 200 hosts do not send 200 doomed requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import cache as credential_cache
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.refresh import LOOKUP_POLICY

FAILURE_TTL_SECONDS = 60
MATERIAL_FIELDS = ("certificate", "private_key", "intermediates")


class CacheUnavailable(Exception):
    """The cache directory or its lock cannot be used; the caller goes without the cache."""


class SessionFailure(Exception):
    """CreateSession failed; remembered for FAILURE_TTL_SECONDS. ``error_type`` names the original class."""

    def __init__(self, message, error_type=None):
        self.error_type = error_type
        super().__init__(message)

    @classmethod
    def wrapping(cls, error):
        return cls(str(error), type(error).__name__)


class Fetched:
    """What a CreateSession gave: the lookup's value, the helper's payload, and when the entry stops being good."""

    __slots__ = ("value", "payload", "expires")

    def __init__(self, value, payload, expires):
        self.value = value
        self.payload = payload
        self.expires = float(expires)

    def __repr__(self):
        return "Fetched(expires=%r)" % self.expires  # value and payload hold credentials: never shown


def cache_key(*parts):
    """The cache entry name of the lookup's parts (sha256 of the lines): one rule for every lookup entry."""
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _is_path(value):
    return isinstance(value, str) and "-----BEGIN" not in value and "\n" not in value


def _text_bytes(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class Identity:
    """Cache keys and certificate state of one set of lookup settings.

    ``key`` is the helper's ``identity_key`` of the same inputs (paths, ARNs, region, the endpoint, FIPS and
    dual-stack switches as resolved, duration, session name), so the helper and the lookup share an entry when they are given the same files and
    settings. The helper has no way to take PEM text or a list of intermediates: such a value enters its
    field as ``-`` (the helper's spelling for stdin) and its digest is added to the key.
    """

    __slots__ = ("key", "details_key", "failure_key", "state")

    def __init__(self, settings):
        fields = {
            "trust_anchor_arn": settings["trust_anchor_arn"], "profile_arn": settings["profile_arn"],
            "role_arn": settings["role_arn"], "session_duration": int(settings["duration_seconds"]),
            "role_session_name": settings.get("role_session_name"), "region": settings.get("region"),
            "endpoint": settings.get("endpoint_url"), "use_fips_endpoint": bool(settings.get("use_fips_endpoint")),
            "use_dualstack_endpoint": bool(settings.get("use_dualstack_endpoint")),
        }
        digests = []
        for name in MATERIAL_FIELDS:
            value = settings.get(name)
            if not value:
                fields[name] = ""
            elif _is_path(value):
                fields[name] = os.path.expanduser(value)
            else:
                fields[name] = credential_cache.STDIN
                items = value if isinstance(value, (list, tuple)) else [value]
                digests.append("%s=%s" % (name, ",".join(
                    "path:" + os.path.abspath(os.path.expanduser(item)) if _is_path(item) else credential_cache.data_fingerprint(_text_bytes(item))
                    for item in items)))
        if digests:  # a field of the lookup's own: the helper never makes this key
            fields["lookup material"] = "\n".join(digests)
        self.key = credential_cache.identity_key(credential_cache.with_pkcs11_module(fields, settings.get("pkcs11_lib")))
        certificate = settings["certificate"]
        if _is_path(certificate):
            self.state = credential_cache.certificate_state(fields["certificate"])
        else:
            self.state = credential_cache.certificate_state(credential_cache.STDIN, _text_bytes(certificate))
        self.details_key = cache_key("lookup-details", self.key)
        # A TLS failure depends on the CA bundle and on validate_certs, not only on the identity.
        self.failure_key = cache_key("lookup-failure", self.key, "ca_bundle=%s" % (settings.get("ca_bundle") or ""),
                                     "validate_certs=%s" % bool(settings.get("validate_certs", True)))


def cache_directory(environ=None):
    """The helper's cache directory (``$XDG_RUNTIME_DIR/rolesanywhere-fleet`` when private, else on disk)."""
    return credential_cache.cache_directory(os.environ if environ is None else environ)


def _no_warning(_message):
    return None


class LookupCache:
    """The lookup's entries in the helper's ``CredentialCache``."""

    def __init__(self, directory=None, clock=time.time, warn=_no_warning, margin=LOOKUP_POLICY):
        self.store = credential_cache.CredentialCache(
            directory or cache_directory(), elsewhere="set XDG_RUNTIME_DIR to a 0700 directory of yours")
        self._clock = clock
        self._warn = warn
        self.margin = margin

    def cached(self, identity):
        """The fresh value for identity, or None; raises the remembered SessionFailure of a recent failure."""
        now = self._clock()
        payload = self.store.lookup(identity.key, identity.state, self.margin, now)
        if payload is not None:
            details = self.store.lookup(identity.details_key, identity.state, self.margin, now)
            value = _value(payload, details)
            if value is not None:
                return value
        failure = self.store.lookup(identity.failure_key, identity.state, 0, now)
        if failure is None:
            return None
        try:
            remembered = json.loads(failure)
            message, kind = remembered["message"], remembered.get("type")
        except (ValueError, TypeError, KeyError):
            return None
        raise SessionFailure(message, kind)

    def get_or_create(self, identity, create):
        """The value for identity; ``create() -> Fetched`` runs in one process at a time per identity.

        A SessionFailure raised by create() is remembered for FAILURE_TTL_SECONDS and raised again to
        every caller meanwhile; other exceptions propagate and are not remembered. CacheUnavailable
        (before create() ran) when the directory or the lock cannot be used.
        """
        value = self.cached(identity)
        if value is not None:
            return value
        try:
            lock = self.store.locked(identity.key)  # creates the directory, or refuses one that is not ours
            lock.__enter__()
        except (credential_cache.CacheError, OSError) as error:
            raise CacheUnavailable(str(error)) from None
        try:
            value = self.cached(identity)  # another worker may have made it while this one waited
            if value is not None:
                return value
            obtained = self._clock()
            try:
                fetched = create()
            except SessionFailure as failure:
                document = json.dumps({"type": failure.error_type, "message": str(failure)})
                self._store(identity.failure_key, identity.state, document, obtained, obtained + FAILURE_TTL_SECONDS)
                raise
            self._store(identity.key, identity.state, fetched.payload, obtained, fetched.expires)
            details = dict((name, fetched.value[name]) for name in ("access_key", "role_arn", "assumed_role_arn", "source_identity"))
            self._store(identity.details_key, identity.state, json.dumps(details), obtained, fetched.expires)
            self.store.remove(identity.failure_key)
            return fetched.value
        finally:
            lock.__exit__(None, None, None)

    def _store(self, key, state, payload, obtained, expires):
        if state is None:
            return  # the certificate file cannot be stat'ed: nothing could tell when the entry goes stale
        try:
            self.store.store(key, state, payload, obtained, expires)
        except (credential_cache.CacheError, OSError) as error:
            self._warn("the credential cache was not written: %s" % error)


def _value(payload, details):
    """The lookup's dictionary from the helper's payload and the lookup's details; None unless they match."""
    try:
        credentials = json.loads(payload)
        extra = json.loads(details) if details is not None else None
        if not isinstance(extra, dict) or extra.get("access_key") != credentials["AccessKeyId"]:
            return None  # an entry of the helper, or refreshed by it: the lookup makes its own
        return {
            "access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
            "session_token": credentials["SessionToken"], "expiration": credentials["Expiration"],
            "role_arn": extra["role_arn"], "assumed_role_arn": extra["assumed_role_arn"],
            "source_identity": extra["source_identity"],
        }
    except (ValueError, TypeError, KeyError):
        return None
