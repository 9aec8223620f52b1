"""HTTP verification never sends a new secret to another origin, and a redirect is no proof.

Two real HTTP servers on 127.0.0.1 (two ports, so two origins): the declared URL answers with
every redirect status, to its own origin or to the other server; the other server answers 200
to anything. The new value must never reach the other server and a redirect never counts as
verified, also through a whole rotation against the Vault emulator (which then rolls back).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from seccli.core.clock import FixedClock
from seccli.core.redaction import Secret
from seccli.estate.model import SecretVerify
from seccli.secrets.client import VaultApi
from seccli.secrets.inventory import STATE_KEY
from seccli.secrets.rotation import Rotator
from seccli.secrets.verify import verify_http
from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault
from tests.secrets.conftest import small_estate

REDIRECTS = (301, 302, 303, 307, 308)
VALUE = "n3w-Secret-value-9Zq"


class Server:
    """A local HTTP server: ``routes`` maps a path to (status, Location); others answer 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.routes: dict[str, tuple[int, str | None]] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.requests.append((self.command, self.path, dict(self.headers.items())))
                status, location = owner.routes.get(self.path, (200, None))
                self.send_response(status)
                if location is not None:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def saw_value(self, value: str) -> bool:
        return any(value in str(headers) or value in path for _m, path, headers in self.requests)


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    first, second = Server(), Server()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def _spec(url: str, **extra: Any) -> SecretVerify:
    return SecretVerify.model_validate({"kind": "http", "url": url, "timeoutSeconds": 5, **extra})


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_cross_origin_redirect_is_never_followed(
    servers: tuple[Server, Server], status: int, allow: bool, method: str
) -> None:
    origin, other = servers
    origin.routes["/auth"] = (status, f"{other.url}/steal")
    result = verify_http(
        _spec(f"{origin.url}/auth", allowRedirects=allow, method=method), Secret(VALUE)
    )
    assert not result.ok
    assert str(status) in result.detail
    assert other.requests == []  # not even a request without the header
    assert origin.saw_value(VALUE)  # the declared URL was called with it
    assert VALUE not in result.detail


@pytest.mark.parametrize("status", REDIRECTS)
def test_same_origin_redirect_fails_unless_allowed(
    servers: tuple[Server, Server], status: int
) -> None:
    origin, _other = servers
    origin.routes["/auth"] = (status, "/auth/ok")  # relative: the same origin
    result = verify_http(_spec(f"{origin.url}/auth"), Secret(VALUE))
    assert not result.ok
    assert "not followed" in result.detail
    assert [path for _m, path, _h in origin.requests] == ["/auth"]


@pytest.mark.parametrize("status", REDIRECTS)
def test_allowed_same_origin_redirect_is_followed(
    servers: tuple[Server, Server], status: int
) -> None:
    origin, other = servers
    origin.routes["/auth"] = (status, f"{origin.url}/auth/ok")
    result = verify_http(
        _spec(f"{origin.url}/auth", allowRedirects=True, method="POST"), Secret(VALUE)
    )
    assert result.ok, result.detail
    assert [path for _m, path, _h in origin.requests] == ["/auth", "/auth/ok"]
    # 303 means "see other with GET"; 307/308 keep the method (301/302 too, as declared).
    assert origin.requests[1][0] == ("GET" if status == 303 else "POST")
    assert other.requests == []


def test_redirect_to_the_same_port_under_another_host_name_is_another_origin(
    servers: tuple[Server, Server],
) -> None:
    origin, _other = servers
    origin.routes["/auth"] = (302, f"http://localhost:{origin.port}/auth/ok")
    result = verify_http(_spec(f"{origin.url}/auth", allowRedirects=True), Secret(VALUE))
    assert not result.ok
    assert "another origin" in result.detail
    assert [path for _m, path, _h in origin.requests] == ["/auth"]


def test_redirect_chain_leaving_the_origin_later_is_stopped(
    servers: tuple[Server, Server],
) -> None:
    origin, other = servers
    origin.routes["/auth"] = (307, "/step")
    origin.routes["/step"] = (308, f"{other.url}/steal")
    result = verify_http(_spec(f"{origin.url}/auth", allowRedirects=True), Secret(VALUE))
    assert not result.ok
    assert other.requests == []


def test_redirect_loop_and_missing_location_fail(servers: tuple[Server, Server]) -> None:
    origin, _other = servers
    origin.routes["/loop"] = (302, "/loop")
    looped = verify_http(_spec(f"{origin.url}/loop", allowRedirects=True), Secret(VALUE))
    assert not looped.ok and "too many redirects" in looped.detail
    origin.routes["/nowhere"] = (302, None)
    nowhere = verify_http(_spec(f"{origin.url}/nowhere", allowRedirects=True), Secret(VALUE))
    assert not nowhere.ok


def test_expected_redirect_status_is_judged_not_followed(
    servers: tuple[Server, Server],
) -> None:
    origin, other = servers
    origin.routes["/auth"] = (302, f"{other.url}/steal")
    result = verify_http(_spec(f"{origin.url}/auth", expectStatus=[302]), Secret(VALUE))
    assert result.ok
    assert other.requests == []


def test_credentials_in_the_verification_url_are_not_in_the_detail(
    servers: tuple[Server, Server],
) -> None:
    origin, other = servers
    origin.routes["/auth"] = (302, f"http://u:t0psecret@127.0.0.1:{other.port}/x?token=abc123")
    url = f"http://admin:hunter22@127.0.0.1:{origin.port}/auth?access_token=zz9"
    result = verify_http(_spec(url), Secret(VALUE))
    assert not result.ok
    for leaked in ("hunter22", "admin:", "t0psecret", "abc123", "zz9"):
        assert leaked not in result.detail


@pytest.mark.parametrize("status", REDIRECTS)
def test_rotation_with_a_redirecting_verification_rolls_back(
    servers: tuple[Server, Server],
    vault: FakeVault,
    api: VaultApi,
    store: SqliteStore,
    status: int,
) -> None:
    from datetime import timedelta

    origin, other = servers
    origin.routes["/auth"] = (status, f"{other.url}/ok")
    path = "kv/shop/app"
    old = {"username": "svc-app", "password": "old-password-123"}
    vault.put_kv(path, dict(old), created=vault.now - timedelta(days=100))
    estate = small_estate(
        {
            "path": path,
            "generator": {"kind": "password", "key": "password", "length": 24},
            "verify": {"kind": "http", "url": f"{origin.url}/auth", "allowRedirects": True},
        }
    )
    rotator = Rotator(api=api, audit=store, actor="tester", clock=FixedClock(vault.now))
    [outcome] = rotator.rotate_estate(estate)
    assert outcome.action == "rolled-back" and outcome.failed, outcome
    assert vault.kv_value(path) == old
    secret = vault.kv_secret(path)
    assert secret is not None and (secret.custom_metadata or {})[STATE_KEY] == "rolled-back"
    # The new value went to the declared origin only.
    sent = [h.get("Authorization", "") for _m, _p, h in origin.requests]
    assert sent and all(value.startswith("Bearer ") and len(value) > 20 for value in sent)
    assert other.requests == []
    actions = [entry.action for entry in store.audit_entries()]
    assert "vault.rotate.verified" not in actions
    assert "vault.rotate.verify-failed" in actions
