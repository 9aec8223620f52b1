"""A scanner that is missing, crashes, times out or writes garbage fails the gate (exit 3)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from seccli.core.errors import ExitCode
from seccli.core.redaction import Redactor
from seccli.core.severity import Severity
from seccli.scan.engine import ScanOptions, run_scan
from seccli.scan.gate import evaluate
from seccli.scan.model import TOOL_ERROR_RULE
from tests.scan.conftest import FIXTURES


def _fake(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-bandit"
    script.write_text(
        '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "fake 0.0.1"; exit 0; fi\n' + body + "\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def python_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    shutil.copy(FIXTURES / "repo" / "app" / "vuln.py", root / "app" / "vuln.py")
    return root


def _scan(root: Path, executable: Path | str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    options = ScanOptions(tools=("bandit",), executables={"bandit": executable}, timeout=timeout)
    return run_scan(root, options, redactor=Redactor())


def _assert_tool_error(report, kind: str) -> None:  # type: ignore[no-untyped-def]
    (run,) = report.runs
    assert run.status == "error"
    assert run.detail.startswith(kind)
    errors = [f for f in report.findings if f.rule_id == TOOL_ERROR_RULE]
    assert len(errors) == 1 and errors[0].severity is Severity.CRITICAL
    gate = evaluate(report, threshold=Severity.CRITICAL, today=__import__("datetime").date.today())
    assert gate.exit_code is ExitCode.DEPENDENCY


def test_missing_tool_is_an_error(python_tree: Path, tmp_path: Path) -> None:
    report = _scan(python_tree, tmp_path / "no-such-bandit")
    _assert_tool_error(report, "missing")


def test_crashing_tool_is_an_error(python_tree: Path, tmp_path: Path) -> None:
    report = _scan(python_tree, _fake(tmp_path, "echo 'Traceback: boom' >&2; exit 2"))
    _assert_tool_error(report, "crash")
    assert "boom" in report.runs[0].detail


def test_garbage_output_is_an_error_not_a_pass(python_tree: Path, tmp_path: Path) -> None:
    report = _scan(python_tree, _fake(tmp_path, "echo 'not json'; exit 0"))
    _assert_tool_error(report, "crash")


def test_timeout_kills_the_tool_and_is_an_error(python_tree: Path, tmp_path: Path) -> None:
    import time

    started = time.monotonic()
    report = _scan(python_tree, _fake(tmp_path, "sleep 30"), timeout=1.0)
    assert time.monotonic() - started < 10
    _assert_tool_error(report, "timeout")


def test_clean_run_of_fake_tool_passes(python_tree: Path, tmp_path: Path) -> None:
    """The negative case: a tool that answers properly with no results gives exit 0."""
    report = _scan(python_tree, _fake(tmp_path, 'echo \'{"results": [], "errors": []}\''))
    assert report.runs[0].status == "ok"
    gate = evaluate(report, threshold=Severity.HIGH, today=__import__("datetime").date.today())
    assert gate.exit_code is ExitCode.OK


def test_tools_that_do_not_apply_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing to scan\n")
    report = run_scan(tmp_path, ScanOptions(tools=("bandit", "semgrep")), redactor=Redactor())
    assert {run.tool: run.status for run in report.runs} == {
        "bandit": "skipped",
        "semgrep": "skipped",
    }
    assert report.findings == ()


def test_unknown_tool_is_an_input_error(tmp_path: Path) -> None:
    from seccli.core.errors import InputError

    with pytest.raises(InputError, match="unknown scanner"):
        run_scan(tmp_path, ScanOptions(tools=("trivy",)))


def test_progress_events_in_order(python_tree: Path, tmp_path: Path) -> None:
    events: list[tuple[str, str]] = []
    options = ScanOptions(
        tools=("bandit",),
        executables={"bandit": _fake(tmp_path, 'echo \'{"results": [], "errors": []}\'')},
    )
    run_scan(
        python_tree,
        options,
        redactor=Redactor(),
        on_event=lambda e: events.append((e.tool, e.phase)),
    )
    assert events == [("bandit", "planned"), ("bandit", "started"), ("bandit", "finished")]


def test_unknown_tool_version_is_never_cached(python_tree: Path, tmp_path: Path) -> None:
    from seccli.scan.cache import ScanCache

    script = tmp_path / "versionless-bandit"
    script.write_text('#!/bin/sh\necho \'{"results": [], "errors": []}\'\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    options = ScanOptions(tools=("bandit",), executables={"bandit": script})
    cache = ScanCache(tmp_path / "state.db")
    try:
        for _ in range(2):
            report = run_scan(python_tree, options, cache=cache, redactor=Redactor())
            assert report.runs[0].version == "unknown"
            assert report.runs[0].scanned == 1 and report.runs[0].cached == 0
    finally:
        cache.close()
