# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS-shaped error answers: HTTP status, ``X-Amzn-ErrorType`` code and a JSON ``message``."""

from __future__ import annotations

import json


class ServiceError(Exception):
    """An error the emulator answers exactly as AWS would (status, code, message)."""

    def __init__(self, status: int, code: str, message: str, extra=None):
        super().__init__(message)
        self.status = int(status)
        self.code = code
        self.message = message
        self.extra = dict(extra or {})

    def body(self) -> bytes:
        payload = {"message": self.message}
        payload.update(self.extra)
        return json.dumps(payload).encode("utf-8")

    def headers(self):
        return [("Content-Type", "application/json"), ("X-Amzn-ErrorType", self.code)]

    def __repr__(self):
        return "ServiceError(%d, %r, %r)" % (self.status, self.code, self.message)


def validation(message: str) -> ServiceError:
    return ServiceError(400, "ValidationException", message)


def validation_errors(problems) -> ServiceError:
    """AWS's (Coral) wording: ``1 validation error detected: ...; ...``."""
    problems = list(problems)
    plural = "error" if len(problems) == 1 else "errors"
    return validation("%d validation %s detected: %s" % (len(problems), plural, "; ".join(problems)))


def serialization(message: str) -> ServiceError:
    return ServiceError(400, "SerializationException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError(404, "ResourceNotFoundException", message)


def access_denied(message: str) -> ServiceError:
    return ServiceError(403, "AccessDeniedException", message)


def too_many_tags(message: str) -> ServiceError:
    return ServiceError(400, "TooManyTagsException", message)


def throttled(message: str = "Rate exceeded") -> ServiceError:
    return ServiceError(429, "ThrottlingException", message)


def internal(message: str = "An internal error occurred. Try again.") -> ServiceError:
    return ServiceError(500, "InternalServerException", message)


def unknown_operation(method: str, path: str) -> ServiceError:
    return ServiceError(404, "UnknownOperationException", "No operation matches %s %s" % (method, path))
