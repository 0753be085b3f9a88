# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SDKs' configuration (endpoint, FIPS, dual-stack, CA bundle, proxies), checked against boto3 where AWS's
SDKs agree, and against AWS's Go helper's rules (quoted in sdk_config's docstring) where they differ."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import sdk_config
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError

SERVICE_URL = "https://service.example"
GLOBAL_URL = "https://global.example"
SERVICES_URL = "https://services-section.example"
PROFILE_URL = "https://profile.example"
OPTION_URL = "https://option.example"


def write_config(tmp_path, profile_lines=(), services=True, profile="default"):
    header = "[default]" if profile == "default" else "[profile %s]" % profile
    lines = [header] + list(profile_lines)
    if services:
        lines += ["services = ra", "", "[services ra]", "rolesanywhere =", "  endpoint_url = %s" % SERVICES_URL]
    path = tmp_path / "config"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def environment(tmp_path, config_path=None, **variables):
    environ = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": config_path or str(tmp_path / "absent")}
    environ.update(variables)
    return environ


def boto3_client(environ, monkeypatch):
    """A botocore rolesanywhere client made in that environment (region us-east-1)."""
    for name in list(__import__("os").environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x")
    return session.client("rolesanywhere")


def boto3_endpoint(environ, monkeypatch):
    return boto3_client(environ, monkeypatch).meta.endpoint_url.rstrip("/")


def boto3_request_url(environ, monkeypatch):
    """The URL botocore would send ListTrustAnchors to (nothing is sent: before-send answers)."""
    client = boto3_client(environ, monkeypatch)
    seen = []

    def answer(request, **_kwargs):
        seen.append(request.url)
        from botocore.awsrequest import AWSResponse  # pylint: disable=import-outside-toplevel

        return AWSResponse(request.url, 200, {}, type("Raw", (), {"stream": lambda self, **_k: iter([b"{}"])})())
    client.meta.events.register("before-send.rolesanywhere", answer)
    client.list_trust_anchors()
    return seen[0]


# Cases where AWS's SDKs (Go's and botocore) agree: no explicit option.
AGREED = [
    ({}, {"services": False}, "https://rolesanywhere.us-east-1.amazonaws.com"),
    ({"AWS_ENDPOINT_URL_ROLESANYWHERE": SERVICE_URL, "AWS_ENDPOINT_URL": GLOBAL_URL}, {"services": True}, SERVICE_URL),
    ({}, {"services": True, "profile_lines": ["endpoint_url = %s" % PROFILE_URL]}, SERVICES_URL),
    ({"AWS_ENDPOINT_URL": GLOBAL_URL}, {"services": False, "profile_lines": ["endpoint_url = %s" % PROFILE_URL]}, GLOBAL_URL),
    ({}, {"services": False, "profile_lines": ["endpoint_url = %s" % PROFILE_URL]}, PROFILE_URL),
    ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL": GLOBAL_URL}, {"services": True},
     "https://rolesanywhere.us-east-1.amazonaws.com"),
    ({"AWS_USE_FIPS_ENDPOINT": "true"}, {"services": False}, "https://rolesanywhere-fips.us-east-1.amazonaws.com"),
    ({}, {"services": False, "profile_lines": ["use_fips_endpoint = true"]}, "https://rolesanywhere-fips.us-east-1.amazonaws.com"),
    ({"AWS_USE_FIPS_ENDPOINT": "false"}, {"services": False, "profile_lines": ["use_fips_endpoint = true"]},
     "https://rolesanywhere.us-east-1.amazonaws.com"),
    ({}, {"services": False, "profile_lines": ["use_dualstack_endpoint = true"]}, "https://rolesanywhere.us-east-1.api.aws"),
    ({"AWS_PROFILE": "fleet"}, {"services": False, "profile": "fleet", "profile_lines": ["endpoint_url = %s" % PROFILE_URL]},
     PROFILE_URL),
]


@pytest.mark.parametrize("variables, config, expected", AGREED)
def test_the_endpoint_is_the_one_boto3_resolves(tmp_path, monkeypatch, variables, config, expected):
    environ = environment(tmp_path, write_config(tmp_path, **config), **variables)
    ours = sdk_config.load_client_config(environ).endpoint_url("us-east-1")
    assert ours == expected
    assert boto3_endpoint(environ, monkeypatch) == expected


def test_the_service_variable_beats_the_option_as_in_aws_helper(tmp_path):
    # AWS's helper: resolveBaseEndpoint runs after --endpoint is copied in and overrides it.
    environ = environment(tmp_path, AWS_ENDPOINT_URL_ROLESANYWHERE=SERVICE_URL, AWS_ENDPOINT_URL=GLOBAL_URL)
    config = sdk_config.load_client_config(environ, endpoint=OPTION_URL)
    assert (config.endpoint, config.endpoint_source) == (SERVICE_URL, "AWS_ENDPOINT_URL_ROLESANYWHERE")


def test_the_services_section_beats_the_option(tmp_path):
    environ = environment(tmp_path, write_config(tmp_path))
    config = sdk_config.load_client_config(environ, endpoint=OPTION_URL)
    assert config.endpoint == SERVICES_URL and "[services ra]" in config.endpoint_source


def test_the_option_beats_the_global_variable_and_the_profile(tmp_path):
    environ = environment(tmp_path, write_config(tmp_path, ["endpoint_url = %s" % PROFILE_URL], services=False),
                          AWS_ENDPOINT_URL=GLOBAL_URL)
    config = sdk_config.load_client_config(environ, endpoint=OPTION_URL)
    assert (config.endpoint, config.endpoint_source) == (OPTION_URL, "--endpoint")


def test_a_global_variable_skips_the_services_section_as_go_does(tmp_path):
    # Go's resolveBaseEndpoint returns early when AWS_ENDPOINT_URL is set and AWS_ENDPOINT_URL_ROLESANYWHERE is not
    # (botocore would take the services section here: AWS's helper is the reference).
    environ = environment(tmp_path, write_config(tmp_path), AWS_ENDPOINT_URL=GLOBAL_URL)
    assert sdk_config.load_client_config(environ).endpoint == GLOBAL_URL


def test_ignore_configured_endpoint_urls_keeps_the_option(tmp_path):
    environ = environment(tmp_path, write_config(tmp_path, ["ignore_configured_endpoint_urls = true"]),
                          AWS_ENDPOINT_URL_ROLESANYWHERE=SERVICE_URL)
    assert sdk_config.load_client_config(environ, endpoint=OPTION_URL).endpoint == OPTION_URL
    assert sdk_config.load_client_config(environ).endpoint is None


def test_fips_with_a_configured_endpoint_is_refused_and_both_sources_are_named(tmp_path, monkeypatch):
    environ = environment(tmp_path, AWS_ENDPOINT_URL=GLOBAL_URL, AWS_USE_FIPS_ENDPOINT="true")
    with pytest.raises(ConfigurationError) as caught:
        sdk_config.load_client_config(environ).endpoint_url("us-east-1")
    text = str(caught.value)
    assert "FIPS and custom endpoint are not supported" in text and "AWS_USE_FIPS_ENDPOINT" in text and "AWS_ENDPOINT_URL" in text
    # botocore (1.44) sends to the configured endpoint and drops FIPS without a word; AWS's Go helper refuses
    # (rolesanywhere/endpoints.go:336-338), and the helper is what we are a drop-in for.
    assert boto3_request_url(environ, monkeypatch).startswith(GLOBAL_URL)


def test_a_bad_boolean_names_its_source(tmp_path):
    with pytest.raises(ConfigurationError, match="AWS_USE_FIPS_ENDPOINT is 'yes', not true or false"):
        sdk_config.load_client_config(environment(tmp_path, AWS_USE_FIPS_ENDPOINT="yes"))


def test_ca_bundle_order_option_then_variable_then_config(tmp_path):
    config_path = write_config(tmp_path, ["ca_bundle = ~/from-config.pem"], services=False)
    environ = environment(tmp_path, config_path)
    config = sdk_config.load_client_config(environ)
    assert config.ca_bundle.endswith("from-config.pem") and "ca_bundle in profile default of" in config.ca_bundle_source
    config = sdk_config.load_client_config(dict(environ, AWS_CA_BUNDLE="/env.pem"))
    assert (config.ca_bundle, config.ca_bundle_source) == ("/env.pem", "AWS_CA_BUNDLE")
    config = sdk_config.load_client_config(dict(environ, AWS_CA_BUNDLE="/env.pem"), ca_bundle="/opt.pem")
    assert (config.ca_bundle, config.ca_bundle_source) == ("/opt.pem", "ca_bundle")


def test_a_missing_ca_bundle_from_the_config_file_is_named_with_its_source(tmp_path):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport  # pylint: disable=import-outside-toplevel

    config_path = write_config(tmp_path, ["ca_bundle = %s" % (tmp_path / "gone.pem")], services=False)
    config = sdk_config.load_client_config(environment(tmp_path, config_path))
    with pytest.raises(ConfigurationError) as caught:
        transport.ssl_context(config.ca_bundle, True, config.ca_bundle_source)
    assert str(tmp_path / "gone.pem") in str(caught.value) and "ca_bundle in profile default of %s" % config_path in str(caught.value)


def test_an_unreadable_config_file_is_named(tmp_path):
    path = tmp_path / "config"
    path.write_text("[default\nnot ini")
    with pytest.raises(ConfigurationError, match="the AWS config file %s cannot be read" % path):
        sdk_config.load_client_config(environment(tmp_path, str(path)))


# --- proxies: Go's httpproxy rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("host, port, no_proxy, bypass", [
    ("localhost", 443, "", True),
    ("127.0.0.5", 443, "", True),
    ("::1", 443, "", True),
    ("rolesanywhere.us-east-1.amazonaws.com", 443, "", False),
    ("rolesanywhere.us-east-1.amazonaws.com", 443, "*", True),
    ("rolesanywhere.us-east-1.amazonaws.com", 443, "amazonaws.com", True),
    ("amazonaws.com", 443, "amazonaws.com", True),
    ("amazonaws.com", 443, ".amazonaws.com", False),
    ("rolesanywhere.us-east-1.amazonaws.com", 443, "*.amazonaws.com", True),
    ("rolesanywhere.us-east-1.amazonaws.com", 443, "amazonaws.com:8443", False),
    ("rolesanywhere.us-east-1.amazonaws.com", 443, " Amazonaws.COM:443 ", True),
    ("notamazonaws.com", 443, "amazonaws.com", False),
    ("10.1.2.3", 443, "10.0.0.0/8", True),
    ("10.1.2.3", 443, "10.1.2.3:8443", False),
    ("10.1.2.3", 443, "10.1.2.3", True),
    ("10.1.2.3", 443, "1.2.3", False),
    ("10.1.2.3", 443, "example.com,10.1.2.3:443", True),
])
def test_no_proxy_follows_go(host, port, no_proxy, bypass):
    assert sdk_config.bypasses_proxy(host, port, no_proxy) is bypass


