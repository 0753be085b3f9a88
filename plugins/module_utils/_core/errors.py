# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exception hierarchy of the signing core (standard library only).

Every error carries ``message`` (what failed) and ``hint`` (what to do); ``str(error)`` is
``"message. hint"``. No message ever contains a private key, secret key, session token or passphrase:
callers build messages from file names, ARNs, serials and AWS's own error text only.
"""

from __future__ import annotations


class RolesAnywhereError(Exception):
    """Base class. ``message`` says what failed, ``hint`` what to check or do."""

    default_hint = None

    def __init__(self, message, hint=None):
        self.message = str(message)
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(self.__str__())

    def __str__(self):
        if not self.hint:
            return self.message
        return "%s. %s" % (self.message.rstrip(". "), self.hint)

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.__str__())

    def to_dict(self):
        """Plain data for module results and logs (never holds secrets)."""
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class MaterialError(RolesAnywhereError):
    """A certificate, key or chain could not be used; ``source`` names the file (or ``<PEM text>``)."""

    def __init__(self, message, hint=None, source=None):
        self.source = source
        super().__init__(message, hint)

    def to_dict(self):
        result = super().to_dict()
        result["source"] = self.source
        return result


class ConfigurationError(RolesAnywhereError):
    """Bad input caught before any request was sent (ARN, region, duration, endpoint, options)."""


class CreateSessionError(RolesAnywhereError):
    """The service answered CreateSession with an error.

    ``status`` is the HTTP status, ``code`` AWS's error code (``AccessDeniedException``...),
    ``service_message`` the service's own message text.
    """

    default_status = 400
    default_code = "ValidationException"

    def __init__(self, message=None, hint=None, status=None, code=None, service_message=None, attempts=1):
        self.status = int(status) if status is not None else self.default_status
        self.code = code or self.default_code
        self.service_message = service_message if service_message is not None else message
        self.attempts = attempts
        if message is None:
            message = service_message or self.code
        super().__init__(message, hint)

    def to_dict(self):
        result = super().to_dict()
        result.update(status=self.status, code=self.code, service_message=self.service_message)
        return result


class UntrustedCertificateError(CreateSessionError):
    """403 "Untrusted Signing Certificate": no chain to an enabled trust anchor, revoked or expired."""

    default_status = 403
    default_code = "AccessDeniedException"
    default_hint = (
        "Check that the certificate chains to an enabled trust anchor (pass the intermediates), that it is "
        "within its validity period, that it is not revoked by an imported CRL, and that it is a v3 end-entity "
        "certificate (CA:false, keyUsage digitalSignature, signed with SHA-256 or stronger)"
    )


class InvalidSignatureError(CreateSessionError):
    """403 "Invalid signature": the request signature did not verify."""

    default_status = 403
    default_code = "AccessDeniedException"
    default_hint = (
        "Check that the private key belongs to the certificate and that nothing (a proxy or HTTP library) "
        "changed a signed header or the body after signing"
    )


class ClockSkewError(CreateSessionError):
    """403 "Signature expired": X-Amz-Date more than 5 minutes away from the service's clock."""

    default_status = 403
    default_code = "AccessDeniedException"
    default_hint = "Check the host's clock (NTP): it must be within 5 minutes of the real time (UTC)"


class AccessDeniedError(CreateSessionError):
    """403 for other reasons: profile, role, trust policy, session name."""

    default_status = 403
    default_code = "AccessDeniedException"
    default_hint = (
        "Check that the profile is enabled and lists the role, that the role's trust policy allows "
        "rolesanywhere.amazonaws.com (sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity) with conditions "
        "matching this certificate and trust anchor, and that the profile accepts role session names when one is set"
    )


class ValidationError(CreateSessionError):
    """400 ValidationException: a request field was refused."""

    default_status = 400
    default_code = "ValidationException"
    default_hint = "Check the field named in the message (ARNs, durationSeconds 900..43200, roleSessionName)"


class ResourceNotFoundError(CreateSessionError):
    """404: the trust anchor, profile or role does not exist (in this region and account)."""

    default_status = 404
    default_code = "ResourceNotFoundException"
    default_hint = "Check the trust anchor, profile and role ARNs, and that the region matches the trust anchor's"


