# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that knows AWS's identifiers: ARNs, alias ARNs, resource IDs, names, regions, durations.

Every rule below comes from botocore's service models (botocore 1.44.5: ``rolesanywhere`` 2018-05-10,
``acm-pca`` 2017-08-22, ``iam`` 2010-05-08, ``sts`` 2011-06-15). ``MODEL_SHAPES`` copies the shapes
verbatim; ``tests/unit/plugins/module_utils/test_identifiers.py`` reads the installed botocore's models and
fails when one of them drifts. The models' patterns are unanchored (Smithy ``@pattern`` is a search) and
botocore does not check them client-side (botocore/validate.py checks no ``pattern`` and no ``max``); we
apply them as full matches, and add what the models leave out of an ARN: a real region, a 12-digit account
and a resource ID (or, for an alias ARN, an alias name) after the resource type.

Alias ARNs (``arn:<partition>:rolesanywhere:<region>:<account>:alias/trust-anchor/<name>``, ``alias/profile/``,
``alias/crl/``; shapes TrustAnchorAliasArn, ProfileAliasArn, CrlAliasArn) are accepted wherever the service
takes a TrustAnchorIdentifier / ProfileIdentifier / CrlIdentifier and by CreateSession
(https://docs.aws.amazon.com/rolesanywhere/latest/userguide/resource-aliases.html). They are refused, as AWS
refuses them, for ImportCrl's trustAnchorArn and for the notification-settings calls (``Uuid`` only).

Stdlib only: this file ships to hosts inside the credential helper.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import ConfigurationError

# --- the models' shapes (service, shape) -> constraints; equal to botocore's (test_identifiers.py) ----------
_RA_ARN = "arn:aws(-[^:]+)?:rolesanywhere(:.*){2}"
_UUID_MODEL = "[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}"


def _ra_arn(resource_pattern):
    """A rolesanywhere ARN shape of the model: 1..1011 characters, the common prefix, then the resource part."""
    return {"min": 1, "max": 1011, "pattern": _RA_ARN + resource_pattern}


def _identifier(resource_type):
    """TrustAnchorIdentifier / ProfileIdentifier / CrlIdentifier: an ID, an ARN or an alias ARN."""
    return {"min": 1, "max": 1011, "pattern": "(%s|%s:(%s|alias/%s)/.*)" % (_UUID_MODEL, _RA_ARN, resource_type, resource_type)}


MODEL_SHAPES = {
    ("rolesanywhere", "Uuid"): {"min": 36, "max": 36, "pattern": ".*%s.*" % _UUID_MODEL},
    ("rolesanywhere", "TrustAnchorIdentifier"): _identifier("trust-anchor"),
    ("rolesanywhere", "ProfileIdentifier"): _identifier("profile"),
    ("rolesanywhere", "CrlIdentifier"): _identifier("crl"),
    ("rolesanywhere", "TrustAnchorResourceArn"): _ra_arn("(:trust-anchor/.*)"),
    ("rolesanywhere", "ProfileResourceArn"): _ra_arn("(:profile/.*)"),
    ("rolesanywhere", "CrlResourceArn"): _ra_arn("(:crl/.*)"),
    ("rolesanywhere", "TrustAnchorAliasArn"): _ra_arn("(:alias/trust-anchor/.*)"),
    ("rolesanywhere", "ProfileAliasArn"): _ra_arn("(:alias/profile/.*)"),
    ("rolesanywhere", "CrlAliasArn"): _ra_arn("(:alias/crl/.*)"),
    ("rolesanywhere", "TrustAnchorIdentifierArn"): _ra_arn("(:trust-anchor.*|:alias/trust-anchor/.*)"),
    ("rolesanywhere", "AliasName"): {"min": 0, "max": 256, "pattern": "(?!.*//)([A-Za-z]([A-Za-z0-9_/-]*[A-Za-z0-9_-])?)?"},
    ("rolesanywhere", "ResourceName"): {"min": 1, "max": 255, "pattern": "[ a-zA-Z0-9-_]*"},
    ("rolesanywhere", "RoleArn"): {"min": 1, "max": 1011, "pattern": "arn:aws(-[^:]+)?:iam(:.*){2}(:role.*)"},
    ("rolesanywhere", "RoleArnList"): {"min": 0, "max": 250},
    ("rolesanywhere", "ManagedPolicyList"): {"min": 0, "max": 50},
    ("rolesanywhere", "CreateProfileRequestDurationSecondsInteger"): {"min": 900, "max": 43200},
    ("acm-pca", "Arn"): {"min": 5, "max": 200, "pattern": "arn:[\\w+=/,.@-]+:acm-pca:[\\w+=/,.@-]*:[0-9]*:[\\w+=,.@-]+(/[\\w+=,.@-]+)*"},
    ("iam", "roleNameType"): {"min": 1, "max": 64, "pattern": "[\\w+=,.@-]+"},
    ("iam", "pathType"): {"min": 1, "max": 512, "pattern": "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"},
    ("iam", "policyNameType"): {"min": 1, "max": 128, "pattern": "[\\w+=,.@-]+"},
    ("iam", "policyPathType"): {"min": 1, "max": 512, "pattern": "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/"},
    ("sts", "roleSessionNameType"): {"min": 2, "max": 64, "pattern": "[\\w+=,.@-]*"},
    ("sts", "roleDurationSecondsType"): {"min": 900, "max": 43200},
    ("sts", "externalIdType"): {"min": 2, "max": 1224, "pattern": "[\\w+=,.@:\\/-]*"},
    # Session tag values (Tag.Value): what Roles Anywhere can carry from a certificate field (attribute mapping).
    ("sts", "tagValueType"): {"min": 0, "max": 256, "pattern": "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"},
}


def _shape(service, name):
    return MODEL_SHAPES[(service, name)]


def _fits(value, service, name):
    """value meets the model shape: full match of its pattern (when it has one) and its length bounds."""
    shape = _shape(service, name)
    if not isinstance(value, str) or not shape["min"] <= len(value) <= shape["max"]:
        return False
    return "pattern" not in shape or re.fullmatch(shape["pattern"], value) is not None


# --- pieces the models leave open -----------------------------------------------------------------------------
# Resource IDs: the Uuid shape's pattern without its unanchoring ".*" (lower-case, as the service returns them).
UUID = _UUID_MODEL.replace("(", "(?:")
# Partitions: botocore's partitions.json names (aws, aws-cn, aws-us-gov, aws-iso-b, aws-eusc, ...).
PARTITION = r"aws(?:-[a-z]+)*"
# Regions: every region of botocore's partitions.json / endpoints.json (a unit test checks it), e.g. us-east-1,
# us-gov-west-1, eusc-de-east-1.
REGION = r"[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}"
ACCOUNT = r"\d{12}"
RESOURCE_TYPES = ("trust-anchor", "profile", "crl", "subject")
ALIAS_RESOURCE_TYPES = ("trust-anchor", "profile", "crl")
_ALIAS_SHAPES = {"trust-anchor": "TrustAnchorAliasArn", "profile": "ProfileAliasArn", "crl": "CrlAliasArn"}
_CANONICAL_SHAPES = {"trust-anchor": "TrustAnchorResourceArn", "profile": "ProfileResourceArn", "crl": "CrlResourceArn"}

ROLESANYWHERE_ARN_RE = re.compile(
    r"arn:(?P<partition>%s):rolesanywhere:(?P<region>%s):(?P<account>%s):"
    r"(?:(?P<resource_type>trust-anchor|profile|crl|subject)/(?P<resource_id>%s)"
    r"|alias/(?P<alias_type>trust-anchor|profile|crl)/(?P<alias_name>[^:]+))" % (PARTITION, REGION, ACCOUNT, UUID)
)
ROLE_ARN_RE = re.compile(
    r"arn:(?P<partition>%s):iam::(?P<account>%s):role(?P<role_path>/(?:[\x21-\x7e]+/)?)(?P<role_name>[^/]+)" % (PARTITION, ACCOUNT)
)
POLICY_ARN_RE = re.compile(
    r"arn:(?P<partition>%s):iam::(?P<account>%s|aws):policy(?P<policy_path>/(?:[^/]+/)*)(?P<policy_name>[^/]+)" % (PARTITION, ACCOUNT)
)
ACM_PCA_CA_ARN_RE = re.compile(
    r"arn:(?P<partition>%s):acm-pca:(?P<region>%s):(?P<account>%s):certificate-authority/"
    r"(?P<ca_id>[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})" % (PARTITION, REGION, ACCOUNT)
)
REGION_RE = re.compile(r"(?:%s)\Z" % REGION)

MIN_DURATION_SECONDS = _shape("rolesanywhere", "CreateProfileRequestDurationSecondsInteger")["min"]
MAX_DURATION_SECONDS = _shape("rolesanywhere", "CreateProfileRequestDurationSecondsInteger")["max"]
DEFAULT_DURATION_SECONDS = 3600  # CreateSession/CreateProfile documentation: 3600 when omitted
MAX_ROLE_ARNS = _shape("rolesanywhere", "RoleArnList")["max"]
MAX_MANAGED_POLICY_ARNS = _shape("rolesanywhere", "ManagedPolicyList")["max"]

ARN_SHAPE_HINT = "arn:<partition>:rolesanywhere:<region>:<12-digit account>:%s/<id>"
ALIAS_ARN_SHAPE_HINT = "arn:<partition>:rolesanywhere:<region>:<12-digit account>:alias/%s/<alias name>"


# --- Roles Anywhere ARNs and alias ARNs -----------------------------------------------------------------------

def _arn_refusal(arn, expected_type, option, allow_alias):
    kind = expected_type or "resource"
    shapes = ARN_SHAPE_HINT % (expected_type or "<type>")
    if allow_alias and expected_type in ALIAS_RESOURCE_TYPES:
        shapes += " or its alias ARN " + ALIAS_ARN_SHAPE_HINT % expected_type
    return ConfigurationError(
        "%s %r is not a Roles Anywhere %s ARN" % (option, arn, kind),
        "Use the ARN printed by the trust_anchor/profile/crl modules, shaped like %s" % shapes,
    )


def parse_rolesanywhere_arn(arn, expected_type=None, option="arn", allow_alias=True):
    """The parts of a Roles Anywhere ARN or alias ARN; ConfigurationError naming option when it is not one.

    Returns a dict: arn, partition, region, account, resource_type, and either resource_id (canonical ARN;
    alias_name None) or alias_name (alias ARN; resource_id None). With allow_alias=False an alias ARN is
    refused with a message saying that this parameter takes no alias (as AWS's ImportCrl does).
    """
    match = ROLESANYWHERE_ARN_RE.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        raise _arn_refusal(arn, expected_type, option, allow_alias)
    parts = match.groupdict()
    alias_type = parts.pop("alias_type")
    if alias_type:
        parts["resource_type"] = alias_type
        if not is_alias_name(parts["alias_name"]):
            raise ConfigurationError(
                "%s %r names an alias that is not a valid alias name" % (option, arn), alias_name_rule())
    if expected_type and parts["resource_type"] != expected_type:
        raise _arn_refusal(arn, expected_type, option, allow_alias)
    shape = (_ALIAS_SHAPES if alias_type else _CANONICAL_SHAPES).get(parts["resource_type"])
    if shape and not _fits(arn, "rolesanywhere", shape):
        raise _arn_refusal(arn, expected_type, option, allow_alias)
    if alias_type and not allow_alias:
        raise ConfigurationError(
            "%s %r is an alias ARN, and AWS does not accept alias ARNs here" % (option, arn),
            "Give the %s's ID or canonical ARN (%s)" % (parts["resource_type"], ARN_SHAPE_HINT % parts["resource_type"]),
        )
    parts["arn"] = arn
    return parts


def is_alias_arn(parts):
    return parts.get("alias_name") is not None


def check_arn_region(parts, region, option="arn", connects="the module connects to"):
    """An ARN (or alias ARN) names its region: it must be the region the request goes to."""
    if region and parts["region"] != region:
        raise ConfigurationError(
            "%s is in region %s but %s region %s" % (option, parts["region"], connects, region),
            "Set region to %s, or give the ARN of a resource in %s" % (parts["region"], region),
        )


def region_from_arn(arn):
    """The region of a Roles Anywhere ARN or alias ARN; "" for an IAM role ARN (IAM is global)."""
    if isinstance(arn, str) and arn.startswith("arn:") and ":iam::" in arn:
        parse_role_arn(arn, "arn")
        return ""
    return parse_rolesanywhere_arn(arn)["region"]


def validate_arns(trust_anchor_arn, profile_arn, role_arn):
    """Check CreateSession's three ARNs (alias ARNs allowed for the first two) and that they belong together.

    The trust anchor and profile must be in one region and account (AWS's helper takes the region from the
    trust anchor ARN and refuses a profile of another region: cmd/credentials.go); all three in one partition.
    Returns the trust anchor's parts.
    """
    anchor = parse_rolesanywhere_arn(trust_anchor_arn, "trust-anchor", "trust_anchor_arn")
    profile = parse_rolesanywhere_arn(profile_arn, "profile", "profile_arn")
    role = parse_role_arn(role_arn)
    if (anchor["region"], anchor["account"]) != (profile["region"], profile["account"]):
        raise ConfigurationError(
            "trust_anchor_arn (%s, account %s) and profile_arn (%s, account %s) are not in the same region and account"
            % (anchor["region"], anchor["account"], profile["region"], profile["account"]),
            "Use the trust anchor and profile created together in one account and region",
        )
    if len({anchor["partition"], profile["partition"], role["partition"]}) != 1:
        raise ConfigurationError(
            "the ARNs name different partitions (%s, %s, %s)" % (anchor["partition"], profile["partition"], role["partition"]),
            "Trust anchor, profile and role must be in the same AWS partition",
        )
    return anchor


# --- resource IDs, names, alias names -------------------------------------------------------------------------

def is_resource_id(value):
    """True when value is a Roles Anywhere resource ID (the Uuid shape: 36 characters, lower-case hex)."""
    return isinstance(value, str) and len(value) == 36 and re.fullmatch(UUID, value) is not None


def check_resource_id(value, option="id"):
    if not is_resource_id(value):
        raise ConfigurationError(
            "%s %r is not a Roles Anywhere resource ID" % (option, value),
            "IDs are 36-character lower-case UUIDs such as 0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41",
        )
    return value


def check_name(name, option="name"):
    """Refuse a resource name the service would refuse (ResourceName: 1..255 letters, digits, spaces, - and _)."""
    if not _fits(name, "rolesanywhere", "ResourceName"):
        raise ConfigurationError(
            "%s %r is not a valid Roles Anywhere name" % (option, name),
            "Use 1 to 255 characters: letters, digits, spaces, hyphens (-) and underscores (_)",
        )
    return name


def alias_name_rule():
    return (
        "An alias has 1 to 256 characters, starts with a letter, contains only letters, digits, _, - and /, "
        "has no '//', does not end with '/' and does not start with 'aws/'; use an empty string to remove it"
    )


def is_alias_name(value):
    """AliasName with at least one character; the 'aws/' prefix (any case) is reserved (model documentation)."""
    return bool(value) and _fits(value, "rolesanywhere", "AliasName") and not value.lower().startswith("aws/")


def check_alias_name(alias_name, option="alias_name"):
    """An alias: empty (remove it) or a valid alias name."""
    if alias_name == "":
        return alias_name
    if not is_alias_name(alias_name):
        raise ConfigurationError("%s %r is not a valid alias" % (option, alias_name), alias_name_rule())
    return alias_name


def classify_reference(value, resource_type, option):
    """What a reference to another resource is: ('arn', parts) for an ARN or alias ARN, ('id', id), ('name', name)."""
    if value.startswith("arn:"):
        return "arn", parse_rolesanywhere_arn(value, resource_type, option)
    if is_resource_id(value):
        return "id", value
    return "name", check_name(value, option)


# --- IAM, ACM PCA ---------------------------------------------------------------------------------------------

def parse_role_arn(arn, option="role_arn"):
    """Split an IAM role ARN into partition, account, role_path, role_name (iam roleNameType, pathType)."""
    match = ROLE_ARN_RE.fullmatch(arn) if isinstance(arn, str) else None
    if (match is None or not _fits(match.group("role_name"), "iam", "roleNameType")
            or not _fits(match.group("role_path"), "iam", "pathType") or not _fits(arn, "rolesanywhere", "RoleArn")):
        raise ConfigurationError(
            "%s %r is not an IAM role ARN" % (option, arn),
            "Use a role ARN shaped like arn:<partition>:iam::<12-digit account>:role/<path/name>",
        )
    return match.groupdict()


def is_role_arn(arn):
    try:
        parse_role_arn(arn)
    except ConfigurationError:
        return False
    return True


def is_policy_arn(arn):
    """An IAM managed policy ARN (AWS-managed or the account's): iam policyNameType and policyPathType."""
    match = POLICY_ARN_RE.fullmatch(arn) if isinstance(arn, str) else None
    return (match is not None and _fits(match.group("policy_name"), "iam", "policyNameType")
            and _fits(match.group("policy_path"), "iam", "policyPathType"))


def _check_arn_list(values, option, accepts, maximum, example):
    unique = list(dict.fromkeys(values))
    bad = [value for value in unique if not accepts(value)]
    if bad:
        raise ConfigurationError("%s holds values that are not valid ARNs: %s" % (option, ", ".join(repr(v) for v in bad)), "Expected %s" % example)
    if len(unique) > maximum:
        raise ConfigurationError("%s holds %d ARNs but the service allows at most %d" % (option, len(unique), maximum), "Remove some")
    return unique


def check_role_arns(role_arns, option="role_arns"):
    """CreateProfile's roleArns: role ARNs, duplicates dropped, at most RoleArnList's maximum."""
    return _check_arn_list(role_arns, option, is_role_arn, MAX_ROLE_ARNS, "arn:aws:iam::123456789012:role/NAME")


def check_managed_policy_arns(policy_arns, option="managed_policy_arns"):
    return _check_arn_list(
        policy_arns, option, is_policy_arn, MAX_MANAGED_POLICY_ARNS,
        "arn:aws:iam::aws:policy/NAME or arn:aws:iam::123456789012:policy/NAME",
    )


def parse_acm_pca_arn(arn, option="acm_pca_arn"):
    """partition, region, account, ca_id of an ACM Private CA ARN (acm-pca Arn shape, plus region and account)."""
    match = ACM_PCA_CA_ARN_RE.fullmatch(arn) if isinstance(arn, str) else None
    if match is None or not _fits(arn, "acm-pca", "Arn"):
        raise ConfigurationError(
            "%s %r is not an ACM Private CA ARN" % (option, arn),
            "Expected arn:aws:acm-pca:<region>:<account>:certificate-authority/<36-character id>",
        )
    return match.groupdict()


# --- regions, durations, session names ------------------------------------------------------------------------

def plain_region(region):
    """Strip FIPS pseudo-region decorations: ``fips-us-east-1`` / ``us-gov-west-1-fips`` -> plain region.

    Returns ``(region, fips_requested)``. The signing scope must carry the plain region.
    """
    if not isinstance(region, str) or not region.strip():
        raise ConfigurationError("region %r is empty or not a string" % (region,), "Set region, e.g. us-east-1")
    text = region.strip().lower()
    fips = False
    if text.startswith("fips-"):
        text, fips = text[len("fips-"):], True
    if text.endswith("-fips"):
        text, fips = text[:-len("-fips")], True
    if not is_region(text):
        raise ConfigurationError("region %r is not an AWS region name" % (region,), "Use a region such as us-east-1 or eu-west-2")
    return text, fips


def is_region(value):
    return isinstance(value, str) and REGION_RE.fullmatch(value) is not None


def is_duration(value):
    return not isinstance(value, bool) and isinstance(value, int) and MIN_DURATION_SECONDS <= value <= MAX_DURATION_SECONDS


def validate_duration(duration_seconds, option="duration_seconds"):
    """CreateSession's / CreateProfile's durationSeconds (900..43200), from an int or its text."""
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int):
        try:
            duration_seconds = int(str(duration_seconds).strip())
        except ValueError:
            duration_seconds = None
    if not is_duration(duration_seconds):
        raise ConfigurationError(
            "%s %r is out of range" % (option, duration_seconds),
            "Use a whole number of seconds from %d to %d (15 minutes to 12 hours)" % (MIN_DURATION_SECONDS, MAX_DURATION_SECONDS),
        )
    return duration_seconds


