# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet.credentials in-process, against the emulator (real signing, real HTTP, moto STS)."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import stat

import boto3
import pytest
from botocore.config import Config

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import cli as helper_cli
from tests.support import pki
from tests.support.scenario import make_trust

from .conftest import options_for

FULL_KEYS = {"access_key", "secret_key", "session_token", "expiration", "role_arn", "assumed_role_arn", "source_identity"}
PASSPHRASE = "Lookup-Test-Passphrase-Do-Not-Print-9"
ANSIBLE_CORE = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split(".")[:2])


def create_sessions(emulator):
    return emulator.counters().get("CreateSession", 0)


def caller_arn(emulator, value):
    """Who AWS (moto's STS behind the emulator) says these credentials are."""
    session = boto3.session.Session(aws_access_key_id=value["access_key"], aws_secret_access_key=value["secret_key"],
                                    aws_session_token=value["session_token"], region_name=emulator.region)
    sts = session.client("sts", endpoint_url=emulator.endpoint, config=Config(proxies={}))
    return sts.get_caller_identity()["Arn"]


def assert_secrets_absent(text, value):
    for name in ("secret_key", "session_token"):
        assert value[name] not in text


# --- success -------------------------------------------------------------------------------------

def test_full_output_works_with_aws(emulator, trust, run_lookup):
    before = create_sessions(emulator)
    value = run_lookup(**options_for(trust, emulator))
    assert set(value) == FULL_KEYS
    assert value["access_key"].startswith("ASIA")
    assert value["role_arn"] == trust.role_arn
    assert value["assumed_role_arn"].startswith("arn:aws:sts::%s:assumed-role/%s/" % (emulator.account, trust.role_name))
    assert value["source_identity"] == "controller.example.com"
    assert value["expiration"].endswith("Z") and "T" in value["expiration"]
    assert caller_arn(emulator, value) == value["assumed_role_arn"]
    assert create_sessions(emulator) == before + 1


def test_module_defaults_output_has_only_amazon_aws_option_names(emulator, trust, run_lookup):
    value = run_lookup(output="module_defaults", **options_for(trust, emulator))
    assert set(value) == {"access_key", "secret_key", "session_token"}
    assert caller_arn(emulator, value).startswith("arn:aws:sts::%s:assumed-role/%s/" % (emulator.account, trust.role_name))


def test_cached_per_identity(emulator, trust, run_lookup, tmp_path):
    before = create_sessions(emulator)
    first = run_lookup(**options_for(trust, emulator))
    for _repeat in range(5):
        assert run_lookup(**options_for(trust, emulator)) == first
    assert run_lookup(output="module_defaults", **options_for(trust, emulator))["secret_key"] == first["secret_key"]
    assert create_sessions(emulator) == before + 1
    # Another certificate of the same CA is another identity: its own session.
    other = trust.issue("other.example.com")
    second = run_lookup(**options_for(trust, emulator, certificate=other.certificate, private_key=other.private_key))
    assert second["access_key"] != first["access_key"]
    assert second["source_identity"] == "other.example.com"
    # Any option that changes the request is part of the identity too.
    run_lookup(**options_for(trust, emulator, duration_seconds=900))
    assert create_sessions(emulator) == before + 3


def _helper_credential_process(trust, emulator, cache_dir):
    """``credential-process --cache`` of the credential helper, in this process, on cache_dir."""
    stdout, stderr = io.StringIO(), io.StringIO()
    argv = ["credential-process", "--cache", "--cache-dir", str(cache_dir), "--certificate", trust.certificate,
            "--private-key", trust.private_key, "--trust-anchor-arn", trust.trust_anchor_arn, "--profile-arn", trust.profile_arn,
            "--role-arn", trust.role_arn, "--endpoint", emulator.endpoint]
    if trust.intermediates:
        argv += ["--intermediates", trust.intermediates]
    assert helper_cli.main(argv, stdout=stdout, stderr=stderr, environ={}) == 0, stderr.getvalue()
    return json.loads(stdout.getvalue())


