#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: acmpca_certificate
short_description: Issue or revoke a certificate with AWS Private Certificate Authority (ACM PCA)
version_added: 0.1.0
description:
  - Signs a certificate signing request (CSR) with an ACM Private CA (C(IssueCertificate)), waits until the
    certificate is issued and returns the certificate and its chain (C(GetCertificate)).
  - Revokes a certificate (C(RevokeCertificate)) by serial number or by certificate.
  - Only the CSR travels to AWS; the private key stays wherever the CSR was made.
  - Every O(state=issued) run issues a new certificate, except when the same O(idempotency_token) is used again
    within the five minutes AWS remembers it. The default token is derived from the request, so retrying the same
    task does not issue a second certificate.
  - Reads AWS settings (region, credentials, endpoint) on the host that runs the module; delegate it to the
    controller (C(delegate_to=localhost)) to keep AWS credentials off managed hosts.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  state:
    description:
      - V(issued) signs O(csr). V(revoked) revokes the certificate named by O(certificate_serial) or O(certificate).
    type: str
    choices: [issued, revoked]
    default: issued
  certificate_authority_arn:
    description:
      - ARN of the ACM Private CA, C(arn:aws:acm-pca:<region>:<account>:certificate-authority/<id>).
      - The API calls go to the region in this ARN, whatever O(region) says.
    type: str
    required: true
    aliases: [ca_arn]
  csr:
    description:
      - The PEM certificate signing request to sign, for example the C(csr) returned by
        M(community.crypto.openssl_csr_pipe).
      - Required with O(state=issued) unless O(csr_path) is set.
    type: str
  csr_path:
    description:
      - Path of a PEM CSR on the host running the module. Mutually exclusive with O(csr).
    type: path
  template_arn:
    description:
      - ACM PCA certificate template. Defaults to AWS's default C(arn:<partition>:acm-pca:::template/EndEntityCertificate/V1)
        (digital signature, client and server authentication), which IAM Roles Anywhere accepts.
    type: str
  signing_algorithm:
    description:
      - Algorithm the CA signs with. Defaults to the algorithm configured on the CA.
      - Must fit the CA's key (C(*WITHECDSA) for EC CAs, C(*WITHRSA) for RSA CAs).
    type: str
    choices: [SHA256WITHECDSA, SHA384WITHECDSA, SHA512WITHECDSA, SHA256WITHRSA, SHA384WITHRSA, SHA512WITHRSA]
  validity:
    description:
      - How long the certificate is valid, as IssueCertificate's C(Validity). Required with O(state=issued).
    type: dict
    suboptions:
      value:
        description:
          - Number of O(validity.type) units, or a date for V(END_DATE) (C(YYYYMMDDHHMMSS)) and V(ABSOLUTE) (Unix seconds).
        type: int
        required: true
      type:
        description: Unit of O(validity.value).
        type: str
        choices: [DAYS, MONTHS, YEARS, END_DATE, ABSOLUTE]
        default: DAYS
  issue_rate:
    description:
      - IssueCertificate calls per second for the CA's account, Region and endpoint over all processes of the user running
        the module on its host (the forks of a run), each started C(1 / issue_rate) apart; V(0) for no pacing. AWS's default
        quota is 25 per second per account and Region (U(https://docs.aws.amazon.com/general/latest/gr/pca.html#limits_pca)).
    type: float
    default: 0
  idempotency_token:
    description:
      - Token AWS uses to recognise a repeated IssueCertificate within five minutes (1 to 36 characters).
      - Defaults to a hash of the CA ARN, CSR, template, algorithm and validity.
    type: str
  wait:
    description: Wait until the certificate is issued and return it. Without waiting only O(ignore:certificate_arn) is returned.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for issuance.
    type: int
    default: 300
  certificate_serial:
    description:
      - Serial number of the certificate to revoke, in hexadecimal (C(aa:bb:cc) or C(aabbcc)).
      - With O(state=revoked), one of O(certificate_serial) and O(certificate) is required.
    type: str
  certificate_serials:
    description:
      - Several serial numbers to revoke at once (hexadecimal, like O(certificate_serial)).
      - With O(state=revoked), exactly one of O(certificate_serial), O(certificate_serials) and O(certificate) is required.
    type: list
    elements: str
  certificate:
    description: PEM certificate to revoke (its serial number is used).
    type: str
  wait_for_crl:
    description:
      - After revoking, wait until the CRL that ACM PCA publishes to its S3 bucket lists every revoked serial, and
        return it as O(ignore:crl) (PEM), ready for M(rolesanywhere.fleet.crl).
      - The CA must publish CRLs (C(RevocationConfiguration.CrlConfiguration)); AWS updates the CRL some minutes after
        a revocation. The S3 object is read with the same AWS settings as the other calls.
      - The object is the one named in the certificate's CRL distribution point when O(certificate) is given, else
        the CA's complete CRL (C(crl/<CA id>.crl) or C(<CustomPath>/<CA id>.crl)). A CA with partitioned CRLs
        (C(CrlType=PARTITIONED)) needs O(certificate), because only the certificate names its partition.
    type: bool
    default: false
  crl_wait_timeout:
    description: Seconds to wait for the CRL with O(wait_for_crl=true).
    type: int
    default: 1800
  crl_poll_interval:
    description: Seconds between two reads of the CRL with O(wait_for_crl=true).
    type: int
    default: 30
  revocation_reason:
    description: Reason recorded in the CRL.
    type: str
    choices: [UNSPECIFIED, KEY_COMPROMISE, CERTIFICATE_AUTHORITY_COMPROMISE, AFFILIATION_CHANGED, SUPERSEDED,
              CESSATION_OF_OPERATION, PRIVILEGE_WITHDRAWN, A_A_COMPROMISE]
    default: UNSPECIFIED
attributes:
  check_mode:
    support: full
    description: The CA is looked up and the input checked; nothing is issued or revoked.
  diff_mode:
    support: none
    description: Issuing and revoking have no before and after to compare.
  idempotent:
    support: none
    description:
      - Issuing always makes a new certificate (except a repeat within five minutes with the same token).
      - Revoking an already revoked certificate reports no change when AWS says so (C(RequestAlreadyProcessedException)).
notes:
  - ACM PCA publishes CRLs to its S3 bucket some minutes after a revocation; import them into IAM Roles Anywhere with
    M(rolesanywhere.fleet.crl).
  - Requires the Python library C(cryptography) on the host running the module (to check the CSR and read serials).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make a CSR on the host (the key never leaves it)
  community.crypto.openssl_csr_pipe:
    privatekey_path: /etc/pki/rolesanywhere/key.pem
    common_name: "{{ ansible_facts['fqdn'] }}"
    key_usage: [digitalSignature]
    extended_key_usage: [clientAuth]
  register: csr

- name: Sign it with ACM Private CA from the controller
  rolesanywhere.fleet.acmpca_certificate:
    certificate_authority_arn: arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555
    csr: "{{ csr.csr }}"
    validity:
      value: 30
      type: DAYS
  delegate_to: localhost
  register: issued

- name: Revoke it
  rolesanywhere.fleet.acmpca_certificate:
    state: revoked
    certificate_authority_arn: arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555
    certificate: "{{ issued.certificate }}"
    revocation_reason: KEY_COMPROMISE
  delegate_to: localhost
"""

RETURN = r"""
certificate:
  description: The issued certificate, PEM.
  returned: when O(state=issued), O(wait=true) and not in check mode
  type: str
certificate_chain:
  description: The issuing CA's chain as ACM PCA returns it (issuer first, up to the root), PEM; empty for none.
  returned: when O(state=issued), O(wait=true) and not in check mode
  type: str
certificate_arn:
  description: ARN of the issued certificate.
  returned: when O(state=issued) and not in check mode
  type: str
serial_number:
  description: Serial number of the certificate, as an integer (like M(community.crypto.x509_certificate_info)).
  returned: when a certificate is returned
  type: int
serial_number_hex:
  description: Serial number in AWS's colon-separated hexadecimal form.
  returned: when a certificate is returned, and with O(state=revoked)
  type: str
  sample: "0a:1b:2c"
not_after:
  description: End of validity, UTC, ISO 8601.
  returned: when a certificate is returned
  type: str
  sample: "2030-01-01T00:00:00Z"
not_before:
  description: Start of validity, UTC, ISO 8601.
  returned: when a certificate is returned
  type: str
subject:
  description: Subject of the certificate (RFC 4514).
  returned: when a certificate is returned
  type: str
issuer:
  description: Issuer of the certificate (RFC 4514).
  returned: when a certificate is returned
  type: str
signing_algorithm:
  description: Algorithm the CA signed with.
  returned: when O(state=issued)
  type: str
template_arn:
  description: Template used.
  returned: when O(state=issued)
  type: str
revocation_reason:
  description: Reason given for the revocation.
  returned: when O(state=revoked)
  type: str
serial_numbers_hex:
  description: Every revoked serial number, colon-separated hexadecimal.
  returned: when O(state=revoked)
  type: list
  elements: str
crl:
  description: The published CRL that lists every revoked serial, PEM.
  returned: when O(wait_for_crl=true) and not in check mode
  type: str
crl_location:
  description: Where the CA publishes the CRL that lists the certificate (S3 bucket and key), when the CA has CRLs enabled.
  returned: when O(state=revoked), the CA publishes CRLs and the object is known (complete CRLs, or O(certificate) given)
  type: dict
  contains:
    s3_bucket:
      description: Bucket name.
      type: str
    s3_key:
      description: Object key of the DER CRL.
      type: str
    partition:
      description:
        - The CRL partition of the certificate (the object's name less C(.crl)) when the CA publishes partitioned CRLs
          (C(CrlType=PARTITIONED)), each partition its own CRL; C(null) for a complete CRL.
      type: str
"""

import time

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import acmpca
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import api
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import pacing
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import AnsibleRolesAnywhereModule


class ACMPCAError(AnsibleAWSError):
    pass


class ACMPCAErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = ACMPCAError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@ACMPCAErrorHandler.list_error_handler("describe the certificate authority")
def describe_certificate_authority(client, arn):
    return client.describe_certificate_authority(CertificateAuthorityArn=arn, aws_retry=True)["CertificateAuthority"]


@ACMPCAErrorHandler.common_error_handler("issue the certificate")
def issue_certificate(client, **request):
    return client.issue_certificate(aws_retry=True, **request)["CertificateArn"]


@ACMPCAErrorHandler.common_error_handler("wait for the certificate to be issued")
def wait_for_certificate(client, ca_arn, certificate_arn, timeout):
    waiter = client.get_waiter("certificate_issued")
    waiter.wait(
        CertificateAuthorityArn=ca_arn,
        CertificateArn=certificate_arn,
        WaiterConfig={"Delay": 1, "MaxAttempts": max(1, timeout)},
    )


@ACMPCAErrorHandler.common_error_handler("get the issued certificate")
def get_certificate(client, ca_arn, certificate_arn):
    response = client.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=certificate_arn, aws_retry=True)
    return response["Certificate"], response.get("CertificateChain") or ""


@ACMPCAErrorHandler.common_error_handler("revoke the certificate")
def revoke_certificate(client, ca_arn, serial, reason):
    """True when revoked now, False when AWS says it was already revoked."""
    try:
        client.revoke_certificate(CertificateAuthorityArn=ca_arn, CertificateSerial=serial, RevocationReason=reason, aws_retry=True)
    except is_boto3_error_code("RequestAlreadyProcessedException"):
        return False
    return True


def argument_spec():
    return dict(
        state=dict(type="str", choices=["issued", "revoked"], default="issued"),
        certificate_authority_arn=dict(type="str", required=True, aliases=["ca_arn"]),
        csr=dict(type="str"),
        csr_path=dict(type="path"),
        template_arn=dict(type="str"),
        signing_algorithm=dict(type="str", choices=list(acmpca.SIGNING_ALGORITHMS)),
        validity=dict(
            type="dict",
            options=dict(
                value=dict(type="int", required=True),
                type=dict(type="str", choices=list(acmpca.VALIDITY_TYPES), default="DAYS"),
            ),
        ),
        idempotency_token=dict(type="str", no_log=False),
        issue_rate=dict(type="float", default=0),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        certificate_serial=dict(type="str"),
        certificate=dict(type="str"),
        certificate_serials=dict(type="list", elements="str"),
        wait_for_crl=dict(type="bool", default=False),
        crl_wait_timeout=dict(type="int", default=1800),
        crl_poll_interval=dict(type="int", default=30),
        revocation_reason=dict(type="str", choices=list(acmpca.REVOCATION_REASONS), default="UNSPECIFIED"),
    )


def read_csr(module):
    if module.params["csr"] is not None:
        return module.params["csr"]
    path = module.params["csr_path"]
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read())
    except OSError as exc:
        raise ConfigurationError("cannot read csr_path %s (%s)" % (path, exc.strerror), "Check the path on the host running the module")


def active_certificate_authority(client, arn):
    authority = describe_certificate_authority(client, arn)
    if authority is None:
        raise ConfigurationError("certificate authority %s does not exist" % arn, "Check certificate_authority_arn and the region/account")
    if authority.get("Status") != "ACTIVE":
        raise ConfigurationError(
            "certificate authority %s is %s, not ACTIVE" % (arn, authority.get("Status")),
            "Install its CA certificate and activate it before issuing or revoking",
        )
    return authority


def build_issue_request(module, partition, authority):
    """Everything IssueCertificate needs, checked before any call that changes something."""
    params = module.params
    csr_pem = read_csr(module)
    acmpca.load_csr(csr_pem)
    if params["validity"] is None:
        raise ConfigurationError("validity is required with state=issued", "For example validity: {value: 30, type: DAYS}")
    validity = acmpca.check_validity(params["validity"])
    algorithm = acmpca.choose_signing_algorithm(params["signing_algorithm"], authority.get("CertificateAuthorityConfiguration", {}))
    template = params["template_arn"] or acmpca.default_template_arn(partition)
    token = params["idempotency_token"] or acmpca.idempotency_token(authority["Arn"], csr_pem.strip(), template, algorithm, validity)
    request = dict(
        CertificateAuthorityArn=authority["Arn"],
        Csr=csr_pem.strip().encode("ascii") + b"\n",
        SigningAlgorithm=algorithm,
        TemplateArn=template,
        Validity=validity,
        IdempotencyToken=acmpca.check_idempotency_token(token),
    )
    return request


def ensure_issued(module, client, partition, authority):
    request = build_issue_request(module, partition, authority)
    result = dict(changed=True, signing_algorithm=request["SigningAlgorithm"], template_arn=request["TemplateArn"])
    if module.check_mode:
        return result
    pacing.pace("IssueCertificate", authority["Arn"], module.params["issue_rate"], endpoint_url=module.params["endpoint_url"] or "", warn=module.warn)
    certificate_arn = issue_certificate(client, **request)
    result["certificate_arn"] = certificate_arn
    if not module.params["wait"]:
        return result
    wait_for_certificate(client, authority["Arn"], certificate_arn, module.params["wait_timeout"])
    certificate, chain = get_certificate(client, authority["Arn"], certificate_arn)
    result["certificate"] = certificate.strip() + "\n"
    result["certificate_chain"] = "".join(acmpca.split_pem_certificates(chain))
    result.update(acmpca.certificate_summary(result["certificate"]))
    return result


def serials_to_revoke(params):
    if params["certificate"]:
        return [acmpca.serial_of_certificate(params["certificate"])]
    if params["certificate_serials"]:
        return [acmpca.normalise_serial(serial) for serial in params["certificate_serials"]]
    return [acmpca.normalise_serial(params["certificate_serial"])]


class PublishedCRLErrorHandler(ACMPCAErrorHandler):
    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchKey")


@PublishedCRLErrorHandler.list_error_handler("read the CRL published by the certificate authority")
def read_published_crl(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key, aws_retry=True)["Body"].read()


def wait_for_published_crl(module, region, location, serials):
    """Poll the CA's CRL in S3 until it lists every serial; return it as PEM."""
    s3 = module.client("s3", region=region, retry_decorator=api.retry_decorator(api.S3_THROTTLING_ERROR_CODES))
    wanted = [acmpca.serial_to_int(serial) for serial in serials]
    deadline = time.monotonic() + module.params["crl_wait_timeout"]
    while True:
        published = read_published_crl(s3, *location)
        if published:
            listed, pem = acmpca.crl_lists_serials(published, wanted)
            if listed:
                return pem
        if time.monotonic() >= deadline:
            raise ConfigurationError(
                "the CRL at s3://%s/%s does not list every revoked serial after %d seconds" % (location + (module.params["crl_wait_timeout"],)),
                "ACM PCA publishes CRLs asynchronously: run again later, or raise crl_wait_timeout",
            )
        time.sleep(max(1, module.params["crl_poll_interval"]))


def ensure_revoked(module, client, region, authority):
    params = module.params
    serials = serials_to_revoke(params)
    location = acmpca.crl_location(authority, params["certificate"])
    if params["wait_for_crl"] and location is None:
        raise acmpca.crl_location_error(authority)
    result = dict(changed=True, serial_number_hex=serials[0], serial_numbers_hex=serials, revocation_reason=params["revocation_reason"])
    if location:
        result["crl_location"] = dict(s3_bucket=location[0], s3_key=location[1], partition=acmpca.crl_partition(authority, location[1]))
    if module.check_mode:
        return result
    revoked_now = [revoke_certificate(client, authority["Arn"], serial, params["revocation_reason"]) for serial in serials]
    result["changed"] = any(revoked_now)
    if params["wait_for_crl"]:
        result["crl"] = wait_for_published_crl(module, region, location, serials)
    return result


def issue_or_revoke(module):
    """The result of state=issued or state=revoked; bad input and AWS errors raise (main ends the module)."""
    params = module.params
    partition, region, dummy_account = acmpca.parse_ca_arn(params["certificate_authority_arn"])
    if params["state"] == "issued" and params["csr"] is None and params["csr_path"] is None:
        raise ConfigurationError("state=issued needs csr or csr_path")
    # The CA lives in its ARN's region: calls anywhere else cannot find it.
    pacing.check_rate(params["issue_rate"], "issue_rate")
    client = module.client("acm-pca", region=region, retry_decorator=api.retry_decorator())  # ACM PCA's ThrottlingException too
    authority = active_certificate_authority(client, params["certificate_authority_arn"])
    if params["state"] == "issued":
        return ensure_issued(module, client, partition, authority)
    return ensure_revoked(module, client, region, authority)


def main():
    module = AnsibleRolesAnywhereModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("csr", "csr_path"), ("certificate_serial", "certificate", "certificate_serials")],
        required_if=[("state", "revoked", ("certificate_serial", "certificate", "certificate_serials"), True)],
        supports_check_mode=True,
    )
    module.exit_json(**module.guarded(issue_or_revoke, module))


if __name__ == "__main__":
    main()
