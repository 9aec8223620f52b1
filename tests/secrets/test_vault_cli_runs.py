"""``seccli vault``: runs recorded through one context manager, SARIF from the shared renderer,
formats each command declares, and ``vault wiring --format json``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault
from tests.secrets.test_vault_cli import PATH, Cli, _write_estate


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    return Cli(monkeypatch, capsys, tmp_path)


def _runs(tmp_path: Path) -> list[tuple[str, str, int | None]]:
    with SqliteStore.open(tmp_path / "state.db") as store:
        return [(r.command, r.status, r.exit_code) for r in reversed(store.runs())]


def _actions(tmp_path: Path) -> list[str]:
    with SqliteStore.open(tmp_path / "state.db") as store:
        return [e.action for e in store.audit_entries()]


def test_audit_sarif_comes_from_the_shared_renderer(
    vault: FakeVault, tmp_path: Path, cli: Cli
) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    vault.now = vault.now.replace(year=2100)
    vault.put_kv(PATH, {"password": "old-pw-123"}, created=vault.now.replace(year=1999))
    done = cli(vault, "vault", "audit", str(estate), "-f", "sarif")
    assert done.returncode == 1, done.stderr
    run = json.loads(done.stdout)["runs"][0]
    assert run["tool"]["driver"]["name"] == "seccli-vault"
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    overdue = rules["vault.secret.overdue"]
    assert "rotation period" in overdue["help"]["text"]  # help text, not just a title
    assert "security-severity" in overdue["properties"]
    result = run["results"][0]
    assert list(result["partialFingerprints"]) == ["seccliFingerprint/v1"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location["uriBaseId"] == "SRCROOT"
    assert not location["uri"].startswith("/")


@pytest.mark.parametrize(
    ("command", "bad"),
    [
        (("vault", "audit"), "markdown"),
        (("vault", "audit"), "csv"),
        (("vault", "rotate"), "sarif"),
        (("vault", "apply-policies"), "sarif"),
        (("vault", "wiring"), "table"),
    ],
)
def test_unsupported_formats_are_usage_errors(
    vault: FakeVault, tmp_path: Path, cli: Cli, command: tuple[str, ...], bad: str
) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    done = cli(vault, *command, str(estate), "-f", bad)
    assert done.returncode == 2
    assert "is not one of" in done.stderr
    assert not (tmp_path / "state.db").exists() or not _runs(tmp_path)


def test_runs_end_with_their_status_even_when_vault_fails(
    vault: FakeVault, tmp_path: Path, cli: Cli
) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    assert cli(vault, "vault", "audit", str(estate)).returncode == 1  # secrets missing
    vault.sealed = True
    assert cli(vault, "vault", "audit", str(estate)).returncode == 3
    assert cli(vault, "vault", "rotate", str(estate)).returncode == 3
    vault.sealed = False
    assert cli(None, "vault", "apply-policies", str(estate)).returncode == 2  # no VAULT_ADDR
    runs = _runs(tmp_path)
    assert runs == [
        ("vault audit", "violations", 1),
        ("vault audit", "error", 3),
        ("vault rotate", "error", 3),
        ("vault apply-policies", "input-error", 2),
    ]
    assert all(status != "running" for _, status, _ in runs)


def test_apply_policies_records_each_write_and_the_run(
    vault: FakeVault, tmp_path: Path, cli: Cli
) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    dry = cli(vault, "vault", "apply-policies", str(estate), "--dry-run", "-f", "json")
    assert dry.returncode == 0
    assert [a for a in _actions(tmp_path) if a != "vault.apply-policies"] == []  # dry: no writes
    applied = cli(vault, "vault", "apply-policies", str(estate), "-f", "json")
    written = json.loads(applied.stdout)["summary"]["written"]
    assert written == 2
    actions = _actions(tmp_path)
    writes = sorted(a for a in actions if a.startswith(("vault.policy.", "vault.role.")))
    assert writes == ["vault.policy.create", "vault.role.create"]
    assert actions.count("vault.apply-policies") == 2
    assert [r[1] for r in _runs(tmp_path)] == ["ok", "ok"]


def test_wiring_json_lists_files_with_digests(tmp_path: Path, cli: Cli) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    plain = cli(None, "vault", "wiring", str(estate))
    printed = cli(None, "vault", "wiring", str(estate), "-f", "json")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["mode"] == "vso" and document["written"] is False
    files = document["files"]
    assert [f["path"] for f in files] == ["shop/app.yaml"]
    assert "".join(f["content"] for f in files) == plain.stdout  # same YAML as the default
    for entry in files:
        assert entry["sha256"] == hashlib.sha256(entry["content"].encode()).hexdigest()
    out = tmp_path / "wired"
    written = cli(None, "vault", "wiring", str(estate), "--out", str(out), "-f", "json")
    listed = json.loads(written.stdout)
    assert listed["written"] is True and "content" not in listed["files"][0]
    target = Path(listed["files"][0]["path"])
    assert target == out / "shop" / "app.yaml"
    assert hashlib.sha256(target.read_bytes()).hexdigest() == listed["files"][0]["sha256"]
    agent_run = cli(None, "vault", "wiring", str(estate), "--mode", "agent", "-f", "json")
    agent = json.loads(agent_run.stdout)
    assert agent["mode"] == "agent" and agent["files"][0]["content"] != files[0]["content"]
