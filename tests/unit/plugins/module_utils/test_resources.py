# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names, identifiers, ARNs, certificate bundles and CRLs of the control-plane modules (_control_plane/resources.py)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import resources as r
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError, MaterialError
from tests.support import pki

ANCHOR_ID = "0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"
ANCHOR_ARN = "arn:aws:rolesanywhere:eu-west-1:123456789012:trust-anchor/" + ANCHOR_ID


# --- names, ids, ARNs -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "fleet ca", "Fleet_CA-2", "x" * 255])
def test_valid_names(name):
    assert r.check_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 256, "fleet/ca", "café", "a.b", None])
def test_invalid_names_are_refused_with_the_rule(name):
    with pytest.raises(ConfigurationError, match="letters, digits, spaces"):
        r.check_name(name)


@pytest.mark.parametrize("alias", ["", "a", "fleet/web-1", "A_b"])
def test_valid_aliases(alias):
    assert r.check_alias_name(alias) == alias


@pytest.mark.parametrize("alias", ["1abc", "a//b", "ends/", "aws/reserved", "AWS/x", "a" * 257, "sp ace"])
def test_invalid_aliases(alias):
    with pytest.raises(ConfigurationError, match="not a valid alias"):
        r.check_alias_name(alias)


def test_parse_resource_arn():
    parts = r.parse_resource_arn(ANCHOR_ARN, "trust-anchor")
    assert parts == {"partition": "aws", "region": "eu-west-1", "account": "123456789012", "resource_type": "trust-anchor",
                     "resource_id": ANCHOR_ID, "alias_name": None, "arn": ANCHOR_ARN}


@pytest.mark.parametrize(
    "arn",
    [
        ANCHOR_ARN.replace("trust-anchor", "profile"),  # wrong type
        ANCHOR_ARN[:-1],  # id too short
        "arn:aws:iam::123456789012:role/x",
        "not-an-arn",
        "",
    ],
)
def test_bad_resource_arns(arn):
    with pytest.raises(ConfigurationError, match="not a Roles Anywhere trust-anchor ARN"):
        r.parse_resource_arn(arn, "trust-anchor")


def test_arn_in_another_region_is_refused_with_both_regions_named():
    parts = r.parse_resource_arn(ANCHOR_ARN, "trust-anchor")
    r.check_arn_region(parts, "eu-west-1")
    r.check_arn_region(parts, None)  # unknown region: nothing to compare
    with pytest.raises(ConfigurationError, match="region eu-west-1 but the module connects to region us-east-1"):
        r.check_arn_region(parts, "us-east-1")


@pytest.mark.parametrize(
    "value, kind",
    [(ANCHOR_ARN, "arn"), (ANCHOR_ID, "id"), ("fleet-ca", "name"), ("Fleet CA", "name")],
)
def test_classify_reference(value, kind):
    assert r.classify_reference(value, "trust-anchor", "trust_anchor")[0] == kind


def test_classify_reference_refuses_bad_names_and_arns():
    with pytest.raises(ConfigurationError, match="trust_anchor"):
        r.classify_reference("fleet/ca", "trust-anchor", "trust_anchor")
    with pytest.raises(ConfigurationError, match="trust_anchor"):
        r.classify_reference("arn:aws:rolesanywhere:eu-west-1:123456789012:crl/" + ANCHOR_ID, "trust-anchor", "trust_anchor")


def test_role_arns_are_deduplicated_and_checked():
    role = "arn:aws:iam::123456789012:role/path/web"
    assert r.check_role_arns([role, role]) == [role]
    with pytest.raises(ConfigurationError, match="'arn:aws:iam::123456789012:user/bob'"):
        r.check_role_arns([role, "arn:aws:iam::123456789012:user/bob"])
    with pytest.raises(ConfigurationError, match="at most 250"):
        r.check_role_arns(["arn:aws:iam::123456789012:role/r%d" % i for i in range(251)])


def test_managed_policy_arns_accept_aws_managed_ones():
    arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws-us-gov:iam::123456789012:policy/mine"]
    assert r.check_managed_policy_arns(arns) == arns
    with pytest.raises(ConfigurationError, match="managed_policy_arns"):
        r.check_managed_policy_arns(["ReadOnlyAccess"])


def test_acm_pca_arn_must_be_in_the_region():
    arn = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/" + ANCHOR_ID
    assert r.check_acm_pca_arn(arn, "eu-west-1") == arn
    with pytest.raises(ConfigurationError, match="own region"):
        r.check_acm_pca_arn(arn, "us-east-1")
    with pytest.raises(ConfigurationError, match="not an ACM Private CA ARN"):
        r.check_acm_pca_arn(ANCHOR_ARN)


@pytest.mark.parametrize("duration, ok", [(899, False), (900, True), (43200, True), (43201, False)])
def test_duration_bounds(duration, ok):
    if ok:
        assert r.check_duration_seconds(duration) == duration
    else:
        with pytest.raises(ConfigurationError, match="900 to 43200"):
            r.check_duration_seconds(duration)


def test_arn_lists_compare_as_sets():
    assert not r.lists_differ(["a", "b"], ["b", "a"])
    assert not r.lists_differ(None, [])
    assert r.lists_differ(["a"], ["a", "b"])


