# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``serve``: IMDSv2 token rules, the credentials document, background refresh and failure behaviour."""

from __future__ import annotations

import datetime
import http.client
import json
import re
import socket
import threading
import time

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.imds_server import set_hop_limit
from tests.functional.helper.helpers import Serving, assert_error, run_helper, session_args

CREDENTIALS = "/latest/meta-data/iam/security-credentials/"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
TIME_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@pytest.fixture(scope="module")
def server(helper, trust, emulator, tmp_path_factory):
    env = emulator.env()
    with Serving(helper, session_args(trust), env, tmp_path_factory.mktemp("serve") / "serve.log") as serving:
        serving.role_name = trust.role_name
        yield serving


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def credentials(serving, token=None):
    token = token or serving.token()
    return serving.request("GET", CREDENTIALS + serving.role_name, {TOKEN_HEADER: token})


def test_announces_the_endpoint_like_aws(server):
    log = server.log()
    assert re.search(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Local server started on port: \d+$", log, re.M)
    assert "Make it available to the sdk by running:" in log
    assert server.url.startswith("http://127.0.0.1:")


def test_token_defaults_and_role_name(server, trust):
    status, headers, body = server.request("PUT", "/latest/api/token")
    assert status == 200 and len(body) == 100
    assert headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600"
    status, headers, name = server.request("GET", CREDENTIALS, {TOKEN_HEADER: body.decode()})
    assert (status, name.decode()) == (200, trust.role_name)
    assert 21590 <= int(headers["x-aws-ec2-metadata-token-ttl-seconds"]) <= 21600
    status, _headers, name = server.request("GET", CREDENTIALS.rstrip("/"), {TOKEN_HEADER: body.decode()})
    assert (status, name.decode()) == (200, trust.role_name)


def test_credentials_document(server, trust):
    status, headers, body = credentials(server)
    assert status == 200
    assert body.endswith(b"}\n")
    document = json.loads(body)
    assert list(document) == ["AccessKeyId", "SecretAccessKey", "Token", "Code", "Type", "Expiration", "LastUpdated"]
    assert document["Code"] == "Success" and document["Type"] == "AWS-HMAC"
    assert document["AccessKeyId"].startswith("ASIA")
    assert re.match(TIME_RE, document["Expiration"]) and re.match(TIME_RE, document["LastUpdated"])
    assert "x-aws-ec2-metadata-token-ttl-seconds" in headers
    status, _headers, again = server.request("GET", CREDENTIALS + trust.role_name + "/", {TOKEN_HEADER: server.token()})
    assert status == 200 and json.loads(again)["AccessKeyId"] == document["AccessKeyId"]  # served, not re-fetched


@pytest.mark.parametrize("headers, status, message", [
    ({}, 401, b"no token provided"),
    ({TOKEN_HEADER: "x" * 100}, 401, b"invalid token provided"),
])
def test_token_required(server, trust, headers, status, message):
    for path in (CREDENTIALS, CREDENTIALS + trust.role_name):
        answer = server.request("GET", path, headers)
        assert (answer[0], answer[2]) == (status, message)


@pytest.mark.parametrize("headers, message", [
    ({"X-aws-ec2-metadata-token-ttl-seconds": "0"}, b"invalid token TTL"),
    ({"X-aws-ec2-metadata-token-ttl-seconds": "21601"}, b"invalid token TTL"),
    ({"X-aws-ec2-metadata-token-ttl-seconds": "ten"}, b"invalid token TTL"),
    ({"X-Forwarded-For": "10.0.0.1"}, b"unable to process requests with X-Forwarded-For header"),
])
def test_token_refusals(server, headers, message):
    status, _headers, body = server.request("PUT", "/latest/api/token", headers)
    assert (status, body) == (400, message)


def test_token_expires(server, trust):
    token = server.token(ttl=1)
    status, headers, _body = server.request("GET", CREDENTIALS, {TOKEN_HEADER: token})
    assert status == 200 and headers["x-aws-ec2-metadata-token-ttl-seconds"] in ("0", "1")
    time.sleep(1.2)
    assert server.request("GET", CREDENTIALS, {TOKEN_HEADER: token})[0] == 401


def test_methods_and_unknown_paths(server, trust):
    token = server.token()
    assert server.request("GET", "/latest/api/token")[0] == 405
    assert server.request("PUT", CREDENTIALS + trust.role_name, {TOKEN_HEADER: token})[0] == 405
    assert server.request("GET", CREDENTIALS + "other-role", {TOKEN_HEADER: token})[:3:2] == (404, b"404 page not found\n")
    assert server.request("GET", "/")[0] == 404


def test_no_secret_in_the_log(server):
    document = json.loads(credentials(server)[2])
    log = server.log()
    assert document["SecretAccessKey"] not in log and document["Token"] not in log


def test_hop_limit_is_set_on_accepted_connections():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname(), timeout=5)
    accepted, _address = listener.accept()
    try:
        set_hop_limit(accepted, 1)
        assert accepted.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 1
    finally:
        for item in (client, accepted, listener):
            item.close()