def test_helper_serves_the_lookups_entry(emulator, trust, run_lookup, private_credential_cache):
    """One cache for both: the helper, given the same files and settings, prints the lookup's credentials."""
    before = create_sessions(emulator)
    value = run_lookup(**options_for(trust, emulator))
    printed = _helper_credential_process(trust, emulator, private_credential_cache)
    assert (printed["AccessKeyId"], printed["SecretAccessKey"], printed["Expiration"]) == (value["access_key"], value["secret_key"], value["expiration"])
    assert create_sessions(emulator) == before + 1
    # The other way round, the helper's entry lacks what the lookup returns besides the keys (assumed-role
    # ARN, source identity): the lookup makes one session more, which the helper then serves too.
    os.utime(trust.certificate)  # the certificate "changed": both entries stale
    printed = _helper_credential_process(trust, emulator, private_credential_cache)
    value = run_lookup(**options_for(trust, emulator))
    assert value["access_key"] != printed["AccessKeyId"]
    assert _helper_credential_process(trust, emulator, private_credential_cache)["AccessKeyId"] == value["access_key"]
    assert create_sessions(emulator) == before + 3


def test_certificate_renewed_on_disk_gets_a_new_session(emulator, trust, run_lookup):
    first = run_lookup(**options_for(trust, emulator))
    renewed = trust.issue("controller.example.com")
    shutil.copyfile(renewed.certificate, trust.certificate)
    shutil.copyfile(renewed.private_key, trust.private_key)
    second = run_lookup(**options_for(trust, emulator))
    assert second["access_key"] != first["access_key"]


def test_requested_duration_and_session_name(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path, accept_role_session_name=True)
    value = run_lookup(duration_seconds=900, role_session_name="deploy-42", **options_for(trust, emulator))
    assert value["assumed_role_arn"].endswith("/deploy-42")


def test_encrypted_key_and_intermediates(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path, key_type="RSA", intermediate=True)
    leaf = trust.issue("rsa.example.com", key_type="RSA", key_format="pkcs8-encrypted", passphrase=PASSPHRASE)
    options = options_for(trust, emulator, certificate=leaf.certificate, private_key=leaf.private_key, intermediates=leaf.intermediates)
    with pytest.raises(AnsibleLookupError, match="passphrase"):
        run_lookup(**options)
    value = run_lookup(passphrase=PASSPHRASE, **options)
    assert value["source_identity"] == "rsa.example.com"


def test_pem_text_instead_of_paths(emulator, trust, run_lookup):
    with open(trust.certificate, encoding="ascii") as handle:
        certificate = handle.read()
    with open(trust.private_key, encoding="ascii") as handle:
        private_key = handle.read()
    value = run_lookup(**options_for(trust, emulator, certificate=certificate, private_key=private_key))
    assert value["source_identity"] == "controller.example.com"


def test_options_from_the_environment(emulator, trust, run_lookup, monkeypatch):
    monkeypatch.setenv("ROLESANYWHERE_CERTIFICATE", trust.certificate)
    monkeypatch.setenv("ROLESANYWHERE_PRIVATE_KEY", trust.private_key)
    monkeypatch.setenv("ROLESANYWHERE_TRUST_ANCHOR_ARN", trust.trust_anchor_arn)
    monkeypatch.setenv("ROLESANYWHERE_PROFILE_ARN", trust.profile_arn)
    monkeypatch.setenv("ROLESANYWHERE_ROLE_ARN", trust.role_arn)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ROLESANYWHERE", emulator.endpoint)
    monkeypatch.setenv("ROLESANYWHERE_DURATION_SECONDS", "1800")
    value = run_lookup()
    assert value["role_arn"] == trust.role_arn


def test_endpoint_alias_and_explicit_region(emulator, trust, run_lookup):
    options = options_for(trust, emulator)
    options["endpoint"] = options.pop("endpoint_url")
    assert run_lookup(region=emulator.region, **options)["role_arn"] == trust.role_arn


def test_tls_endpoint_with_ca_bundle(emulator_tls, tmp_path, run_lookup):
    trust = make_trust(emulator_tls, tmp_path)
    value = run_lookup(ca_bundle=emulator_tls.ca_bundle, **options_for(trust, emulator_tls))
    assert value["role_arn"] == trust.role_arn


