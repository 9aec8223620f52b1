"""When the registry fails: exit 3 (still a denial), reasons decided without it said first,
a hint for TLS against plain HTTP; and the shipped example trust policy."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from seccli.supplychain.policy import load_trust_policy
from seccli.supplychain.registry import RegistryClient
from tests.capture import run_main as run
from tests.supplychain.conftest import push_image

ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "ab" * 32


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SECCLI_CACHE_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    from seccli.supplychain.keys import generate_key_pair

    _, public = generate_key_pair()
    (tmp_path / "k.pub").write_bytes(public)
    return tmp_path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Plain(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def plain_http() -> Iterator[str]:
    """A plain-HTTP server that a TLS client reaches (OpenSSL: WRONG_VERSION_NUMBER)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_case(
    env: Path, image: str, *, require_digest: bool = False, mode: str = "enforce"
) -> None:
    (env / "pod.yaml").write_text(
        f"kind: Pod\nspec:\n  containers:\n    - {{name: a, image: '{image}'}}\n"
    )
    (env / "trust.yaml").write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec:\n"
        f"  requireDigest: {str(require_digest).lower()}\n"
        "  authorities:\n    - {name: release, key: {path: k.pub}}\n"
        f"  images:\n    - {{glob: '**', authorities: [release], mode: {mode}}}\n"
    )


def verify(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, object], str]:
    code, out, err = run(
        capsys,
        "images",
        "verify",
        "pod.yaml",
        "--policy",
        "trust.yaml",
        "--timeout",
        "2",
        "--format",
        "json",
        *extra,
    )
    return code, json.loads(out), err


@pytest.mark.parametrize(
    "host",
    ["refused", "refused-insecure", "registry.nowhere.invalid"],
)
def test_an_unreachable_registry_is_exit_3_and_a_block(
    env: Path, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    extra: list[str] = []
    if host.startswith("refused"):
        port = closed_port()
        name = f"127.0.0.1:{port}"
        if host == "refused-insecure":
            extra = ["--insecure-registry", name]
    else:
        name = host
    for reference in (f"{name}/app/web:v1", f"{name}/app/web@{DIGEST}"):
        write_case(env, reference)
        code, report, _ = verify(capsys, *extra)
        assert code == 3
        (image,) = report["images"]  # type: ignore[misc]
        assert image["verdict"] == "block" and image["dependencyFailure"] is True
        assert image["reasons"][0].startswith("registry: ")
        assert report["summary"] == {"pass": 0, "warn": 0, "block": 1}


@pytest.mark.parametrize("how", ["policy", "flag"])
def test_a_verdict_decided_without_the_registry_is_said_first(
    env: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    port = closed_port()
    write_case(env, f"127.0.0.1:{port}/app/web:v1", require_digest=how == "policy")
    extra = ["--insecure-registry", f"127.0.0.1:{port}"]
    if how == "flag":
        extra.append("--require-digest")
    code, report, _ = verify(capsys, *extra)
    assert code == 3
    reasons = report["images"][0]["reasons"]  # type: ignore[index]
    assert reasons[0].startswith("not pinned by digest")
    assert "whatever the registry answers" in reasons[0]
    assert reasons[1].startswith("registry: ")
    # Pinned by digest: nothing is decided without the registry.
    write_case(env, f"127.0.0.1:{port}/app/web@{DIGEST}", require_digest=True)
    code, report, _ = verify(capsys, *extra)
    reasons = report["images"][0]["reasons"]  # type: ignore[index]
    assert code == 3 and len(reasons) == 1 and reasons[0].startswith("registry: ")
    code, out, _ = run(capsys, "images", "verify", "pod.yaml", "--policy", "trust.yaml", *extra)
    assert code == 3 and "BLOCK" in out


def test_a_reachable_registry_with_a_tag_keeps_the_resolved_digest_message(
    env: Path, capsys: pytest.CaptureFixture[str], client: RegistryClient, registry: str
) -> None:
    pushed = push_image(client, registry, "deps/tagged")
    write_case(env, f"{registry}/deps/tagged:v1", require_digest=True)
    code, report, _ = verify(capsys, "--insecure-registry", registry)
    reasons = report["images"][0]["reasons"]  # type: ignore[index]
    assert code == 1
    assert reasons[0] == f"not pinned by digest (tag v1 resolved to {pushed.digest})"


def test_tls_against_plain_http_hints_at_insecure_registry(
    env: Path, capsys: pytest.CaptureFixture[str], plain_http: str
) -> None:
    write_case(env, f"{plain_http}/app/web@{DIGEST}")
    code, report, _ = verify(capsys)
    reason = report["images"][0]["reasons"][0]  # type: ignore[index]
    assert code == 3
    assert f"pass --insecure-registry {plain_http}" in reason
    # Plain HTTP asked for: no TLS, so no hint (the server answers 404: not found, exit 1).
    code, report, _ = verify(capsys, "--insecure-registry", plain_http)
    reason = report["images"][0]["reasons"][0]  # type: ignore[index]
    assert "--insecure-registry" not in reason and code == 1
    # A refused connection is not a TLS mismatch: no hint either.
    write_case(env, f"127.0.0.1:{closed_port()}/app/web@{DIGEST}")
    code, report, _ = verify(capsys)
    reason = report["images"][0]["reasons"][0]  # type: ignore[index]
    assert code == 3 and "--insecure-registry" not in reason


def test_the_example_trust_policy_loads_with_the_real_loader() -> None:
    path = ROOT / "examples" / "claytom" / "trust-policy.yaml"
    policy = load_trust_policy(path)
    assert policy.name == "claytom-production" and policy.require_digest
    holding = policy.rule_for("registry.claytom.systems/holding/api-gateway")
    other = policy.rule_for("registry.claytom.systems/shop/web")
    assert holding is not None and holding.all_platforms and len(holding.attestations) == 2
    assert other is not None and other.mode.value == "warn"
    assert policy.rule_for("docker.io/library/nginx") is None
    text = path.read_text()
    assert text.count("\n#") + text.count("  #") >= 10  # commented for readers
    readme = (ROOT / "README.md").read_text()
    assert "examples/claytom/trust-policy.yaml" in readme
