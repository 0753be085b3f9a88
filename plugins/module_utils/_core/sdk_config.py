# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS SDKs' client configuration for CreateSession, read the way AWS's Go helper reads it.

``load_client_config()`` turns options, environment variables and the shared config file into one
``ClientConfig`` (endpoint, FIPS, dual-stack, CA bundle, proxy variables; each with where it came from), so
the helper and the lookup resolve them in one order. Sources, all read from primary sources:

- HELPER = aws/rolesanywhere-credential-helper v1.8.0: aws_signing_helper/credentials.go (transport, --endpoint),
  rolesanywhere/endpoints.go (resolveBaseEndpoint, the endpoint rules).
- SDK = aws/aws-sdk-go-v2: config/resolve.go (resolveCustomCABundle), config/env_config.go, config/shared_config.go,
  aws/transport/http/client.go (defaultHTTPTransport: ``Proxy: http.ProxyFromEnvironment``).
- XNET = golang.org/x/net/http/httpproxy/proxy.go (the proxy variables and NO_PROXY, which net/http vendors).

Endpoint, highest first (HELPER endpoints.go:202-218 resolveBaseEndpoint, credentials.go:98-100)::

    1. AWS_ENDPOINT_URL_ROLESANYWHERE
    2. endpoint_url of ``rolesanywhere`` in the profile's [services NAME] section  (skipped when AWS_ENDPOINT_URL is
       set and AWS_ENDPOINT_URL_ROLESANYWHERE is not, as resolveBaseEndpoint does)
    3. the explicit option (--endpoint / endpoint_url)
    4. AWS_ENDPOINT_URL
    5. endpoint_url of the profile
    6. the partition table (region, FIPS, dual-stack)

1, 2, 4 and 5 are ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls is true.
This is AWS's order, which differs from issue 13's draft (it put --endpoint first): AWS's helper lets the
service-specific variable and config override ``--endpoint``.

Standard library only: this module runs in the credential helper on hosts.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from urllib.parse import unquote, urlsplit

from .errors import ConfigurationError
from .records import Record

SERVICE_KEY = "rolesanywhere"  # the service id "RolesAnywhere", lower case (SDK shared_config.go normalizeShared)
ENV_SERVICE_ENDPOINT = "AWS_ENDPOINT_URL_ROLESANYWHERE"
ENV_ENDPOINT = "AWS_ENDPOINT_URL"
ENV_IGNORE_ENDPOINTS = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
ENV_FIPS = "AWS_USE_FIPS_ENDPOINT"
ENV_DUALSTACK = "AWS_USE_DUALSTACK_ENDPOINT"
ENV_CA_BUNDLE = "AWS_CA_BUNDLE"
DEFAULT_PROFILE = "default"
# Environment names of the proxy settings, UPPER CASE first: Go takes the upper-case one when it is not empty
# (XNET proxy.go:90-106 getEnvAny), unlike Python's urllib, where the lower-case one wins.
PROXY_VARIABLES = {"https": ("HTTPS_PROXY", "https_proxy"), "http": ("HTTP_PROXY", "http_proxy")}
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")
DEFAULT_PORTS = {"https": 443, "http": 80}


# --- small readers -------------------------------------------------------------------------------------

def _boolean(value, source):
    """The SDKs' booleans: ``true`` / ``false`` in any case (SDK env_config.go setBoolPtrFromEnvVal)."""
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ConfigurationError("%s is %r, not true or false" % (source, value), "Set %s to true or false" % source.split(" ")[0])


def _first_env(environ, *names):
    """(value, name) of the first variable that is set and not empty, else (None, None)."""
    for name in names:
        value = environ.get(name)
        if value:
            return value, name
    return None, None


def config_file_path(environ):
    """``$AWS_CONFIG_FILE`` or ``~/.aws/config`` (SDK shared_config.go DefaultSharedConfigFilename)."""
    return os.path.expanduser(environ.get("AWS_CONFIG_FILE") or os.path.join("~", ".aws", "config"))


def _nested(text):
    """``key = value`` lines of a nested section value (``rolesanywhere =`` then indented lines)."""
    values = {}
    for line in (text or "").splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip().lower()] = value.strip()
    return values


