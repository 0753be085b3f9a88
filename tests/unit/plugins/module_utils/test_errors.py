# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The error hierarchy: message + hint, AWS answers mapped to the class that explains them."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import errors


def test_str_is_message_then_hint():
    assert str(errors.RolesAnywhereError("It broke", "Fix it")) == "It broke. Fix it"
    assert str(errors.RolesAnywhereError("It broke.", "Fix it")) == "It broke. Fix it"
    assert str(errors.ConfigurationError("Only a message")) == "Only a message"
    assert errors.ConfigurationError("m", "h").args == ("m. h",)


def test_material_error_names_its_source():
    error = errors.MaterialError("bad key", "use another", source="/etc/pki/host.key")
    assert error.source == "/etc/pki/host.key"
    assert error.to_dict() == {"error": "MaterialError", "message": "bad key", "hint": "use another", "source": "/etc/pki/host.key"}


@pytest.mark.parametrize("error_class, status, code", [
    (errors.UntrustedCertificateError, 403, "AccessDeniedException"),
    (errors.InvalidSignatureError, 403, "AccessDeniedException"),
    (errors.ClockSkewError, 403, "AccessDeniedException"),
    (errors.AccessDeniedError, 403, "AccessDeniedException"),
    (errors.ValidationError, 400, "ValidationException"),
    (errors.ResourceNotFoundError, 404, "ResourceNotFoundException"),
    (errors.ThrottledError, 429, "ThrottlingException"),
    (errors.ServiceError, 500, "InternalServerException"),
])
def test_create_session_error_defaults_are_what_aws_answers(error_class, status, code):
    error = error_class("Invalid signature")
    assert issubclass(error_class, errors.CreateSessionError)
    assert (error.status, error.code, error.service_message) == (status, code, "Invalid signature")
    assert error.hint and str(error).startswith("Invalid signature. ")


def test_transport_errors_carry_attempts():
    assert errors.TLSError("handshake", attempts=2).attempts == 2
    assert issubclass(errors.EndpointConnectionError, errors.TransportError)
    assert "proxy" in errors.EndpointConnectionError("refused").hint


@pytest.mark.parametrize("status, code, message, error_class", [
    (403, "AccessDeniedException", "Untrusted Signing Certificate", errors.UntrustedCertificateError),
    (403, "AccessDeniedException", "Invalid signature", errors.InvalidSignatureError),
    (403, "AccessDeniedException", "Signature expired: 20240101T000000Z is now earlier than ...", errors.ClockSkewError),
    (403, "AccessDeniedException", "Signature not yet current: x", errors.ClockSkewError),
    (403, "AccessDeniedException", "Not authorized to set roleSessionName", errors.AccessDeniedError),
    (403, None, "Access denied", errors.AccessDeniedError),
    (400, "ValidationException", "1 validation error detected", errors.ValidationError),
    (404, None, "not found", errors.ResourceNotFoundError),
    (400, "ThrottlingException", "Rate exceeded", errors.ThrottledError),
    (429, None, None, errors.ThrottledError),
    (502, None, None, errors.ServiceError),
    (302, None, None, errors.CreateSessionError),
])
def test_error_for_response(status, code, message, error_class):
    error = errors.error_for_response(status, code, message, attempts=3)
    assert type(error) is error_class  # pylint: disable=unidiomatic-typecheck
    assert error.status == status and error.attempts == 3 and "after 3 attempts" in str(error)
    assert error.hint
    if code:
        assert error.code == code
    if message:
        assert message in str(error)


def test_session_name_refusal_hint_names_the_profile_setting():
    error = errors.error_for_response(403, "AccessDeniedException", "Not authorized to set roleSessionName")
    assert "acceptRoleSessionName" in error.hint
