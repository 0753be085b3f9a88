# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``credential-process`` and its flags against the emulator (HTTP and HTTPS), as a subprocess."""

from __future__ import annotations

import datetime
import json
import os
import re

import boto3
import pytest

from tests.functional.helper.helpers import assert_error, file_secrets, run_helper, secrets_of, session_args
from tests.support import pki
from tests.support.proxy import ConnectProxy
from tests.support.scenario import make_trust

OUTPUT_RE = re.compile(
    rb'^\{"Version":1,"AccessKeyId":"[A-Z0-9]+","SecretAccessKey":"[^"]+","SessionToken":"[^"]+",'
    rb'"Expiration":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}$'
)


def expiration_of(output):
    text = json.loads(output)["Expiration"]
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def caller_identity(emulator, output):
    """sts get-caller-identity on moto with the helper's credentials (boto3)."""
    document = json.loads(output)
    sts = boto3.client("sts", region_name=emulator.region, endpoint_url=emulator.endpoint,
                       aws_access_key_id=document["AccessKeyId"], aws_secret_access_key=document["SecretAccessKey"],
                       aws_session_token=document["SessionToken"])
    return sts.get_caller_identity()


def test_output_bytes_match_the_official_format(helper, trust, emulator, helper_env):
    emulator.reset_counters()
    result = run_helper(helper, ["credential-process"] + session_args(trust), helper_env)
    assert result.returncode == 0, result.stderr
    assert OUTPUT_RE.match(result.stdout), result.stdout
    assert not result.stdout.endswith(b"\n")
    assert result.stderr == b""
    assert emulator.counters().get("CreateSession") == 1
    remaining = (expiration_of(result.stdout) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 3500 < remaining <= 3600
    identity = caller_identity(emulator, result.stdout)
    assert identity["Arn"].startswith("arn:aws:sts::%s:assumed-role/%s/" % (emulator.account, trust.role_name))


def test_never_caches_without_the_flag(helper, trust, emulator, helper_env):
    emulator.reset_counters()
    first = run_helper(helper, ["credential-process"] + session_args(trust), helper_env)
    second = run_helper(helper, ["credential-process"] + session_args(trust), helper_env)
    assert first.returncode == second.returncode == 0
    assert json.loads(first.stdout)["AccessKeyId"] != json.loads(second.stdout)["AccessKeyId"]
    assert emulator.counters().get("CreateSession") == 2


def test_session_duration_and_role_session_name(helper, trust, emulator, helper_env):
    result = run_helper(helper, ["credential-process"] + session_args(trust, session_duration=900, role_session_name="web-7"),
                        helper_env)
    assert result.returncode == 0, result.stderr
    remaining = (expiration_of(result.stdout) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 800 < remaining <= 900
    assert caller_identity(emulator, result.stdout)["Arn"].endswith("/%s/web-7" % trust.role_name)


def test_default_session_name_is_the_serial_in_hex(helper, trust, emulator, helper_env):
    result = run_helper(helper, ["credential-process"] + session_args(trust), helper_env)
    assert caller_identity(emulator, result.stdout)["Arn"].endswith("/%x" % trust.leaf.serial)


def test_intermediates_rsa_and_region(helper, emulator, helper_env, tmp_path):
    rsa_trust = make_trust(emulator, tmp_path / "rsa", key_type="RSA", intermediate=True)
    args = ["credential-process"] + session_args(rsa_trust, region=emulator.region)
    result = run_helper(helper, args, helper_env)
    assert result.returncode == 0, result.stderr
    without_chain = [arg for arg in args if arg not in ("--intermediates", rsa_trust.intermediates)]
    assert_error(run_helper(helper, without_chain, helper_env), "Untrusted Signing Certificate", "intermediates")


def test_encrypted_key_with_pkcs8_password(helper, trust, helper_env, tmp_path):
    leaf = trust.issue("encrypted.example.com", key_format="pkcs8-encrypted", passphrase="s3cret-pass")
    args = ["credential-process"] + session_args(leaf_trust(trust, leaf))
    assert run_helper(helper, args + ["--pkcs8-password", "s3cret-pass"], helper_env).returncode == 0
    wrong = run_helper(helper, args + ["--pkcs8-password", "wrong-pass"], helper_env)
    stderr = assert_error(wrong, leaf.private_key)
    assert "wrong-pass" not in stderr and "s3cret" not in stderr
    assert_error(run_helper(helper, args, helper_env), leaf.private_key)


class leaf_trust(object):  # pylint: disable=invalid-name,too-few-public-methods
    """The trust's ARNs with another leaf's files."""

    def __init__(self, trust, leaf):
        self.__dict__.update(trust.arns())
        self.endpoint = trust.endpoint
        self.certificate, self.private_key, self.intermediates = leaf.certificate, leaf.private_key, leaf.intermediates


def test_certificate_and_key_from_stdin(helper, trust, helper_env):
    with open(trust.certificate, "rb") as cert, open(trust.private_key, "rb") as key:
        cert_pem, key_pem = cert.read(), key.read()
    args = session_args(trust)
    both = ["credential-process"] + _replace(_replace(args, "--certificate", "-"), "--private-key", "-")
    result = run_helper(helper, both, helper_env, stdin=key_pem + cert_pem)
    assert result.returncode == 0, result.stderr
    assert OUTPUT_RE.match(result.stdout)
    key_only = ["credential-process"] + _replace(args, "--private-key", "-")
    assert run_helper(helper, key_only, helper_env, stdin=key_pem).returncode == 0
    cert_only = ["credential-process"] + _replace(args, "--certificate", "-")
    assert run_helper(helper, cert_only, helper_env, stdin=cert_pem).returncode == 0
    assert_error(run_helper(helper, both, helper_env, stdin=b""), "certificate")


def _replace(args, flag, value):
    args = list(args)
    args[args.index(flag) + 1] = value
    return args


def test_https_with_aws_ca_bundle_and_no_verify_ssl(helper, emulator_tls, helper_env, tmp_path):
    tls_trust = make_trust(emulator_tls, tmp_path / "tls")
    args = ["credential-process"] + session_args(tls_trust)
    env = dict(helper_env)
    env.pop("AWS_CA_BUNDLE", None)
    assert_error(run_helper(helper, args, env), "TLS certificate verification failed", "AWS_CA_BUNDLE")
    assert run_helper(helper, args, dict(env, AWS_CA_BUNDLE=emulator_tls.ca_bundle)).returncode == 0
    assert run_helper(helper, args + ["--no-verify-ssl"], env).returncode == 0


def test_the_environment_proxy_is_used_by_default_and_never_for_loopback(helper, emulator_tls, trust, helper_env, tmp_path):
    # As AWS's helper (its SDK transport has Proxy: http.ProxyFromEnvironment; --with-proxy adds nothing).
    tls_trust = make_trust(emulator_tls, tmp_path / "tls")
    args = ["credential-process"] + session_args(tls_trust)
    with ConnectProxy() as proxy:
        env = dict(helper_env, AWS_CA_BUNDLE=emulator_tls.ca_bundle, https_proxy=proxy.url, HTTPS_PROXY=proxy.url,
                   no_proxy="", NO_PROXY="")
        for extra in ([], ["--with-proxy"]):
            result = run_helper(helper, args + extra, env)
            assert result.returncode == 0, result.stderr
        assert proxy.tunnels == []  # the emulator listens on 127.0.0.1: loopback is never proxied
    aws_args = ["credential-process"] + [a for a in session_args(trust) if a not in ("--endpoint", trust.endpoint)]
    with ConnectProxy(refuse=True) as proxy:
        env = dict(helper_env, HTTPS_PROXY=proxy.url, no_proxy="", NO_PROXY="")
        for extra in ([], ["--with-proxy"]):
            assert_error(run_helper(helper, aws_args + extra, env), "the proxy refused the tunnel", "from HTTPS_PROXY", "NO_PROXY")
        assert proxy.tunnels and set(proxy.tunnels) == {"rolesanywhere.us-east-1.amazonaws.com:443"}


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_fips_endpoint_is_used(helper, trust, helper_env, how):
    args = ["credential-process"] + [a for a in session_args(trust) if a not in ("--endpoint", trust.endpoint)]
    with ConnectProxy(refuse=True) as proxy:
        env = dict(helper_env, https_proxy=proxy.url, no_proxy="", NO_PROXY="")
        if how == "flag":
            args.append("--use-fips-endpoint")
        else:
            env["AWS_USE_FIPS_ENDPOINT"] = "true"
        assert_error(run_helper(helper, args + ["--with-proxy"], env), "rolesanywhere-fips.us-east-1.amazonaws.com")
        assert proxy.tunnels[0] == "rolesanywhere-fips.us-east-1.amazonaws.com:443"


def test_endpoint_flag_is_required_to_reach_the_emulator(helper, trust, helper_env):
    args = ["credential-process"] + _replace(session_args(trust), "--endpoint", "http://127.0.0.1:1")
    assert_error(run_helper(helper, args, helper_env), "cannot reach 127.0.0.1:1", "connection refused")


def test_debug_logs_steps_without_secrets(helper, trust, helper_env):
    result = run_helper(helper, ["credential-process", "--debug"] + session_args(trust), helper_env)
    assert result.returncode == 0
    stderr = result.stderr
    assert b"certificate serial %d" % trust.leaf.serial in stderr
    assert b"CreateSession" in stderr and b"got credentials" in stderr
    for secret in secrets_of(result.stdout):
        assert secret.encode() not in stderr
    for line in file_secrets(trust.private_key):
        assert line not in stderr


def test_no_secret_in_any_error(helper, trust, helper_env):
    other = trust.issue("mismatch.example.com")
    args = ["credential-process"] + _replace(session_args(trust), "--private-key", other.private_key)
    stderr = assert_error(run_helper(helper, args, helper_env, python_args=()), "does not match")
    for line in file_secrets(trust.private_key, other.private_key):
        assert line.decode() not in stderr


def test_help_and_version(helper, helper_env):
    result = run_helper(helper, ["--help"], helper_env)
    assert result.returncode == 0 and b"credential-process" in result.stdout
    version = run_helper(helper, ["version"], helper_env)
    galaxy = open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "galaxy.yml")).read()
    assert version.stdout.decode() == re.search(r"^version: (\S+)$", galaxy, re.M).group(1) + "\n"
    assert version.returncode == 0 and version.stderr == b""


def test_expired_certificate(helper, trust, helper_env):
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = trust.issue("expired.example.com", not_before=now - datetime.timedelta(days=2), not_after=now - datetime.timedelta(days=1))
    assert_error(run_helper(helper, ["credential-process"] + session_args(leaf_trust(trust, leaf)), helper_env),
                 "Untrusted Signing Certificate", "validity period")


def test_leaf_of_an_unknown_ca(helper, trust, helper_env, tmp_path):
    stranger = pki.make_leaf(pki.make_ca(cn="Stranger CA"), cn="stranger.example.com")
    paths = stranger.write(str(tmp_path), "stranger")
    args = ["credential-process"] + _replace(_replace(session_args(trust), "--certificate", paths.certificate),
                                             "--private-key", paths.private_key)
    assert_error(run_helper(helper, args, helper_env), "Untrusted Signing Certificate", "chains to an enabled trust anchor")
