# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built helper finds the real AWS endpoint on a host without botocore.

The helper file runs under the test Python with botocore made unimportable (``sys.modules["botocore"] = None``
before anything runs), with no ``--endpoint``. A local CONNECT proxy that refuses every tunnel records which
host the helper tried to reach: nothing leaves the machine.
"""

from __future__ import annotations

import pytest

from tests.functional.helper.helpers import assert_error, run_helper, session_args
from tests.support.proxy import ConnectProxy

# Runs the helper file as __main__ in a Python where every botocore import fails, like on a plain host.
NO_BOTOCORE = (
    "import runpy, sys\n"
    "sys.modules['botocore'] = None\n"
    "helper = sys.argv[1]\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(helper, run_name='__main__')\n"
)
ACCOUNT = "123456789012"
ANCHOR_ID = "0b5c4b2a-6f3e-4c1e-9d0a-1f2e3d4c5b6a"
PROFILE_ID = "7c6b5a49-3827-4160-a5b4-c3d2e1f0a9b8"


def arns_in(partition, region):
    return ["--trust-anchor-arn", "arn:%s:rolesanywhere:%s:%s:trust-anchor/%s" % (partition, region, ACCOUNT, ANCHOR_ID),
            "--profile-arn", "arn:%s:rolesanywhere:%s:%s:profile/%s" % (partition, region, ACCOUNT, PROFILE_ID),
            "--role-arn", "arn:%s:iam::%s:role/HostRole" % (partition, ACCOUNT)]


def material_args(trust):
    args = session_args(trust)
    return args[:args.index("--trust-anchor-arn")]  # --certificate and --private-key only


def tunnel_without_botocore(helper, env, args):
    with ConnectProxy(refuse=True) as proxy:
        env = dict(env, https_proxy=proxy.url, HTTPS_PROXY=proxy.url, no_proxy="", NO_PROXY="")
        result = run_helper(helper, args + ["--with-proxy"], env, python_args=("-I", "-c", NO_BOTOCORE))
        return result, list(proxy.tunnels)


def test_botocore_really_is_unimportable_that_way(helper_env, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import botocore.endpoint_provider\n")
    result = run_helper(str(probe), [], helper_env, python_args=("-I", "-c", NO_BOTOCORE))
    assert result.returncode == 1 and b"ModuleNotFoundError" in result.stderr and b"botocore" in result.stderr


@pytest.mark.parametrize("partition, region, extra, host", [
    ("aws", "eu-west-3", [], "rolesanywhere.eu-west-3.amazonaws.com"),
    ("aws", "us-east-1", ["--use-fips-endpoint"], "rolesanywhere-fips.us-east-1.amazonaws.com"),
    ("aws-cn", "cn-north-1", [], "rolesanywhere.cn-north-1.amazonaws.com.cn"),
    ("aws-us-gov", "us-gov-west-1", ["--region", "us-gov-west-1-fips"], "rolesanywhere-fips.us-gov-west-1.amazonaws.com"),
    ("aws-iso-b", "us-isob-east-1", [], "rolesanywhere.us-isob-east-1.sc2s.sgov.gov"),
])
def test_helper_without_botocore_reaches_the_real_endpoint(helper, trust, helper_env, partition, region, extra, host):
    args = ["credential-process"] + material_args(trust) + arns_in(partition, region) + extra
    result, tunnels = tunnel_without_botocore(helper, helper_env, args)
    assert_error(result, host)
    assert "botocore" not in result.stderr.decode()
    assert tunnels == [host + ":443"] * len(tunnels) and tunnels, tunnels


def test_explicit_endpoint_still_wins_without_botocore(helper, trust, helper_env):
    args = ["credential-process"] + session_args(trust)
    with ConnectProxy(refuse=True) as proxy:
        env = dict(helper_env, https_proxy=proxy.url, HTTPS_PROXY=proxy.url, no_proxy="", NO_PROXY="")
        result = run_helper(helper, args + ["--with-proxy"], env, python_args=("-I", "-c", NO_BOTOCORE))
        assert proxy.tunnels == []
    assert result.returncode == 0, result.stderr