class SharedConfig(object):
    """One profile of the shared config file (and its ``services`` section); empty without a file (or path None)."""

    def __init__(self, path, profile):
        self.path = path
        self.profile = profile
        self.settings = {}
        self.services = {}
        if path is None:
            return
        try:
            handle = open(path, encoding="utf-8")  # pylint: disable=consider-using-with  # closed below
        except FileNotFoundError:
            return  # no config file, as on most hosts: configparser is not even imported (the helper's cold start)
        except OSError as error:
            raise _unreadable_config(path, error) from None
        import configparser  # pylint: disable=import-outside-toplevel
        parser = configparser.RawConfigParser(strict=False, default_section="\0")
        try:
            with handle:
                parser.read_file(handle)
        except (OSError, UnicodeDecodeError, configparser.Error) as error:
            raise _unreadable_config(path, error) from None
        # [default] or [profile default]; other profiles only as [profile NAME] (SDK shared_config.go).
        names = ("profile " + profile, profile) if profile == DEFAULT_PROFILE else ("profile " + profile,)
        for name in names:
            if parser.has_section(name):
                self.settings = dict((key.lower(), value.strip()) for key, value in parser.items(name))
                break
        services_name = self.settings.get("services")
        if services_name and parser.has_section("services " + services_name):
            self.services = _nested(dict(parser.items("services " + services_name)).get(SERVICE_KEY))

    def where(self, key):
        return "%s in profile %s of %s" % (key, self.profile, self.path)

    def services_where(self):
        return "endpoint_url of %s in [services %s] of %s" % (SERVICE_KEY, self.settings.get("services"), self.path)


# --- the configuration -----------------------------------------------------------------------------------

class Proxy(Record):
    """An http:// proxy for CONNECT; ``source`` names the variable it came from."""

    __slots__ = ("host", "port", "authorization", "source")  # port: int; authorization: the header value or None
    _defaults = {"authorization": None, "source": "HTTPS_PROXY"}
    _hidden = frozenset(("authorization",))


class ClientConfig(Record):
    """What CreateSession's client needs besides the request; every value says where it came from."""

    __slots__ = ("endpoint", "endpoint_source", "use_fips_endpoint", "fips_source", "use_dualstack_endpoint",
                 "dualstack_source", "ca_bundle", "ca_bundle_source", "use_proxy", "proxy_environ")
    _defaults = {"endpoint": None, "endpoint_source": None, "use_fips_endpoint": False, "fips_source": None,
                 "use_dualstack_endpoint": False, "dualstack_source": None, "ca_bundle": None, "ca_bundle_source": None,
                 "use_proxy": True, "proxy_environ": ()}
    _hidden = frozenset(("proxy_environ",))  # proxy variables may carry credentials (user:password@)

    def endpoint_url(self, region, fips_from_region=False):
        """The endpoint for a signing region (it may carry ``fips-`` / ``-fips``); refuses what AWS refuses.

        ``fips_from_region``: the caller already stripped a FIPS decoration from region (signing.plain_region).
        """
        from .endpoints import plain_region, resolve_endpoint  # pylint: disable=import-outside-toplevel

        plain, fips_in_name = plain_region(region)
        fips_from_region = fips_from_region or fips_in_name
        fips = self.use_fips_endpoint or fips_from_region
        if self.endpoint is None:
            return resolve_endpoint(plain, fips, self.use_dualstack_endpoint)
        fips_source = self.fips_source if self.use_fips_endpoint else "the region's -fips form"
        # HELPER rolesanywhere/endpoints.go:336-338 (and the dual-stack rule after it): a custom endpoint never
        # combines with FIPS or dual-stack.
        if fips:
            raise ConfigurationError(
                "FIPS and custom endpoint are not supported: FIPS is on (%s) and the endpoint %s comes from %s"
                % (fips_source, self.endpoint, self.endpoint_source),
                "Unset one of them: a custom endpoint is used as given, so point it at the FIPS endpoint yourself",
            )
        if self.use_dualstack_endpoint:
            raise ConfigurationError(
                "Dualstack and custom endpoint are not supported: dual-stack is on (%s) and the endpoint %s comes from %s"
                % (self.dualstack_source, self.endpoint, self.endpoint_source),
                "Unset one of them: a custom endpoint is used as given",
            )
        check_endpoint_region(self.endpoint, plain, self.endpoint_source)
        return self.endpoint

    def proxy_for(self, url):
        """The proxy for url by Go's rules, or None (never for loopback, nor when use_proxy is off)."""
        if not self.use_proxy:
            return None
        return proxy_from_environment(url, dict(self.proxy_environ))


