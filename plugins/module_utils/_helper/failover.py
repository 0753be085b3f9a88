# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Multi-region failover of the helper (issue 15): the ``--failover`` sets, checked once, and when to use the next.

A set is ``trust-anchor-arn=ARN,profile-arn=ARN[,region=REGION][,endpoint=URL]``: the same CA registered as a
trust anchor in another region, with the same profile there. The role, certificate, key, duration and session
name are the command's own (IAM is global: one role serves every region). Each set is checked by the rules of
the session options: its region is the trust anchor ARN's unless ``region=`` says it (AWS's helper takes
``--region`` else the trust anchor ARN's region and refuses a profile of another region: GenerateCredentials in
aws_signing_helper/credentials.go of github.com/aws/rolesanywhere-credential-helper); its endpoint is ``endpoint=`` else the region's, resolved by
sdk_config as for ``--endpoint`` (so AWS_ENDPOINT_URL_ROLESANYWHERE still wins, as it does over ``--endpoint``).
"""

from __future__ import annotations

from collections import namedtuple

from .._core.errors import ConfigurationError, ThrottledError
from .command_line import FAILOVER_FLAG

FAILOVER_KEYS = ("trust-anchor-arn", "profile-arn", "region", "endpoint")
REQUIRED_KEYS = ("trust-anchor-arn", "profile-arn")
FAILOVER_SYNTAX = "trust-anchor-arn=ARN,profile-arn=ARN[,region=REGION][,endpoint=URL]"

FailoverSet = namedtuple("FailoverSet", "trust_anchor_arn profile_arn region endpoint")


def parse_failover_set(text):
    """The FailoverSet of one ``--failover`` value; ConfigurationError naming the value and what is wrong."""
    fields = {}
    for item in text.split(","):
        key, has_value, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not has_value or key not in FAILOVER_KEYS:
            raise ConfigurationError(
                "%s %r: %r is not a key of a failover set" % (FAILOVER_FLAG, text, key or item),
                "Write %s %s (keys separated by commas, no spaces needed)" % (FAILOVER_FLAG, FAILOVER_SYNTAX),
            )
        if key in fields:
            raise ConfigurationError("%s %r: %s is given twice" % (FAILOVER_FLAG, text, key),
                                     "Give each key once; repeat %s for another region" % FAILOVER_FLAG)
        if not value:
            raise ConfigurationError("%s %r: %s has no value" % (FAILOVER_FLAG, text, key),
                                     "Write %s=VALUE, or leave the key out" % key)
        fields[key] = value
    for key in REQUIRED_KEYS:
        if key not in fields:
            raise ConfigurationError(
                "%s %r: %s is missing" % (FAILOVER_FLAG, text, key),
                "A failover set names its region's trust anchor and profile: %s %s" % (FAILOVER_FLAG, FAILOVER_SYNTAX),
            )
    return FailoverSet(fields["trust-anchor-arn"], fields["profile-arn"], fields.get("region"), fields.get("endpoint"))


def failover_sessions(args, environ):
    """((SessionParameters, ClientConfig), ...) of the command's ``--failover`` values, in order; () without any.

    Every set is checked before anything is sent: bad input fails the command whichever region would answer.
    """
    values = getattr(args, "failover", None) or ()
    if not values:
        return ()
    from .._core.sdk_config import load_client_config  # pylint: disable=import-outside-toplevel
    from .._core.signing import session_parameters  # pylint: disable=import-outside-toplevel

    sessions = []
    for text in values:
        chosen = parse_failover_set(text)
        try:
            config = load_client_config(environ, endpoint=chosen.endpoint, use_fips_endpoint=args.use_fips_endpoint or None)
            parameters = session_parameters(
                chosen.trust_anchor_arn, chosen.profile_arn, args.role_arn, region=chosen.region,
                endpoint=config.endpoint_url, duration_seconds=args.session_duration,
                role_session_name=args.role_session_name or None,
            )
        except ConfigurationError as exc:
            raise ConfigurationError("%s %r: %s" % (FAILOVER_FLAG, text, exc.message), exc.hint) from None
        sessions.append((parameters, config))
    return tuple(sessions)


def fails_over(error):
    """True when the next region may give what this one did not: no connection, a timeout, a TLS handshake cut
    short, or a 5xx, each after the transport's retries (transport.is_transient).

    Not for a 4xx. AccessDenied, an untrusted certificate, a validation error, a missing trust anchor: the same
    CA, profile and role are set up in every region, so a refused certificate is refused everywhere, and trying
    the other regions would only repeat the refusal, add their delays and bury the first, telling answer.
    Not for throttling (429) either: CreateSession is throttled per account and region, and a throttled fleet
    that moves to the next region takes its burst along; the transport already waits and retries.
    Not for a TLS certificate that does not verify: a configuration (CA bundle) or interception problem.
    """
    from .._core.transport import is_transient  # pylint: disable=import-outside-toplevel

    return is_transient(error) and not isinstance(error, ThrottledError)
