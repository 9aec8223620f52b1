"""The supply-chain commands end to end (in process): exit codes, formats, no secrets shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seccli.supplychain.registry import RegistryClient
from tests.capture import run_main as run
from tests.supplychain.conftest import SHARED, SIGSTORE, push_image

PASSWORD = "correct-horse-battery-" + "q" * 6


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("SECCLI_STORE", str(tmp_path / "state.db"))
    monkeypatch.setenv("SECCLI_ACTOR", "tester")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("SECCLI_KEY_PASSWORD", PASSWORD)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SECCLI_CACHE_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_images_list_json(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "pod.yaml").write_text(
        "kind: Pod\nspec:\n  containers:\n    - {name: a, image: nginx}\n"
    )
    code, out, _ = run(capsys, "images", "list", "pod.yaml", "--format", "json")
    assert code == 0
    image = json.loads(out)["images"][0]
    assert image["normalised"] == "docker.io/library/nginx:latest"
    assert image["line"] == 4 and image["pinned"] is False
    code, _, err = run(capsys, "images", "list", "missing.yaml")
    assert code == 2 and "missing.yaml" in err and "Traceback" not in err


def test_keys_sign_attest_verify_end_to_end(
    env: Path, capsys: pytest.CaptureFixture[str], client: RegistryClient, registry: str
) -> None:
    code, out, _ = run(capsys, "keys", "generate", "--output-key-prefix", "release")
    assert code == 0 and "encrypted" in out and PASSWORD not in out
    assert (env / "release.key").stat().st_mode & 0o077 == 0
    assert b"ENCRYPTED PRIVATE KEY" in (env / "release.key").read_bytes()

    signed = push_image(client, registry, "cli/signed")
    unsigned = push_image(client, registry, "cli/unsigned")
    code, out, err = run(
        capsys, "sign", "--key", "release.key", "--insecure-registry", registry, str(signed)
    )
    assert code == 0, err
    assert PASSWORD not in out + err
    (env / "provenance.json").write_text(
        json.dumps({"runDetails": {"metadata": {"finishedOn": "2099-01-01T00:00:00Z"}}})
    )
    code, _, err = run(
        capsys,
        "attest",
        "--key",
        "release.key",
        "--predicate",
        "provenance.json",
        "--type",
        "slsaprovenance1",
        "--insecure-registry",
        registry,
        str(signed),
    )
    assert code == 0, err
    (env / "deploy.yaml").write_text(
        "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        f"        - {{name: a, image: '{signed}'}}\n"
    )
    (env / "bad.yaml").write_text(
        f"kind: Pod\nspec:\n  containers:\n    - {{name: b, image: '{unsigned}'}}\n"
    )
    (env / "trust.yaml").write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec:\n"
        "  authorities:\n    - {name: release, key: {path: release.pub}}\n"
        f"  images:\n    - glob: '{registry}/**'\n      authorities: [release]\n"
        "      attestations: [{predicateType: slsaprovenance1}]\n"
    )
    code, out, err = run(
        capsys,
        "images",
        "verify",
        "deploy.yaml",
        "--policy",
        "trust.yaml",
        "--insecure-registry",
        registry,
        "--format",
        "json",
    )
    assert code == 0, out + err
    report = json.loads(out)
    assert report["summary"] == {"pass": 1, "warn": 0, "block": 0}
    assert report["images"][0]["cached"] is False
    assert report["images"][0]["locations"][0]["line"] == 6
    code, out, _ = run(
        capsys,
        "images",
        "verify",
        "deploy.yaml",
        "--policy",
        "trust.yaml",
        "--insecure-registry",
        registry,
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["images"][0]["cached"] is True

    code, out, _ = run(
        capsys,
        "images",
        "verify",
        "deploy.yaml",
        "bad.yaml",
        "--policy",
        "trust.yaml",
        "--insecure-registry",
        registry,
        "--format",
        "sarif",
    )
    assert code == 1
    sarif = json.loads(out)
    schema_path = SHARED / "schemas" / "sarif" / "sarif-schema-2.1.0.json"
    if schema_path.exists():
        import jsonschema

        jsonschema.validate(sarif, json.loads(schema_path.read_text()))
    results = sarif["runs"][0]["results"]
    assert len(results) == 1 and results[0]["ruleId"] == "SC001"
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    code, out, _ = run(
        capsys,
        "images",
        "verify",
        "bad.yaml",
        "--policy",
        "trust.yaml",
        "--insecure-registry",
        registry,
    )
    assert code == 1 and "BLOCK" in out and "no signature found" in out

    from seccli.store.sqlite import SqliteStore

    with SqliteStore.open(env / "state.db") as store:
        entries = [e for e in store.audit_entries() if e.action == "images.verify"]
        actions = {e.action for e in store.audit_entries()}
        assert store.verify_audit().ok
    assert len(entries) == 4 and {"image.sign", "image.attest"} <= actions
    assert "no signature found" in (entries[-1].payload or "")
    (env / "broken.yaml").write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec: {}\n"
    )
    code, _, err = run(capsys, "images", "verify", "deploy.yaml", "--policy", "broken.yaml")
    assert code == 3 and "broken.yaml" in err


def test_verify_blob_keyless_and_key(
    env: Path, capsys: pytest.CaptureFixture[str], keys: dict[str, Any]
) -> None:
    artifact = SIGSTORE / "bundle_v3_github.whl"
    bundle = SIGSTORE / "bundle_v3_github.whl.sigstore"
    identity = (
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
    )
    issuer = "https://token.actions.githubusercontent.com"
    code, out, _ = run(
        capsys,
        "verify",
        "blob",
        str(artifact),
        "--bundle",
        str(bundle),
        "--identity",
        identity,
        "--issuer",
        issuer,
    )
    assert code == 0 and "VERIFIED" in out
    code, out, _ = run(
        capsys,
        "verify",
        "blob",
        str(artifact),
        "--bundle",
        str(bundle),
        "--identity",
        "someone@else",
        "--issuer",
        issuer,
    )
    assert code == 1 and "NOT VERIFIED" in out and "not a trusted identity" in out
    code, _, err = run(capsys, "verify", "blob", str(artifact), "--bundle", str(bundle))
    assert code == 2 and "say who must have signed" in err
    code, _, _ = run(
        capsys, "verify", "blob", str(artifact), "--bundle", str(bundle), "--identity", identity
    )
    assert code == 2

    release_key, release_private, release_pub = keys["release"]
    (env / "notes.txt").write_text("release notes\n")
    monkey_password = None  # the session key pair is not encrypted
    del monkey_password
    import os

    os.environ.pop("SECCLI_KEY_PASSWORD", None)
    code, _, err = run(capsys, "sign", "--key", str(release_private), "--blob", "notes.txt")
    assert code == 0, err
    code, out, _ = run(
        capsys,
        "verify",
        "blob",
        "notes.txt",
        "--bundle",
        "notes.txt.sigstore.json",
        "--key",
        str(release_pub),
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["verified"] is True
    (env / "notes.txt").write_text("release notes, altered\n")
    code, out, _ = run(
        capsys,
        "verify",
        "blob",
        "notes.txt",
        "--bundle",
        "notes.txt.sigstore.json",
        "--key",
        str(release_pub),
    )
    assert code == 1 and "different artifact" in out
    code, out, _ = run(
        capsys,
        "verify",
        "blob",
        "notes.txt",
        "--bundle",
        "notes.txt.sigstore.json",
        "--key",
        str(keys["rogue"][2]),
    )
    assert code == 1


def test_sbom_build_validate_and_diff(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (env / "old").mkdir()
    (env / "new").mkdir()
    (env / "old" / "requirements.txt").write_text("requests==2.31.0\nflask==3.0.0\n")
    (env / "new" / "requirements.txt").write_text("requests==2.32.3\nhttpx==0.28.1\n")
    code, _, err = run(capsys, "sbom", "old", "-o", "old.json")
    assert code == 0, err
    code, _, err = run(capsys, "sbom", "new", "-o", "new.json")
    assert code == 0, err
    old = json.loads((env / "old.json").read_text())
    assert old["specVersion"] == "1.6" and old["bomFormat"] == "CycloneDX"
    assert {c["name"] for c in old["components"]} == {"requests", "flask"}
    code, out, _ = run(capsys, "sbom", "diff", "old.json", "new.json", "--format", "json")
    assert code == 1
    diff = json.loads(out)
    assert [a["name"] for a in diff["added"]] == ["httpx"]
    assert [r["name"] for r in diff["removed"]] == ["flask"]
    assert diff["changed"][0]["version"] == {"from": "2.31.0", "to": "2.32.3"}
    code, _, _ = run(capsys, "sbom", "diff", "old.json", "old.json")
    assert code == 0
    (env / "fake.json").write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": "nope"})
    )
    code, _, err = run(capsys, "sbom", "diff", "old.json", "fake.json")
    assert code == 2 and "not valid CycloneDX 1.6" in err
    code, _, err = run(capsys, "sbom", "empty-folder-that-does-not-exist")
    assert code == 2


def test_sbom_of_an_environment(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    venv = env / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    info = site / "demo_pkg-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2.3\nLicense: MIT\n"
    )
    (info / "RECORD").write_text("")
    code, out, err = run(
        capsys, "sbom", "--environment", "--python", str(venv / "bin" / "python"), "-o", "env.json"
    )
    assert code == 0, err
    sbom = json.loads((env / "env.json").read_text())
    demo = [c for c in sbom["components"] if c["name"] == "demo-pkg"]
    assert demo and demo[0]["version"] == "1.2.3"
    assert demo[0]["purl"] == "pkg:pypi/demo-pkg@1.2.3"


def test_key_passwords_and_overwrites(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, _ = run(capsys, "keys", "generate", "--output-key-prefix", "k")
    assert code == 0
    code, _, err = run(capsys, "keys", "generate", "--output-key-prefix", "k")
    assert code == 2 and "already exists" in err
    (env / "f.txt").write_text("x")
    wrong = "wrong-password-" + "p" * 8
    monkeypatch.setenv("SECCLI_KEY_PASSWORD", wrong)
    code, out, err = run(capsys, "sign", "--key", "k.key", "--blob", "f.txt")
    assert code == 2 and "wrong password" in err
    assert wrong not in out + err and PASSWORD not in out + err
    monkeypatch.delenv("SECCLI_KEY_PASSWORD")
    code, _, err = run(capsys, "sign", "--key", "k.key", "--blob", "f.txt")
    assert code == 2 and "encrypted and no password" in err
    monkeypatch.setenv("SECCLI_KEY_PASSWORD", PASSWORD)
    code, _, err = run(capsys, "sign", "--key", "k.key", "--blob", "f.txt")
    assert code == 0, err
    assert PASSWORD.encode() not in (env / "f.txt.sigstore.json").read_bytes()
    assert PASSWORD.encode() not in (env / "k.key").read_bytes()


def test_images_of_the_example_estate(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    estate = Path(__file__).resolve().parents[2] / "examples" / "claytom" / "estate.yaml"
    code, out, _ = run(capsys, "images", "list", "--estate", str(estate), "--format", "json")
    assert code == 0
    images = json.loads(out)["images"]
    assert len(images) > 10
    assert all(image["pinned"] and image["source"] == "estate" for image in images)
    first = images[0]
    assert first["path"] == "services[0].image"
    assert estate.read_text().splitlines()[first["line"] - 1].strip().startswith("image:")
    code, _, err = run(capsys, "images", "list")
    assert code == 2 and "--estate" in err
