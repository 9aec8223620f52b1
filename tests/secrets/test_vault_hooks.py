"""Plug-in generator hook and the HTTP/command verifiers (values never in their details)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from seccli.core.errors import DependencyError
from seccli.core.redaction import Secret
from seccli.estate.model import SecretGenerator, SecretVerify
from seccli.secrets.generators import generate_with_command
from seccli.secrets.verify import verify_command, verify_http

GOOD = "good-token-value-123"


@pytest.fixture
def checker() -> Iterator[str]:
    """A provider endpoint accepting only ``Bearer good-token-value-123``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            ok = self.headers.get("Authorization") == f"Bearer {GOOD}"
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ping"
    finally:
        server.shutdown()
        server.server_close()


def test_http_verifier(checker: str) -> None:
    spec = SecretVerify(kind="http", url=checker)
    assert verify_http(spec, Secret(GOOD)).ok
    bad = verify_http(spec, Secret("wrong-token-value-456"))
    assert not bad.ok and "401" in bad.detail and "wrong-token" not in bad.detail
    down = verify_http(
        SecretVerify(kind="http", url="http://127.0.0.1:9/x", timeout_seconds=2), Secret(GOOD)
    )
    assert not down.ok and GOOD not in down.detail


def test_command_verifier_gets_the_value_in_the_environment() -> None:
    spec = SecretVerify(
        kind="command", command=("sh", "-c", f'test "$SECCLI_SECRET_VALUE" = {GOOD}')
    )
    assert verify_command(spec, Secret(GOOD)).ok
    result = verify_command(spec, Secret("other-value-789"))
    assert not result.ok and result.detail == "sh exited 1"
    missing = verify_command(
        SecretVerify(kind="command", command=("/nonexistent/x",)), Secret(GOOD)
    )
    assert not missing.ok


def test_generator_hook_reads_stdout() -> None:
    value = generate_with_command(
        SecretGenerator(kind="command", command=("sh", "-c", "echo provider-made-key-42"))
    )
    assert value.reveal() == "provider-made-key-42" and str(value) == "***REDACTED***"
    with pytest.raises(DependencyError, match="failed") as info:
        generate_with_command(
            SecretGenerator(kind="command", command=("sh", "-c", "echo leaked-maybe; exit 4"))
        )
    assert "leaked-maybe" not in str(info.value)
    with pytest.raises(DependencyError):
        generate_with_command(SecretGenerator(kind="command", command=("/nonexistent/hook",)))
