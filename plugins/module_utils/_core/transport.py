# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Call IAM Roles Anywhere CreateSession over HTTPS with the standard library only.

CA bundle (explicit, else ``AWS_CA_BUNDLE``, else the system store), proxies from the environment,
connect/read timeouts, bounded retries with full-jitter backoff on throttling, 5xx and connection
errors (never on other 4xx), and a fresh signature for every attempt. The answer becomes a
``SessionCredentials`` whose repr never shows a secret.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import re
import socket
import ssl
import time
import email.utils
from urllib.parse import urlsplit

from .errors import (
    THROTTLING_CODES,
    ConfigurationError,
    CreateSessionError,
    EndpointConnectionError,
    ServiceError,
    ThrottledError,
    TLSError,
    UntrustedCertificateError,
    error_for_response,
)
from .records import Record
from .refresh import REQUEST_BACKOFF, Backoff
from .sdk_config import ClientConfig, Proxy, proxy_from_environment  # noqa: F401  pylint: disable=unused-import
from .signing import DEFAULT_DURATION_SECONDS, release_key, session_parameters, sign_create_session_request

DEFAULT_USER_AGENT = "rolesanywhere.fleet"
MAX_RESPONSE_BYTES = 1024 * 1024
BACKOFF_BASE_SECONDS = REQUEST_BACKOFF.base
BACKOFF_CAP_SECONDS = REQUEST_BACKOFF.cap
# The longest wait a service may ask for (retryAfterSeconds, Retry-After) that create_session sleeps through itself.
MAX_RETRY_AFTER_SECONDS = 30.0
EXPIRATION_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


# --- result ---------------------------------------------------------------------------------------