# IAM User Guide, "Roles terms and concepts" (role chaining) and STS AssumeRole's DurationSeconds: credentials of a
# role session (Roles Anywhere's are) that assume another role are role chaining, limited to one hour; AssumeRole
# fails with "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining".
MAX_CHAINED_DURATION_SECONDS = 3600


def validate_chained_duration(duration_seconds, option="duration"):
    """AssumeRole's DurationSeconds for a role assumed with role-session credentials: 900..3600."""
    if (isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int)
            or not _shape("sts", "roleDurationSecondsType")["min"] <= duration_seconds <= MAX_CHAINED_DURATION_SECONDS):
        raise ConfigurationError(
            "%s %r is out of range for a chained role" % (option, duration_seconds),
            "Use 900 to %d seconds: AWS limits a role assumed with another role's credentials (role chaining) to one "
            "hour" % MAX_CHAINED_DURATION_SECONDS,
        )
    return duration_seconds


def validate_external_id(external_id, option="external_id"):
    """sts externalIdType: 2..1224 of letters, digits and + = , . @ : / _ -; None means "not given"."""
    if external_id is None:
        return None
    if not _fits(external_id, "sts", "externalIdType"):
        raise ConfigurationError(
            "%s is not a valid external ID (length %d)" % (option, len(external_id) if isinstance(external_id, str) else 0),
            "Use 2 to 1224 characters from letters, digits and + = , . @ : / _ -, as the role's trust policy expects",
        )
    return external_id


