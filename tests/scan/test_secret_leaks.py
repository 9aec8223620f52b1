"""Weak passwords and passphrases found by the real scanners never reach any output.

A tree full of credentials of every shape (passphrases with spaces, one- to six-character
passwords, quotes and backslashes, non-ASCII) is scanned by bandit, checkov and semgrep through
the CLI, in every format, to ``-o``/``--sarif-output``/``--write-baseline`` files, fresh and from
the cache; none of the values may appear in stdout, stderr, the files, or a dump of the state
database (findings history, scan cache, audit log).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from seccli.core.redaction import REDACTED

ROOT = Path(__file__).resolve().parents[2]

# name -> value; each is written as a Python literal below. Short ones use characters that
# cannot occur by chance in a report (hex ids, English text, paths).
PYTHON_VALUES = {
    "passphrase": "correct horse battery staple Ж",
    "pwd_1": "Ж",
    "pwd_2": "Qz",
    "pwd_3": "qЖz",
    "pwd_4": "w#Ж!",
    "pwd_5": "Ж9q~X",
    "pwd_6": "xЖq7#Z",
    "token_quotes": 'it\'s "qЖ" \\x',
    "token_backslash": "Ж\\\\n\\t",
    "unicode_password": "pässwörd €Ж",
    "api_token": "Tk_9f8e7d6c5b4aЖQ",
}
KEYWORD_VALUE = "s3cЖ"  # B106: connect(password=...)
DEFAULT_VALUE = "Zq9Ж"  # B107: def login(password=...)
AWS_KEY = "AKIAJ2QW7XMPL3R5TZ4K"
DOCKER_TOKEN = "sup3rs3cr3tvalue1Zq"


def _all_values() -> list[str]:
    return [*PYTHON_VALUES.values(), KEYWORD_VALUE, DEFAULT_VALUE, AWS_KEY, DOCKER_TOKEN]


def _forms(value: str) -> set[str]:
    """The value as text and in the escaped forms JSON and Python would give it."""
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
    }


def write_tree(root: Path, values: dict[str, str], keyword: str, default: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    lines = [f"{name} = {value!r}" for name, value in values.items()]
    lines += [
        "",
        "",
        "def connect(**kwargs):",
        "    return kwargs",
        "",
        "",
        f"connect(password={keyword!r})",
        "",
        "",
        f"def login(user, password={default!r}):",
        "    return user, password",
        "",
    ]
    (root / "creds.py").write_text("\n".join(lines), encoding="utf-8")
    (root / "config.yaml").write_text(
        f'cloud:\n  region: eu-west-1\n  aws_access_key_id: "{AWS_KEY}"\n', encoding="utf-8"
    )
    (root / "Dockerfile").write_text(
        f"FROM alpine:3.20\nENV API_TOKEN={DOCKER_TOKEN}\nUSER 1000\n", encoding="utf-8"
    )


def seccli(store: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", "--store", str(store), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def dump(store: Path) -> str:
    connection = sqlite3.connect(store)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


class Run:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "repo"
        self.store = base / "state" / "state.db"
        self.results: dict[str, subprocess.CompletedProcess[str]] = {}
        self.files: list[Path] = []


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> Run:
    run = Run(tmp_path_factory.mktemp("leaks"))
    write_tree(run.root, PYTHON_VALUES, KEYWORD_VALUE, DEFAULT_VALUE)
    out = run.base / "out"
    out.mkdir()
    # First run: every tool runs (fresh findings), writing every kind of output file.
    run.results["json-fresh"] = seccli(
        run.store,
        run.root,
        "scan",
        ".",
        "--format",
        "json",
        "-o",
        str(out / "report.json"),
        "--sarif-output",
        str(out / "report.sarif"),
        "--write-baseline",
        str(out / "baseline.json"),
    )
    # Then every format again, served from the cache.
    for fmt in ("table", "json", "sarif", "markdown"):
        run.results[fmt] = seccli(run.store, run.root, "scan", ".", "--format", fmt)
        target = out / f"cached.{fmt}"
        run.results[f"{fmt}-file"] = seccli(
            run.store, run.root, "scan", ".", "--format", fmt, "-o", str(target)
        )
        run.files.append(target)
    run.files += [out / "report.json", out / "report.sarif", out / "baseline.json"]
    run.results["age"] = seccli(
        run.store, run.root, "findings", "age", "--severity", "info", "--older-than", "0s"
    )
    return run


def test_the_scanners_found_the_credentials(leaky: Run) -> None:
    """Without these findings the leak assertions would prove nothing."""
    result = leaky.results["json-fresh"]
    assert result.returncode == 0, result.stderr  # --write-baseline exits 0
    report = json.loads((leaky.base / "out" / "report.json").read_text(encoding="utf-8"))
    found = {(f["tool"], f["rule_id"]) for f in report["findings"]}
    assert {("bandit", "B105"), ("bandit", "B106"), ("bandit", "B107")} <= found
    assert ("semgrep", "python-hardcoded-credential") in found
    assert ("semgrep", "dockerfile-secret-in-env") in found
    assert any(tool == "checkov" and rule.startswith("CKV_SECRET_") for tool, rule in found)
    b105 = [f for f in report["findings"] if f["rule_id"] == "B105"]
    # One per Python value, each with its message's value replaced.
    assert len(b105) == len(PYTHON_VALUES)
    assert all(f["message"] == f"Possible hardcoded password: '{REDACTED}'" for f in b105)
    assert report["summary"]["secretsRedacted"] >= len(_all_values())


def test_no_value_in_any_output(leaky: Run) -> None:
    for name, result in leaky.results.items():
        assert result.returncode in (0, 1), (name, result.stderr)
        for value in _all_values():
            for form in _forms(value):
                assert form not in result.stdout, (name, value)
                assert form not in result.stderr, (name, value)


def test_no_value_in_output_files(leaky: Run) -> None:
    assert len(leaky.files) == 7
    for path in leaky.files:
        text = path.read_text(encoding="utf-8")
        assert text.strip(), path
        for value in _all_values():
            for form in _forms(value):
                assert form not in text, (path.name, value)


def test_no_value_in_the_state_database(leaky: Run) -> None:
    text = dump(leaky.store)
    assert 'INSERT INTO "scan_cache"' in text  # the cache was filled
    assert "B105" in text  # findings history holds the secret findings
    for value in _all_values():
        for form in _forms(value):
            assert form not in text, value
    # Nor in any page of the files (deleted rows, the write-ahead log).
    for path in leaky.store.parent.glob("state.db*"):
        data = path.read_bytes()
        for value in _all_values():
            assert value.encode("utf-8") not in data, (path.name, value)


def test_fingerprints_do_not_depend_on_the_value(tmp_path: Path) -> None:
    """A fingerprint hashed over a short password and its line could be reversed by trying
    every candidate; the ids of secret findings must not change when only the value does."""

    def ids(values: dict[str, str], keyword: str, default: str, name: str) -> dict[str, int]:
        base = tmp_path / name
        write_tree(base / "repo", values, keyword, default)
        result = seccli(
            base / "state.db", base / "repo", "scan", ".", "--format", "json", "--no-cache"
        )
        assert result.returncode == 1, result.stderr
        findings = json.loads(result.stdout)["findings"]
        counted: dict[str, int] = {}
        for finding in findings:
            if finding["rule_id"] in {"B105", "B106", "B107", "python-hardcoded-credential"}:
                counted[finding["id"]] = counted.get(finding["id"], 0) + 1
        return counted

    first = ids(PYTHON_VALUES, KEYWORD_VALUE, DEFAULT_VALUE, "one")
    other = {name: f"{value}-other-9Ж" for name, value in PYTHON_VALUES.items()}
    second = ids(other, "k3y!", "d4f", "two")
    assert first
    assert first == second


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("a", '"a"'),
        ("it's", '"it\'s"'),
        ('say "hi"', "'say \"hi\"'"),
        ("back\\slash", "'back\\\\slash'"),
        ("two words here", '"two words here"'),
        ("ünïcødé", '"ünïcødé"'),
    ],
)
def test_bandit_adapter_redacts_message_and_basis(tmp_path: Path, value: str, literal: str) -> None:
    """The adapter alone (no engine): its finding already holds no value."""
    from seccli.core.findings import fingerprint
    from seccli.scan.bandit import BanditScanner

    (tmp_path / "m.py").write_text(f"password = {literal}\n", encoding="utf-8")
    item = {
        "filename": "m.py",
        "line_number": 1,
        "line_range": [1],
        "test_id": "B105",
        "test_name": "hardcoded_password_string",
        "issue_text": f"Possible hardcoded password: '{value}'",
        "issue_severity": "LOW",
        "issue_confidence": "MEDIUM",
    }
    raw = BanditScanner()._finding(tmp_path, item)
    assert raw.secret
    assert raw.finding.message == f"Possible hardcoded password: '{REDACTED}'"
    assert [secret.reveal() for secret in raw.matched] == [value]
    assert "matched" not in repr(raw)  # the values stay out of reprs and tracebacks
    assert "matched" not in json.dumps(raw.to_json())  # and out of the cache
    assert raw.finding.id == fingerprint("bandit", "B105", "m.py", f'password = "{REDACTED}"') or (
        raw.finding.id == fingerprint("bandit", "B105", "m.py", f"password = '{REDACTED}'")
    )
