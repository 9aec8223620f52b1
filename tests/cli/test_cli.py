"""The command line: summary, JSON, audit commands; bad input exits 2, one line, nothing written."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.estate.samples import MINIMAL_ESTATE, broken, line_of

ROOT = Path(__file__).resolve().parents[2]


def seccli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester", **(env or {})},
        timeout=60,
    )


def test_version_and_fast_help_imports_nothing_heavy(tmp_path: Path) -> None:
    result = seccli("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("seccli ")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, seccli.cli.app; heavy = ('checkov', 'semgrep', 'sigstore', 'hvac', "
            "'pydantic', 'jinja2', 'bandit', 'cryptography', 'rich.table', 'yaml'); "
            "print([m for m in heavy if m in sys.modules])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "[]"
    help_text = seccli("--help", cwd=tmp_path)
    assert help_text.returncode == 0
    for group in ("estate", "audit", "schema"):
        assert group in help_text.stdout


def test_validate_example_records_run_and_audit(tmp_path: Path) -> None:
    result = seccli("estate", "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ClayTomSystems" in result.stdout and "services" in result.stdout
    as_json = seccli("estate", "validate", "--format", "json", cwd=tmp_path)
    payload = json.loads(as_json.stdout)
    assert payload["valid"] is True and payload["schemaVersion"] == "1"
    assert payload["counts"]["namespaces"] == 36 and payload["counts"]["services"] >= 60
    db = sqlite3.connect(tmp_path / ".seccli" / "state.db")
    assert db.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0] == 2
    log = json.loads(seccli("audit", "log", "--format", "json", cwd=tmp_path).stdout)
    assert [e["action"] for e in log["entries"]] == ["estate.validate", "estate.validate"]
    assert {e["actor"] for e in log["entries"]} == {"tester"}
    verify = seccli("audit", "verify", cwd=tmp_path)
    assert verify.returncode == 0 and "2 entries verified" in verify.stdout


def test_store_option_and_environment(tmp_path: Path) -> None:
    custom = tmp_path / "custom.db"
    assert seccli("--store", str(custom), "estate", "validate", cwd=tmp_path).returncode == 0
    assert custom.exists() and not (tmp_path / ".seccli").exists()
    env_store = tmp_path / "env.db"
    assert (
        seccli("estate", "validate", cwd=tmp_path, env={"SECCLI_STORE": str(env_store)}).returncode
        == 0
    )
    assert env_store.exists()


def test_audit_verify_reports_tampering_with_exit_1(tmp_path: Path) -> None:
    for _ in range(3):
        assert seccli("estate", "validate", cwd=tmp_path).returncode == 0
    db = sqlite3.connect(tmp_path / ".seccli" / "state.db", isolation_level=None)
    db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    text = seccli("audit", "verify", cwd=tmp_path)
    assert text.returncode == 1
    assert "entry 2: entry was modified" in text.stdout
    as_json = json.loads(seccli("audit", "verify", "--format", "json", cwd=tmp_path).stdout)
    assert as_json["ok"] is False and as_json["problems"][0]["seq"] == 2


def test_audit_commands_without_a_store_are_input_errors(tmp_path: Path) -> None:
    result = seccli("audit", "verify", cwd=tmp_path)
    assert result.returncode == 2
    assert "no state database" in result.stderr
    assert not (tmp_path / ".seccli").exists()


def _bomb() -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


BAD_INPUTS = {
    "malformed": ("services:\n  - name: x\n    bad: a: b\n", "bad: a: b", "invalid YAML"),
    "duplicate-keys": (
        MINIMAL_ESTATE.replace("cluster: tiny-prod\n", "cluster: tiny-prod\ncluster: x\n"),
        "cluster: x",
        "duplicate key 'cluster'",
    ),
    "alias-bomb": (_bomb(), "f: &f", "alias bomb"),
    "wrong-types": (
        broken(
            "        port: 8080\n    image: registry.tiny.example/payments-api",
            "        port: [8080]\n    image: registry.tiny.example/payments-api",
        ),
        "port: [8080]",
        "valid integer",
    ),
    "dangling-intent": (
        broken("      - to: payments-api\n", "      - to: ghost\n"),
        "to: ghost",
        "unknown intent target holding/ghost",
    ),
    "port-not-exposed": (
        broken(
            "      - to: payments-api\n        port: http\n",
            "      - to: payments-api\n        port: metrics\n",
        ),
        "port: metrics",
        "does not expose port 'metrics'",
    ),
    "unknown-namespace": (
        broken("    namespace: subs-shop\n", "    namespace: elsewhere\n"),
        "namespace: elsewhere",
        "unknown namespace 'elsewhere'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_estates_exit_2_with_one_located_line_and_write_nothing(
    tmp_path: Path, case: str
) -> None:
    text, marker, reason = BAD_INPUTS[case]
    path = tmp_path / "estate.yaml"
    path.write_text(text)
    result = seccli("estate", "validate", str(path), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}:{line_of(text, marker)}:"), lines[0]
    assert reason in lines[0]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estate.yaml"]


def test_oversized_and_binary_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = seccli("estate", "validate", str(big), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {big}: file is 52,428,800 bytes")
    binary = tmp_path / "estate.bin"
    binary.write_bytes(b"apiVersion: x\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = seccli("estate", "validate", str(binary), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {binary}:4: binary content")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml", "estate.bin"]
    raised = seccli(
        "estate", "validate", str(big), "--max-input-size", str(60 * 1024 * 1024), cwd=tmp_path
    )
    assert "binary content" in raised.stderr  # past the size check, refused for its NUL bytes


def test_invalid_estate_as_json_and_debug_traceback(tmp_path: Path) -> None:
    path = tmp_path / "estate.yaml"
    text = broken("      - to: payments-api\n", "      - to: ghost\n")
    path.write_text(text)
    result = seccli("estate", "validate", str(path), "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert payload["problems"][0]["line"] == line_of(text, "to: ghost")
    assert payload["problems"][0]["path"] == "services[1].intents[0].to"
    debug = seccli("--debug", "estate", "validate", str(path), cwd=tmp_path)
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert seccli("estate", "validate", "--bogus", cwd=tmp_path).returncode == 2
    assert seccli("no-such-command", cwd=tmp_path).returncode == 2
    missing = seccli("estate", "validate", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert missing.returncode == 2 and "file not found" in missing.stderr


def test_schema_estate_is_a_json_schema(tmp_path: Path) -> None:
    result = seccli("schema", "estate", cwd=tmp_path)
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Estate"
    assert {"apiVersion", "kind", "trustDomain", "services"} <= set(schema["properties"])
    import jsonschema

    example = (ROOT / "examples" / "claytom" / "estate.yaml").read_text()
    import yaml

    jsonschema.validate(yaml.safe_load(example), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"apiVersion": "seccli.dev/v1alpha1", "kind": "Estate"}, schema)