def is_role_session_name(name):
    return _fits(name, "sts", "roleSessionNameType")


def is_policy_name(name):
    """An IAM inline or managed policy name (iam policyNameType: 1..128 of letters, digits and + = , . @ _ -)."""
    return _fits(name, "iam", "policyNameType")


def validate_role_session_name(name, option="role_session_name"):
    """sts roleSessionNameType: 2..64 of letters, digits and + = , . @ _ -; None means "not given"."""
    if name is None:
        return None
    if not is_role_session_name(name):
        raise ConfigurationError(
            "%s %r is not a valid session name" % (option, name),
            "Use 2 to 64 characters from letters, digits and + = , . @ _ -",
        )
    return name


# --- session tag values -----------------------------------------------------------------------------------------
# sts tagValueType (above): 0..256 characters of Unicode letters (\p{L}), separators (\p{Z}), numbers (\p{N}) and
# _ . : / = + - @. Python's re has no \p{..}: the categories are read with unicodedata (L*, Z*, N*). Roles Anywhere
# turns each mapped certificate attribute into such a tag; one value outside the rule makes CreateSession fail with
# "Some attributes failed to be mapped into session tags" (aws/rolesanywhere-credential-helper#188: a CN with
# parentheses; hashicorp/terraform-provider-aws#48211: an issuer CN with '&').
_TAG_VALUE_PUNCTUATION = frozenset("_.:/=+-@")
MAX_TAG_VALUE_LENGTH = _shape("sts", "tagValueType")["max"]


def _tag_value_character(character):
    return character in _TAG_VALUE_PUNCTUATION or unicodedata.category(character)[0] in "LZN"


def session_tag_value_problem(value):
    """None when AWS can carry value as a session tag value; else what is wrong, in words."""
    if not isinstance(value, str):
        return "it is not text"
    refused = sorted(set(character for character in value if not _tag_value_character(character)))
    if refused:
        return "it holds %s, which a session tag value cannot hold" % ", ".join(repr(character) for character in refused)
    if len(value) > MAX_TAG_VALUE_LENGTH:
        return "it is %d characters long, more than a session tag value's %d" % (len(value), MAX_TAG_VALUE_LENGTH)
    return None


def is_session_tag_value(value):
    return session_tag_value_problem(value) is None
