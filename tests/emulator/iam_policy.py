# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An independent evaluator of IAM identity-based policies: the emulator's explicit denies, and the tests'.

Why it exists: moto's IAM authorization (``moto/iam/access_control.py``, ``_check_conditions``) answers DENIED for
any statement whose Condition is not met, whatever its Effect, so a conditional Deny (the containment statements)
would deny every request under moto and prove nothing. ``session_guard.py`` uses this module to refuse, as AWS does,
the requests of role sessions that an explicit Deny of the role's policies covers; tests use it to evaluate a
policy in a given request context. It implements AWS's documented logic for what they need (not the collection's
code: the containment module only writes policies), and its own tests (tests/unit/emulator/test_iam_policy.py) check it against AWS's documented examples:

- Evaluation (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html, "Determining
  whether a request is allowed or denied within an account" and "The difference between explicit and implicit
  denies"): every request is implicitly denied by default; "If the enforcement code finds even one explicit deny
  that applies, the code returns a final decision of Deny"; otherwise an applicable Allow in an identity-based policy
  allows a role session. Resource-based policies, SCPs, boundaries and session policies are out of scope.
- Condition block (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html):
  several operators or keys are ANDed, several values of one key are ORed. Condition key names are not
  case-sensitive (reference_policies_elements_condition.html).
- Operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  String (Equals, NotEquals, EqualsIgnoreCase, NotEqualsIgnoreCase, Like, NotLike with ``*`` and ``?``), Date
  (Equals, NotEquals, LessThan, LessThanEquals, GreaterThan, GreaterThanEquals; no wildcards), ARN (Equals and Like
  behave the same: each of the six colon-separated parts matched on its own), Bool, Null and the ``...IfExists``
  suffix. "If the key that you specify in a policy condition is not present in the request context, the values do
  not match and the condition is false. If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
- Keys of a role session (global condition keys, reference_policies_condition-keys.html): ``aws:userid`` is
  ``role-id:caller-specified-role-name`` (reference_policies_variables.html#principaltable);
  ``aws:TokenIssueTime`` is when the temporary credentials were issued, present only for temporary credentials;
  ``aws:PrincipalArn`` is the role's ARN, not the session's.

- Set operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
  ``ForAllValues:`` "returns true if every context key value in the request matches at least one context key value in
  the policy. It also returns true if there are no context keys in the request"; ``ForAnyValue:`` "returns true if at
  least one context key value in the request matches at least one context key value in the policy", false when the
  key is absent. With a negated operator each request value must match none of the policy's values.

It is also the emulator's trust policy evaluator (``policy.py`` picks the statements a trust policy applies to
Roles Anywhere, then asks ``conditions_hold`` here): one reading of IAM's conditions, not two.

Anything outside that (an unknown operator such as Numeric* or IpAddress, a policy variable) raises ``Unsupported``
rather than guess, so a test cannot pass on an answer this evaluator did not really compute.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"


class Unsupported(ValueError):
    """The policy uses something this evaluator does not implement."""


@dataclass
class Request:
    """One request: the action (``s3:ListBuckets``), the resource ARN and the request context."""

    action: str
    resource: str = "*"
    context: Dict[str, List[str]] = field(default_factory=dict)

    def value(self, key: str) -> Optional[List[str]]:
        for name, values in self.context.items():
            if name.lower() == key.lower():
                return values if isinstance(values, list) else [values]
        return None


def role_session_request(action: str, role_id: str, session_name: str, issued_at: Optional[datetime.datetime], role_arn: str,
                         resource: str = "*") -> Request:
    """The request context AWS builds for a role session's request (the keys the tests need; no issue time, no key)."""
    context = {
        "aws:userid": ["%s:%s" % (role_id, session_name)],
        "aws:PrincipalArn": [role_arn],
        "aws:PrincipalType": ["AssumedRole"],
    }
    if issued_at is not None:
        context["aws:TokenIssueTime"] = [_iso(issued_at)]
    return Request(action, resource, context)


def evaluate(policies: Sequence[dict], request: Request) -> str:
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for the request under these identity-based policies."""
    applicable = [statement for policy in policies for statement in _statements(policy) if _applies(statement, request)]
    if any(statement.get("Effect") == "Deny" for statement in applicable):
        return EXPLICIT_DENY
    if any(statement.get("Effect") == "Allow" for statement in applicable):
        return ALLOW
    return IMPLICIT_DENY


# --- statements -----------------------------------------------------------------------------------

def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _statements(policy: dict) -> Iterable[dict]:
    for statement in _as_list(policy.get("Statement")):
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise Unsupported("statement Effect must be Allow or Deny: %r" % (statement,))
        if "Principal" in statement or "NotPrincipal" in statement:
            raise Unsupported("resource-based policies are out of scope")
        yield statement


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` any run of characters, ``?`` one character; everything else literal."""
    expression = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(expression, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """"Each of the six colon-delimited components of the ARN is checked separately" (the last keeps its colons)."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(wildcard_match(want, have) for want, have in zip(pattern_parts, value_parts))


def _applies(statement: dict, request: Request) -> bool:
    # Action names are not case-sensitive (reference_policies_elements_action.html)
    if "NotAction" in statement:
        action_ok = not any(wildcard_match(pattern, request.action, True) for pattern in _as_list(statement["NotAction"]))
    else:
        action_ok = any(wildcard_match(pattern, request.action, True) for pattern in _as_list(statement.get("Action")))
    if "NotResource" in statement:
        resource_ok = not any(wildcard_match(pattern, request.resource) for pattern in _as_list(statement["NotResource"]))
    else:
        resource_ok = any(wildcard_match(pattern, request.resource) for pattern in _as_list(statement.get("Resource")))
    return action_ok and resource_ok and conditions_hold(statement.get("Condition") or {}, request)


# --- conditions -----------------------------------------------------------------------------------

def _date(text: str) -> datetime.datetime:
    value = str(text).strip()
    if re.fullmatch(r"\d+", value):  # epoch seconds are accepted by the date operators
        return datetime.datetime.fromtimestamp(int(value), datetime.timezone.utc)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


_STRING = {
    "stringequals": lambda want, have: want == have,
    "stringequalsignorecase": lambda want, have: want.lower() == have.lower(),
    "stringlike": wildcard_match,
    "arnequals": _arn_like,  # "The ArnEquals and ArnLike condition operators behave identically."
    "arnlike": _arn_like,
    "bool": lambda want, have: want.lower() == have.lower(),
}
_DATE = {
    "dateequals": lambda have, want: have == want,
    "datelessthan": lambda have, want: have < want,
    "datelessthanequals": lambda have, want: have <= want,
    "dategreaterthan": lambda have, want: have > want,
    "dategreaterthanequals": lambda have, want: have >= want,
}
_NEGATED = {"stringnotequals": "stringequals", "stringnotequalsignorecase": "stringequalsignorecase",
            "stringnotlike": "stringlike", "arnnotequals": "arnequals", "arnnotlike": "arnlike",
            "datenotequals": "dateequals"}


def _matches(operator: str, wanted: str, actual: str) -> bool:
    if operator in _STRING:
        return _STRING[operator](wanted, actual)
    if operator in _DATE:
        return _DATE[operator](_date(actual), _date(wanted))
    raise Unsupported("condition operator %s is not implemented here" % operator)


def condition_holds(raw_operator: str, key: str, wanted, request: Request) -> bool:
    operator = raw_operator.lower()
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
        if qualifier not in ("forallvalues", "foranyvalue"):
            raise Unsupported("condition operator %s is not implemented here" % raw_operator)
    if "${" in str(wanted):
        raise Unsupported("policy variables are not implemented here")
    wanted_values = [str(value) for value in _as_list(wanted)]
    actual = request.value(key)
    if operator == "null":
        return (actual is None) == (wanted_values[0].lower() == "true")
    if_exists = operator.endswith("ifexists")
    operator = operator[:-len("ifexists")] if if_exists else operator
    negated = operator in _NEGATED
    positive = _NEGATED.get(operator, operator)
    if positive not in _STRING and positive not in _DATE:
        raise Unsupported("condition operator %s is not implemented here" % raw_operator)
    if qualifier is not None:
        value_ok = [any(_matches(positive, want, have) for want in wanted_values) != negated for have in actual or ()]
        return all(value_ok) if qualifier == "forallvalues" else any(value_ok)
    if actual is None:
        return if_exists or negated
    matched = any(_matches(positive, want, have) for want in wanted_values for have in actual)
    return not matched if negated else matched


def conditions_hold(condition: dict, request: Request) -> bool:
    return all(condition_holds(operator, key, wanted, request)
               for operator, entries in condition.items() for key, wanted in entries.items())
