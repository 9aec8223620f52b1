"""http.send and net.lookup_ip_addr behind an explicit host allow-list (like OPA's allow_net
capability), against a real HTTP server on 127.0.0.1; providers.aws.sign_req against AWS's
documented Signature Version 4 example."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from seccli.policy.rego import RegoError, compile
from seccli.policy.rego.builtins.awssign import signature_v4, signing_key

SEND = 'package t\nimport rego.v1\n\nr := http.send({"method": "get", "url": input.url})\n'


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/json":
            body = json.dumps({"ok": True, "n": 3}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        elif self.path == "/redirect":
            body = b""
            self.send_response(302)
            self.send_header("Location", "/json")
        else:
            body = b"missing"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("X-Test", "yes")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        n = int(self.headers.get("Content-Length", "0"))
        got = self.rfile.read(n)
        body = json.dumps({"echo": got.decode(), "ctype": self.headers.get("Content-Type")})
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_http_send_without_allow_net_does_not_compile() -> None:
    with pytest.raises(RegoError) as exc:
        compile({"t.rego": SEND})
    assert exc.value.code == "rego_type_error"
    assert "http.send" in str(exc.value) and "--allow-net" in str(exc.value)
    assert exc.value.line == 4


def test_lookup_without_allow_net_does_not_compile() -> None:
    src = 'package t\nimport rego.v1\n\nr := net.lookup_ip_addr("localhost")\n'
    with pytest.raises(RegoError, match="net.lookup_ip_addr"):
        compile({"t.rego": src})


def test_http_send_json_response(server: str) -> None:
    pol = compile({"t.rego": SEND}, allow_net=frozenset({"127.0.0.1"}))
    r = pol.eval("data.t.r", {"url": server + "/json"}).value
    assert r["status_code"] == 200
    assert r["status"] == "200 OK"
    assert r["body"] == {"ok": True, "n": 3}
    assert r["headers"]["x-test"] == ["yes"]


def test_http_send_non_json_and_error_status(server: str) -> None:
    pol = compile({"t.rego": SEND}, allow_net=frozenset({"127.0.0.1"}))
    r = pol.eval("data.t.r", {"url": server + "/nothing"}).value
    assert r["status_code"] == 404
    assert r["body"] is None
    assert r["raw_body"] == "missing"


def test_http_send_does_not_follow_redirects_by_default(server: str) -> None:
    pol = compile({"t.rego": SEND}, allow_net=frozenset({"127.0.0.1"}))
    r = pol.eval("data.t.r", {"url": server + "/redirect"}).value
    assert r["status_code"] == 302
    src = (
        'package t\nimport rego.v1\n\nr := http.send({"method": "GET", "url": input.url, '
        '"enable_redirect": true})\n'
    )
    r2 = compile({"t.rego": src}, allow_net=frozenset({"127.0.0.1"})).eval(
        "data.t.r", {"url": server + "/redirect"}
    )
    assert r2.value["status_code"] == 200


def test_http_send_post_body(server: str) -> None:
    src = (
        'package t\nimport rego.v1\n\nr := http.send({"method": "POST", "url": input.url, '
        '"body": {"a": [1, 2]}})\n'
    )
    r = compile({"t.rego": src}, allow_net=frozenset({"127.0.0.1"})).eval(
        "data.t.r", {"url": server + "/p"}
    )
    assert r.value["status_code"] == 201
    assert json.loads(r.value["body"]["echo"]) == {"a": [1, 2]}
    assert r.value["body"]["ctype"] == "application/json"


def test_http_send_refuses_hosts_not_allowed(server: str) -> None:
    pol = compile({"t.rego": SEND}, allow_net=frozenset({"example.invalid"}))
    with pytest.raises(RegoError, match="unallowed host: 127.0.0.1"):
        pol.eval("data.t.r", {"url": server + "/json"}, strict_builtin_errors=True)


def test_http_send_raise_error_false_reports_the_error() -> None:
    src = (
        'package t\nimport rego.v1\n\nr := http.send({"method": "GET", "url": input.url, '
        '"raise_error": false})\n'
    )
    pol = compile({"t.rego": src}, allow_net=frozenset({"127.0.0.1"}))
    r = pol.eval("data.t.r", {"url": "http://user:s3cret@127.0.0.1:1/x?token=t0k"}).value
    assert r["status_code"] == 0
    assert r["error"]["code"] == "eval_http_send_network_error"
    assert "127.0.0.1:1" in r["error"]["message"]
    assert "s3cret" not in r["error"]["message"] and "t0k" not in r["error"]["message"]


def test_http_send_unknown_request_key_is_an_error() -> None:
    src = (
        "package t\nimport rego.v1\n\n"
        'r := http.send({"method": "GET", "url": "http://127.0.0.1/", "bogus": 1})\n'
    )
    pol = compile({"t.rego": src}, allow_net=frozenset({"127.0.0.1"}))
    with pytest.raises(RegoError, match="bogus"):
        pol.eval("data.t.r", strict_builtin_errors=True)


def test_lookup_ip_addr_allowed_and_refused() -> None:
    src = "package t\nimport rego.v1\n\nr := net.lookup_ip_addr(input.h)\n"
    pol = compile({"t.rego": src}, allow_net=frozenset({"localhost"}))
    got = pol.eval("data.t.r", {"h": "localhost"}).value
    assert "127.0.0.1" in got or "::1" in got
    with pytest.raises(RegoError, match="unallowed host"):
        pol.eval("data.t.r", {"h": "example.com"}, strict_builtin_errors=True)


def test_policy_eval_allow_net_option(server: str, tmp_path: Path) -> None:
    mod = tmp_path / "t.rego"
    mod.write_text(SEND, encoding="utf-8")
    inp = tmp_path / "in.json"
    inp.write_text(json.dumps({"url": server + "/json"}), encoding="utf-8")
    seccli = str(Path(sys.executable).with_name("seccli"))
    base = [seccli, "policy", "eval", "data.t.r.status_code", "-m", str(mod), "-i", str(inp)]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2, refused.stderr
    assert "--allow-net" in refused.stderr and "http.send" in refused.stderr
    ok = subprocess.run(
        [*base, "--allow-net", "127.0.0.1"], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["value"] == 200
    other = subprocess.run(
        [*base, "--allow-net", "example.invalid"], capture_output=True, text=True, timeout=60
    )
    assert other.returncode == 1, other.stderr


# AWS's documented SigV4 example (IAM ListUsers, 2015-08-30T12:36:00Z, us-east-1)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def test_sigv4_matches_aws_documented_example() -> None:
    key = signing_key(AWS_SECRET, "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    sig, signed, canonical = signature_v4(
        method="GET",
        url="https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Host": "iam.amazonaws.com",
            "X-Amz-Date": "20150830T123600Z",
        },
        payload_hash=hashlib.sha256(b"").hexdigest(),
        secret=AWS_SECRET,
        region="us-east-1",
        service="iam",
        amz_date="20150830T123600Z",
    )
    assert signed == "content-type;host;x-amz-date"
    assert (
        hashlib.sha256(canonical.encode()).hexdigest()
        == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    )
    assert sig == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"


def test_sign_req_builtin_adds_authorization() -> None:
    src = """package t
import rego.v1

r := providers.aws.sign_req(
  {"method": "GET", "url": "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"},
  {"aws_access_key": "AKIDEXAMPLE", "aws_secret_access_key": input.secret,
   "aws_service": "iam", "aws_region": "us-east-1"},
  1440938160000000000)
"""
    r = compile({"t.rego": src}).eval("data.t.r", {"secret": AWS_SECRET}).value
    h = r["headers"]
    assert h["x-amz-date"] == "20150830T123600Z"
    assert h["x-amz-content-sha256"] == hashlib.sha256(b"").hexdigest()
    auth = h["Authorization"]
    assert auth.startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
    )
    assert AWS_SECRET not in json.dumps(r)
    # a different secret gives a different signature
    other = compile({"t.rego": src}).eval("data.t.r", {"secret": "x"}).value
    assert other["headers"]["Authorization"] != auth


def test_sign_req_missing_config_key_is_an_error() -> None:
    src = (
        "package t\nimport rego.v1\n\n"
        'r := providers.aws.sign_req({"url": "https://a.example/"}, {"aws_access_key": "k"}, 0)\n'
    )
    with pytest.raises(RegoError, match="aws_secret_access_key"):
        compile({"t.rego": src}).eval("data.t.r", strict_builtin_errors=True)
