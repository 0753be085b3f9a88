# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User errors end every module with a clear message and no traceback, even with error tracebacks on.

The modules run as the controller runs them with ANSIBLE_DISPLAY_TRACEBACK=error (the module argument
``_ansible_tracebacks_for: [error]``): ansible-core then attaches a traceback to any failure that does
not opt out, so a test here fails for every user error that is reported the ordinary way. Errors come
from the real emulator (validation, not found) and, for answers the emulator never gives to the
control plane (access denied, an unexpected error code), from a tiny HTTP server that answers one
fixed AWS error to every request.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import pytest

from ansible.module_utils._internal import _traceback

from tests.support import pki

from .conftest import unique

ANCHOR_ID = "0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"
CA_ARN = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/" + ANCHOR_ID


@pytest.fixture
def tracebacks_on(modules, monkeypatch):
    """modules.run() as with ANSIBLE_DISPLAY_TRACEBACK=error; checks that no user error carries a traceback."""
    plain_run = modules.run

    # Importing the controller's display (as the lookup tests do) makes the controller's settings decide:
    # decide as on a managed host, from the module argument.
    monkeypatch.setattr(_traceback, "_is_traceback_enabled", _traceback._is_module_traceback_enabled)  # pylint: disable=protected-access

    def run(module_name, **params):
        # ansible-core reads _ansible_tracebacks_for once per process: forget the last run's answer.
        monkeypatch.setattr(_traceback, "_module_tracebacks_enabled_events", None)
        return plain_run(module_name, _ansible_tracebacks_for=["error"], **params)

    monkeypatch.setattr(modules, "run", run)
    return modules


def refused(modules, module_name, message, **params):
    """Run a module that must fail with message and without any traceback; returns the result."""
    result = modules.run(module_name, **params)
    assert result.get("failed") is True, result
    assert message in result["msg"], result["msg"]
    assert "exception" not in result, result["exception"]
    assert "Traceback" not in modules.outputs[-1]
    return result


