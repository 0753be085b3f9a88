# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate subject fields as Roles Anywhere session tags: which fields a trust policy may name, and whether a
subject's values can become tags at all.

Roles Anywhere maps the subject's relative distinguished names to session tags ``x509Subject/<short name>``
(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/attribute-mapping.html; MappingRule.specifier "such as
CN, OU, or UID from the Subject field", API_MappingRule.html), which a role's trust policy reads as
``aws:PrincipalTag/x509Subject/<short name>``
(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/attribute-mapping-and-trust-policy.html). Each value must
be a valid session tag value (identifiers.session_tag_value_problem), or CreateSession fails as a whole.

Stdlib only: enroll_state runs this on hosts.
"""

from __future__ import annotations

from . import identifiers
from .errors import ConfigurationError

# Short names (the tag keys, RFC 4514) and the OpenSSL long names enroll_subject takes (community.crypto's).
SUBJECT_FIELDS = {
    "CN": "commonName",
    "O": "organizationName",
    "OU": "organizationalUnitName",
    "C": "countryName",
    "ST": "stateOrProvinceName",
    "L": "localityName",
    "DC": "domainComponent",
    "UID": "userId",
}
_SHORT_NAMES = dict((long_name, short) for short, long_name in SUBJECT_FIELDS.items())
WILDCARDS = "*?"  # StringLike's wildcards (IAM User Guide, reference_policies_elements_condition_operators.html)
COMMON_NAME_MAX = 64  # RFC 5280 Appendix A.1: ub-common-name INTEGER ::= 64


def common_name_refusal(common_name):
    """The refusal of a certificate's common name (enroll_common_name): None when it is 1 to 64 characters."""
    if 0 < len(common_name) <= COMMON_NAME_MAX:
        return None
    return "The common name must be 1 to %d characters; set enroll_common_name (got '%s')." % (COMMON_NAME_MAX, common_name)


def short_name(name):
    """CN for CN or commonName; None for a field the trust policy options do not take."""
    if name in SUBJECT_FIELDS:
        return name
    return _SHORT_NAMES.get(name)


def check_require_subject(require_subject, option="require_subject"):
    """{short name: [value or pattern, ...]} from {field: value | [values]}; ConfigurationError naming what is wrong.

    A value that AWS cannot carry as a session tag could never equal the tag, so it is refused here (with the
    wildcards * and ? taken out first: they belong to the pattern, not to the certificate).
    """
    if not isinstance(require_subject, dict):
        raise ConfigurationError("%s must be a dictionary of subject fields, for example {OU: [web], CN: 'web-*'}" % option,
                                 "Give each field (%s) a value or a list of values" % ", ".join(SUBJECT_FIELDS))
    checked = {}
    for field, wanted in require_subject.items():
        name = short_name(field)
        if name is None:
            raise ConfigurationError("%s names the subject field %r, which it does not know" % (option, field),
                                     "Use one of %s" % ", ".join(SUBJECT_FIELDS))
        if name in checked:
            raise ConfigurationError("%s names the subject field %s twice" % (option, name), "Name each field once")
        values = [wanted] if isinstance(wanted, str) else wanted
        if not isinstance(values, (list, tuple)) or not values or not all(isinstance(value, str) and value for value in values):
            raise ConfigurationError("%s.%s must be a non-empty value or a list of them" % (option, field),
                                     "For example OU: [web, db] or CN: 'web-*'")
        for value in values:
            problem = identifiers.session_tag_value_problem("".join(c for c in value if c not in WILDCARDS))
            if problem:
                raise ConfigurationError(
                    "%s.%s value %r can never match a certificate: %s" % (option, field, value, problem),
                    "AWS refuses a session whose mapped subject fields hold such characters; use letters, digits, spaces "
                    "and _ . : / = + - @ (and the wildcards * and ?)")
        checked[name] = list(values)
    return checked


def subject_findings(subject, required_fields=()):
    """(warnings, errors) about a certificate subject ({field: value}, long or short names) as session tags.

    A field whose value AWS cannot carry is a warning (with the profile's default mapping, x509Subject '*', AWS
    refuses every session of the certificate); it is an error when a trust policy condition relies on the field,
    and so is a relied-on field that the subject lacks: either way the host could never get credentials.
    """
    required = set(short_name(field) or field for field in required_fields or ())
    present = {}
    warnings, errors = [], []
    for field, value in (subject or {}).items():
        name = short_name(field) or field
        present[name] = value
        problem = identifiers.session_tag_value_problem(value)
        if problem is None:
            continue
        if name in required:
            errors.append("The certificate subject field %s (%r) cannot become a session tag: %s. The role's trust policy "
                          "relies on it (aws:PrincipalTag/x509Subject/%s), so this host could never get credentials; "
                          "change the value" % (name, value, problem, name))
        else:
            warnings.append("The certificate subject field %s (%r) cannot become a session tag: %s. AWS refuses every "
                            "session while the profile maps it (x509Subject '*' maps every field); change the value or map "
                            "only the fields you need" % (name, value, problem))
    for name in sorted(required - set(present)):
        errors.append("The certificate subject has no %s (%s), which the role's trust policy relies on "
                      "(aws:PrincipalTag/x509Subject/%s), so this host could never get credentials; set it"
                      % (name, SUBJECT_FIELDS.get(name, name), name))
    return warnings, errors
