# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ImportCrl takes PEM only, as AWS documents: "In order to be properly imported, a CRL must be in PEM format"
(botocore rolesanywhere 2018-05-10 ImportCrl documentation; API_ImportCrl.html). AWS's error text for a DER CRL
is not documented: the emulator answers ValidationException (tests/emulator/control_plane.IMPORT_CRL_NOT_PEM).
The crl module converts DER files to PEM before it calls ImportCrl (tests/unit/plugins/modules/test_crl.py imports
a DER file through it against this emulator)."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.control_plane import IMPORT_CRL_NOT_PEM
from tests.support import pki


@pytest.fixture(scope="module")
def raw_client(emulator):
    return emulator.boto3_client("rolesanywhere", config=Config(parameter_validation=False, retries={"max_attempts": 1}, proxies={}))


def test_der_crl_refused_pem_imported(raw_client):
    ca = pki.make_ca("EC", cn="ImportCrl format CA")
    source = {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": ca.cert_pem.decode()}}
    anchor = raw_client.create_trust_anchor(name="f-%s" % uuid.uuid4().hex[:8], source=source)["trustAnchor"]
    crl = pki.make_crl(ca, [42])
    with pytest.raises(ClientError) as caught:
        raw_client.import_crl(name="der", crlData=crl.der, trustAnchorArn=anchor["trustAnchorArn"])
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (error["Error"]["Code"], error["Error"]["Message"]) == ("ValidationException", IMPORT_CRL_NOT_PEM)
    assert raw_client.list_crls()["crls"] == [] or all(c["name"] != "der" for c in raw_client.list_crls()["crls"])

    imported = raw_client.import_crl(name="pem", crlData=crl.pem, trustAnchorArn=anchor["trustAnchorArn"])["crl"]
    assert imported["crlData"] == crl.pem
    # UpdateCrl's documentation names no format: DER is taken there.
    newer = pki.make_crl(ca, [42, 43])
    assert raw_client.update_crl(crlId=imported["crlId"], crlData=newer.der)["crl"]["crlData"] == newer.der