class SessionCredentials(Record):
    """Temporary credentials from CreateSession. Secrets are left out of repr()."""

    # access_key_id, secret_access_key, session_token: str; expiration: datetime (aware); the rest str or None
    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expiration", "role_arn", "assumed_role_arn",
                 "assumed_role_id", "subject_arn", "source_identity")
    _defaults = dict.fromkeys(("role_arn", "assumed_role_arn", "assumed_role_id", "subject_arn", "source_identity"))
    _hidden = frozenset(("secret_access_key", "session_token"))

    @property
    def expiration_text(self):
        """Expiration as AWS writes it: ``2024-07-06T12:38:59Z``."""
        return self.expiration.astimezone(datetime.timezone.utc).strftime(EXPIRATION_FORMAT)

    def credential_process_json(self):
        """The official helper's credential-process output: compact, fixed key order, no newline."""
        document = (
            ("Version", 1),
            ("AccessKeyId", self.access_key_id),
            ("SecretAccessKey", self.secret_access_key),
            ("SessionToken", self.session_token),
            ("Expiration", self.expiration_text),
        )
        return json.dumps(dict(document), separators=(",", ":"))

    def remaining_seconds(self, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return (self.expiration - now).total_seconds()

    def describe(self):
        """Non-secret facts for logs and module results."""
        return {
            "access_key_id": self.access_key_id,
            "expiration": self.expiration_text,
            "role_arn": self.role_arn,
            "assumed_role_arn": self.assumed_role_arn,
            "assumed_role_id": self.assumed_role_id,
            "subject_arn": self.subject_arn,
            "source_identity": self.source_identity,
        }


def parse_expiration(text):
    """AWS timestamps (``2024-07-06T12:38:59Z``, with fractions or an offset) to an aware UTC datetime."""
    value = str(text).strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    # Whole seconds are what AWS sends and prints; fromisoformat on 3.8-3.10 also chokes on 9-digit fractions.
    value = re.sub(r"\.\d+", "", value, count=1)
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def _malformed(reason, status=201):
    # The body holds secrets: never quote it in the message.
    return CreateSessionError(
        "CreateSession answered HTTP %s but %s" % (status, reason),
        hint="Check that the endpoint is a Roles Anywhere endpoint",
        status=status, code="MalformedResponse", service_message=reason,
    )


def _credentials_from_document(document):
    try:
        entry = document["credentialSet"][0]
        credentials = entry["credentials"]
        access_key_id = credentials["accessKeyId"]
        secret_access_key = credentials["secretAccessKey"]
        session_token = credentials["sessionToken"]
        expiration_text = credentials["expiration"]
    except (KeyError, IndexError, TypeError):
        raise _malformed("the body has no credentialSet[0].credentials with all four fields") from None
    try:
        expiration = parse_expiration(expiration_text)
    except ValueError:
        raise _malformed("the credentials' expiration is not an ISO 8601 time") from None
    assumed = entry.get("assumedRoleUser") or {}
    return SessionCredentials(
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        session_token=session_token,
        expiration=expiration,
        role_arn=entry.get("roleArn"),
        assumed_role_arn=assumed.get("arn"),
        assumed_role_id=assumed.get("assumedRoleId"),
        subject_arn=document.get("subjectArn"),
        source_identity=entry.get("sourceIdentity"),
    )


def _header(headers, name):
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    if getter is not None:
        value = getter(name)
        if value is not None:
            return value
    items = headers.items() if hasattr(headers, "items") else headers
    for key, value in items:
        if key.lower() == name.lower():
            return value
    return None


def _error_code(headers, document):
    """X-Amzn-ErrorType (text before ':'), else body ``code``, else ``__type`` (text after '#')."""
    code = _header(headers, "X-Amzn-ErrorType")
    if code:
        return code.split(":", 1)[0].strip()
    if isinstance(document, dict):
        code = document.get("code") or document.get("Code") or document.get("__type")
        if isinstance(code, str) and code:
            return code.rsplit("#", 1)[-1].split(":", 1)[0].strip()
    return None


def _error_message(document, body, status):
    if isinstance(document, dict):
        for key in ("message", "Message", "errorMessage"):
            if isinstance(document.get(key), str):
                return document[key]
    if status >= 300 and body:  # a proxy's or load balancer's page: show its start
        return " ".join(body[:200].decode("utf-8", "replace").split())
    return None


def _json_or_none(body):
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def _response_error(status, headers, body, attempts):
    document = _json_or_none(body)
    return error_for_response(status, _error_code(headers, document), _error_message(document, body, status), attempts=attempts)


def parse_create_session_response(status, headers, body, attempts=1):
    """SessionCredentials from a 201 answer; the typed CreateSessionError otherwise."""
    status = int(status)
    if isinstance(body, str):
        body = body.encode("utf-8")
    if status != 201:
        raise _response_error(status, headers, body, attempts)
    document = _json_or_none(body)
    if not isinstance(document, dict):
        raise _malformed("the body is not a JSON object")
    return _credentials_from_document(document)


# --- TLS and proxies ------------------------------------------------------------------------------

def ssl_context(ca_bundle=None, verify_ssl=True, origin=None):
    """Verifying context from ca_bundle, else AWS_CA_BUNDLE, else the system store; or no verification.

    A CA bundle replaces the system store, as AWS's SDK does (SDK config/resolve.go resolveCustomCABundle puts the
    bundle's certificates into a new, empty RootCAs pool). ``origin`` names where ca_bundle came from.
    """
    if not verify_ssl:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    bundle = ca_bundle or os.environ.get("AWS_CA_BUNDLE") or None
    if bundle is None:
        return _system_context()
    bundle = os.path.expanduser(bundle)
    origin = origin or ("ca_bundle" if ca_bundle else "AWS_CA_BUNDLE")
    if not os.path.isfile(bundle):
        raise ConfigurationError("%s %s does not exist or is not a file" % (origin, bundle),
                                 "Point %s to a PEM file of CA certificates, or unset it to use the system's" % origin)
    try:
        return ssl.create_default_context(cafile=bundle)
    except (ssl.SSLError, ValueError, OSError) as error:
        raise ConfigurationError(
            "%s %s holds no usable CA certificate (%s)" % (origin, bundle, getattr(error, "reason", None) or error),
            "Point %s to a PEM file of CA certificates" % origin,
        ) from None


def _system_context():
    context = ssl.create_default_context()
    if context.cert_store_stats().get("x509_ca", 0) == 0:
        # Minimal images sometimes lack a system store that OpenSSL finds; certifi (botocore's) helps then.
        try:
            import certifi  # pylint: disable=import-outside-toplevel

            context.load_verify_locations(cafile=certifi.where())
        except (ImportError, OSError, ssl.SSLError):
            pass
    return context


def proxy_for(url, use_proxy=True, environ=None):
    """The environment's proxy for url by Go's rules (``sdk_config.proxy_from_environment``), or None."""
    if not use_proxy:
        return None
    return proxy_from_environment(url, environ)


# --- one attempt ------------------------------------------------------------------------------------

def _connection(parts, context, proxy, connect_timeout):
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    if proxy is None:
        if parts.scheme == "https":
            return http.client.HTTPSConnection(parts.hostname, port, timeout=connect_timeout, context=context)
        return http.client.HTTPConnection(parts.hostname, port, timeout=connect_timeout)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=connect_timeout, context=context)
        tunnel_headers = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
        connection.set_tunnel(parts.hostname, port, headers=tunnel_headers)
        return connection
    return http.client.HTTPConnection(proxy.host, proxy.port, timeout=connect_timeout)


