"""``images verify`` end to end: nothing to judge is exit 2 (0 only with --allow-empty), and a
tampered cache or an unusable cache key is reported and never turns into a pass."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from seccli.supplychain.registry import RegistryClient
from seccli.supplychain.signing import sign_image
from tests.capture import run_main as run
from tests.supplychain.conftest import push_image
from tests.supplychain.test_gate import write_policy


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keys: Any) -> Path:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SECCLI_CACHE_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    write_policy(tmp_path, "registry.invalid", keys["release"][2])
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "comments.yaml").write_text("# only a comment\n---\n...\n")
    (tmp_path / "config.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("image: nginx\n")
    (tmp_path / "pod.yaml").write_text(
        "kind: Pod\nspec:\n  containers: [{name: a, image: 'elsewhere.example/app:1'}]\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("inputs", "reason"),
    [
        (["empty.yaml"], "empty.yaml: empty"),
        (["comments.yaml"], "comments.yaml: empty"),
        (["config.yaml"], "config.yaml: 1 document(s), no image references"),
        (["notes"], "notes: no manifests, Dockerfiles or kustomizations found"),
        (["/dev/null"], "/dev/null"),
        (["pod.yaml", "empty.yaml"], "empty.yaml: empty"),  # one empty input is enough
    ],
)
def test_nothing_to_judge_is_exit_2_and_writes_nothing(
    env: Path, capsys: pytest.CaptureFixture[str], inputs: list[str], reason: str
) -> None:
    code, out, err = run(capsys, "images", "verify", *inputs, "--policy", "trust.yaml")
    assert code == 2, out + err
    assert reason in err and "Traceback" not in err
    assert not (env / "state.db").exists()


def test_empty_stdin_is_nothing_to_judge(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stdin:
        buffer = io.BytesIO(b"")

    monkeypatch.setattr("sys.stdin", Stdin())
    code, _, err = run(capsys, "images", "verify", "-", "--policy", "trust.yaml")
    assert code == 2 and "<stdin>: empty" in err


def test_allow_empty_passes_only_explicitly(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "images", "verify", "empty.yaml", "notes", "--policy", "trust.yaml", "--allow-empty"
    )
    assert code == 0
    assert "nothing was verified; exit 0 only because of --allow-empty" in out
    assert "warning: " in err and "allowed by --allow-empty" in err
    code, out, _ = run(
        capsys,
        "images",
        "verify",
        "config.yaml",
        "--policy",
        "trust.yaml",
        "--allow-empty",
        "--format",
        "json",
    )
    report = json.loads(out)
    assert code == 0 and report["images"] == []
    assert report["notes"] == [
        f"{Path('config.yaml')}: 1 document(s), no image references (allowed by --allow-empty)"
    ]
    # --allow-empty excuses the empty input, never a blocked image in another
    code, out, err = run(
        capsys,
        "images",
        "verify",
        "pod.yaml",
        "empty.yaml",
        "--policy",
        "trust.yaml",
        "--allow-empty",
    )
    assert code == 1 and "no trust policy rule matches" in out and "empty.yaml" in err


def _verify_json(
    capsys: pytest.CaptureFixture[str], registry: str, *inputs: str
) -> tuple[int, dict[str, Any], str]:
    code, out, err = run(
        capsys,
        "images",
        "verify",
        *inputs,
        "--policy",
        "trust.yaml",
        "--insecure-registry",
        registry,
        "--format",
        "json",
    )
    return code, json.loads(out), err


def test_a_tampered_cache_or_unusable_key_never_passes_an_unsigned_image(
    env: Path,
    capsys: pytest.CaptureFixture[str],
    client: RegistryClient,
    registry: str,
    keys: Any,
) -> None:
    write_policy(env, registry, keys["release"][2])
    signed = push_image(client, registry, "cliauth/app", tag="signed")
    unsigned = push_image(client, registry, "cliauth/app", tag="unsigned")
    sign_image(client, signed, keys["release"][0])
    (env / "signed.yaml").write_text(
        f"kind: Pod\nspec:\n  containers: [{{name: a, image: '{signed}'}}]\n"
    )
    (env / "unsigned.yaml").write_text(
        f"kind: Pod\nspec:\n  containers: [{{name: a, image: '{unsigned}'}}]\n"
    )
    code, report, _ = _verify_json(capsys, registry, "signed.yaml")
    assert code == 0 and report["images"][0]["cached"] is False
    key = env / "config" / "seccli" / "verification-cache.key"
    assert key.stat().st_mode & 0o777 == 0o600
    code, report, _ = _verify_json(capsys, registry, "signed.yaml")
    assert code == 0 and report["images"][0]["cached"] is True

    # a PR job copies the signed image's row onto the unsigned image
    with sqlite3.connect(env / "state.db") as conn:
        conn.execute(
            "INSERT INTO verification_cache SELECT image, ?, policy_digest, verified_at, "
            "expires_at, result FROM verification_cache",
            (unsigned.digest,),
        )
    code, report, _ = _verify_json(capsys, registry, "unsigned.yaml")
    assert code == 1
    image = report["images"][0]
    assert image["verdict"] == "block" and image["cached"] is False
    assert any("failed authentication" in note for note in image["notes"])
    code, out, err = run(
        capsys,
        "images",
        "verify",
        "unsigned.yaml",
        "--policy",
        "trust.yaml",
        "--insecure-registry",
        registry,
    )
    assert code == 1 and "BLOCK" in out and "warning: cache entry" in out + err

    # a key open to others is refused: no cache at all, said so, and still judged
    key.chmod(0o644)
    code, report, _ = _verify_json(capsys, registry, "signed.yaml")
    assert code == 0 and report["images"][0]["cached"] is False
    assert any("verification cache not used" in note for note in report["notes"])
    code, report, _ = _verify_json(capsys, registry, "unsigned.yaml")
    assert code == 1
    key.chmod(0o600)
    key.unlink()  # a lost key: a new one, and every old entry is ignored
    code, report, _ = _verify_json(capsys, registry, "signed.yaml")
    assert code == 0 and report["images"][0]["cached"] is False
    code, report, _ = _verify_json(capsys, registry, "unsigned.yaml")
    assert code == 1 and report["images"][0]["verdict"] == "block"
