"""The OCI client: bearer-token and basic auth, Docker config, digests, referrers fallback."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from seccli.core.redaction import Secret
from seccli.supplychain.registry import (
    Credentials,
    RegistryClient,
    RegistryError,
    RegistryOptions,
    fallback_tag,
    load_docker_config,
    parse_challenge,
)
from tests.supplychain.conftest import push_image
from tests.supplychain.fake_registry import FakeRegistry


@pytest.fixture()
def auth_registry() -> FakeRegistry:
    fake = FakeRegistry("auth")
    yield fake  # type: ignore[misc]
    fake.stop()


def test_bearer_token_flow_with_basic_credentials_caches_the_token(
    auth_registry: FakeRegistry,
) -> None:
    creds = {
        auth_registry.host: Credentials(auth_registry.username, Secret(auth_registry.password))
    }
    options = RegistryOptions(
        insecure=frozenset({auth_registry.host}), credentials=creds, timeout=2
    )
    with RegistryClient(options) as client:
        first = client.get_manifest(auth_registry.host, "app", "1")
        second = client.get_manifest(auth_registry.host, "app", "2")
    assert first.digest == second.digest
    token_requests = [r for r in auth_registry.requests if r[1].startswith("/token")]
    assert len(token_requests) == 1
    assert "scope=repository%3Aapp%3Apull" in token_requests[0][1]
    assert "service=fake" in token_requests[0][1]


def test_wrong_or_missing_credentials_fail_without_leaking_the_password(
    auth_registry: FakeRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "not-the-password-" + "z" * 8
    creds = {auth_registry.host: Credentials(auth_registry.username, Secret(secret))}
    options = RegistryOptions(
        insecure=frozenset({auth_registry.host}), credentials=creds, timeout=2
    )
    with RegistryClient(options) as client, pytest.raises(RegistryError) as caught:
        client.get_manifest(auth_registry.host, "app", "1")
    assert "token service answered HTTP 401" in str(caught.value)
    assert secret not in str(caught.value) and secret not in caplog.text
    assert secret not in repr(creds)
    anonymous = RegistryOptions(insecure=frozenset({auth_registry.host}), timeout=2)
    with RegistryClient(anonymous) as anon, pytest.raises(RegistryError):
        anon.get_manifest(auth_registry.host, "app", "1")


def test_token_realm_must_be_https_unless_the_registry_is_insecure() -> None:
    fake = FakeRegistry("auth")
    try:
        # reached over plain HTTP only because it is named insecure; a realm on another
        # registry's behalf over HTTP is refused
        options = RegistryOptions(insecure=frozenset(), timeout=1, retries=0)
        client = RegistryClient(options)
        with pytest.raises(RegistryError):
            client._authenticate(
                "registry.example", f'Bearer realm="http://{fake.host}/token"', "s"
            )
    finally:
        fake.stop()


def test_docker_config_credentials(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    encoded = base64.b64encode(b"robot:pa:ss").decode()
    config.write_text(
        json.dumps(
            {
                "auths": {
                    "https://index.docker.io/v1/": {"auth": encoded},
                    "ghcr.io": {"username": "u", "password": "p"},
                    "broken.example": {"identitytoken": "x"},
                }
            }
        )
    )
    creds = load_docker_config(config)
    assert creds["docker.io"].username == "robot"
    assert creds["docker.io"].password.reveal() == "pa:ss"
    assert creds["ghcr.io"].password.reveal() == "p"
    assert "broken.example" not in creds
    assert load_docker_config(tmp_path / "missing.json") == {}
    config.write_text('{"auths": {"x": {"auth": "%%%"}}}')
    with pytest.raises(Exception, match="not base64"):
        load_docker_config(config)


def test_challenge_parsing_and_fallback_tag() -> None:
    scheme, params = parse_challenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"'
    )
    assert scheme == "bearer"
    assert params == {
        "realm": "https://auth.example/token",
        "service": "registry.example",
        "scope": "repository:a/b:pull",
    }
    assert fallback_tag("sha256:" + "ab" * 32) == "sha256-" + "ab" * 32


def test_real_registry_digests_blobs_and_referrers_fallback(
    client: RegistryClient, registry: str
) -> None:
    ref = push_image(client, registry, "client/app")
    assert ref.digest is not None
    by_tag = client.get_manifest(registry, "client/app", "v1")
    assert by_tag.digest == ref.digest
    with pytest.raises(RegistryError, match="manifest not found"):
        client.get_manifest(registry, "client/app", "nope")
    with pytest.raises(RegistryError, match="blob not found"):
        client.get_blob(registry, "client/app", "sha256:" + "0" * 64)
    assert client.referrers(registry, "client/app", ref.digest) == []
    assert registry in client._no_referrers_api  # docker-registry 2.8 has no referrers API
    assert "v1" in client.tags(registry, "client/app")


def test_real_registry_with_bearer_token_auth(tmp_path: Path, keys: dict[str, Any]) -> None:
    """docker-registry with `auth: token`: push, sign and verify through real bearer tokens."""
    from seccli.supplychain.cosign import verify_cosign_signatures
    from seccli.supplychain.keys import load_public_key_file
    from seccli.supplychain.signing import sign_image
    from tests.supplychain.registry_server import RegistryServer
    from tests.supplychain.token_server import TokenServer

    password = "token-pass-" + "w" * 10
    tokens = TokenServer(tmp_path, "ci", password)
    try:
        try:
            server = RegistryServer(tmp_path / "reg", tokens.registry_config())
        except FileNotFoundError:
            pytest.skip("docker-registry is not installed")
        try:
            host = server.host
            creds = {host: Credentials("ci", Secret(password))}
            options = RegistryOptions(insecure=frozenset({host}), credentials=creds, timeout=5)
            with RegistryClient(options) as client:
                ref = push_image(client, host, "secure/app")
                sign_image(client, ref, keys["release"][0])
                release = load_public_key_file(keys["release"][2], "release")
                checks = verify_cosign_signatures(
                    client, host, "secure/app", ref.digest or "", [release]
                )
                assert [c.ok for c in checks] == [True]
            assert tokens.issued >= 2  # a push scope and a pull scope at least
            anonymous = RegistryOptions(insecure=frozenset({host}), timeout=5)
            with RegistryClient(anonymous) as anon, pytest.raises(RegistryError) as caught:
                anon.get_manifest(host, "secure/app", "v1")
            assert "401" in str(caught.value)
        finally:
            server.stop()
    finally:
        tokens.stop()


def test_referrers_api_when_the_registry_has_it() -> None:
    fake = FakeRegistry("referrers")
    try:
        options = RegistryOptions(insecure=frozenset({fake.host}), timeout=2)
        with RegistryClient(options) as client:
            digest = "sha256:" + "a" * 64
            found = client.referrers(fake.host, "app", digest)
            bundles = client.referrers(
                fake.host, "app", digest, "application/vnd.dev.sigstore.bundle.v0.3+json"
            )
        assert [d.digest for d in found] == ["sha256:" + "b" * 64, "sha256:" + "c" * 64]
        assert [d.digest for d in bundles] == ["sha256:" + "b" * 64]
        assert fake.host not in client._no_referrers_api
        paths = [path for _, path, _ in fake.requests]
        assert any("artifactType=application" in p for p in paths)
        assert not any(p.endswith("/manifests/sha256-" + "a" * 64) for p in paths)
    finally:
        fake.stop()


def test_non_sha256_digests_are_refused(client: RegistryClient, registry: str) -> None:
    with pytest.raises(RegistryError, match="only sha256"):
        client.get_manifest(registry, "client/app", "sha512:" + "a" * 128)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("lying", "Docker-Content-Digest disagrees with the content"),
        ("huge", "response larger than"),
        ("garbage", "manifest is not JSON"),
    ],
)
def test_untrustworthy_answers_are_errors(mode: str, message: str) -> None:
    fake = FakeRegistry(mode)
    try:
        options = RegistryOptions(insecure=frozenset({fake.host}), timeout=2, retries=0)
        with RegistryClient(options) as client, pytest.raises(RegistryError, match=message):
            client.get_manifest(fake.host, "app", "1")
    finally:
        fake.stop()


def test_redirect_from_https_to_http_is_refused_and_credentials_not_forwarded() -> None:
    class Answer:
        def __init__(self, status: int, headers: dict[str, str]) -> None:
            self.status, self.headers = status, headers
            self.body = b"{}"

        def read(self, *_: object, **__: object) -> bytes:
            body, self.body = self.body, b""
            return body

        def close(self) -> None:
            return

        def release_conn(self) -> None:
            return

    class Pool:
        def __init__(self, answers: list[Answer]) -> None:
            self.answers = answers
            self.calls: list[tuple[str, dict[str, str]]] = []

        def request(self, method: str, url: str, headers: dict[str, str], **_: object) -> Answer:
            self.calls.append((url, dict(headers)))
            return self.answers.pop(0)

        def clear(self) -> None:
            return

    client = RegistryClient(RegistryOptions(timeout=1, retries=0))
    client._pool = Pool([Answer(307, {"Location": "http://evil.example/blob"})])  # type: ignore[assignment]
    with pytest.raises(RegistryError, match="refusing a redirect to plain HTTP"):
        client._send("GET", "https://registry.example/v2/a/blobs/x", {}, None, 100)
    pool = Pool([Answer(307, {"Location": "https://storage.example/blob"}), Answer(200, {})])
    client._pool = pool  # type: ignore[assignment]
    client._send(
        "GET", "https://registry.example/v2/a/blobs/x", {"Authorization": "Bearer t"}, None, 100
    )
    assert pool.calls[0][1] == {"Authorization": "Bearer t"}
    assert pool.calls[1][0] == "https://storage.example/blob"
    assert "Authorization" not in pool.calls[1][1]
    loop = Pool([Answer(302, {"Location": "https://registry.example/again"}) for _ in range(10)])
    client._pool = loop  # type: ignore[assignment]
    with pytest.raises(RegistryError, match="too many redirects"):
        client._send("GET", "https://registry.example/v2/", {}, None, 100)