class ThrottledError(CreateSessionError):
    """429 (or a throttling code) after the retries ran out; ``attempts`` says how many were made."""

    default_status = 429
    default_code = "ThrottlingException"
    default_hint = (
        "CreateSession allows about 10 requests per second per account and region: cache the credentials "
        "(the helper's cached credential-process) or raise max_attempts"
    )


class ServiceError(CreateSessionError):
    """5xx after the retries ran out; ``attempts`` says how many were made."""

    default_status = 500
    default_code = "InternalServerException"
    default_hint = "The service failed: retry later, and check the AWS Health Dashboard for the region"


class TransportError(RolesAnywhereError):
    """No usable answer from the endpoint; ``attempts`` says how many were made."""

    def __init__(self, message, hint=None, attempts=1):
        self.attempts = attempts
        super().__init__(message, hint)


class TLSError(TransportError):
    """TLS handshake or server certificate verification failed."""

    default_hint = (
        "Check the CA bundle (ca_bundle / AWS_CA_BUNDLE) and that a proxy does not intercept TLS; "
        "disable verification only for testing"
    )


class EndpointConnectionError(TransportError):
    """Connection refused or reset, timeout, DNS failure."""

    default_hint = "Check the endpoint URL or region, DNS, proxy settings (https_proxy, no_proxy) and the firewall"


# AWS's messages (lower case, matched as substrings) -> the class that explains them best.
_MESSAGE_CLASSES = (
    ("untrusted signing certificate", UntrustedCertificateError),
    ("certificate is revoked", UntrustedCertificateError),
    ("certificate has expired", UntrustedCertificateError),
    ("invalid signature", InvalidSignatureError),
    ("signature does not match", InvalidSignatureError),
    ("credential should be scoped", InvalidSignatureError),
    ("signature expired", ClockSkewError),
    ("signature not yet current", ClockSkewError),
    ("request time", ClockSkewError),
    ("clock skew", ClockSkewError),
)

_MESSAGE_HINTS = (
    ("not authorized to set rolesessionname",
     "The profile does not accept role session names: set acceptRoleSessionName on the profile, or drop role_session_name"),
    ("attributes failed to be mapped",
     "A certificate field cannot become a session tag: delete that attribute mapping on the profile"),
    ("assume",
     "Check the role's trust policy: principal rolesanywhere.amazonaws.com, actions sts:AssumeRole, sts:TagSession, "
     "sts:SetSourceIdentity, and conditions (aws:SourceArn, aws:PrincipalTag/x509Subject/CN) matching this certificate"),
    ("profile", "Check that the profile exists, is enabled and lists this role"),
    ("role", "Check that the profile lists this role and that the role's trust policy allows this trust anchor"),
)

_STATUS_CLASSES = {400: ValidationError, 403: AccessDeniedError, 404: ResourceNotFoundError, 429: ThrottledError}

THROTTLING_CODES = frozenset(
    ("ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
     "RequestThrottled", "ThrottledException")
)


def _class_for(status, code, text):
    if code in THROTTLING_CODES or status == 429:
        return ThrottledError
    if status >= 500:
        return ServiceError
    for needle, error_class in _MESSAGE_CLASSES:
        if needle in text:
            return error_class
    if code == "ResourceNotFoundException":
        return ResourceNotFoundError
    if code == "ValidationException":
        return ValidationError
    if code == "AccessDeniedException":
        return AccessDeniedError
    return _STATUS_CLASSES.get(status, CreateSessionError)


def error_for_response(status, code, service_message, attempts=1):
    """Build the typed CreateSessionError for an error answer (status, AWS code, AWS message)."""
    text = (service_message or "").lower()
    error_class = _class_for(int(status), code or "", text)
    hint = None
    if error_class in (AccessDeniedError, ValidationError, CreateSessionError):
        for needle, specific_hint in _MESSAGE_HINTS:
            if needle in text:
                hint = specific_hint
                break
    shown = service_message or code or "HTTP %s" % status
    message = "CreateSession failed with HTTP %s %s: %s" % (status, code or "(no error code)", shown)
    if attempts > 1:
        message += " (after %d attempts)" % attempts
    if error_class is CreateSessionError and hint is None:
        hint = "Unexpected answer from the service: check the endpoint URL"
    return error_class(message, hint=hint, status=status, code=code or None, service_message=service_message, attempts=attempts)
