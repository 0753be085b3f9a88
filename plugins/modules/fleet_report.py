#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fleet_report
version_added: 0.2.0
short_description: Write the fleet's audit and compliance report (JSON, HTML, CSV)
description:
  - Reads the account's IAM Roles Anywhere trust anchors, profiles, CRLs and subjects (C(ListSubjects), and
    C(GetSubject) for each subject), joins them with the certificate each inventory host uses, and writes the
    report as JSON, a self-contained HTML page and CSV.
  - The report lists each host's certificate (subject, serial, key type and store, not-after), when its identity
    last authenticated, hosts not seen for O(not_seen_days) days, certificates expiring within O(expiring_days)
    days, revoked serials that still authenticated after their revocation, the trust anchors' CA expiry and
    notification settings, and the profiles' roles and session durations.
  - The JSON layout is C(docs/fleet-report.schema.json) in the collection (JSON Schema); C(docs/fleet-report.md)
    describes it.
  - A file is written only when its content changes. A report that differs from the one in O(dest) only by its
    generation time is not rewritten, so a re-run that finds nothing new reports no change. In check mode nothing
    is written and the result says which files would change; in diff mode it holds the JSON before and after.
  - The playbook C(rolesanywhere.fleet.report) reads the hosts' certificates and calls this module.
author:
  - Contributors to the rolesanywhere.fleet collection (@rolesanywhere)
options:
  dest:
    description:
      - Directory where the report files are written (made when missing, mode 0755).
    type: path
    required: true
  basename:
    description: Name of the report files without their extension.
    type: str
    default: fleet-report
  formats:
    description: Which files to write, C(<basename>.json), C(.html) and C(.csv).
    type: list
    elements: str
    choices: [json, html, csv]
    default: [json, html, csv]
  mode:
    description: Mode of the report files.
    type: raw
    default: "0644"
  inventory_hosts:
    description: Names of the hosts the report covers. A host with no entry in O(host_certificates) is reported
      as not having answered.
    type: list
    elements: str
    default: []
  host_certificates:
    description:
      - What each host that answered holds, keyed by host name.
      - Each value has C(certificate) (the PEM certificate in use, empty when there is none),
        C(certificate_error) (what reading it said when it could not be read; a missing file means the host is
        not enrolled, any other error is reported as the host's problem) and C(enrollment) (the enroll role's
        C(enrollment.json), its text or a dict).
    type: dict
    default: {}
  not_seen_days:
    description: A host whose identity has not authenticated for more than this many days is reported as not seen.
    type: int
    default: 30
  expiring_days:
    description: Certificates (host and CA) that end within this many days are reported as expiring.
    type: int
    default: 30
  include_subjects:
    description:
      - Whether to read each subject's details with C(GetSubject) (the serials it presented), one request per
        subject at the subject API's quota of 1 request per second.
      - Without them hosts are matched to subjects by distinguished name only, per-certificate times are not
        known, and revoked serials still authenticating cannot be found.
    type: bool
    default: true
  report_time:
    description:
      - The time the report is made for (ISO 8601); empty for now. For reproducible reports and tests.
    type: str
    default: ""
notes:
  - Needs C(rolesanywhere:ListTrustAnchors), C(ListProfiles), C(ListCrls), C(ListSubjects) and C(GetSubject), and
    C(acm-pca:GetCertificateAuthorityCertificate) for trust anchors of type C(AWS_ACM_PCA) (without it the CA's
    expiry is reported as unknown, with the reason).
  - Runs where the AWS settings are (usually the controller, C(delegate_to) or a play on C(localhost)), and
    needs the Python library C(cryptography) there.