# --- PEM / DER: certificate bundles ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cas():
    return pki.make_ca("EC", cn="Root A"), pki.make_ca("RSA", cn="Root B")


def test_bundle_from_pem_with_crlf_comments_and_order(cas):
    root_a, root_b = cas
    text = "subject=Root A\r\n" + pki.cert_pem(root_a.certificate).decode().replace("\n", "\r\n") + pki.cert_pem(root_b.certificate).decode()
    ders = r.load_certificate_bundle(text)
    assert ders == [root_a.cert_der, root_b.cert_der]
    canonical = r.certificate_bundle_pem(ders)
    assert canonical.count("-----BEGIN CERTIFICATE-----") == 2
    assert "\r" not in canonical and all(len(line) <= 64 for line in canonical.splitlines())
    # Same set of certificates in another order, other wrapping: no difference.
    assert not r.certificate_bundles_differ(pki.cert_pem(root_b.certificate, root_a.certificate).decode(), ders)
    assert r.certificate_bundles_differ(pki.cert_pem(root_a.certificate).decode(), ders)
    assert r.certificate_bundles_differ(None, ders)


def test_bundle_from_der_and_bytes(cas):
    root_a = cas[0]
    assert r.load_certificate_bundle(root_a.cert_der) == [root_a.cert_der]
    assert r.load_certificate_bundle(pki.cert_pem(root_a.certificate)) == [root_a.cert_der]


def test_bundle_with_a_private_key_is_refused_without_echoing_it(cas):
    root_a = cas[0]
    key_pem = root_a.key_pem.decode()
    body = "".join(key_pem.splitlines()[1:-1])
    with pytest.raises(MaterialError) as caught:
        r.load_certificate_bundle(pki.cert_pem(root_a.certificate).decode() + key_pem)
    text = str(caught.value) + repr(caught.value)
    assert "PRIVATE KEY, not a CERTIFICATE" in text
    assert body[:40] not in text and body[-40:] not in text


def test_bundle_with_a_host_certificate_is_refused(cas):
    leaf = pki.make_leaf(cas[0], cn="host1.example.com")
    with pytest.raises(MaterialError, match="CN=host1.example.com.* is not a CA certificate"):
        r.load_certificate_bundle(leaf.cert_pem)


@pytest.mark.parametrize(
    "data, message",
    [
        ("", "could not be read"),
        ("just text", "could not be read"),
        ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "not valid base64"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "could not be read as an X.509 certificate"),
    ],
)
def test_unreadable_bundles(data, message):
    with pytest.raises(MaterialError, match=message):
        r.load_certificate_bundle(data)


# --- PEM / DER: CRLs -------------------------------------------------------------------------------


def test_crl_pem_and_der_are_the_same_crl(cas):
    crl = pki.make_crl(cas[0], [5, 7])
    assert r.load_crl(crl.pem) == crl.der
    assert r.load_crl(crl.der) == crl.der
    assert r.load_crl(crl.pem.decode().replace("\n", "\r\n")) == crl.der
    pem = r.crl_pem(crl.der)
    assert pem.startswith("-----BEGIN X509 CRL-----\n") and pem.endswith("-----END X509 CRL-----\n")
    # What the service returns (the PEM or DER bytes imported) compares by content.
    assert not r.crls_differ(crl.pem, crl.der)
    assert not r.crls_differ(crl.der, crl.der)
    assert r.crls_differ(pki.make_crl(cas[0], [5]).pem, crl.der)
    assert r.crls_differ(None, crl.der)
    assert r.crl_text(crl.der) == pem
    assert r.crl_text(None) is None


@pytest.mark.parametrize(
    "data, message",
    [(b"garbage", "could not be read as a certificate revocation list"), ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "no readable")],
)
def test_unreadable_crls(data, message):
    with pytest.raises(MaterialError, match=message):
        r.load_crl(data)


def test_crl_issuer_must_be_a_certificate_of_the_bundle(cas):
    root_a, root_b = cas
    crl_a = pki.make_crl(root_a, [])
    assert r.crl_issuer_problem(crl_a.der, [root_b.cert_der, root_a.cert_der]) is None
    problem = r.crl_issuer_problem(crl_a.der, [root_b.cert_der])
    assert "issued by 'O=" in problem or "issued by 'CN=Root A" in problem
    assert "Root B" in problem


def test_crl_with_the_right_name_but_another_key_is_refused(cas):
    impostor = pki.make_ca("EC", cn="Root A")  # same subject as cas[0], different key
    crl = pki.make_crl(impostor, [])
    if impostor.certificate.subject != cas[0].certificate.subject:
        pytest.skip("the test PKI adds a unique attribute to subjects")
    assert "not signed by" in r.crl_issuer_problem(crl.der, [cas[0].cert_der])


def test_read_input_file(tmp_path):
    path = tmp_path / "bundle.pem"
    path.write_bytes(b"data")
    assert r.read_input_file(str(path), "certificate_bundle_path") == b"data"
    with pytest.raises(MaterialError, match="certificate_bundle_path .*missing.pem could not be read"):
        r.read_input_file(str(tmp_path / "missing.pem"), "certificate_bundle_path")
