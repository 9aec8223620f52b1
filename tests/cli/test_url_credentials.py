"""Credentials written into URLs (Vault address, registry URLs, ``--opa-url``) never appear in
what the CLI prints (plain, JSON, ``--debug``) or in the state database.

Each case runs the real CLI in a subprocess against a closed port on 127.0.0.1 (or a local
server that points elsewhere), with and without ``--debug``.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"
USER = "admin-user"
PASSWORD = "pa55-w0rd-Zq9"
TOKEN = "t0ken-Zq9-xyz"
LEAKS = (PASSWORD, f"{USER}:{PASSWORD}", TOKEN, base64.b64encode(PASSWORD.encode()).decode())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    tmp: Path, *args: str, debug: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    root = ["--store", str(tmp / "state.db"), *(["--debug"] if debug else [])]
    return subprocess.run(
        [sys.executable, "-m", "seccli", *root, *args],
        cwd=tmp,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SECCLI_ACTOR": "t", **(env or {})},
        timeout=120,
    )


def assert_clean(tmp: Path, result: subprocess.CompletedProcess[str]) -> None:
    for leaked in LEAKS:
        assert leaked not in result.stdout, (leaked, result.stdout)
        assert leaked not in result.stderr, (leaked, result.stderr)
    store = tmp / "state.db"
    if store.exists():
        connection = sqlite3.connect(store)
        try:
            dump = "\n".join(connection.iterdump())
        finally:
            connection.close()
        for leaked in LEAKS:
            assert leaked not in dump, leaked


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "address",
    [
        "http://{user}:{password}@127.0.0.1:{port}",
        "http://{password}@127.0.0.1:{port}/",
        "http://127.0.0.1:{port}/?token={token}",
        "https://{user}:{password}@127.0.0.1:{port}",
    ],
)
@pytest.mark.parametrize("how", ["env", "option"])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_vault_address_with_credentials(
    tmp_path: Path, address: str, debug: bool, how: str, fmt: str
) -> None:
    url = address.format(user=USER, password=PASSWORD, token=TOKEN, port=closed_port())
    env = {"VAULT_TOKEN": "root-token-not-secret-here", "VAULT_CLIENT_TIMEOUT": "2s"}
    args = ["vault"]
    if how == "env":
        env["VAULT_ADDR"] = url
    else:
        args += ["--address", url]
    result = run(tmp_path, *args, "audit", str(ESTATE), "-f", fmt, debug=debug, env=env)
    assert result.returncode == 3, result.stderr
    assert "127.0.0.1" in result.stderr  # the address is still shown, without credentials
    if debug:
        assert "Traceback" in result.stderr
    assert_clean(tmp_path, result)


class ChallengeServer:
    """A registry that answers every request 401 with a bearer challenge whose realm holds
    credentials and points at a closed port."""

    def __init__(self, realm: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(401)
                self.send_header(
                    "WWW-Authenticate", f'Bearer realm="{realm}",service="r",scope="s"'
                )
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def trust(tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    (tmp_path / "release.pub").write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    policy = tmp_path / "trust.yaml"
    policy.write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec:\n"
        "  authorities:\n    - {name: release, key: {path: release.pub}}\n"
        "  images:\n    - glob: '**'\n      authorities: [release]\n",
        encoding="utf-8",
    )
    return policy


def _pod(tmp: Path, image: str) -> Path:
    path = tmp / "pod.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        f"  - name: c\n    image: {json.dumps(image)}\n",
        encoding="utf-8",
    )
    return path


def _verify(tmp: Path, trust: Path, *extra: str, debug: bool) -> subprocess.CompletedProcess[str]:
    return run(
        tmp,
        "images",
        "verify",
        "pod.yaml",
        "-p",
        str(trust),
        "--timeout",
        "2",
        "--no-cache",
        *extra,
        debug=debug,
    )


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_registry_key_with_credentials_in_docker_config(
    tmp_path: Path, trust: Path, debug: bool, fmt: str
) -> None:
    port = closed_port()
    _pod(tmp_path, f"127.0.0.1:{port}/app:1")
    config = tmp_path / "config.json"
    server = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"
    # A malformed entry: the error names the entry, without its credentials.
    config.write_text(json.dumps({"auths": {server: {"auth": "!!"}}}), encoding="utf-8")
    bad = _verify(tmp_path, trust, "--docker-config", str(config), "-f", fmt, debug=debug)
    assert bad.returncode == 2, bad.stderr
    assert "127.0.0.1" in bad.stderr
    assert_clean(tmp_path, bad)
    # A usable entry: the registry at the closed port is unreachable.
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    config.write_text(json.dumps({"auths": {server: {"auth": auth}}}), encoding="utf-8")
    down = _verify(
        tmp_path,
        trust,
        "--docker-config",
        str(config),
        "--insecure-registry",
        f"127.0.0.1:{port}",
        "-f",
        fmt,
        debug=debug,
    )
    assert down.returncode in (1, 3), down.stderr
    assert_clean(tmp_path, down)


@pytest.fixture(params=["insecure", "https-only"])
def challenge(request: pytest.FixtureRequest) -> Iterator[tuple[ChallengeServer, bool]]:
    realm = f"http://{USER}:{PASSWORD}@127.0.0.1:{closed_port()}/token?token={TOKEN}"
    server = ChallengeServer(realm)
    try:
        yield server, request.param == "insecure"
    finally:
        server.stop()


@pytest.mark.parametrize("debug", [False, True])
def test_token_realm_with_credentials(
    tmp_path: Path, trust: Path, challenge: tuple[ChallengeServer, bool], debug: bool
) -> None:
    server, insecure = challenge
    _pod(tmp_path, f"{server.host}/app:1")
    extra = ["--insecure-registry", server.host] if insecure else []
    # A plain-HTTP registry may use an HTTP realm (then the closed port fails the token
    # request); an HTTPS-only one refuses the realm. Either way the realm is not printed whole.
    result = _verify(tmp_path, trust, *extra, "-f", "json", debug=debug)
    assert result.returncode in (1, 3), result.stderr
    if insecure:
        assert server.host in result.stdout + result.stderr
    assert_clean(tmp_path, result)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "image",
    [
        "http://{user}:{password}@127.0.0.1:{port}/app:1",
        "https://{password}@127.0.0.1:{port}/app@sha256:" + "a" * 64,
    ],
)
def test_image_reference_written_as_url_with_credentials(
    tmp_path: Path, trust: Path, image: str, debug: bool
) -> None:
    _pod(tmp_path, image.format(user=USER, password=PASSWORD, port=closed_port()))
    result = _verify(tmp_path, trust, "-f", "json", debug=debug)
    assert result.returncode in (1, 2, 3), result.stderr
    assert "is a URL" in result.stdout + result.stderr
    assert_clean(tmp_path, result)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "http://{user}:{password}@127.0.0.1:{port}",
        "http://{password}@127.0.0.1:{port}/",
        "http://127.0.0.1:{port}/?token={token}",
        "https://{user}:{password}@127.0.0.1:{port}/v1",
    ],
)
def test_opa_url_with_credentials(tmp_path: Path, url: str, debug: bool) -> None:
    module = tmp_path / "p.rego"
    module.write_text("package t\nimport rego.v1\nallow := true\n", encoding="utf-8")
    opa_url = url.format(user=USER, password=PASSWORD, token=TOKEN, port=closed_port())
    result = run(
        tmp_path,
        "policy",
        "eval",
        "data.t.allow",
        "-m",
        str(module),
        "--engine",
        "opa-server",
        "--opa-url",
        opa_url,
        debug=debug,
    )
    assert result.returncode == 2, result.stderr  # refused: not a plain http(s)://host:port
    assert "--opa-url" in result.stderr and "127.0.0.1" in result.stderr
    assert_clean(tmp_path, result)


def test_opa_server_unreachable_message_has_no_credentials(tmp_path: Path) -> None:
    """The accepted form against a closed port: exit 3, the URL shown as given."""
    module = tmp_path / "p.rego"
    module.write_text("package t\nimport rego.v1\nallow := true\n", encoding="utf-8")
    port = closed_port()
    result = run(
        tmp_path,
        "policy",
        "eval",
        "data.t.allow",
        "-m",
        str(module),
        "--engine",
        "opa-server",
        "--opa-url",
        f"http://127.0.0.1:{port}",
        debug=True,
    )
    assert result.returncode == 3, result.stderr
    assert_clean(tmp_path, result)
