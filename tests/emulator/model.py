# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control plane as botocore describes it: routes, request parsing, validation, response shapes.

Nothing here is hand-copied from the API reference: URIs, methods, status codes, required members,
lengths, patterns, enums and ranges are all read from botocore's ``rolesanywhere`` model at start,
so the emulator follows the model that the installed botocore (and so every client) uses.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote

import botocore.session

from . import awserrors

SERVICE_NAME = "rolesanywhere"


@dataclass
class Route:
    """One operation's ``http.method`` + ``http.requestUri`` compiled to a regular expression."""

    operation: object  # botocore OperationModel
    method: str
    pattern: re.Pattern
    literal_length: int  # routes with more literal characters win (``/crls`` before ``/crl/{id}``)

    @classmethod
    def from_operation(cls, operation) -> "Route":
        uri = operation.http["requestUri"].split("?", 1)[0]
        regex, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", uri):
            if part.startswith("{"):
                name = part[1:-1]
                greedy = name.endswith("+")
                name = name.rstrip("+")
                regex += "(?P<%s>%s)" % (name, ".+" if greedy else "[^/]+")
            else:
                regex += re.escape(part)
                literal += len(part)
        return cls(operation, operation.http["method"].upper(), re.compile(regex + "/?$"), literal)


class ServiceModel:
    """Routes and (de)serialisation for one rest-json service, driven by botocore's model."""

    def __init__(self, service_name: str = SERVICE_NAME):
        self.model = botocore.session.get_session().get_service_model(service_name)
        routes = [Route.from_operation(self.model.operation_model(name)) for name in self.model.operation_names]
        self.routes = sorted(routes, key=lambda route: -route.literal_length)
        self.operation_names = list(self.model.operation_names)
        self._patterns: Dict[str, re.Pattern] = {}

    # --- routing --------------------------------------------------------------------------------

    def match(self, method: str, raw_path: str):
        """(OperationModel, {uri member: decoded value}) for a request, or an AWS-shaped 404/405."""
        path_matched = False
        for route in self.routes:
            found = route.pattern.match(raw_path)
            if not found:
                continue
            path_matched = True
            if route.method == method.upper():
                return route.operation, {key: unquote(value) for key, value in found.groupdict().items()}
        if path_matched:
            raise awserrors.ServiceError(405, "MethodNotAllowedException", "Method %s is not allowed on %s" % (method, raw_path))
        raise awserrors.unknown_operation(method, raw_path)

    # --- requests -------------------------------------------------------------------------------

    def parse_request(self, operation, uri_params: Dict[str, str], query_string: str, headers, body: bytes) -> dict:
        """The operation's input as a dict of member name -> typed value (only members that were sent)."""
        shape = operation.input_shape
        if shape is None:
            return {}
        query = _query_multi(query_string)
        document = _json_document(body) if any(
            not member.serialization.get("location") for member in shape.members.values()
        ) else {}
        params = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "uri":
                if wire_name in uri_params:
                    params[name] = _scalar_from_text(member, uri_params[wire_name], name)
            elif location == "querystring":
                if wire_name in query:
                    values = query[wire_name]
                    if member.type_name == "list":
                        params[name] = [_scalar_from_text(member.member, value, name) for value in values]
                    else:
                        params[name] = _scalar_from_text(member, values[0], name)
            elif location == "header":
                value = headers.get(wire_name)
                if value is not None:
                    params[name] = _scalar_from_text(member, value, name)
            elif name in document:
                params[name] = _from_json(member, document[name], name)
        return params

    def validate(self, operation, params: dict) -> None:
        """Raise AWS's ValidationException listing every constraint of the model that ``params`` break."""
        if operation.input_shape is None:
            return
        problems: List[str] = []
        self._check_structure(operation.input_shape, params, "", problems)
        if problems:
            raise awserrors.validation_errors(problems)

    def _check(self, shape, value, path: str, problems: List[str]) -> None:
        kind = shape.type_name
        if kind == "structure":
            self._check_structure(shape, value, path + ".", problems)
        elif kind == "list":
            self._check_length(shape, value, len(value), path, problems)
            for index, item in enumerate(value, start=1):
                if item is None:
                    problems.append("Value null at '%s.%d.member' failed to satisfy constraint: Member must not be null" % (path, index))
                else:
                    self._check(shape.member, item, "%s.%d.member" % (path, index), problems)
        elif kind == "map":
            self._check_length(shape, value, len(value), path, problems)
            for key, item in value.items():
                self._check(shape.key, key, "%s.key" % path, problems)
                self._check(shape.value, item, "%s.value" % path, problems)
        elif kind == "string":
            self._check_string(shape, value, path, problems)
        elif kind in ("integer", "long"):
            self._check_range(shape, value, path, problems)
        elif kind == "blob":
            self._check_length(shape, value, len(value), path, problems)

    def _check_structure(self, shape, value: dict, prefix: str, problems: List[str]) -> None:
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append("Value null at '%s%s' failed to satisfy constraint: Member must not be null" % (prefix, name))
        present = [name for name in shape.members if value.get(name) is not None]
        if shape.metadata.get("union") and len(present) != 1:
            where = prefix.rstrip(".") or shape.name
            problems.append("Value at '%s' failed to satisfy constraint: Member must have exactly one member set" % where)
        for name in present:
            self._check(shape.members[name], value[name], prefix + name, problems)

    def _check_string(self, shape, value: str, path: str, problems: List[str]) -> None:
        self._check_length(shape, value, len(value), path, problems)
        enum = shape.enum
        if enum and value not in enum:
            problems.append("%s failed to satisfy constraint: Member must satisfy enum value set: [%s]" % (
                _value_at(shape, value, path), ", ".join(enum)))
        pattern = shape.metadata.get("pattern")
        if pattern and not self._compiled(pattern).fullmatch(value):
            problems.append("%s failed to satisfy constraint: Member must satisfy regular expression pattern: %s" % (
                _value_at(shape, value, path), pattern))

    def _check_length(self, shape, value, length: int, path: str, problems: List[str]) -> None:
        minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
        if minimum is not None and length < minimum:
            problems.append("%s failed to satisfy constraint: Member must have length greater than or equal to %d" % (
                _value_at(shape, value, path), minimum))
        if maximum is not None and length > maximum:
            problems.append("%s failed to satisfy constraint: Member must have length less than or equal to %d" % (
                _value_at(shape, value, path), maximum))

    @staticmethod
    def _check_range(shape, value: int, path: str, problems: List[str]) -> None:
        minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
        if minimum is not None and value < minimum:
            problems.append("%s failed to satisfy constraint: Member must have value greater than or equal to %d" % (
                _value_at(shape, value, path), minimum))
        if maximum is not None and value > maximum:
            problems.append("%s failed to satisfy constraint: Member must have value less than or equal to %d" % (
                _value_at(shape, value, path), maximum))

    def _compiled(self, pattern: str) -> re.Pattern:
        compiled = self._patterns.get(pattern)
        if compiled is None:
            compiled = self._patterns[pattern] = re.compile(pattern)
        return compiled

    # --- responses ------------------------------------------------------------------------------

    def serialize_output(self, operation, result: Optional[dict]) -> Tuple[int, bytes]:
        """(status, JSON body) for a successful answer: model status code, members of the output shape."""
        status = int(operation.http.get("responseCode", 200))
        shape = operation.output_shape
        document = _to_json(shape, result or {}) if shape is not None else {}
        return status, json.dumps(document, separators=(",", ":")).encode("utf-8")

    def shape(self, name: str):
        return self.model.shape_for(name)