def send_prepared(prepared, context=None, proxy=None, connect_timeout=10, read_timeout=30, user_agent=DEFAULT_USER_AGENT):
    """Send a PreparedRequest exactly as signed; return (status, headers, body). Raises OSError family."""
    parts = urlsplit(prepared.url)
    connection = _connection(parts, context, proxy, connect_timeout)
    target = prepared.path + ("?" + parts.query if parts.query else "")
    if proxy is not None and parts.scheme == "http":
        target = prepared.url  # plain HTTP through a proxy uses the absolute form
    try:
        connection.connect()
        connection.sock.settimeout(read_timeout)
        # skip_host / skip_accept_encoding: every header on the wire is one we chose (and signed).
        connection.putrequest(prepared.method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in prepared.headers.items():
            connection.putheader(name, value)
        if user_agent:
            connection.putheader("User-Agent", user_agent)
        if proxy is not None and parts.scheme == "http" and proxy.authorization:
            connection.putheader("Proxy-Authorization", proxy.authorization)
        connection.putheader("Content-Length", str(len(prepared.body)))
        connection.endheaders(prepared.body)
        response = connection.getresponse()
        body = response.read(MAX_RESPONSE_BYTES)
        return response.status, response.headers, body
    finally:
        connection.close()


# --- retries ------------------------------------------------------------------------------------------

def backoff_seconds(attempt, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS, rng=random):
    """Full jitter: uniform(0, min(cap, base * 2 ** (attempt - 1))) (the one backoff rule: refresh.Backoff)."""
    return Backoff(base, cap).delay(attempt, rng)


def is_retryable(status, code):
    return status == 429 or status >= 500 or (code in THROTTLING_CODES)


def retry_after_seconds(headers, document, now=None):
    """How long the service asks us to wait, in seconds, or None.

    The largest of: ``retryAfterSeconds`` of a ServiceUnavailableException body (botocore rolesanywhere model,
    shape ServiceUnavailableException: "recommended number of seconds after which the client should retry"),
    the standard ``Retry-After`` header (seconds or an HTTP date, RFC 9110 10.2.3) and ``x-amz-retry-after``
    (milliseconds; botocore retries/standard.py). Neither AWS's Go helper nor botocore reads the first two: we
    honour them because a server that says when to come back is best obeyed.
    """
    found = []
    value = document.get("retryAfterSeconds") if isinstance(document, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        found.append(float(value))
    text = (_header(headers, "Retry-After") or "").strip()
    if text.isdigit():
        found.append(float(text))
    elif text:
        try:
            moment = email.utils.parsedate_to_datetime(text)
            found.append(max(0.0, moment.timestamp() - (time.time() if now is None else now)))
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    text = (_header(headers, "x-amz-retry-after") or "").strip()
    if text.isdigit():
        found.append(int(text) / 1000.0)
    return max(found) if found else None


def is_transient(error):
    """True for failures that heal by waiting: connection problems, 5xx, throttling, TLS handshakes cut short.

    Bad input, a key or certificate refused, a TLS certificate that does not verify: False (waiting does not help).
    """
    if isinstance(error, (ThrottledError, ServiceError)):
        return True
    if isinstance(error, TLSError):
        return not getattr(error, "certificate_verification", False)
    return isinstance(error, EndpointConnectionError)


def _describe_os_error(error):
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, socket.gaierror):
        return "name resolution failed (%s)" % (error.strerror or error)
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (ConnectionResetError, http.client.RemoteDisconnected)):
        return "connection reset by the server"
    if str(error).startswith("Tunnel connection failed"):  # http.client's words for a CONNECT answer other than 200
        return "the proxy refused the tunnel (%s)" % str(error).split(":", 1)[-1].strip()
    return "%s: %s" % (type(error).__name__, getattr(error, "strerror", None) or error)


