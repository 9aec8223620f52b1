"""``seccli vault`` end to end against the emulator: exit codes, formats, and a planted canary
secret that never appears in any output, log, store row or exception text."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from seccli.cli.app import main
from seccli.core.clock import FixedClock
from seccli.core.errors import DependencyError
from seccli.core.redaction import Secret
from seccli.estate.model import SecretGenerator
from seccli.secrets.client import VaultApi
from seccli.secrets.generators import GENERATORS, generate_password
from seccli.secrets.rotation import Rotator
from seccli.store.sqlite import SqliteStore
from tests.fakes.vault import FakeVault
from tests.secrets.conftest import ROOT, small_estate

PATH = "kv/shop/app"


def _write_estate(tmp_path: Path, verify_ok: bool) -> Path:
    command = ["sh", "-c", 'test -n "$SECCLI_SECRET_VALUE"' if verify_ok else "exit 3"]
    estate = small_estate(
        {
            "path": PATH,
            "generator": {"kind": "password", "key": "password"},
            "verify": {"kind": "command", "command": command},
        },
        {"path": "kv/shop/fresh"},
    )
    target = tmp_path / "estate.yaml"
    target.write_text(yaml.safe_dump(estate.model_dump(mode="json", by_alias=True)))
    return target


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


class Cli:
    """Runs ``seccli`` in-process (main() as the console script does), capturing its output."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], home: Path
    ) -> None:
        self._mp = monkeypatch
        self._capsys = capsys
        self._home = home

    def __call__(
        self, vault: FakeVault | None, *args: str, token: str | None = None, no_token: bool = False
    ) -> Run:
        for key in list(os.environ):
            if key.startswith(("VAULT_", "SECCLI_")):
                self._mp.delenv(key)
        self._mp.setenv("HOME", str(self._home))
        self._mp.setenv("SECCLI_STORE", str(self._home / "state.db"))
        self._mp.setenv("SECCLI_ACTOR", "cli-test")
        if vault is not None:
            self._mp.setenv("VAULT_ADDR", vault.url)
            if not no_token:
                self._mp.setenv("VAULT_TOKEN", token or vault.root_token)
        self._capsys.readouterr()
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = self._capsys.readouterr()
        return Run(code, out, err)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Cli:
    return Cli(monkeypatch, capsys, tmp_path)