# --- helpers ------------------------------------------------------------------------------------

def _value_at(shape, value, path: str) -> str:
    """``Value 'x' at 'path'``; sensitive members and blobs are never echoed back."""
    if shape.metadata.get("sensitive") or shape.type_name == "blob":
        return "Value at '%s'" % path
    if isinstance(value, list):
        text = "[%s]" % ", ".join(str(item) for item in value)
    elif isinstance(value, dict):
        text = "{%s}" % ", ".join("%s=%s" % pair for pair in value.items())
    else:
        text = str(value)
    return "Value '%s' at '%s'" % (text, path)


def _query_multi(query_string: str) -> Dict[str, List[str]]:
    result: Dict[str, List[str]] = {}
    for key, value in parse_qsl(query_string or "", keep_blank_values=True):
        result.setdefault(key, []).append(value)
    return result


def _json_document(body: bytes) -> dict:
    if not body or not body.strip():
        return {}
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise awserrors.serialization("The request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise awserrors.serialization("The request body must be a JSON object")
    return document


def _type_error(path: str, expected: str) -> awserrors.ServiceError:
    return awserrors.serialization("Value at '%s' must be %s" % (path, expected))


def _scalar_from_text(shape, text: str, path: str):
    """A URI, query string or header value converted to the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise _type_error(path, "an integer") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise _type_error(path, "true or false")
        return text.lower() == "true"
    return text


def _from_json(shape, value, path: str):
    """A JSON body value checked against the member's type (blobs decoded from base64)."""
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(path, "an object")
        return {name: _from_json(shape.members[name], item, "%s.%s" % (path, name))
                for name, item in value.items() if name in shape.members}
    if kind == "list":
        if not isinstance(value, list):
            raise _type_error(path, "a list")
        return [_from_json(shape.member, item, "%s.%d.member" % (path, index)) for index, item in enumerate(value, 1)]
    if kind == "map":
        if not isinstance(value, dict):
            raise _type_error(path, "an object")
        return {key: _from_json(shape.value, item, path) for key, item in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(path, "a string")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(path, "an integer")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(path, "a boolean")
        return value
    if kind == "blob":
        if not isinstance(value, str):
            raise _type_error(path, "base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _type_error(path, "base64 text") from None
    return value


def iso8601(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _to_json(shape, value):
    """A stored value rendered through an output shape: unknown keys and None are dropped."""
    kind = shape.type_name
    if kind == "structure":
        return {name: _to_json(member, value[name]) for name, member in shape.members.items()
                if value.get(name) is not None}
    if kind == "list":
        return [_to_json(shape.member, item) for item in value]
    if kind == "map":
        return {key: _to_json(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return iso8601(value)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value