def test_tls_endpoint_without_its_ca_fails_clearly(emulator_tls, tmp_path, run_lookup, monkeypatch):
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    trust = make_trust(emulator_tls, tmp_path)
    with pytest.raises(AnsibleLookupError, match="(?i)certificate|tls|ssl") as raised:
        run_lookup(**options_for(trust, emulator_tls))
    assert "ca_bundle" in str(raised.value) or "CA bundle" in str(raised.value)
    assert run_lookup(validate_certs=False, **options_for(trust, emulator_tls))["role_arn"] == trust.role_arn


# --- refused before any request ---------------------------------------------------------------------

ANCHOR = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/00000000-0000-4000-8000-000000000001"
PROFILE = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/00000000-0000-4000-8000-000000000002"
ROLE = "arn:aws:iam::123456789012:role/deploy"


@pytest.mark.parametrize("overrides, message", [
    ({"trust_anchor_arn": "arn:aws:rolesanywhere:us-east-1:123456789012:profile/00000000-0000-4000-8000-000000000001"},
     "trust_anchor_arn .* is not a Roles Anywhere trust-anchor ARN"),
    ({"trust_anchor_arn": "anchor-1"}, "trust_anchor_arn 'anchor-1' is not"),
    ({"profile_arn": "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/00000000-0000-4000-8000-000000000002"},
     "profile_arn .* is not a Roles Anywhere profile ARN"),
    ({"role_arn": "arn:aws:iam::123456789012:user/deploy"}, "role_arn .* is not an IAM role ARN"),
    ({"profile_arn": PROFILE.replace("us-east-1", "eu-west-1")}, "not in the same region and account"),
    ({"profile_arn": PROFILE.replace("123456789012", "210987654321")}, "not in the same region and account"),
    ({"role_arn": "arn:aws-cn:iam::123456789012:role/deploy"}, "different partitions"),
    ({"region": "eu-west-1"}, "region eu-west-1 differs from the trust anchor's region us-east-1"),
    ({"region": "moon-1"}, "region 'moon-1' is not an AWS region name"),
    ({"duration_seconds": 899}, "duration_seconds 899 is out of range"),
    ({"duration_seconds": 43201}, "duration_seconds 43201 is out of range"),
    ({"role_session_name": "x"}, "role_session_name 'x' is not a valid session name"),
    ({"role_session_name": "has space"}, "not a valid session name"),
    ({"endpoint_url": "ftp://example.com"}, "endpoint_url 'ftp://example.com' is not an http"),
    ({"endpoint_url": "https://example.com/?a=b"}, "is not an http"),
])
def test_bad_settings_fail_before_any_request(emulator, trust, run_lookup, overrides, message):
    base = dict(options_for(trust, emulator), trust_anchor_arn=ANCHOR, profile_arn=PROFILE, role_arn=ROLE)
    before = create_sessions(emulator)
    with pytest.raises(AnsibleLookupError, match=message):
        run_lookup(**dict(base, **overrides))
    assert create_sessions(emulator) == before


def test_duration_that_is_not_a_number(emulator, trust, run_lookup):
    with pytest.raises(Exception, match="duration_seconds"):
        run_lookup(duration_seconds="an hour", **options_for(trust, emulator))


def test_missing_required_options(run_lookup, monkeypatch):
    for name in ("CERTIFICATE", "TRUST_ANCHOR_ARN", "PROFILE_ARN", "ROLE_ARN"):
        monkeypatch.delenv("ROLESANYWHERE_" + name, raising=False)
    if ANSIBLE_CORE < (2, 19):  # older cores report a missing required option themselves, in their own words
        with pytest.raises(AnsibleError, match="No setting was provided for required configuration.*setting: certificate"):
            run_lookup()
    else:
        with pytest.raises(AnsibleLookupError, match="Required config 'certificate'.*ROLESANYWHERE_CERTIFICATE"):
            run_lookup()
    with pytest.raises(AnsibleLookupError, match="missing required option.*certificate, role_arn"):
        run_lookup(certificate="", trust_anchor_arn=ANCHOR, profile_arn=PROFILE, role_arn="")