seealso:
  - module: rolesanywhere.fleet.subject_info
  - name: The fleet report guide
    description: C(docs/fleet-report.md) in the collection.
    link: https://github.com/rolesanywhere/fleet/blob/main/docs/fleet-report.md
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - rolesanywhere.fleet.attributes
"""

EXAMPLES = r"""
- name: Write the report for the inventory
  rolesanywhere.fleet.fleet_report:
    dest: /var/lib/rolesanywhere-report
    inventory_hosts: "{{ groups['all'] }}"
    host_certificates:
      web1:
        certificate: "{{ lookup('ansible.builtin.file', 'web1-certificate.pem') }}"
        enrollment: {signer_id: own_ca}
    not_seen_days: 14
    expiring_days: 30
  register: report

- name: Fail when a revoked certificate still authenticates
  ansible.builtin.assert:
    that: report.summary.revoked_still_authenticating == 0
"""

RETURN = r"""
summary:
  description: The report's counts (the JSON's C(summary)); C(docs/fleet-report.md) describes each.
  returned: always
  type: dict
  sample: {"hosts": 20, "hosts_enrolled": 20, "hosts_not_seen": 1, "certificates_expiring": 2, "revoked_still_authenticating": 0}
report:
  description: The whole report, as in the JSON file (schema C(docs/fleet-report.schema.json)).
  returned: always
  type: dict
files:
  description: The report files, by format.
  returned: always
  type: dict
  sample: {"json": "/var/lib/rolesanywhere-report/fleet-report.json", "html": "/var/lib/rolesanywhere-report/fleet-report.html"}
written:
  description: The files written by this run (predicted in check mode); empty when nothing changed.
  returned: always
  type: list
  elements: str