class FixedAnswer(BaseHTTPRequestHandler):
    """Answers every request with the server's one AWS error (JSON protocol, as Roles Anywhere and ACM PCA)."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, code, message = self.server.answer
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-ErrorType", code)
        self.send_header("x-amzn-RequestId", "fixed-answer")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass


@pytest.fixture
def fixed_answer():
    """Start a loopback server answering one AWS error; returns a function (status, code, message) -> endpoint."""
    servers = []

    def start(status, code, message):
        server = ThreadingHTTPServer(("127.0.0.1", 0), FixedAnswer)
        server.answer = (status, code, message)
        server.timeout = 5
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        servers.append(server)
        return "http://127.0.0.1:%d" % server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def ca_pem():
    return pki.cert_pem(pki.make_ca("EC", cn="User Errors CA").certificate).decode()


# --- bad input -------------------------------------------------------------------------------------


def test_bad_certificate_pem(tracebacks_on):
    refused(tracebacks_on, "trust_anchor", "could not be read as an X.509 certificate", name=unique("ue"), certificate_bundle="hello")
    refused(tracebacks_on, "crl", "crl_data", name=unique("ue"), crl_data="-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n")
    assert tracebacks_on.calls == {}


def test_bad_ids_and_arns(tracebacks_on):
    refused(tracebacks_on, "profile", "is not a Roles Anywhere resource ID", profile_id="not-a-uuid")
    refused(tracebacks_on, "crl_info", "eu-west-3", crl_arn="arn:aws:rolesanywhere:eu-west-3:123456789012:crl/" + ANCHOR_ID)
    refused(tracebacks_on, "subject_info", "is not a Roles Anywhere resource ID", subject_id="nope")
    refused(tracebacks_on, "acmpca_certificate", "certificate_authority_arn", certificate_authority_arn="arn:aws:acm-pca:nowhere")
    assert tracebacks_on.calls == {}


# --- not found -------------------------------------------------------------------------------------


def test_unknown_trust_anchor_id_arn_and_name(tracebacks_on):
    refused(tracebacks_on, "trust_anchor", "No trust anchor has id %s" % ANCHOR_ID, trust_anchor_id=ANCHOR_ID, enabled=True)
    arn = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/" + ANCHOR_ID
    refused(tracebacks_on, "profile", "No profile has id", profile_arn=arn.replace("trust-anchor", "profile"), enabled=True)
    for reference in ("no-such-anchor-" + unique("x"), arn):
        refused(tracebacks_on, "crl", "trust_anchor %r does not exist" % reference, name=unique("ue"), trust_anchor=reference)
    refused(tracebacks_on, "trust_anchor", "to create it, give one of", name=unique("ue"))
    refused(tracebacks_on, "acmpca_certificate", "does not exist", certificate_authority_arn=CA_ARN, csr="x")


def test_several_with_the_same_name(tracebacks_on, ca_pem):
    name = unique("twin")
    client = tracebacks_on.emulator.boto3_client("rolesanywhere")
    source = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca_pem}}
    ids = [client.create_trust_anchor(name=name, source=source)["trustAnchor"]["trustAnchorId"] for dummy in range(2)]
    try:
        refused(tracebacks_on, "trust_anchor", "2 trust anchors are named", name=name, state="absent")
    finally:
        for anchor_id in ids:
            client.delete_trust_anchor(trustAnchorId=anchor_id)


# --- the service says no ---------------------------------------------------------------------------


def test_validation_error_from_the_service(tracebacks_on, ca_pem):
    alias = unique("alias")
    first = tracebacks_on.run_ok("trust_anchor", name=unique("ue"), certificate_bundle=ca_pem, alias_name=alias)
    try:
        result = refused(
            tracebacks_on, "trust_anchor", "The alias name %s is already in use" % alias, name=unique("ue"), certificate_bundle=ca_pem, alias_name=alias
        )
        assert result["msg"].startswith("Failed to create the trust anchor: ")
        assert result["error"]["code"] == "ValidationException"
        assert result["response_metadata"]["http_status_code"] == 400
        assert "botocore_version" in result
    finally:
        tracebacks_on.run_ok("trust_anchor", trust_anchor_arn=first["trust_anchor"]["trust_anchor_arn"], state="absent")


@pytest.mark.parametrize(
    "module_name, params",
    [
        ("trust_anchor", dict(name="ue-denied", state="absent")),
        ("profile", dict(name="ue-denied", role_arns=[])),
        ("crl", dict(name="ue-denied", state="absent")),
        ("trust_anchor_info", dict()),
        ("profile_info", dict(profile_id=ANCHOR_ID)),
        ("crl_info", dict(name="ue-denied")),
        ("subject_info", dict()),
        ("acmpca_certificate", dict(certificate_authority_arn=CA_ARN, csr="x")),
    ],
)
def test_access_denied(tracebacks_on, fixed_answer, module_name, params):
    endpoint = fixed_answer(403, "AccessDeniedException", "User is not authorized to perform this action")
    result = refused(tracebacks_on, module_name, "User is not authorized to perform this action", endpoint_url=endpoint, **params)
    assert "AccessDeniedException" in result["msg"]
    assert result["error"]["code"] == "AccessDeniedException"


def test_an_unexpected_error_keeps_its_traceback(tracebacks_on, fixed_answer):
    """The control: what the tests above would see if a user error were reported the ordinary way."""
    endpoint = fixed_answer(400, "SomethingNewException", "an answer no release of the collection knows")
    result = tracebacks_on.run("trust_anchor", name="ue-unexpected", state="absent", endpoint_url=endpoint)
    assert result["failed"] is True and "SomethingNewException" in result["msg"]
    assert "Traceback" in result["exception"] and "ClientError" in result["exception"]


def test_without_traceback_settings_nothing_changes(modules):
    """The ordinary run (tracebacks off) gives the same message, and no traceback either."""
    result = modules.run("trust_anchor", trust_anchor_id=ANCHOR_ID, enabled=True)
    assert result["failed"] is True and "No trust anchor has id" in result["msg"]
    assert "exception" not in result


# --- modules that call no AWS API ------------------------------------------------------------------


def test_credential_helper_refusals(tracebacks_on, tmp_path, monkeypatch):
    """credential_helper fails the collection's one way too (before, its fail_json carried the call stack)."""
    monkeypatch.setattr(tracebacks_on, "connection", dict)  # no AWS options: the module has none
    result = refused(tracebacks_on, "credential_helper", "is a directory: give the helper's file path", path=str(tmp_path))
    assert result["path"] == str(tmp_path)
    other = tmp_path / "other-tool"
    other.write_text("#!/bin/sh\nexit 0\n")
    refused(tracebacks_on, "credential_helper", "is not a rolesanywhere.fleet credential helper", path=str(other), state="absent")
    assert other.exists()
    refused(tracebacks_on, "credential_helper", "cannot build the credential helper", path=str(tmp_path / "helper"), interpreter="python3 -x")
    assert not (tmp_path / "helper").exists()