@pytest.mark.parametrize("args, needles", [
    (["--hop-limit", "0"], ["--hop-limit 0 is out of range"]),
    (["--port", "70000"], ["--port 70000 is out of range"]),
    (["--refresh-margin", "-1"], ["--refresh-margin must not be negative"]),
])
def test_bad_serve_options(helper, trust, emulator, args, needles):
    assert_error(run_helper(helper, ["serve"] + session_args(trust) + args, emulator.env()), *needles)


def test_fails_fast_when_the_first_credentials_cannot_be_had(helper, trust, emulator):
    args = session_args(trust)
    args[args.index("--role-arn") + 1] = "arn:aws:iam::%s:role/not-in-profile" % emulator.account
    started = time.monotonic()
    result = run_helper(helper, ["serve", "--port", "0"] + args, emulator.env())
    assert_error(result, "HTTP 403", "lists this role")
    assert time.monotonic() - started < 30


def test_port_in_use(helper, trust, emulator, server):
    port = server.url.rsplit(":", 1)[1]
    assert_error(run_helper(helper, ["serve", "--port", port] + session_args(trust), emulator.env()),
                 "cannot listen on 127.0.0.1 port %s" % port, "--port")


def test_non_loopback_bind_warns(helper, trust, emulator):
    # 192.0.2.1 (TEST-NET-1) is on no interface: the warning comes first, then the bind fails (no server on it).
    result = run_helper(helper, ["serve", "--port", "0", "--bind", "192.0.2.1"] + session_args(trust), emulator.env())
    stderr = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b""
    assert "WARNING: serving credentials on 192.0.2.1, which is not a loopback address" in stderr
    assert "cannot listen on 192.0.2.1" in stderr


def test_refreshes_in_the_background(helper, trust, emulator, tmp_path):
    args = session_args(trust, session_duration=900, refresh_margin=898)  # refresh about every 2 s
    with Serving(helper, args, emulator.env(), tmp_path / "serve.log") as serving:
        serving.role_name = trust.role_name
        first = json.loads(credentials(serving)[2])["AccessKeyId"]
        assert wait_until(lambda: json.loads(credentials(serving)[2])["AccessKeyId"] != first)
        assert "Credentials refreshed" in serving.log()


def test_keeps_serving_the_last_good_credentials_while_refresh_fails(helper, trust, emulator_faults, tmp_path):
    args = session_args(trust, session_duration=900, refresh_margin=898)
    with Serving(helper, args, emulator_faults.env(), tmp_path / "serve.log") as serving:
        serving.role_name = trust.role_name
        emulator_faults.set_faults(error_rate=1)
        status, _headers, body = credentials(serving)
        last_good = json.loads(body)["AccessKeyId"]
        assert wait_until(lambda: "Credential refresh failed" in serving.log())
        status, _headers, body = credentials(serving)
        assert status == 200 and json.loads(body)["AccessKeyId"] == last_good
        emulator_faults.clear_faults()
        assert wait_until(lambda: json.loads(credentials(serving)[2])["AccessKeyId"] != last_good)