def _transport_error(error, host, proxy, attempts):
    via = " via proxy %s:%d (from %s)" % (proxy.host, proxy.port, proxy.source) if proxy else ""
    suffix = " (after %d attempts)" % attempts if attempts > 1 else ""
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = error.verify_message or error.reason or str(error)
        result = TLSError("TLS certificate verification failed for %s%s: %s%s" % (host, via, reason, suffix), attempts=attempts)
        result.certificate_verification = True
        return result
    if isinstance(error, ssl.SSLError):
        return TLSError("TLS handshake with %s%s failed: %s%s" % (host, via, error.reason or error, suffix), attempts=attempts)
    hint = None
    if proxy is not None:
        hint = ("Check the proxy in %s (it must accept CONNECT to %s), or add %s to NO_PROXY to go direct"
                % (proxy.source, host, host.rsplit(":", 1)[0] if not host.endswith("]") else host))
    return EndpointConnectionError("cannot reach %s%s: %s%s" % (host, via, _describe_os_error(error), suffix),
                                   hint=hint, attempts=attempts)


def _not_roles_anywhere(status, prepared, attempts):
    # A 404 without AWS's error code (X-Amzn-ErrorType or a JSON "code") nor a JSON body: a web server's, not the service's.
    return CreateSessionError(
        "%s answered HTTP %d without an AWS error code: this URL is not a Roles Anywhere endpoint"
        % (prepared.url.split("?", 1)[0], status),
        hint="Check the endpoint URL: it is the service's base URL, e.g. https://rolesanywhere.us-east-1.amazonaws.com",
        status=status, code="NotRolesAnywhere", service_message="HTTP %d" % status, attempts=attempts,
    )


def _check_attempt_options(max_attempts, connect_timeout, read_timeout):
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ConfigurationError("max_attempts %r must be a whole number >= 1" % (max_attempts,), "Use e.g. 3")
    for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigurationError("%s %r must be a positive number of seconds" % (name, value), "Use e.g. 10")


def _config_of(config, endpoint, use_fips_endpoint, use_dualstack_endpoint, ca_bundle, use_proxy):
    """The given ClientConfig, or one made of the plain arguments (no environment or config file but proxies)."""
    if config is not None:
        return config
    return ClientConfig(
        endpoint=endpoint, endpoint_source="endpoint" if endpoint else None,
        use_fips_endpoint=bool(use_fips_endpoint), fips_source="use_fips_endpoint",
        use_dualstack_endpoint=bool(use_dualstack_endpoint), dualstack_source="use_dualstack_endpoint",
        ca_bundle=ca_bundle, ca_bundle_source="ca_bundle" if ca_bundle else None, use_proxy=use_proxy,
        proxy_environ=tuple(os.environ.items()),
    )


