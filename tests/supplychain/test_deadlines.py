"""Deadlines hold against a hostile registry: trickled headers and bodies, huge declared
bodies, indexes with thousands of platforms. The gate finishes within a small factor of its
deadlines and denies."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from seccli.core.imageref import parse_image_ref
from seccli.supplychain.deadlines import overall_deadline, overall_remaining
from seccli.supplychain.registry import RegistryClient, RegistryError, RegistryOptions
from seccli.supplychain.signing import sign_image
from seccli.supplychain.verify import Gate, Verdict
from tests.capture import run_main as run_cli
from tests.supplychain.conftest import push_image, push_index
from tests.supplychain.test_gate import write_policy
from tests.supplychain.trickle_server import TrickleServer


def options(host: str, timeout: float, retries: int = 1) -> RegistryOptions:
    return RegistryOptions(
        insecure=frozenset({host}), timeout=timeout, retries=retries, backoff=0.05
    )


def no_timers_left() -> bool:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("mode", ["headers", "body", "body-unsized"])
def test_each_request_has_a_deadline_for_its_whole_answer(mode: str) -> None:
    with (
        TrickleServer(mode, interval=0.05) as server,
        RegistryClient(options(server.host, 0.5, retries=1)) as client,
    ):
        started = time.monotonic()
        with pytest.raises(RegistryError, match=r"timed out after 0\.5 s"):
            client.get_manifest(server.host, "app", "1")
        elapsed = time.monotonic() - started
    assert elapsed < 0.5 * 2 + 0.8, elapsed  # two attempts and a back-off, not the trickle
    assert len(server.requests) == 2
    assert no_timers_left()


def test_a_declared_huge_body_is_refused_without_reading() -> None:
    with (
        TrickleServer("declared-huge", interval=0.05) as server,
        RegistryClient(options(server.host, 5)) as client,
    ):
        started = time.monotonic()
        with pytest.raises(RegistryError, match="larger than"):
            client.get_manifest(server.host, "app", "1")
        assert time.monotonic() - started < 1


def test_the_overall_deadline_bounds_every_attempt_and_back_off() -> None:
    with (
        TrickleServer("body", interval=0.05) as server,
        RegistryClient(options(server.host, 10, retries=5)) as client,
    ):
        started = time.monotonic()
        with overall_deadline(0.6), pytest.raises(RegistryError, match="overall deadline"):
            client.get_manifest(server.host, "app", "1")
        assert time.monotonic() - started < 1.2
        with overall_deadline(0.0), pytest.raises(RegistryError, match="overall deadline"):
            client.get_manifest(server.host, "app", "2")  # no request at all once passed
    assert len(server.requests) == 1


def test_overall_deadlines_nest_and_keep_the_earlier_one() -> None:
    assert overall_remaining() is None
    with overall_deadline(5):
        with overall_deadline(60):
            left = overall_remaining()
            assert left is not None and left <= 5
        with overall_deadline(None):
            left = overall_remaining()
            assert left is not None and left <= 5
    assert overall_remaining() is None


@pytest.mark.parametrize("mode", ["headers", "body", "body-unsized"])
def test_the_gate_denies_an_image_past_its_deadline(mode: str, keys: Any, tmp_path: Path) -> None:
    with (
        TrickleServer(mode, interval=0.05) as server,
        RegistryClient(options(server.host, 10, retries=2)) as client,
    ):
        policy = write_policy(tmp_path, server.host, keys["release"][2])
        gate = Gate(policy, client, image_timeout=1.0)
        started = time.monotonic()
        verdict = gate.verify(parse_image_ref(f"{server.host}/app:1"))
        elapsed = time.monotonic() - started
    assert verdict.verdict is Verdict.BLOCK and verdict.dependency_failure
    assert "no verdict within 1 s" in verdict.reasons[0]
    assert elapsed < 2.0, elapsed


def platform_rule(host: str) -> list[dict[str, Any]]:
    return [{"glob": f"{host}/**", "authorities": ["release"], "platforms": "all"}]


@pytest.mark.parametrize("platforms", [5000, 65, 15_000])
def test_an_index_over_the_platform_cap_is_denied_unread(
    platforms: int, keys: Any, tmp_path: Path
) -> None:
    with (
        TrickleServer("index", platforms=platforms) as server,
        RegistryClient(options(server.host, 2)) as client,
    ):
        policy = write_policy(
            tmp_path, server.host, keys["release"][2], rules=platform_rule(server.host)
        )
        started = time.monotonic()
        verdict = Gate(policy, client).verify(parse_image_ref(f"{server.host}/app:1"))
        elapsed = time.monotonic() - started
    assert verdict.verdict is Verdict.BLOCK and not verdict.dependency_failure
    assert (
        f"index lists {platforms:,} platform manifests, over the limit of 64"
        in (verdict.reasons[0])
    )
    assert server.requests == ["/v2/app/manifests/1"]  # nothing else fetched
    assert elapsed < 2


def test_an_unsigned_index_under_the_cap_is_not_walked(keys: Any, tmp_path: Path) -> None:
    with (
        TrickleServer("index", platforms=60) as server,
        RegistryClient(options(server.host, 2)) as client,
    ):
        policy = write_policy(
            tmp_path, server.host, keys["release"][2], rules=platform_rule(server.host)
        )
        verdict = Gate(policy, client).verify(parse_image_ref(f"{server.host}/app:1"))
        index_entries = json.loads(server.index)["manifests"]
    assert verdict.verdict is Verdict.BLOCK
    assert "not signed by a trusted authority" in verdict.reasons[0]
    platform_digests = {entry["digest"].split(":")[1] for entry in index_entries}
    assert not [p for p in server.requests if any(d in p for d in platform_digests)]
    assert len(server.requests) <= 4


def test_a_signed_index_walk_stops_at_the_first_unsigned_platform(
    client: RegistryClient, registry: str, keys: Any, tmp_path: Path
) -> None:
    release = keys["release"][0]
    platforms = [push_image(client, registry, "capped/app", tag=f"p{n}") for n in range(3)]
    index = push_index(client, registry, "capped/app", platforms, tag="multi")
    sign_image(client, index, release)
    policy = write_policy(tmp_path, registry, keys["release"][2], rules=platform_rule(registry))
    verdict = Gate(policy, client).verify(index)
    assert verdict.verdict is Verdict.BLOCK
    assert "platform manifest linux/amd64 is not signed (2 more not checked)" in verdict.reasons
    capped = Gate(policy, client, max_platforms=2).verify(index)
    assert capped.verdict is Verdict.BLOCK
    assert "index lists 3 platform manifests, over the limit of 2" in capped.reasons[0]
    for platform in platforms:
        sign_image(client, platform, release)
    assert Gate(policy, client).verify(index).verdict is Verdict.PASS
    assert Gate(policy, client, max_platforms=3).verify(index).verdict is Verdict.PASS


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("SECCLI_CACHE_KEY", str(tmp_path / "cache.key"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("mode", ["headers", "body"])
def test_images_verify_times_out_as_a_denial_with_exit_3(
    mode: str, cli_env: Path, capsys: pytest.CaptureFixture[str], keys: Any
) -> None:
    with TrickleServer(mode, interval=0.2) as server:
        write_policy(cli_env, server.host, keys["release"][2])
        (cli_env / "pods.yaml").write_text(
            "".join(
                "---\nkind: Pod\nspec:\n"
                f"  containers: [{{name: a, image: '{server.host}/a{n}:1'}}]\n"
                for n in range(3)
            )
        )
        started = time.monotonic()
        code, out, err = run_cli(
            capsys,
            "images",
            "verify",
            "pods.yaml",
            "--policy",
            "trust.yaml",
            "--insecure-registry",
            server.host,
            "--timeout",
            "2",
            "--image-timeout",
            "3",
            "--format",
            "json",
        )
        elapsed = time.monotonic() - started
    assert code == 3, out + err
    report = json.loads(out)
    assert report["summary"]["block"] == 3
    assert all(image["dependencyFailure"] for image in report["images"])
    assert all("timed out" in image["reasons"][0] for image in report["images"])
    assert elapsed < 3 * 2, elapsed  # the images run in parallel, each within its deadline