def test_answers_503_when_no_credentials_are_valid(helper, trust, emulator, tmp_path):
    not_after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=8)
    leaf = trust.issue("dying.example.com", not_after=not_after)
    args = session_args(trust)
    args[args.index("--certificate") + 1] = leaf.certificate
    args[args.index("--private-key") + 1] = leaf.private_key
    with Serving(helper, args, emulator.env(), tmp_path / "serve.log") as serving:
        serving.role_name = trust.role_name
        status, _headers, body = credentials(serving)
        assert status == 200
        assert datetime.datetime.strptime(json.loads(body)["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc) <= not_after
        time.sleep(max(0.0, (not_after - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 1.5)
        status, _headers, body = credentials(serving)
        assert status == 503 and body.startswith(b"no valid credentials")
        assert b"SecretAccessKey" not in body
        assert serving.process.poll() is None  # still serving (tokens), ready for a renewed certificate


# --- hardening: transient failures, many clients, slow clients, Host, token flood ---------------------------

class _Relay(object):
    """A TCP relay on a fixed loopback port to another port: the endpoint 'comes back' when it starts."""

    def __init__(self, port, target_port):
        import socketserver  # pylint: disable=import-outside-toplevel
        from tests.support.proxy import _pipe  # pylint: disable=import-outside-toplevel

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                _pipe(self.request, socket.create_connection(("127.0.0.1", target_port), timeout=10))

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_started_while_the_endpoint_is_unreachable_it_serves_once_reachable(helper, trust, emulator, tmp_path):
    port = free_port()
    args = session_args(trust, endpoint="http://127.0.0.1:%d" % port)
    with Serving(helper, args, emulator.env(), tmp_path / "serve.log") as serving:
        serving.role_name = trust.role_name
        status, headers, body = credentials(serving)
        assert status == 503 and b"no valid credentials: cannot reach 127.0.0.1:%d" % port in body
        assert headers["retry-after"] == "1" and b"SecretAccessKey" not in body
        assert "First CreateSession failed; serving 503 and retrying" in serving.log()
        with _Relay(port, int(emulator.endpoint.rsplit(":", 1)[1])):
            assert wait_until(lambda: credentials(serving)[0] == 200, timeout=90), serving.log()
        assert json.loads(credentials(serving)[2])["Code"] == "Success"
        assert serving.process.poll() is None


@pytest.mark.parametrize("breakage, needles", [
    ("key", ["does not match certificate"]),
    ("untrusted", ["HTTP 403", "Untrusted Signing Certificate"]),
])
def test_fails_fast_on_errors_that_do_not_heal(helper, trust, emulator, tmp_path, breakage, needles):
    from tests.support.scenario import make_trust  # pylint: disable=import-outside-toplevel

    args = session_args(trust)
    if breakage == "key":
        args[args.index("--private-key") + 1] = trust.issue("other.example.com").private_key
    else:
        stranger = make_trust(emulator, tmp_path / "stranger")  # another CA: no chain to this trust anchor
        leaf = stranger.issue("host.example.com")
        args[args.index("--certificate") + 1] = leaf.certificate
        args[args.index("--private-key") + 1] = leaf.private_key
    started = time.monotonic()
    assert_error(run_helper(helper, ["serve", "--port", "0"] + args, emulator.env()), *needles)
    assert time.monotonic() - started < 30


def test_a_hundred_new_connections_at_once_are_all_answered_within_a_second(server):
    host, port = server.url[len("http://"):].rsplit(":", 1)
    barrier = threading.Barrier(100)
    results = [None] * 100

    def client(index):
        barrier.wait(30)
        connection = http.client.HTTPConnection(host, int(port), timeout=1)
        try:
            connection.request("PUT", "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
            response = connection.getresponse()
            results[index] = (response.status, len(response.read()))
        except OSError as error:
            results[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [(200, 100)] * 100


# In-process server with a fixed credential source, for the HTTP rules.

class _Fixed(object):
    access_key_id = "ASIAEXAMPLE"
    secret_access_key = "secret-example"
    session_token = "token-example"
    expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)


@pytest.fixture
def local_server():
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import imds_server  # pylint: disable=import-outside-toplevel

    started = []

    def start(**options):
        keeper = imds_server.CredentialKeeper(_Fixed)
        keeper.refresh()
        instance = imds_server.ImdsServer("127.0.0.1", 0, "HostRole", keeper, **options)
        thread = threading.Thread(target=instance.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.shutdown()
        instance.server_close()


def raw_request(port, data, timeout=5):
    """Send raw bytes, return the whole answer (until the server closes or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        answer = b""
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
                if b"\r\n\r\n" in answer and b"Connection: close" not in answer and len(answer) > 200:
                    break
        except socket.timeout:
            pass
    return answer


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1:9911", 200), ("localhost:9911", 200), ("LOCALHOST.", 200), ("[::1]:9911", 200), ("10.1.2.3", 200),
    ("attacker.example:9911", 403), ("localhost.attacker.example", 403), ("metadata.internal", 200),
])
def test_dns_names_other_than_localhost_are_refused(local_server, host, status):
    instance = local_server(allowed_hosts=["metadata.internal"])
    answer = raw_request(instance.port, b"PUT /latest/api/token HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n"
                                        b"Connection: close\r\n\r\n" % host.encode())
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer
    if status == 403:
        assert b"is not allowed" in answer and b"--allow-host" in answer


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1e3", b"5, 6"])
def test_a_content_length_that_is_not_a_number_is_a_400(local_server, value):
    instance = local_server()
    answer = raw_request(instance.port, b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %s\r\n\r\n" % value)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"invalid Content-Length" in answer


def test_slow_or_lying_clients_hold_no_thread_past_the_read_timeout(local_server, monkeypatch):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import imds_server  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(imds_server.ImdsRequestHandler, "timeout", 1)
    instance = local_server()
    half = socket.create_connection(("127.0.0.1", instance.port), timeout=10)
    lying = socket.create_connection(("127.0.0.1", instance.port), timeout=10)
    try:
        half.sendall(b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no end of headers
        lying.sendall(b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nshort")
        started = time.monotonic()
        assert raw_request(instance.port, b"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                          b"Content-Length: 0\r\n\r\n").startswith(b"HTTP/1.1 200 ")
        assert half.recv(100) == b"" and lying.recv(100) == b""  # closed by the server after its read timeout
        assert time.monotonic() - started < 5
    finally:
        half.close()
        lying.close()


def test_a_token_flood_never_evicts_a_live_token(local_server):
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import imds_server  # pylint: disable=import-outside-toplevel

    instance = local_server(tokens=imds_server.TokenStore(max_tokens=3))
    url = "127.0.0.1:%d" % instance.port
    legitimate = _token(url, ttl=21600)
    flood = [_token(url, ttl=21600) for _index in range(2)]
    assert all(flood)
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=5)
    connection.request("PUT", "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    response = connection.getresponse()
    assert response.status == 503 and b"too many live tokens" in response.read()
    connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=5)
    connection.request("GET", CREDENTIALS + "HostRole", headers={TOKEN_HEADER: legitimate})
    response = connection.getresponse()
    assert response.status == 200 and json.loads(response.read())["AccessKeyId"] == "ASIAEXAMPLE"
    connection.close()


def test_expired_tokens_free_their_slots():
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper import imds_server  # pylint: disable=import-outside-toplevel

    now = [1000.0]
    store = imds_server.TokenStore(clock=lambda: now[0], max_tokens=2)
    first = store.issue(10)
    store.issue(100)
    with pytest.raises(imds_server.TokenTableFull):
        store.issue(10)
    assert store.remaining(first) == 10
    now[0] += 11
    assert store.issue(10) and store.remaining(first) is None


def _token(url, ttl):
    host, port = url.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("PUT", "/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})
        response = connection.getresponse()
        return response.read().decode() if response.status == 200 else None
    finally:
        connection.close()