def test_proxy_variables_upper_case_first_and_empty_counts_as_unset():
    url = "https://rolesanywhere.us-east-1.amazonaws.com"
    proxy = sdk_config.proxy_from_environment(url, {"HTTPS_PROXY": "upper:3128", "https_proxy": "http://lower:3128"})
    assert (proxy.host, proxy.port, proxy.source) == ("upper", 3128, "HTTPS_PROXY")
    proxy = sdk_config.proxy_from_environment(url, {"HTTPS_PROXY": "", "https_proxy": "http://lower:3128"})
    assert (proxy.host, proxy.source) == ("lower", "https_proxy")
    assert sdk_config.proxy_from_environment(url, {"HTTP_PROXY": "http://plain:80"}) is None  # no fallback between them


def test_an_unsupported_proxy_scheme_names_the_variable_and_no_proxy():
    with pytest.raises(ConfigurationError) as caught:
        sdk_config.proxy_from_environment("https://rolesanywhere.us-east-1.amazonaws.com", {"HTTPS_PROXY": "socks5://p:1080"})
    assert "from HTTPS_PROXY is not supported" in str(caught.value) and "NO_PROXY" in str(caught.value)
    assert "use_proxy" not in str(caught.value)


def test_http_proxy_is_refused_under_cgi_as_go_does():
    with pytest.raises(ConfigurationError, match="refusing to use HTTP_PROXY in a CGI environment"):
        sdk_config.proxy_from_environment("http://example.com", {"HTTP_PROXY": "http://p:1", "REQUEST_METHOD": "GET"})


def test_the_config_keeps_the_proxy_variables_it_was_made_with(tmp_path):
    environ = environment(tmp_path, HTTPS_PROXY="http://p:3128")
    config = sdk_config.load_client_config(environ)
    environ["HTTPS_PROXY"] = "http://changed:3128"  # Go reads the variables once per process
    assert config.proxy_for("https://rolesanywhere.us-east-1.amazonaws.com").host == "p"
    assert sdk_config.load_client_config(environ, use_proxy=False).proxy_for("https://x.example") is None
