# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.crl and crl_info against the emulator (and revocation seen by CreateSession)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import transport
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core import x509 as ra_x509
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import UntrustedCertificateError
from tests.support import pki
from tests.support.scenario import make_trust

from .conftest import unique


@pytest.fixture
def trust(emulator, tmp_path):
    return make_trust(emulator, tmp_path)


def _create_session(emulator, trust):
    material = ra_x509.load_signing_material(trust.certificate, trust.private_key, trust.intermediates)
    return transport.create_session(material, trust.trust_anchor_arn, trust.profile_arn, trust.role_arn, endpoint=emulator.endpoint, max_attempts=1)


def test_import_update_delete_rhythm_and_revocation(modules, emulator, trust, tmp_path):
    name = unique("crl")
    revoked = pki.make_crl(trust.ca, [trust.leaf.serial])
    der_path = tmp_path / "crl.der"
    der_path.write_bytes(revoked.der)
    anchor_name = modules.run("trust_anchor_info", trust_anchor_arn=trust.trust_anchor_arn)["trust_anchors"][0]["name"]
    params = dict(name=name, crl_path=str(der_path), trust_anchor=anchor_name, enabled=True, tags={"ca": "root"})
    predicted, applied, calls, again = modules.rhythm("crl", **params)
    assert calls == {"ImportCrl": 1}
    crl = applied["crl"]
    assert crl["trust_anchor_arn"] == trust.trust_anchor_arn and crl["enabled"] is True and crl["tags"] == {"ca": "root"}
    assert crl["crl_data"].startswith("-----BEGIN X509 CRL-----")  # DER converted to PEM
    assert predicted["crl"]["name"] == name and again["crl"] == crl
    with pytest.raises(UntrustedCertificateError):
        _create_session(emulator, trust)

    # The same CRL as PEM text, the trust anchor by ARN or id: no change.
    for reference in (trust.trust_anchor_arn, trust.trust_anchor_id):
        assert modules.run("crl", name=name, crl_data=revoked.pem.decode(), trust_anchor=reference)["changed"] is False
        assert not modules.changing_calls
    assert modules.run("crl_info", name=name)["crls"] == [crl]
    assert modules.run("crl_info", crl_arn=crl["crl_arn"])["crls"] == [crl]

    # A newer CRL without the serial replaces it in place; then disable it.
    fresh = pki.make_crl(trust.ca, [])
    updated, calls = modules.rhythm("crl", crl_id=crl["crl_id"], crl_data=fresh.pem.decode(), enabled=False)[1:3]
    assert calls == {"UpdateCrl": 1, "DisableCrl": 1}
    assert updated["crl"]["crl_id"] == crl["crl_id"] and updated["crl"]["enabled"] is False
    assert _create_session(emulator, trust).access_key_id

    deleted, calls = modules.rhythm("crl", crl_arn=crl["crl_arn"], state="absent")[1:3]
    assert calls == {"DeleteCrl": 1} and deleted["crl"] == {}


def test_crl_of_another_ca_is_refused(modules, trust):
    other_ca = pki.make_ca("RSA", cn="Somebody Else's CA")
    for check_mode in (True, False):
        data = pki.make_crl(other_ca, []).pem.decode()
        result = modules.run("crl", name=unique("crl"), crl_data=data, trust_anchor=trust.trust_anchor_arn, check_mode=check_mode)
        assert result["failed"] is True
        assert "does not belong to trust anchor" in result["msg"] and "Somebody Else's CA" in result["msg"]
        assert not modules.changing_calls


def test_crl_update_is_checked_against_its_trust_anchor(modules, trust):
    name = unique("crl")
    created = modules.run("crl", name=name, crl_data=pki.make_crl(trust.ca, []).pem.decode(), trust_anchor=trust.trust_anchor_arn)
    try:
        assert created["changed"] is True
        wrong = modules.run("crl", name=name, crl_data=pki.make_crl(pki.make_ca("EC", cn="Other"), []).pem.decode())
        assert wrong["failed"] is True and "does not belong to trust anchor" in wrong["msg"]
        assert not modules.changing_calls
    finally:
        modules.run("crl", name=name, state="absent")


def test_trust_anchor_is_create_only(modules, emulator, trust, tmp_path):
    other = make_trust(emulator, tmp_path / "other")
    name = unique("crl")
    data = pki.make_crl(trust.ca, []).pem.decode()
    modules.run("crl", name=name, crl_data=data, trust_anchor=trust.trust_anchor_arn)
    try:
        result = modules.run("crl", name=name, crl_data=data, trust_anchor=other.trust_anchor_arn)
        assert result["failed"] is True and "cannot be changed" in result["msg"] and other.trust_anchor_arn in result["msg"]
        assert not modules.changing_calls
    finally:
        modules.run("crl", name=name, state="absent")


def test_bad_input_is_refused_before_any_request(modules, trust, tmp_path):
    cert_path = tmp_path / "not-a-crl.pem"
    cert_path.write_bytes(trust.ca.cert_pem)
    cases = [
        (dict(name=unique("c"), crl_data="garbage", trust_anchor=trust.trust_anchor_arn), "could not be read as a certificate revocation list"),
        (dict(name=unique("c"), crl_data="", trust_anchor=trust.trust_anchor_arn), "could not be read as a certificate revocation list"),
        (dict(name=unique("c"), crl_path=str(cert_path), trust_anchor=trust.trust_anchor_arn), "no readable X509 CRL block"),
        (dict(name=unique("c"), crl_path=str(tmp_path / "missing.crl")), "could not be read"),
        (dict(name=unique("c"), trust_anchor="bad/name"), "not a valid Roles Anywhere name"),
        (dict(name=unique("c"), trust_anchor="arn:aws:rolesanywhere:ap-south-1:123456789012:trust-anchor/0f3f1f5e-8a4e-4a57-9d43-2c2f0b9e8f41"), "ap-south-1"),
        (dict(crl_id="0F3F"), "not a Roles Anywhere resource ID"),
    ]
    for params, message in cases:
        result = modules.run("crl", **params)
        assert result.get("failed") is True, params
        assert message in result["msg"], (params, result["msg"])
        assert "exception" not in result
        assert modules.calls == {}, (params, modules.calls)


def test_import_needs_name_data_and_trust_anchor(modules, trust):
    result = modules.run("crl", name=unique("c"), trust_anchor=trust.trust_anchor_arn)
    assert result["failed"] is True and "crl_data or crl_path" in result["msg"]
    result = modules.run("crl", name=unique("c"), crl_data=pki.make_crl(trust.ca, []).pem.decode(), trust_anchor=unique("no-such-anchor"))
    assert result["failed"] is True and "does not exist" in result["msg"]
    assert not modules.changing_calls
