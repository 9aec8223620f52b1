"""Supply-chain commands as capabilities: recorded runs, declared formats, findings in SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccli.core.location import Location
from seccli.render.sarif import FINGERPRINT_KEY
from seccli.store.sqlite import SqliteStore
from seccli.supplychain.gate_findings import BLOCKED_RULE, WARNED_RULE, verdicts_report
from seccli.supplychain.registry import RegistryClient
from seccli.supplychain.verify import ImageVerdict, Verdict
from tests.capture import run_main as run
from tests.supplychain.conftest import push_image

PASSWORD = "a-long-key-password-" + "z" * 8


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


def runs_of(env: Path) -> list[tuple[str, str, int | None]]:
    with SqliteStore.open(env / "state.db") as store:
        return [(r.command, r.status, r.exit_code) for r in store.runs()]


def test_keys_sign_attest_as_json_and_recorded(
    env: Path, capsys: pytest.CaptureFixture[str], client: RegistryClient, registry: str
) -> None:
    code, out, _ = run(capsys, "keys", "generate", "--output-key-prefix", "k", "-f", "json")
    assert code == 0
    body = json.loads(out)
    assert body["encrypted"] is True and body["privateKey"] == "k.key"
    assert PASSWORD not in out
    image = push_image(client, registry, "results/signed")
    code, out, err = run(
        capsys, "sign", "--key", "k.key", "--insecure-registry", registry, str(image), "-f", "json"
    )
    assert code == 0, err
    signed = json.loads(out)
    assert signed["kind"] == "image" and signed["subject"].endswith(image.digest or "?")
    assert signed["where"]
    (env / "p.json").write_text('{"x": 1}')
    code, out, err = run(
        capsys,
        "attest",
        "--key",
        "k.key",
        "--predicate",
        "p.json",
        "--insecure-registry",
        registry,
        str(image),
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["predicateType"].startswith("https://")
    (env / "f.txt").write_text("data")
    code, out, _ = run(capsys, "sign", "--key", "k.key", "--blob", "f.txt", "-f", "json")
    assert code == 0 and json.loads(out)["where"] == "f.txt.sigstore.json"
    assert ("sign", "ok", 0) in runs_of(env) and ("attest", "ok", 0) in runs_of(env)
    with SqliteStore.open(env / "state.db") as store:
        actions = [e.action for e in store.audit_entries()]
    assert actions.count("image.sign") == 1 and actions.count("blob.sign") == 1
    assert actions.count("image.attest") == 1


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "generate", "--output-key-prefix", "x", "-f", "sarif"),
        ("sign", "--key", "k.key", "--blob", "f.txt", "-f", "csv"),
        ("images", "list", "pod.yaml", "--format", "sarif"),
        ("images", "verify", "pod.yaml", "--policy", "p.yaml", "--format", "markdown"),
        ("verify", "blob", "f.txt", "--bundle", "b.json", "--key", "k.pub", "-f", "sarif"),
        ("sbom", "diff", "a.json", "b.json", "--format", "sarif"),
    ],
)
def test_unsupported_formats_are_usage_errors(
    env: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and "is not one of" in err
    assert not (env / "x.key").exists()


def test_help_lists_only_supported_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "images", "verify", "--help")
    assert code == 0 and "table|json|sarif" in out and "markdown" not in out
    code, out, _ = run(capsys, "sign", "--help")
    assert code == 0 and "table|json" in out and "sarif" not in out


def test_failed_signing_ends_its_run_as_an_error(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "keys", "generate", "--output-key-prefix", "k")
    assert code == 0
    code, _, err = run(
        capsys,
        "sign",
        "--key",
        "k.key",
        "--insecure-registry",
        "127.0.0.1:9",
        "--timeout",
        "1",
        "127.0.0.1:9/none/thing:v1",
    )
    assert code == 3, err
    assert runs_of(env) == [("sign", "error", 3)]
    with SqliteStore.open(env / "state.db") as store:
        entries = store.audit_entries()
        assert store.verify_audit().ok
    assert [e.action for e in entries] == ["sign"]


def verdict(verdict: Verdict, *locations: Location, reference: str = "r/a:1") -> ImageVerdict:
    return ImageVerdict(reference, tuple(locations), verdict, ("because",))


def test_verdicts_become_findings_with_rules_and_relative_uris(tmp_path: Path) -> None:
    verdicts = [
        verdict(Verdict.PASS, Location("ok.yaml", 1)),
        verdict(Verdict.BLOCK, Location("a.yaml", 4), Location("sub/b.yaml", 7)),
        verdict(Verdict.WARN, Location(str(tmp_path / "c.yaml"), 2), reference="r/c:1"),
        verdict(Verdict.BLOCK, reference="r/stdin:1"),
    ]
    from seccli.render.sarif import sarif_log

    log = sarif_log(verdicts_report(verdicts, tmp_path))
    (only,) = log["runs"]
    results = only["results"]
    assert [r["ruleId"] for r in results] == [BLOCKED_RULE] * 2 + [WARNED_RULE, BLOCKED_RULE]
    assert [r["level"] for r in results] == ["error", "error", "warning", "error"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results[:3]]
    assert [u["uri"] for u in uris] == ["a.yaml", "sub/b.yaml", "c.yaml"]
    assert all(u["uriBaseId"] == "SRCROOT" for u in uris)
    assert "locations" not in results[3]  # written nowhere (stdin): no file to point at
    assert only["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"
    rules = {r["id"]: r for r in only["tool"]["driver"]["rules"]}
    assert "trust policy" in rules[BLOCKED_RULE]["help"]["text"]
    assert rules[WARNED_RULE]["helpUri"].startswith("https://")
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results]
    assert len(set(prints)) == 4
    again = sarif_log(verdicts_report(verdicts[1:2], tmp_path))["runs"][0]["results"]
    first = [r["partialFingerprints"] for r in results[:2]]
    assert [r["partialFingerprints"] for r in again] == first