def load_client_config(environ=None, *, endpoint=None, endpoint_option="--endpoint", use_fips_endpoint=None,
                       use_dualstack_endpoint=None, ca_bundle=None, ca_bundle_option="ca_bundle", profile=None,
                       use_proxy=True, read_shared_config=True):
    """ClientConfig from options (None = not given), the environment and the shared config file, in AWS's order.

    ``use_fips_endpoint`` / ``use_dualstack_endpoint``: True forces on; None or False defers to
    AWS_USE_FIPS_ENDPOINT / use_fips_endpoint (and the dual-stack pair); the environment beats the file
    (SDK config.go: env config before shared config). ``ca_bundle``: an explicit option beats AWS_CA_BUNDLE, which
    beats ``ca_bundle`` of the profile (SDK resolve.go resolveCustomCABundle). The profile is ``profile``, else
    AWS_PROFILE, else default.
    """
    environ = os.environ if environ is None else environ
    profile = profile or environ.get("AWS_PROFILE") or DEFAULT_PROFILE
    shared = SharedConfig(config_file_path(environ) if read_shared_config else None, profile)
    endpoint, endpoint_source = _endpoint(environ, shared, endpoint, endpoint_option)
    fips, fips_source = _switch(environ, shared, use_fips_endpoint, "--use-fips-endpoint", ENV_FIPS, "use_fips_endpoint")
    dualstack, dualstack_source = _switch(environ, shared, use_dualstack_endpoint, "--use-dualstack-endpoint",
                                          ENV_DUALSTACK, "use_dualstack_endpoint")
    bundle, bundle_source = ca_bundle, ca_bundle_option
    if not bundle:
        bundle, bundle_source = _first_env(environ, ENV_CA_BUNDLE)
    if not bundle and shared.settings.get("ca_bundle"):
        bundle, bundle_source = shared.settings["ca_bundle"], shared.where("ca_bundle")
    proxy_names = [name for names in PROXY_VARIABLES.values() for name in names] + list(NO_PROXY_VARIABLES) + ["REQUEST_METHOD"]
    proxy_environ = tuple((name, environ[name]) for name in proxy_names if name in environ)
    return ClientConfig(
        endpoint=endpoint, endpoint_source=endpoint_source, use_fips_endpoint=fips, fips_source=fips_source,
        use_dualstack_endpoint=dualstack, dualstack_source=dualstack_source,
        ca_bundle=os.path.expanduser(bundle) if bundle else None, ca_bundle_source=bundle_source if bundle else None,
        use_proxy=use_proxy, proxy_environ=proxy_environ,
    )


def _endpoint(environ, shared, option, option_name):
    ignore = environ.get(ENV_IGNORE_ENDPOINTS)
    if ignore:
        ignored = _boolean(ignore, ENV_IGNORE_ENDPOINTS)
    else:
        ignored = "ignore_configured_endpoint_urls" in shared.settings and _boolean(
            shared.settings["ignore_configured_endpoint_urls"], shared.where("ignore_configured_endpoint_urls"))
    if not ignored:
        value, name = _first_env(environ, ENV_SERVICE_ENDPOINT)
        if value:
            return value.strip(), name
        # resolveBaseEndpoint: AWS_ENDPOINT_URL set without the service variable stops before the services section.
        if ENV_ENDPOINT not in environ and shared.services.get("endpoint_url"):
            return shared.services["endpoint_url"], shared.services_where()
    if option:
        return option.strip(), option_name
    if not ignored:
        value, name = _first_env(environ, ENV_ENDPOINT)
        if value:
            return value.strip(), name
        if shared.settings.get("endpoint_url"):
            return shared.settings["endpoint_url"], shared.where("endpoint_url")
    return None, None


def _switch(environ, shared, option, option_name, env_name, config_key):
    if option:
        return True, option_name
    value = environ.get(env_name)
    if value:
        return _boolean(value, env_name), env_name
    if config_key in shared.settings:
        return _boolean(shared.settings[config_key], shared.where(config_key)), shared.where(config_key)
    return False, None


# --- endpoint sanity -------------------------------------------------------------------------------------

def _aws_endpoint_region(host):
    """The region of an AWS Roles Anywhere host name (rolesanywhere[-fips].REGION.SUFFIX), else None."""
    from .endpoints import PARTITIONS  # pylint: disable=import-outside-toplevel

    labels = (host or "").lower().rstrip(".").split(".")
    if len(labels) < 3 or labels[0] not in (SERVICE_KEY, SERVICE_KEY + "-fips"):
        return None
    rest = ".".join(labels[2:])
    suffixes = set(p.dns_suffix for p in PARTITIONS) | set(p.dual_stack_dns_suffix for p in PARTITIONS)
    return labels[1] if rest in suffixes else None