def test_terms_and_unknown_options_are_refused(credentials_lookup, emulator, trust):
    with pytest.raises(AnsibleLookupError, match="takes no positional terms"):
        credentials_lookup.run(["x"], {}, **options_for(trust, emulator))
    with pytest.raises(AnsibleLookupError, match="unknown option.*role_sesion_name"):
        credentials_lookup.run([], {}, role_sesion_name="typo", **options_for(trust, emulator))


def test_output_choices(run_lookup, emulator, trust):
    with pytest.raises(Exception, match="output"):
        run_lookup(output="env", **options_for(trust, emulator))


# --- refused by the service, with the signing core's message ------------------------------------------

def test_certificate_file_that_is_not_a_certificate(emulator, trust, run_lookup, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("this is not a certificate\n")
    before = create_sessions(emulator)
    with pytest.raises(AnsibleLookupError, match=str(bad)):
        run_lookup(**options_for(trust, emulator, certificate=str(bad)))
    with pytest.raises(AnsibleLookupError, match="does not exist"):
        run_lookup(**options_for(trust, emulator, certificate=str(tmp_path / "missing.pem")))
    assert create_sessions(emulator) == before


def test_untrusted_chain(emulator, trust, run_lookup, tmp_path):
    stranger_ca = pki.make_ca("EC", cn="Stranger CA")
    stranger = pki.make_leaf(stranger_ca, key_type="EC", cn="controller.example.com")
    paths = stranger.write(str(tmp_path), "stranger")
    with pytest.raises(AnsibleLookupError, match="Untrusted Signing Certificate") as raised:
        run_lookup(**options_for(trust, emulator, certificate=paths.certificate, private_key=paths.private_key))
    assert "trust anchor" in str(raised.value)


def test_missing_intermediate(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path, intermediate=True)
    with pytest.raises(AnsibleLookupError, match="Untrusted Signing Certificate"):
        run_lookup(**options_for(trust, emulator, intermediates=None))


def test_wrong_profile(emulator, trust, run_lookup, tmp_path):
    other = make_trust(emulator, tmp_path / "other")
    with pytest.raises(AnsibleLookupError, match="AccessDenied|ResourceNotFound") as raised:
        run_lookup(**options_for(trust, emulator, profile_arn=other.profile_arn))
    assert "profile" in str(raised.value).lower()
    missing = trust.profile_arn.rsplit("/", 1)[0] + "/00000000-0000-4000-8000-00000000dead"
    with pytest.raises(AnsibleLookupError, match="ResourceNotFound|AccessDenied"):
        run_lookup(**options_for(trust, emulator, profile_arn=missing))


def test_disabled_profile(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path, profile_enabled=False)
    with pytest.raises(AnsibleLookupError, match="(?i)profile.*disabled|disabled.*profile|not enabled") as raised:
        run_lookup(**options_for(trust, emulator))
    assert "enabled" in str(raised.value)


def test_failure_is_remembered_briefly(emulator, tmp_path, run_lookup):
    trust = make_trust(emulator, tmp_path, profile_enabled=False)
    before = create_sessions(emulator)
    for _repeat in range(4):
        with pytest.raises(AnsibleLookupError, match="profile is disabled"):
            run_lookup(**options_for(trust, emulator))
    assert create_sessions(emulator) == before + 1


def test_wrong_passphrase_is_not_echoed(emulator, trust, run_lookup):
    leaf = trust.issue("enc.example.com", key_format="pkcs8-encrypted", passphrase=PASSPHRASE)
    wrong = "Wrong-Passphrase-Not-Shown-7"
    with pytest.raises(AnsibleLookupError) as raised:
        run_lookup(passphrase=wrong, **options_for(trust, emulator, certificate=leaf.certificate, private_key=leaf.private_key))
    assert leaf.private_key in str(raised.value)
    assert wrong not in str(raised.value) and PASSPHRASE not in str(raised.value)


def test_secrets_absent_from_errors_and_reprs(emulator, trust, run_lookup, private_credential_cache):
    value = run_lookup(**options_for(trust, emulator))
    # On disk: a 0700 directory of 0600 files; the secrets only in the helper's entry, none in a file name.
    assert stat.S_IMODE(os.lstat(private_credential_cache).st_mode) == 0o700
    names = sorted(os.listdir(private_credential_cache))
    assert_secrets_absent(" ".join(names), value)
    holding = []
    for name in names:
        path = os.path.join(private_credential_cache, name)
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600, name
        with open(path, encoding="utf-8") as handle:
            if value["secret_key"] in handle.read():
                holding.append(name)
    assert len(holding) == 1 and holding[0].endswith(".cred"), names
    with open(trust.private_key, encoding="ascii") as handle:
        key_lines = [line for line in handle.read().splitlines() if line and not line.startswith("-----")]
    with pytest.raises(AnsibleLookupError) as raised:
        run_lookup(**options_for(trust, emulator, private_key=trust.issue("x.example.com").private_key))
    for line in key_lines:
        assert line not in str(raised.value)
    assert os.path.basename(trust.certificate) in str(raised.value)


# --- in forked workers, as Ansible runs it ------------------------------------------------------------

def _worker_lookup(plugin, options, answers):
    try:
        answers.put(plugin.run([], {}, **options)[0]["access_key"])
    except Exception as error:  # pylint: disable=broad-except
        answers.put("error: %s" % error)


def _run_in_workers(plugin, options, count):
    """The lookup in count processes forked from this one, like Ansible's WorkerProcess per host."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    workers = [context.Process(target=_worker_lookup, args=(plugin, options, answers)) for _worker in range(count)]
    for worker in workers:
        worker.start()
    results = [answers.get(timeout=60) for _worker in workers]
    for worker in workers:
        worker.join(10)
    return results


def test_forked_workers_share_one_session(emulator, trust, credentials_lookup):
    before = create_sessions(emulator)
    results = _run_in_workers(credentials_lookup, options_for(trust, emulator), 6)
    results += _run_in_workers(credentials_lookup, options_for(trust, emulator), 2)  # a later task
    assert len(set(results)) == 1 and results[0].startswith("ASIA"), results
    assert create_sessions(emulator) == before + 1


def test_unsafe_cache_directory_falls_back_with_a_warning(emulator, trust, credentials_lookup, private_credential_cache,
                                                          tmp_path, capfd):
    # A link where the cache directory should be (anyone could have planted it): not used, not followed.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    os.symlink(str(elsewhere), str(private_credential_cache))
    before = create_sessions(emulator)
    results = _run_in_workers(credentials_lookup, options_for(trust, emulator), 2)
    assert all(result.startswith("ASIA") for result in results), results
    # Each worker made a session of its own (correct, only without the shared cache). Counted as distinct keys, not
    # as requests: under CI load a worker's CreateSession may be retried by the transport (a third request).
    assert len(set(results)) == 2, results
    assert create_sessions(emulator) >= before + 2
    assert "the credential cache cannot be used" in " ".join(capfd.readouterr().err.split())  # older cores wrap warnings
    assert os.listdir(str(elsewhere)) == []


def test_endpoint_from_the_shared_config_services_section(emulator, trust, run_lookup, tmp_path, monkeypatch):
    """The lookup reads the endpoint where AWS's SDKs do: here the profile's ``services`` section."""
    config = tmp_path / "aws-config"
    config.write_text("[default]\nservices = local\n\n[services local]\nrolesanywhere =\n  endpoint_url = %s\n"
                      % emulator.endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ROLESANYWHERE", "AWS_PROFILE", "ROLESANYWHERE_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    options = options_for(trust, emulator)
    del options["endpoint_url"]
    assert run_lookup(**options)["role_arn"] == trust.role_arn


def test_fips_with_a_custom_endpoint_is_refused(emulator, trust, run_lookup, monkeypatch):
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    with pytest.raises(AnsibleLookupError, match="FIPS"):
        run_lookup(**options_for(trust, emulator))