"""

import datetime
import json
import os

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import CRL
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import PROFILE
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import SUBJECT
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import TRUST_ANCHOR
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import connect
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import get_resource
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.api import list_resources
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane.modules import AnsibleRolesAnywhereModule
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.files import atomic_write
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.files import read_bytes
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import parse_acm_pca_arn
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.identifiers import parse_rolesanywhere_arn
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import build_report
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import check_thresholds
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import parse_time
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.audit import same_report
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._report.render import render

try:
    import botocore
except ImportError:  # pragma: no cover - AnsibleAWSModule says so
    pass


def read_account(client):
    """Trust anchors, profiles, CRLs and subjects (details by GetSubject when asked), as plain dicts."""
    return {"trust_anchors": list_resources(client, TRUST_ANCHOR), "profiles": list_resources(client, PROFILE),
            "crls": list_resources(client, CRL), "subjects": list_resources(client, SUBJECT)}


def subject_details(client, subjects):
    # A subject can disappear between the list and the get: keep its summary then.
    return [get_resource(client, SUBJECT, item["subjectId"]) or item for item in subjects]


def acm_pca_certificates(module, trust_anchors):
    """{CA ARN: (PEM of the CA certificate and its chain, or None; problem or None)} of AWS_ACM_PCA trust anchors."""
    found = {}
    for anchor in trust_anchors:
        arn = ((anchor.get("source") or {}).get("sourceData") or {}).get("acmPcaArn")
        if not arn or arn in found:
            continue
        try:
            region = parse_acm_pca_arn(arn)["region"]
        except ConfigurationError:
            region = None  # AWS returned it; if it does not parse, ask in the module's own region
        try:
            client = module.client("acm-pca", region=region)
            answer = client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
            found[arn] = ("\n".join(part for part in (answer.get("Certificate"), answer.get("CertificateChain")) if part), None)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            # The report goes on without this CA's expiry; the page says why it is unknown.
            found[arn] = (None, "cannot read the CA certificate of %s: %s" % (arn, error))
    return found


def account_of(resources):
    """The account of the first trust anchor or profile (the report's header); None without any."""
    for resource in resources:
        try:
            return parse_rolesanywhere_arn(resource.get("trustAnchorArn") or resource.get("profileArn"))["account"]
        except ConfigurationError:
            continue
    return None


def check_options(params):
    check_thresholds(params["not_seen_days"], params["expiring_days"])
    file_mode(params["mode"])
    if params["report_time"]:
        try:
            parse_time(params["report_time"])
        except ValueError:
            raise ConfigurationError("report_time %r is not an ISO 8601 time" % params["report_time"],
                                     "Give it as 2026-01-31T12:00:00Z, or leave it empty for now") from None
    for name, entry in params["host_certificates"].items():
        if not isinstance(entry, dict):
            raise ConfigurationError("host_certificates[%s] must be a dict with certificate, certificate_error and enrollment" % name,
                                     "Pass what the report playbook gathers for each host")


def plan_files(params, report):
    """(texts by format, paths by format, formats whose file changes, the report as written)."""
    base = os.path.join(params["dest"], params["basename"])
    paths = {name: "%s.%s" % (base, name) for name in params["formats"]}
    old_json = read_bytes(base + ".json", absent=OSError)
    try:
        old = json.loads(old_json.decode("utf-8")) if old_json is not None else None
    except ValueError:
        old = None
    if same_report(old, report):
        report = dict(report, generated_at=old["generated_at"])  # nothing new: keep the report as it was made
    texts = render(report, params["formats"])
    changed = [name for name in params["formats"] if read_bytes(paths[name], absent=OSError) != texts[name].encode("utf-8")]
    return texts, paths, changed, report, old_json


def file_mode(mode):
    try:
        value = int(mode, 8) if isinstance(mode, str) else int(mode)
    except (TypeError, ValueError):
        value = -1
    if not 0 <= value <= 0o777:
        raise ConfigurationError("mode %r is not a file mode" % (mode,), "Give it in octal, quoted, such as '0644'")
    return value


def write_files(module, texts, paths, changed):
    directory = module.params["dest"]
    mode = file_mode(module.params["mode"])
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        for name in changed:
            atomic_write(paths[name], texts[name].encode("utf-8"), mode)
    except OSError as error:
        raise ConfigurationError("cannot write the fleet report in %s: %s" % (directory, error.strerror or error),
                                 "Choose a directory the controller's user can write (dest, or rolesanywhere_report_dir)") from None


def main():
    module = AnsibleRolesAnywhereModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            basename=dict(type="str", default="fleet-report"),
            formats=dict(type="list", elements="str", choices=["json", "html", "csv"], default=["json", "html", "csv"]),
            mode=dict(type="raw", default="0644"),
            inventory_hosts=dict(type="list", elements="str", default=[]),
            host_certificates=dict(type="dict", default={}),
            not_seen_days=dict(type="int", default=30),
            expiring_days=dict(type="int", default=30),
            include_subjects=dict(type="bool", default=True),
            report_time=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    module.validated(check_options, params)
    now = parse_time(params["report_time"]) if params["report_time"] else datetime.datetime.now(datetime.timezone.utc)
    client = connect(module)
    account = module.guarded(read_account, client)
    if params["include_subjects"]:
        account["subjects"] = module.guarded(subject_details, client, account["subjects"])
    ca_certificates = acm_pca_certificates(module, account["trust_anchors"])
    report = module.guarded(
        build_report, params["inventory_hosts"], params["host_certificates"],
        account["trust_anchors"], account["profiles"], account["crls"], account["subjects"], now, params["not_seen_days"], params["expiring_days"],
        region=module.region, account=account_of(account["trust_anchors"] + account["profiles"]),
        ca_certificates=ca_certificates)
    texts, paths, changed, report, old_json = plan_files(params, report)
    if changed and not module.check_mode:
        module.guarded(write_files, module, texts, paths, changed)
    result = {"changed": bool(changed), "summary": report["summary"], "report": report, "files": paths,
              "written": [paths[name] for name in changed]}
    if module._diff and "json" in params["formats"]:  # pylint: disable=protected-access
        result["diff"] = {"before": old_json.decode("utf-8", "replace") if old_json is not None else "",
                          "after": texts["json"], "before_header": paths["json"], "after_header": paths["json"]}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
