# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Roles Anywhere endpoint of a region: botocore's endpoint rules when botocore loads, else a built-in copy.

``resolve_endpoint`` runs botocore's rolesanywhere endpoint rule set; hosts without botocore get ``builtin_endpoint``
over ``PARTITIONS``, a copy of botocore's partitions.json checked against it by a unit test. Which endpoint a
client uses (flags, environment, shared config) is ``sdk_config``'s decision; this module only answers for a region.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .identifiers import plain_region
from .records import Record

SERVICE = "rolesanywhere"


# --- endpoints ------------------------------------------------------------------------------------

class Partition(Record):
    """One AWS partition as botocore's ``partitions.json`` describes it (the fields the endpoint rules read)."""

    __slots__ = ("name", "region_regex", "dns_suffix", "dual_stack_dns_suffix", "supports_fips", "supports_dual_stack")
    _defaults = {"supports_fips": True, "supports_dual_stack": True}


# The built-in copy of botocore's partitions.json (botocore 1.44.5, partitions.json version 1.1), in botocore's order:
# the first partition whose regex matches a region wins, and a region no regex matches belongs to "aws".
# It serves only when botocore cannot be imported (the credential helper on a plain host); a test checks it
# against the installed botocore for every region botocore knows.
PARTITIONS = (
    Partition("aws", r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com", "api.aws"),
    Partition("aws-cn", r"^cn\-\w+\-\d+$", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    Partition("aws-eusc", r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu", "api.amazonwebservices.eu"),
    Partition("aws-iso", r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov", "api.aws.ic.gov"),
    Partition("aws-iso-b", r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov", "api.aws.scloud"),
    Partition("aws-iso-e", r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
    Partition("aws-iso-f", r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    Partition("aws-us-gov", r"^us\-gov\-\w+\-\d+$", "amazonaws.com", "api.aws"),
)


def partition_of(region):
    """The Partition of a plain region name, chosen the way botocore's ``aws.partition`` function does."""
    for partition in PARTITIONS:
        if re.match(partition.region_regex, region):
            return partition
    return PARTITIONS[0]


def _unresolvable(region, fips, dualstack, reason):
    return ConfigurationError(
        "cannot resolve the Roles Anywhere endpoint for region %s (fips=%s, dualstack=%s): %s" % (region, fips, dualstack, reason),
        "Check the region, or pass the endpoint URL explicitly",
    )


def builtin_endpoint(region, use_fips_endpoint=False, use_dualstack_endpoint=False):
    """The endpoint botocore's rolesanywhere rules give, from the built-in PARTITIONS table (no botocore needed)."""
    region, fips_from_name = plain_region(region)
    fips, dualstack = bool(use_fips_endpoint or fips_from_name), bool(use_dualstack_endpoint)
    partition = partition_of(region)
    # The same four branches as botocore's data/rolesanywhere/*/endpoint-rule-set-1.json.
    if fips and dualstack and not (partition.supports_fips and partition.supports_dual_stack):
        raise _unresolvable(region, fips, dualstack, "FIPS and DualStack are enabled, but this partition does not support one or both")
    if fips and not partition.supports_fips:
        raise _unresolvable(region, fips, dualstack, "FIPS is enabled but this partition does not support FIPS")
    if dualstack and not partition.supports_dual_stack:
        raise _unresolvable(region, fips, dualstack, "DualStack is enabled but this partition does not support DualStack")
    service = SERVICE + "-fips" if fips else SERVICE
    suffix = partition.dual_stack_dns_suffix if dualstack else partition.dns_suffix
    return "https://%s.%s.%s" % (service, region, suffix)


@functools.lru_cache(maxsize=1)
def _endpoint_provider():
    """botocore's EndpointProvider for rolesanywhere, or None when botocore (or its rules) cannot be loaded."""
    try:
        from botocore.endpoint_provider import EndpointProvider  # pylint: disable=import-outside-toplevel
        from botocore.loaders import create_loader  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    loader = create_loader()
    try:
        ruleset = loader.load_service_model(SERVICE, "endpoint-rule-set-1")
        partitions = loader.load_data("partitions")
    except Exception:  # pylint: disable=broad-except  # an old botocore without these rules: the table serves
        return None
    return EndpointProvider(ruleset_data=ruleset, partition_data=partitions)


@functools.lru_cache(maxsize=64)
def resolve_endpoint(region, use_fips_endpoint=False, use_dualstack_endpoint=False):
    """``https://rolesanywhere...`` for region (offline): botocore's endpoint rules, else the built-in table."""
    plain, fips_from_name = plain_region(region)
    fips, dualstack = bool(use_fips_endpoint or fips_from_name), bool(use_dualstack_endpoint)
    provider = _endpoint_provider()
    if provider is None:
        return builtin_endpoint(plain, fips, dualstack)
    try:
        endpoint = provider.resolve_endpoint(Region=plain, UseFIPS=fips, UseDualStack=dualstack)
    except Exception as error:  # botocore raises several EndpointResolutionError flavours
        raise _unresolvable(plain, fips, dualstack, error) from None
    return endpoint.url.rstrip("/")


def _bad_endpoint(endpoint):
    return ConfigurationError(
        "endpoint %r is not an http(s) URL" % (endpoint,),
        "Use a URL such as https://rolesanywhere.us-east-1.amazonaws.com (no query string)",
    )


def split_endpoint(endpoint):
    """(scheme, host header value, base path) of an explicit endpoint URL."""
    if not isinstance(endpoint, str):
        raise _bad_endpoint(endpoint)
    parts = urlsplit(endpoint.strip())
    try:
        port = parts.port
    except ValueError:
        raise _bad_endpoint(endpoint) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise _bad_endpoint(endpoint)
    host = parts.hostname
    if ":" in host:
        host = "[%s]" % host
    default_port = 443 if parts.scheme == "https" else 80
    # Like botocore: the Host header (and so the signature) carries the port only when it is not the default.
    if port is not None and port != default_port:
        host = "%s:%d" % (host, port)
    return parts.scheme, host, parts.path.rstrip("/")
