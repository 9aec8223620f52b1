"""``seccli scan`` end to end with bandit only (fast): paths relative to the repository root
whatever the spelling, the recorded run and audit entry, output that fits pipes, ``-o``,
``--fail-on none``, ``--write-baseline`` and ``--exclude``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seccli.cli.output import OutputFormat, format_for_stdout
from seccli.store.audit import AuditEntry
from seccli.store.interface import RunRecord
from seccli.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
VULNERABLE = (
    "import subprocess\n"
    "import requests\n\n\n"
    "def run(cmd):\n"
    "    subprocess.call(cmd, shell=True)\n"
    "    return requests.get(cmd)\n"
)


def seccli(store: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", "--store", str(store), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester", "PYTHONPATH": str(ROOT), "CI": "1"},
        timeout=180,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git work tree with ``infrastructure/info-app/app.py`` and a vendored copy."""
    base = tmp_path_factory.mktemp("scancli")
    repo = base / "repo"
    app = repo / "infrastructure" / "info-app"
    app.mkdir(parents=True)
    (repo / ".git").mkdir()
    (app / "app.py").write_text(VULNERABLE)
    (repo / "infrastructure" / "vendor").mkdir()
    (repo / "infrastructure" / "vendor" / "lib.py").write_text(VULNERABLE)
    return repo


def scan(
    store: Path, cwd: Path, *args: str, target: str = "infrastructure"
) -> subprocess.CompletedProcess[str]:
    """``seccli scan TARGET -t bandit ARGS`` (bandit alone: fast)."""
    return seccli(store, cwd, "scan", target, "-t", "bandit", *args)