def check_endpoint_region(endpoint, region, source="endpoint"):
    """Refuse an AWS endpoint of another region than the ARNs' (AWS would refuse the signature's scope)."""
    host = urlsplit(str(endpoint)).hostname
    endpoint_region = _aws_endpoint_region(host)
    if endpoint_region is not None and endpoint_region != region:
        raise ConfigurationError(
            "the endpoint %s (from %s) is in region %s, but the trust anchor ARN is in region %s"
            % (endpoint, source, endpoint_region, region),
            "CreateSession must go to the trust anchor's region: use https://%s.%s.%s or drop the endpoint"
            % (SERVICE_KEY, region, host.split(".", 2)[2]),
        )


# --- proxies: Go's rules (XNET proxy.go) -----------------------------------------------------------------

def _split_host_port(text):
    """Go's net.SplitHostPort, leniently: ('host', 'port' or '')."""
    if text.startswith("["):
        host, _sep, rest = text[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    if text.count(":") == 1:
        host, _sep, port = text.partition(":")
        return host, port
    return text, ""


def _unreadable_config(path, error):
    return ConfigurationError(
        "the AWS config file %s cannot be read: %s" % (path, " ".join(str(error).split())[:200]),
        "Fix the file, or point AWS_CONFIG_FILE at a readable one",
    )


def _ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def bypasses_proxy(host, port, no_proxy):
    """True when a request to host:port goes direct (XNET proxy.go useProxy, init and the matchers).

    localhost and loopback IPs never use a proxy; NO_PROXY holds ``*``, CIDRs, IPs (with an optional port) and
    domains (``foo.com`` = it and its subdomains, ``.foo.com`` / ``*.foo.com`` = subdomains only, optional
    ``:port``); domain entries never match an IP literal.
    """
    host = host.lower().strip()
    ip = _ip(host)
    if host == "localhost" or (ip is not None and ip.is_loopback):
        return True
    port = str(port)
    for entry in (no_proxy or "").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False) if "/" in entry else None
        except ValueError:
            network = None
        if network is not None:
            if ip is not None and ip in network:
                return True
            continue
        entry_host, entry_port = _split_host_port(entry)
        entry_ip = _ip(entry_host)
        if entry_ip is not None:
            if ip is not None and ip == entry_ip and entry_port in ("", port):
                return True
            continue
        if not entry_host or ip is not None:
            continue
        if entry_host.startswith("*."):
            entry_host = entry_host[1:]
        exact = not entry_host.startswith(".")
        suffix = "." + entry_host if exact else entry_host
        if (host.endswith(suffix) or (exact and host == entry_host)) and entry_port in ("", port):
            return True
    return False


def proxy_from_environment(url, environ=None):
    """The Proxy for url from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case, upper case first), or None."""
    environ = os.environ if environ is None else environ
    parts = urlsplit(url)
    value, name = _first_env(environ, *PROXY_VARIABLES.get(parts.scheme, ()))
    if not value:
        return None
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    no_proxy, _name = _first_env(environ, *NO_PROXY_VARIABLES)
    if bypasses_proxy(parts.hostname or "", port, no_proxy):
        return None
    if parts.scheme == "http" and environ.get("REQUEST_METHOD"):
        raise ConfigurationError(  # XNET proxy.go:135-138
            "refusing to use %s in a CGI environment (REQUEST_METHOD is set)" % name,
            "Unset %s, or use an https:// endpoint (see golang.org/s/cgihttpproxy)" % name,
        )
    if "://" not in value:
        value = "http://" + value  # XNET proxy.go parseProxy
    proxy = urlsplit(value)
    try:
        proxy_port = proxy.port
    except ValueError:
        proxy_port = -1
    if proxy.scheme != "http" or not proxy.hostname or proxy_port == -1:
        raise ConfigurationError(
            "proxy %s://%s from %s is not supported (only http:// proxies are)" % (proxy.scheme, proxy.hostname or "", name),
            "Set %s to an http:// proxy URL, or add the endpoint's host to NO_PROXY to go direct" % name,
        )
    authorization = None
    if proxy.username is not None:
        token = "%s:%s" % (unquote(proxy.username), unquote(proxy.password or ""))
        authorization = "Basic " + base64.b64encode(token.encode("utf-8")).decode("ascii")
    return Proxy(host=proxy.hostname, port=proxy_port or 80, authorization=authorization, source=name)
