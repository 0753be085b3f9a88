# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw CreateSession requests for the emulator tests.

Well-formed requests come from the collection's own ``signing.build_create_session_request``;
deliberately odd ones (a body the client library would refuse, ARNs in the body, another algorithm
name) are signed here with the same module's primitives, never with a second implementation.
"""

from __future__ import annotations

import binascii
import datetime
import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import signing, x509 as ra_x509

CONTENT_TYPE_JSON = "application/json"


@dataclass
class Answer:
    status: int
    code: Optional[str]
    message: Optional[str]
    document: dict
    headers: dict


def material_for(trust_or_leaf, intermediates=True):
    """SigningMaterial of a scenario Trust or Leaf (optionally without its intermediates)."""
    chain = trust_or_leaf.intermediates if intermediates else None
    return ra_x509.load_signing_material(trust_or_leaf.certificate, trust_or_leaf.private_key, chain)


def send(endpoint: str, path_and_query: str, headers: dict, body: bytes, ca_bundle: Optional[str] = None) -> Answer:
    parts = urlsplit(endpoint)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30,
                                                 context=ssl.create_default_context(cafile=ca_bundle))
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", path_and_query, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        raw = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    document = json.loads(raw) if raw else {}
    return Answer(response.status, answer_headers.get("x-amzn-errortype"), document.get("message"), document, answer_headers)


def send_prepared(prepared, endpoint: str, ca_bundle: Optional[str] = None) -> Answer:
    query = urlsplit(prepared.url).query
    return send(endpoint, prepared.path + ("?" + query if query else ""), prepared.headers, prepared.body, ca_bundle)


def create_session(material, trust, endpoint: str, ca_bundle: Optional[str] = None, **options) -> Answer:
    """A well-formed request from the collection's signer (options: duration_seconds, role_session_name, now)."""
    arns = options.pop("arns", None) or trust.arns()
    prepared = signing.build_create_session_request(material, arns["trust_anchor_arn"], arns["profile_arn"], arns["role_arn"],
                                                    endpoint=endpoint, **options)
    return send_prepared(prepared, endpoint, ca_bundle)


def custom_request(material, endpoint: str, *, query=(), document=None, content_type: str = CONTENT_TYPE_JSON,
                   algorithm: Optional[str] = None, now: Optional[datetime.datetime] = None, serial: Optional[int] = None,
                   chain: bool = True, region: str = "us-east-1"):
    """(path_and_query, headers, body) signed with signing's primitives, free of the builder's input checks."""
    host = urlsplit(endpoint).netloc
    when = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(datetime.timezone.utc)
    amz_date = when.strftime(signing.AMZ_DATE_FORMAT)
    body = json.dumps(document if document is not None else {"durationSeconds": 3600}, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": content_type, "Host": host, "X-Amz-Date": amz_date,
               "X-Amz-X509": binascii.b2a_base64(material.certificate_der, newline=False).decode("ascii")}
    if chain and material.chain_der:
        headers["X-Amz-X509-Chain"] = ",".join(binascii.b2a_base64(der, newline=False).decode("ascii") for der in material.chain_der)
    signed_headers = sorted(name.lower() for name in headers)
    query = list(query)
    canonical = signing.canonical_request("POST", "/sessions", query, headers, signed_headers, body)
    scope = signing.credential_scope(amz_date[:8], region)
    name = algorithm or signing.algorithm_for_key(material.private_key)
    to_sign = signing.string_to_sign(name, amz_date, scope, canonical)
    signature = binascii.hexlify(signing.sign_string(material.private_key, to_sign)).decode("ascii")
    headers["Authorization"] = "%s Credential=%d/%s, SignedHeaders=%s, Signature=%s" % (
        name, material.serial if serial is None else serial, scope, ";".join(signed_headers), signature)
    path = "/sessions" + ("?" + signing.canonical_query(query) if query else "")
    return path, headers, body


def arn_query(trust) -> list:
    return [("profileArn", trust.profile_arn), ("roleArn", trust.role_arn), ("trustAnchorArn", trust.trust_anchor_arn)]