def _sarif(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 1, result.stderr
    log: dict[str, object] = json.loads(result.stdout)
    return log


def _uris_and_prints(log: dict[str, object]) -> list[tuple[str, str, str]]:
    runs = log["runs"]
    assert isinstance(runs, list)
    out = []
    for run in runs:
        for result in run["results"]:
            artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "SRCROOT"
            fingerprint = result["partialFingerprints"]["seccliFingerprint/v1"]
            out.append((artifact["uri"], result["ruleId"], fingerprint))
    return sorted(out)


def test_sarif_uris_are_relative_to_the_repository_root_whatever_the_spelling(
    repo: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.db"
    spellings = ["infrastructure", "./infrastructure/", str(repo / "infrastructure")]
    logs = [_sarif(scan(store, repo, "-f", "sarif", target=s)) for s in spellings]
    seen = [_uris_and_prints(log) for log in logs]
    assert seen[0] == seen[1] == seen[2]
    uris = {uri for uri, _, _ in seen[0]}
    assert "infrastructure/info-app/app.py" in uris
    assert "infrastructure/vendor/lib.py" in uris
    for log in logs:
        base = log["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"]  # type: ignore[index]
        assert base == repo.resolve().as_uri() + "/"
    # From a sub-folder (still inside the work tree): the same paths and fingerprints.
    inner = _sarif(scan(store, repo / "infrastructure", "-f", "sarif", target="."))
    assert _uris_and_prints(inner) == seen[0]
    # Fresh cache, other spelling: fingerprints do not come from the cache.
    other = tmp_path / "other.db"
    fresh = scan(other, repo, "-f", "sarif", "--no-cache", target="./infrastructure")
    assert _uris_and_prints(_sarif(fresh)) == seen[0]


def test_sarif_rules_carry_help_text(repo: Path, tmp_path: Path) -> None:
    log = _sarif(scan(tmp_path / "s.db", repo, "-f", "sarif"))
    rules = log["runs"][0]["tool"]["driver"]["rules"]  # type: ignore[index]
    b602 = next(rule for rule in rules if rule["id"] == "B602")
    assert "B602" in b602["help"]["text"] and len(b602["help"]["text"]) > 40
    assert b602["fullDescription"]["text"] == b602["help"]["text"]
    assert b602["helpUri"].startswith("https://bandit.readthedocs.io")
    assert not any(tag.startswith("also:") for rule in rules for tag in rule["properties"]["tags"])


def test_lines_off_a_terminal_and_table_on_request(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    piped = scan(store, repo)
    assert piped.returncode == 1, piped.stderr
    lines = piped.stdout.splitlines()
    expected = "infrastructure/info-app/app.py:6: high B602 subprocess call with shell=True"
    assert any(line.startswith(expected) for line in lines), lines
    assert all(line.startswith("infrastructure/") and ": " in line for line in lines), lines
    assert len(lines) == 6  # B602, B113 and B404 in each of the two files, nothing else
    assert "gate (--fail-on high): FAILED" in piped.stderr  # the summary goes to stderr
    medium = [line for line in lines if " B113 " in line]
    assert medium and all(": medium B113 " in line for line in medium)  # bandit's own severity
    table = scan(store, repo, "--format", "table")
    assert "HIGH (2)" in table.stdout and "gate (--fail-on high): FAILED" in table.stdout
    explicit = scan(store, repo, "-f", "lines")
    assert explicit.stdout == piped.stdout


def test_format_for_stdout_follows_the_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    class Closed(io.StringIO):
        def isatty(self) -> bool:
            raise ValueError("I/O operation on closed file")

    assert format_for_stdout(None, stream=Tty()) is OutputFormat.TABLE
    assert format_for_stdout(None, stream=io.StringIO()) is OutputFormat.LINES
    assert format_for_stdout(None, stream=Closed()) is OutputFormat.LINES
    assert format_for_stdout(OutputFormat.TABLE, stream=io.StringIO()) is OutputFormat.TABLE
    assert format_for_stdout(OutputFormat.JSON, stream=Tty()) is OutputFormat.JSON
    piped_json = format_for_stdout(None, stream=io.StringIO(), pipe=OutputFormat.JSON)
    assert piped_json is OutputFormat.JSON


def test_unsupported_format_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    result = seccli(tmp_path / "s.db", repo, "scan", "infrastructure", "-f", "csv")
    assert result.returncode == 2 and "table, lines, json, sarif, markdown" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "sarif", "table", "lines", "markdown"])
def test_output_file_gets_the_report_and_stdout_only_the_summary(
    repo: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"report.{fmt}"
    result = scan(tmp_path / "s.db", repo, "-f", fmt, "-o", str(target))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1].startswith("gate (--fail-on high): FAILED")
    assert len(result.stdout.splitlines()) <= 4  # tool line, counts, verdict
    assert "B602" not in result.stdout
    assert "B602" in target.read_text()


def test_fail_on_none_never_fails_and_write_baseline_exits_0(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    none = scan(store, repo, "-f", "json", "--fail-on", "none")
    assert none.returncode == 0, none.stderr
    document = json.loads(none.stdout)
    assert document["gate"]["threshold"] == "none" and document["gate"]["passed"] is True
    assert document["summary"]["bySeverity"]["high"] == 2  # findings still reported
    upper = scan(store, repo, "--fail-on", "NONE", "-f", "table")
    assert upper.returncode == 0 and "gate (--fail-on none): PASSED" in upper.stdout
    baseline = tmp_path / "baseline.json"
    written = scan(store, repo, "--write-baseline", str(baseline))
    assert written.returncode == 0, written.stderr
    assert "wrote a baseline of 6 findings" in written.stderr
    again = scan(store, repo, "--baseline", str(baseline))
    assert again.returncode == 0 and again.stdout == ""
    bad = scan(store, repo, "--fail-on", "nothing")
    assert bad.returncode == 2 and "--fail-on" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("pattern", ["vendor", "vendor/", "./vendor", "vendor/*", "*/lib.py"])
def test_exclude_leaves_paths_out(repo: Path, tmp_path: Path, pattern: str) -> None:
    result = scan(tmp_path / "s.db", repo, "--exclude", pattern)
    assert result.returncode == 1, result.stderr
    assert "vendor/lib.py" not in result.stdout
    assert "infrastructure/info-app/app.py:6:" in result.stdout


def test_exclude_is_repeatable_and_can_leave_nothing(repo: Path, tmp_path: Path) -> None:
    result = scan(
        tmp_path / "s.db", repo, "--exclude", "vendor", "--exclude", "info-app", "-f", "json"
    )
    document = json.loads(result.stdout)
    assert result.returncode == 0 and document["findings"] == []
    assert document["tools"][0]["status"] == "skipped"  # nothing left to scan, said so


def test_scan_records_a_run_and_an_audit_entry(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    result = scan(store, repo, "-f", "json", target="./infrastructure/")
    assert result.returncode == 1
    entries = _scan_audit(store)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor == "tester" and entry.subject == "infrastructure"
    assert entry.payload is not None
    payload = json.loads(entry.payload)
    assert payload["exitCode"] == 1 and payload["status"] == "violations"
    outcome = payload["result"]
    assert outcome["target"] == "infrastructure"
    assert outcome["bySeverity"] == {"critical": 0, "high": 2, "medium": 2, "low": 2, "info": 0}
    assert outcome["gate"] == {
        "threshold": "high",
        "verdict": "failed",
        "violations": 2,
        "suppressed": 0,
        "baselined": 0,
    }
    bandit = [tool for tool in outcome["tools"] if tool["name"] == "bandit"]
    assert bandit and bandit[0]["version"] and bandit[0]["status"] == "ok"
    runs = _scan_runs(store)
    assert [(r.status, r.exit_code) for r in runs] == [("violations", 1)]
    assert runs[0].summary["violations"] == 2 and runs[0].summary["findings"] == 6
    assert payload["run"] == runs[0].id


def _scan_audit(store: Path) -> list[AuditEntry]:
    with SqliteStore.open(store, create=False) as opened:
        return [e for e in opened.audit_entries() if e.action == "scan"]


def _scan_runs(store: Path) -> list[RunRecord]:
    with SqliteStore.open(store, create=False) as opened:
        return [r for r in opened.runs() if r.command == "scan"]


def test_an_input_error_ends_the_run_as_input_error(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    (tmp_path / "t").mkdir()
    bad = tmp_path / "suppressions.yaml"
    bad.write_text("kind: Nonsense\n")
    result = scan(store, tmp_path, "--suppressions", str(bad), target="t")
    assert result.returncode == 2, result.stderr
    missing = scan(store, tmp_path, target="nowhere")
    assert missing.returncode == 2 and "not a directory" in missing.stderr
    payloads = [json.loads(e.payload or "{}") for e in _scan_audit(store)]
    assert [p["status"] for p in payloads] == ["input-error", "input-error"]
    assert all(p["exitCode"] == 2 for p in payloads)
    assert {(r.status, r.exit_code) for r in _scan_runs(store)} == {("input-error", 2)}


def test_a_terminal_gets_the_table(repo: Path, tmp_path: Path) -> None:
    """stdout on a pseudo-terminal: the table (and its summary), not lines."""
    import threading

    master, slave = os.openpty()
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "seccli",
                "--store",
                str(tmp_path / "s.db"),
                "scan",
                "infrastructure",
                "-t",
                "bandit",
                "--no-progress",
            ],
            cwd=repo,
            stdout=slave,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT), "CI": "1", "COLUMNS": "200"},
            timeout=180,
        )
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert done.returncode == 1, done.stderr
    assert "HIGH (2)" in text and "gate (--fail-on high): FAILED" in text
    assert "infrastructure/info-app/app.py:6: high B602" not in text