def _store_dump(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"')]
    head = db.parent / "state.db.head"
    extra = "".join(p.read_text() for p in db.parent.glob("state.db*") if p.suffix == ".json")
    return "\n".join(rows) + (head.read_text() if head.exists() else "") + extra


def test_audit_rotate_and_exit_codes(vault: FakeVault, tmp_path: Path, cli: Cli) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    real_now = vault.now.replace(year=2100)  # the CLI uses the real clock: make the data fresh
    vault.now = real_now
    vault.put_kv("kv/shop/fresh", {"v": "fresh-value"})
    vault.put_kv(PATH, {"password": "old-pw-123"}, created=real_now.replace(year=1999))
    result = cli(vault, "vault", "audit", str(estate), "-f", "json")
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert payload["summary"]["overdue"] == 1
    assert {f["rule_id"] for f in payload["findings"]} == {"vault.secret.overdue"}
    table = cli(vault, "vault", "audit", str(estate))
    assert table.returncode == 1 and "OVERDUE" in table.stdout
    assert "[high] vault.secret.overdue: kv/shop/app" in table.stdout  # not eaten as markup
    sarif = cli(vault, "vault", "audit", str(estate), "-f", "sarif")
    log = json.loads(sarif.stdout)
    assert log["version"] == "2.1.0" and log["runs"][0]["results"][0]["level"] == "error"
    schema_file = ROOT.parent / "shared" / "schemas" / "sarif" / "sarif-schema-2.1.0.json"
    if schema_file.exists():  # ../shared is there on the development machines
        import jsonschema

        jsonschema.validate(log, json.loads(schema_file.read_text()))
    dry = cli(vault, "vault", "rotate", str(estate), "--dry-run", "-f", "json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["counts"] == {"planned": 1, "not-due": 1}
    assert vault.kv_secret(PATH).current_version == 1  # type: ignore[union-attr]
    rotated = cli(vault, "vault", "rotate", str(estate))
    assert rotated.returncode == 0, rotated.stderr + rotated.stdout
    assert "rotated" in rotated.stdout
    assert vault.kv_secret(PATH).current_version == 2  # type: ignore[union-attr]
    table = cli(vault, "vault", "audit", str(estate))
    assert "[high] vault.secret.overdue: kv/shop/app" not in table.stdout  # rotated by now
    clean = cli(vault, "vault", "audit", str(estate))
    assert clean.returncode == 0, clean.stdout
    with SqliteStore.open(tmp_path / "state.db") as store:
        history = store.finding_history("vault")
    assert [h.rule_id for h in history] == ["vault.secret.overdue"]
    assert history[0].resolved_at is not None  # resolved by the rotation
    log_out = cli(None, "audit", "log", "-f", "json")
    actions = [e["action"] for e in json.loads(log_out.stdout)["entries"]]
    assert "vault.rotate.done" in actions and actions.count("vault.audit") == 5


def test_dependency_failures_exit_3_without_traceback(
    vault: FakeVault, tmp_path: Path, cli: Cli
) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    vault.sealed = True
    sealed = cli(vault, "vault", "audit", str(estate))
    assert sealed.returncode == 3
    assert "sealed" in sealed.stderr and "Traceback" not in sealed.stderr
    vault.sealed = False
    denied = cli(vault, "vault", "audit", str(estate), token="hvs.nope")
    assert denied.returncode == 3 and "permission denied" in denied.stderr
    assert "Traceback" not in denied.stderr
    no_addr = cli(None, "vault", "audit", str(estate))
    assert no_addr.returncode == 2 and "VAULT_ADDR" in no_addr.stderr
    bad_only = cli(vault, "vault", "rotate", str(estate), "--only", "kv/x/y")
    assert bad_only.returncode == 2 and "not declared" in bad_only.stderr


def test_apply_policies_and_wiring_commands(vault: FakeVault, tmp_path: Path, cli: Cli) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    dry = cli(vault, "vault", "apply-policies", str(estate), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert '+path "kv/data/shop/app" {' in dry.stdout and "seccli-shop-app" not in vault.policies
    applied = cli(
        vault, "vault", "apply-policies", str(estate), "-f", "json", "--operator-policies"
    )
    assert json.loads(applied.stdout)["summary"]["written"] == 4
    assert {"seccli-vault-auditor", "seccli-vault-rotator"} <= set(vault.policies)
    assert "seccli-shop-app" in vault.policies and "shop-app" in vault.k8s_roles
    again = cli(vault, "vault", "apply-policies", str(estate), "-f", "json", "--operator-policies")
    assert json.loads(again.stdout)["summary"] == {
        "create": 0,
        "update": 0,
        "unchanged": 4,
        "written": 0,
    }
    wiring = cli(None, "vault", "wiring", str(estate), "--out", str(tmp_path / "w"))
    assert wiring.returncode == 0, wiring.stderr
    docs = list(yaml.safe_load_all((tmp_path / "w" / "shop" / "app.yaml").read_text()))
    assert [d["kind"] for d in docs] == ["VaultAuth", "VaultStaticSecret", "VaultStaticSecret"]


def test_canary_never_leaks(
    vault: FakeVault,
    api: VaultApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    cli: Cli,
) -> None:
    canary = "CANARY-" + secrets.token_hex(12)
    estate_file = _write_estate(tmp_path, verify_ok=False)
    vault.now = vault.now.replace(year=2100)
    vault.put_kv(PATH, {"password": canary, "user": "app"}, created=vault.now.replace(year=2000))
    vault.put_kv("kv/shop/fresh", {"v": canary})
    outputs: list[str] = []
    for args in (
        ("vault", "audit", str(estate_file)),
        ("vault", "audit", str(estate_file), "-f", "json", "--prefix", "kv"),
        ("vault", "audit", str(estate_file), "-f", "sarif"),
        ("vault", "rotate", str(estate_file), "-f", "json"),  # verification fails: rollback
        ("vault", "rotate", str(estate_file), "--force"),
        ("vault", "apply-policies", str(estate_file)),
        ("audit", "log", "-f", "json"),
    ):
        done = cli(vault, *args)
        outputs += [done.stdout, done.stderr]
    assert "rolled-back" in outputs[6], outputs[6:8]
    # ... and through the console script in a real process, stderr included.
    process = subprocess.run(
        [sys.executable, "-m", "seccli", "vault", "rotate", str(estate_file), "--force"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "HOME": str(tmp_path),
            "SECCLI_STORE": str(tmp_path / "state.db"),
            "VAULT_ADDR": vault.url,
            "VAULT_TOKEN": vault.root_token,
        },
    )
    assert process.returncode == 1, process.stderr
    outputs += [process.stdout, process.stderr]
    assert vault.kv_value(PATH) == {"password": canary, "user": "app"}  # old value intact
    # In-process: logs at DEBUG and the text of an exception raised mid-rollback.
    generated: list[Secret] = []

    def spy(spec: SecretGenerator) -> Secret:
        value = generate_password(spec)
        generated.append(value)
        return value

    def seal_after_reading_old_value(method: str, path: str, body: dict[str, Any]) -> None:
        if method == "POST" and path == "/v1/kv/data/shop/app":
            vault.sealed = True  # the rollback's write fails after the canary was read

    caplog.set_level(logging.DEBUG)
    estate = small_estate(
        {
            "path": PATH,
            "generator": {"key": "password"},
            "verify": {"kind": "command", "command": ["false"]},
        }
    )
    vault.hook = seal_after_reading_old_value
    with SqliteStore.open(tmp_path / "state.db") as store:
        rotator = Rotator(
            api=api,
            audit=store,
            actor="t",
            clock=FixedClock(vault.now),
            generators={**GENERATORS, "password": spy},
        )
        with pytest.raises(DependencyError) as info:
            rotator.rotate_estate(estate)
    vault.hook = None
    exception_text = (
        "".join(traceback.format_exception(info.type, info.value, info.tb))
        + repr(info.value)
        + str(info.value.hint)
    )
    assert generated, "the spy generator ran"
    haystacks = {
        "cli output": "\n".join(outputs),
        "logs": caplog.text,
        "store": _store_dump(tmp_path / "state.db"),
        "exception": exception_text,
    }
    for where, text in haystacks.items():
        assert canary not in text, f"canary leaked into {where}"
        for value in generated:
            assert value.reveal() not in text, f"generated value leaked into {where}"
    assert "vault.rotate.rolled-back" in haystacks["store"]


def test_kubernetes_auth_login_from_the_cli(vault: FakeVault, tmp_path: Path, cli: Cli) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    vault.now = vault.now.replace(year=2100)
    vault.put_kv(PATH, {"password": "pw-1234"}, created=vault.now.replace(year=2000))
    vault.put_kv("kv/shop/fresh", {"v": "1"})
    assert cli(vault, "vault", "apply-policies", str(estate)).returncode == 0
    jwt_file = tmp_path / "token"
    jwt_file.write_text(vault.register_jwt("shop", "app"))
    args = ("--kubernetes-role", "shop-app", "--kubernetes-jwt-file", str(jwt_file))
    audited = cli(
        vault,
        "vault",
        "--namespace",
        "team-a",
        *args,
        "audit",
        str(estate),
        "-f",
        "json",
        no_token=True,
    )
    assert vault.namespaces_seen == {"team-a"}
    assert audited.returncode == 1, audited.stderr  # kv/shop/app is overdue
    assert json.loads(audited.stdout)["summary"]["overdue"] == 1
    # The service's own role may read but not rotate.
    rotated = cli(vault, "vault", *args, "rotate", str(estate), no_token=True)
    assert rotated.returncode == 3 and "permission denied" in rotated.stderr
    no_jwt = cli(
        vault,
        "vault",
        "--kubernetes-role",
        "shop-app",
        "--kubernetes-jwt-file",
        str(tmp_path / "missing"),
        "audit",
        str(estate),
        no_token=True,
    )
    assert no_jwt.returncode == 2 and "service account token" in no_jwt.stderr
    no_token = cli(vault, "vault", "audit", str(estate), no_token=True)
    assert no_token.returncode == 3 and "no Vault token" in no_token.stderr


@pytest.mark.parametrize(
    ("text", "seconds"), [("30", 30.0), ("30s", 30.0), ("1m30s", 90.0), ("500ms", 0.5)]
)
def test_timeout_accepts_vault_style_durations(text: str, seconds: float) -> None:
    from seccli.cli.vault import _duration_seconds

    assert _duration_seconds(text, "t") == seconds


def test_bad_timeout_is_an_input_error(vault: FakeVault, tmp_path: Path, cli: Cli) -> None:
    estate = _write_estate(tmp_path, verify_ok=True)
    bad = cli(vault, "vault", "--timeout", "soon", "audit", str(estate))
    assert bad.returncode == 2 and "not a duration" in bad.stderr