def create_session(material, trust_anchor_arn, profile_arn, role_arn, *, region=None, endpoint=None,  # pylint: disable=too-many-locals
                   duration_seconds=DEFAULT_DURATION_SECONDS, role_session_name=None, ca_bundle=None, verify_ssl=True,
                   use_proxy=True, connect_timeout=10, read_timeout=30, max_attempts=3, use_fips_endpoint=False,
                   use_dualstack_endpoint=False, sleep=time.sleep, user_agent=DEFAULT_USER_AGENT, rng=random,
                   parameters=None, config=None):
    """Sign and send CreateSession, retrying what is worth retrying; return SessionCredentials.

    ``parameters``: ``signing.SessionParameters`` already validated (then the ARN, region, endpoint,
    duration and session name arguments are not used). ``config`` (a ``sdk_config.ClientConfig`` from
    ``load_client_config``) replaces endpoint, use_fips_endpoint, use_dualstack_endpoint, ca_bundle and use_proxy.
    Waits between attempts follow ``backoff_seconds`` (refresh.REQUEST_BACKOFF), or the service's
    ``retry_after_seconds`` when longer; an answer asking for more than MAX_RETRY_AFTER_SECONDS is raised at once
    with ``retry_after`` set on the error, for the caller's own loop to honour.
    """
    _check_attempt_options(max_attempts, connect_timeout, read_timeout)
    config = _config_of(config, endpoint, use_fips_endpoint, use_dualstack_endpoint, ca_bundle, use_proxy)

    if parameters is None:  # validated once: every input error surfaces here, before anything is sent
        parameters = session_parameters(
            trust_anchor_arn, profile_arn, role_arn, region=region, endpoint=config.endpoint_url,
            duration_seconds=duration_seconds, role_session_name=role_session_name,
            use_fips_endpoint=config.use_fips_endpoint, use_dualstack_endpoint=config.use_dualstack_endpoint,
        )

    def prepare():
        try:
            return sign_create_session_request(material, parameters)
        finally:  # a key in a token: its session is not held while the request travels or waits (it reopens)
            release_key(material.private_key)

    prepared = prepare()  # every input error surfaces here, before anything is sent
    context = ssl_context(config.ca_bundle, verify_ssl, config.ca_bundle_source) if prepared.url.startswith("https:") else None
    proxy = config.proxy_for(prepared.url)
    attempt = 0
    delay = 0.0
    while True:
        attempt += 1
        if attempt > 1:
            sleep(delay)
            prepared = prepare()  # fresh X-Amz-Date and signature for every attempt
        try:
            status, headers, body = send_prepared(prepared, context, proxy, connect_timeout, read_timeout, user_agent)
        except ssl.SSLCertVerificationError as error:
            raise _transport_error(error, prepared.host, proxy, attempt) from None
        except (OSError, http.client.HTTPException) as error:
            if attempt < max_attempts:
                delay = backoff_seconds(attempt, rng=rng)
                continue
            raise _transport_error(error, prepared.host, proxy, attempt) from None
        if status == 201:
            return parse_create_session_response(status, headers, body, attempts=attempt)
        document = _json_or_none(body)
        code = _error_code(headers, document)
        if status == 404 and code is None and not isinstance(document, dict):
            raise _not_roles_anywhere(status, prepared, attempt)
        asked = retry_after_seconds(headers, document)
        if is_retryable(status, code) and attempt < max_attempts and (asked is None or asked <= MAX_RETRY_AFTER_SECONDS):
            delay = max(backoff_seconds(attempt, rng=rng), asked or 0.0)
            continue
        error = _response_error(status, headers, body, attempt)
        error.retry_after = asked
        if isinstance(error, UntrustedCertificateError):
            from .x509 import untrusted_without_chain_hint  # pylint: disable=import-outside-toplevel
            error.hint = untrusted_without_chain_hint(material) or error.hint
        raise error
