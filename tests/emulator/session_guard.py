# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Explicit denies on role sessions, for the requests the emulator hands to moto (in-process moto only).

moto allows every request of a session it issued (its own IAM authorization is off, and when on it cannot evaluate a
conditional Deny: see iam_policy.py). AWS refuses a request that an explicit Deny of the role's identity-based
policies covers, whatever allows it ("An explicit deny in any policy overrides any allows",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html#policy-eval-denyallow).
So, before moto: when the request is signed with the access key of a session moto's STS issued (AssumeRole, which is
what CreateSession calls), the role's inline and attached managed policies are evaluated (iam_policy.evaluate) in
the session's request context (``aws:userid`` = ``role-id:session-name``, ``aws:TokenIssueTime``,
``aws:PrincipalArn``), and an explicit Deny answers 403 AccessDenied in the service's protocol. Only explicit denies
are enforced: an implicit deny (no Allow) still reaches moto, as before.

The action is named for the query protocol (``Action=``, IAM and STS), the JSON protocol (``X-Amz-Target``) and
S3's ListBuckets (``s3:ListAllMyBuckets``); other REST requests are checked as ``<service>:<HTTP method>``, so only
Deny statements with wildcard actions apply to them. ``sts:GetCallerIdentity`` is never refused: "If an
administrator attaches a policy to your identity that explicitly denies access to the sts:GetCallerIdentity action,
you can still perform this operation" (botocore sts model, GetCallerIdentity documentation).
"""

from __future__ import annotations

import datetime
import io
import json
import re
from typing import Optional
from urllib.parse import parse_qs, unquote

from . import iam_policy
from .wsgi import read_body

CREDENTIAL_RE = re.compile(r"Credential=([A-Z0-9]+)/\d{8}/[^/,\s]+/([^/,\s]+)/aws4_request")
NEVER_DENIED = {"sts:getcalleridentity"}


class SessionGuard:
    """``refusal(environ)``: None, or ``(status, headers, body)`` of AWS's AccessDenied for this request."""

    def __init__(self, account: str):
        self.account = account

    def _session(self, access_key_id: str):
        from moto.sts.models import sts_backends  # pylint: disable=import-outside-toplevel

        return sts_backends[self.account]["aws"].get_assumed_role_from_access_key(access_key_id)

    def _policies(self, role_arn: str):
        from moto.iam.models import iam_backends  # pylint: disable=import-outside-toplevel

        try:
            role = iam_backends[self.account]["aws"].get_role_by_arn(role_arn)
        except Exception:  # pylint: disable=broad-except  # moto's own exception classes: the role is gone
            return None, []
        documents = list(role.policies.values())
        for managed in list(role.managed_policies.values()):
            documents += [version.document for version in managed.versions if version.is_default_version]
        return role, [json.loads(unquote(document)) if isinstance(document, str) else document for document in documents]

    def refusal(self, environ) -> Optional[tuple]:
        match = CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match is None:
            return None
        session = self._session(match.group(1))
        if session is None:
            return None
        role, policies = self._policies(session.role_arn)
        if role is None or not any(statement_denies(policy) for policy in policies):
            return None
        service = match.group(2)
        action, protocol = _action(environ, service)
        if action.lower() in NEVER_DENIED:
            return None
        request = iam_policy.role_session_request(action, role.id, session.session_name, _issue_time(session), session.role_arn)
        if iam_policy.evaluate(policies, request) != iam_policy.EXPLICIT_DENY:
            return None
        message = ("User: %s is not authorized to perform: %s with an explicit deny in an identity-based policy"
                   % (session.arn, action))
        return _access_denied(protocol, message)


def statement_denies(policy: dict) -> bool:
    statements = policy.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    return any(isinstance(statement, dict) and statement.get("Effect") == "Deny" for statement in statements)


def _issue_time(session) -> Optional[datetime.datetime]:
    """When moto issued the session: its access key is made in the same AssumeRole call (create_date, UTC)."""
    created = getattr(session.access_key, "create_date", None)
    if not isinstance(created, datetime.datetime):
        return None
    return created if created.tzinfo else created.replace(tzinfo=datetime.timezone.utc)


def _action(environ, service: str):
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return "%s:%s" % (service, target.rsplit(".", 1)[-1]), "json"
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return "%s:%s" % (service, query["Action"][0]), "query"
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return "%s:%s" % (service, action[0]), "query"
    if service == "s3" and environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "/") in ("", "/"):
        return "s3:ListAllMyBuckets", "rest-xml"
    return "%s:%s" % (service, environ.get("REQUEST_METHOD", "GET")), "rest-xml"


def _access_denied(protocol: str, message: str):
    if protocol == "json":
        body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode("utf-8")
        return 403, [("Content-Type", "application/x-amz-json-1.1"), ("X-Amzn-ErrorType", "AccessDeniedException")], body
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if protocol == "query":
        body = ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>%s</Message></Error>"
                "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>" % escaped)
    else:
        body = "<Error><Code>AccessDenied</Code><Message>%s</Message></Error>" % escaped
    return 403, [("Content-Type", "text/xml")], body.encode("utf-8")
