"""``seccli playbook`` end to end: dry runs, executions, approvals, bad input, and secrets that
never reach any output, the store, the audit log or written files.

The runs of the secret-leak tests are real processes (everything a process holding the secrets
writes to its standard output and error, whatever the route, is searched); reading the store
back (status, runs, audit log) and the other tests run seccli in-process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.vault import FakeVault
from tests.inprocess import run_seccli
from tests.soar.conftest import CHAT_TOKEN, INCIDENTS, PAGER_KEY, SHIPPED
from tests.soar.helpers import write_playbook
from tests.soar.recording_server import RecordingServer


def seccli_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester", **(env or {})},
        timeout=120,
        check=False,
    )


def seccli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_seccli(
        list(args), cwd=cwd, env={**os.environ, "SECCLI_ACTOR": "tester", **(env or {})}
    )


@pytest.fixture
def env(tmp_path: Path, server: RecordingServer, vault: FakeVault) -> dict[str, str]:
    return {
        "SECCLI_STORE": str(tmp_path / "state.db"),
        "SECCLI_SOAR_WORKDIR": str(tmp_path / "work"),
        "SECCLI_SOAR_ENDPOINT_CHAT": server.url + "/chat",
        "SECCLI_SOAR_ENDPOINT_PAGERDUTY": server.url + "/pagerduty",
        "SECCLI_SOAR_TOKEN_CHAT": CHAT_TOKEN,
        "SECCLI_SOAR_TOKEN_PAGERDUTY": PAGER_KEY,
        "VAULT_ADDR": vault.url,
        "VAULT_TOKEN": vault.root_token,
    }


def test_schema_playbook(tmp_path: Path) -> None:
    result = seccli("schema", "playbook", cwd=tmp_path)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$id"].endswith("/playbook.json")
    assert {"apiVersion", "kind", "metadata", "start", "steps"} <= set(schema["properties"])


@pytest.mark.parametrize("name", SHIPPED)
def test_dry_run_of_every_shipped_playbook(name: str, tmp_path: Path) -> None:
    result = seccli(
        "playbook",
        "run",
        name,
        "--incident",
        str(INCIDENTS / f"{name}.json"),
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["dryRun"] is True and plan["playbook"] == name
    conditions = [s for s in plan["steps"] if s["type"].endswith("-condition")]
    for step in conditions:  # every branch is shown
        assert step["branches"]
    assert list(tmp_path.iterdir()) == []  # nothing written, no store


def _leak_texts(vault: FakeVault) -> list[str]:
    values = [PAGER_KEY, CHAT_TOKEN, vault.root_token]
    for path in ("kv/holding/api-gateway", "kv/holding/profiles-api"):
        current = vault.kv_value(path)
        if current:
            values.append(str(current["value"]))
    return [v for v in values if not v.startswith("initial-")]


def _everything_written(tmp_path: Path) -> str:
    parts: list[str] = []
    db = sqlite3.connect(tmp_path / "state.db")
    parts.extend(db.iterdump())
    db.close()
    parts.extend(
        path.read_bytes().decode(errors="replace")
        for path in tmp_path.rglob("*")
        if path.is_file() and path.suffix != ".db"
    )
    return "\n".join(parts)


def test_execute_records_steps_and_never_leaks_secrets(
    tmp_path: Path, env: dict[str, str], server: RecordingServer, vault: FakeVault
) -> None:
    outputs = []
    for extra in ([], ["--debug"]):
        result = seccli_process(
            *extra,
            "playbook",
            "run",
            "leaked-secret",
            "--incident",
            str(INCIDENTS / "leaked-secret.json"),
            "--execute",
            "-f",
            "json",
            cwd=tmp_path,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
        run = json.loads(result.stdout)
        assert run["state"] == "completed"
        assert {s["step"] for s in run["steps"]} >= {"snapshot", "rotate", "page", "notify"}
    status = seccli("playbook", "status", run["run"], "-f", "json", cwd=tmp_path, env=env)
    runs = seccli("playbook", "runs", cwd=tmp_path, env=env)
    audit = seccli("audit", "log", "-f", "json", cwd=tmp_path, env=env)
    outputs += [status.stdout, runs.stdout, audit.stdout + audit.stderr]
    actions = [e["action"] for e in json.loads(audit.stdout)["entries"]]
    assert actions.count("playbook.step.start") == actions.count("playbook.step.end") >= 12
    assert actions.count("playbook.run") == 2
    # the secrets did reach the servers that need them...
    assert any(PAGER_KEY in r.body.decode() for r in server.received)
    assert any(CHAT_TOKEN in r.headers.get("Authorization", "") for r in server.received)
    # ...and nowhere else
    written = _everything_written(tmp_path)
    for secret in _leak_texts(vault):
        for text in [*outputs, written]:
            assert secret not in text


@pytest.mark.parametrize("failure", ["http-500", "server-down", "vault-down"])
def test_failing_runs_never_leak_secrets(
    tmp_path: Path,
    env: dict[str, str],
    server: RecordingServer,
    vault: FakeVault,
    failure: str,
) -> None:
    """Failures (error messages, --debug, failure paths) carry no secret either."""
    env = dict(env)
    if failure == "http-500":
        server.answers["*"] = [(500, 0)]
    elif failure == "server-down":
        env["SECCLI_SOAR_ENDPOINT_CHAT"] = "http://127.0.0.1:9/chat"
        env["SECCLI_SOAR_ENDPOINT_PAGERDUTY"] = "http://127.0.0.1:9/pagerduty"
    else:
        env["VAULT_ADDR"] = "http://127.0.0.1:9"
    outputs = []
    for extra in ([], ["--debug"]):
        result = seccli_process(
            *extra,
            "playbook",
            "run",
            "leaked-secret",
            "--incident",
            str(INCIDENTS / "leaked-secret.json"),
            "--execute",
            "-f",
            "json",
            cwd=tmp_path,
            env=env,
        )
        assert result.returncode in (0, 1, 3), result.stderr
        assert "Traceback" not in result.stderr or extra
        outputs.append(result.stdout + result.stderr)
    audit = seccli("audit", "log", "-f", "json", cwd=tmp_path, env=env)
    runs = seccli("playbook", "runs", "-f", "json", cwd=tmp_path, env=env)
    outputs += [audit.stdout + audit.stderr, runs.stdout + runs.stderr]
    written = _everything_written(tmp_path)
    assert "playbook" in written  # the store was written: the grep below means something
    for secret in [PAGER_KEY, CHAT_TOKEN, vault.root_token]:
        for text in [*outputs, written]:
            assert secret not in text


def test_approval_through_the_cli(tmp_path: Path, env: dict[str, str]) -> None:
    result = seccli(
        "playbook",
        "run",
        "compromised-sa-token",
        "--incident",
        str(INCIDENTS / "compromised-sa-token.json"),
        "--execute",
        "-f",
        "json",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert run["state"] == "waiting-approval"
    assert [w["step"] for w in run["waiting"]] == ["approve"]
    empty = seccli(
        "playbook", "approve", run["run"], "approve", "--reason", " ", cwd=tmp_path, env=env
    )
    assert empty.returncode == 2
    approved = seccli(
        "playbook",
        "approve",
        run["run"],
        "approve",
        "--reason",
        "token seen in logs",
        "-f",
        "json",
        cwd=tmp_path,
        env={**env, "SECCLI_ACTOR": "alice"},
    )
    assert approved.returncode == 0, approved.stderr
    done = json.loads(approved.stdout)
    assert done["state"] == "completed"
    assert any(s["step"] == "revoke" and s["state"] == "completed" for s in done["steps"])
    again = seccli(
        "playbook", "reject", run["run"], "approve", "--reason", "x", cwd=tmp_path, env=env
    )
    assert again.returncode == 2 and "already approved" in again.stderr
    audit = seccli("audit", "log", "--format", "json", cwd=tmp_path, env=env)
    entries = json.loads(audit.stdout)["entries"]
    decision = [e for e in entries if e["action"] == "playbook.approval"]
    assert decision and decision[0]["actor"] == "alice"


def test_missing_input_is_exit_2_and_nothing_is_written(
    tmp_path: Path, env: dict[str, str]
) -> None:
    incident = tmp_path / "incident.json"
    incident.write_text(json.dumps({"repository": "r", "commit": 5}))
    result = seccli(
        "playbook",
        "run",
        "leaked-secret",
        "--incident",
        str(incident),
        "--execute",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 2
    assert "secret_path: missing required input" in result.stderr
    assert "commit: expected a string, got int" in result.stderr
    assert str(incident) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "state.db").exists() and not (tmp_path / "work").exists()


def test_invalid_playbook_is_exit_2_with_lines(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_playbook(
        tmp_path / "pb",
        "bad",
        {
            "a": {"type": "action", "action": "log", "args": {"message": "x"}, "onSuccess": "zz"},
            "b": {"type": "end"},
        },
    )
    incident = tmp_path / "i.json"
    incident.write_text("{}")
    result = seccli(
        "playbook",
        "run",
        str(path),
        "--incident",
        str(incident),
        "--execute",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert any(f"{path}:" in line and "steps.a.onSuccess" in line for line in lines)
    assert any("'b' is not reachable" in line for line in lines)
    assert not (tmp_path / "state.db").exists()


def test_unknown_run_and_bad_cacao_import(tmp_path: Path, env: dict[str, str]) -> None:
    seccli("playbook", "runs", cwd=tmp_path, env=env)
    resumed = seccli("playbook", "resume", "nope", cwd=tmp_path, env=env)
    assert resumed.returncode == 2 and "no playbook run 'nope'" in resumed.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "playbook", "spec_version": "cacao-2.0"}))
    out = tmp_path / "out.yaml"
    imported = seccli("playbook", "import", str(bad), "-o", str(out), cwd=tmp_path, env=env)
    assert imported.returncode == 2 and "CACAO schema" in imported.stderr
    assert not out.exists()


def test_export_import_via_cli(tmp_path: Path) -> None:
    exported = seccli("playbook", "export", "ransomware-node", "--cacao", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    data: dict[str, Any] = json.loads(exported.stdout)
    assert data["type"] == "playbook"
    source = tmp_path / "r.json"
    source.write_text(exported.stdout)
    out = tmp_path / "ransomware-node.yaml"
    imported = seccli("playbook", "import", str(source), "-o", str(out), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    again = seccli("playbook", "export", str(out), "--cacao", cwd=tmp_path)
    assert again.stdout == exported.stdout
