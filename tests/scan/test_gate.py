"""Baselines, suppressions (with expiry and audit), history and finding age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from seccli.core.clock import FixedClock
from seccli.core.errors import DocumentInvalid, ExitCode, InputError
from seccli.core.severity import Severity
from seccli.scan.gate import aged_findings, evaluate, parse_duration, record
from seccli.scan.suppressions import (
    Suppression,
    load_suppressions,
    read_baseline,
    write_baseline,
)
from seccli.store.sqlite import SqliteStore
from tests.scan.conftest import Scanned

TODAY = date(2026, 11, 21)


def test_gate_fails_on_high_and_passes_when_threshold_is_above_everything(
    scanned: Scanned,
) -> None:
    high = evaluate(scanned.report, threshold=Severity.HIGH, today=TODAY)
    assert high.exit_code is ExitCode.VIOLATIONS
    assert all(f.severity >= Severity.HIGH for f in high.violations)
    critical = evaluate(scanned.report, threshold=Severity.CRITICAL, today=TODAY)
    assert len(critical.violations) < len(high.violations)


def test_baseline_reports_only_new_findings(scanned: Scanned, tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, scanned.report.findings[1:])
    ids = read_baseline(path)
    assert len(ids) == len(scanned.report.findings) - 1
    gate = evaluate(scanned.report, threshold=Severity.INFO, today=TODAY, baseline=ids)
    assert [f.id for f in gate.findings] == [scanned.report.findings[0].id]
    assert gate.baselined == len(ids)
    full = evaluate(scanned.report, threshold=Severity.INFO, today=TODAY, baseline=frozenset(ids))
    write_baseline(path, scanned.report.findings)
    none_new = evaluate(
        scanned.report, threshold=Severity.INFO, today=TODAY, baseline=read_baseline(path)
    )
    assert none_new.exit_code is ExitCode.OK and full.exit_code is ExitCode.VIOLATIONS


def test_bad_baseline_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text('{"kind": "Something"}')
    with pytest.raises(InputError, match="not a seccli scan baseline"):
        read_baseline(path)


def _suppressions_file(tmp_path: Path, fingerprint: str) -> Path:
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        f"""apiVersion: seccli.dev/v1alpha1
kind: Suppressions
suppressions:
  - fingerprint: {fingerprint}
    justification: "compensating control: bastion only, ticket SEC-42"
    approver: alice@example.com
    expires: 2026-12-31
  - rule: CKV_K8S_16
    path: "k8s/*"
    justification: legacy workload being retired next sprint
    approver: bob@example.com
    expires: 2026-01-01
"""
    )
    return path


def test_live_suppression_suppresses_and_is_audited_expired_one_does_not(
    scanned: Scanned, tmp_path: Path
) -> None:
    target = next(f for f in scanned.report.findings if f.rule_id == "CKV_AWS_24")
    entries = load_suppressions(_suppressions_file(tmp_path, target.id))
    gate = evaluate(scanned.report, threshold=Severity.HIGH, today=TODAY, suppressions=entries)
    assert target.id not in {f.id for f in gate.findings}
    assert [(f.id, s.approver) for f, s in gate.outcome.suppressed] == [
        (target.id, "alice@example.com")
    ]
    # The k8s suppression expired on 2026-01-01: the privileged container still counts.
    assert [s.rule for s in gate.outcome.expired] == ["CKV_K8S_16"]
    assert any(f.rule_id == "CKV_K8S_16" for f in gate.violations)

    with SqliteStore.open(tmp_path / "state.db") as store:
        run_id = store.start_run("scan", "tester")
        record(store, run_id, "scan:test", scanned.report, gate, "tester")
        entries_logged = store.audit_entries()
        assert store.verify_audit().ok
    used = [e for e in entries_logged if e.action == "scan.suppression.used"]
    assert [e.subject for e in used] == [target.id]
    assert "alice@example.com" in (used[0].payload or "")
    assert [e.action for e in entries_logged].count("scan.suppression.expired") == 1


def test_invalid_suppressions_report_every_problem_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        """apiVersion: seccli.dev/v1alpha1
kind: Suppressions
suppressions:
  - rule: B602
    justification: short
    approver: alice
    expires: not-a-date
  - justification: no target given at all here
    approver: bob
    expires: 2026-12-31
"""
    )
    with pytest.raises(DocumentInvalid) as caught:
        load_suppressions(path)
    lines = caught.value.lines()
    assert len(lines) == 3
    assert any(":5:" in line and "justification" in line for line in lines)
    assert any(":7:" in line and "expires" in line for line in lines)


def test_rule_and_glob_suppression_matching() -> None:
    from seccli.core.findings import Finding
    from seccli.core.location import Location

    finding = Finding.create(
        tool="bandit",
        rule_id="B602",
        title="t",
        message="m",
        severity=Severity.HIGH,
        location=Location("app/sub/vuln.py", 3),
        basis="x",
    )
    rule = Suppression(
        rule="B602", path="app/*", justification="long enough text", approver="a", expires=TODAY
    )
    other = Suppression(
        rule="B602", path="web/*", justification="long enough text", approver="a", expires=TODAY
    )
    assert rule.matches(finding) and not other.matches(finding)
    with pytest.raises(ValueError, match="needs a 'fingerprint' or a 'rule'"):
        Suppression(justification="long enough text", approver="a", expires=TODAY)


def test_history_first_seen_resolved_and_age(scanned: Scanned, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    report = scanned.report
    gate = evaluate(report, threshold=Severity.HIGH, today=TODAY)
    with SqliteStore.open(tmp_path / "state.db", clock=clock) as store:
        first = store.start_run("scan", "ci")
        delta = record(store, first, "scan:repo", report, gate, "ci")
        assert delta is not None and len(delta.new) == len(report.findings)
        clock.advance(timedelta(hours=30))
        second = store.start_run("scan", "ci")
        fixed = report.findings[0]
        remaining = type(report)(report.root, report.findings[1:], report.runs)
        delta2 = record(store, second, "scan:repo", remaining, gate, "ci")
        assert delta2 is not None and delta2.resolved == (fixed.id,)
        history = store.finding_history("scan:repo")
    aged = aged_findings(
        history, severity=Severity.CRITICAL, older_than=timedelta(hours=24), now=clock.now()
    )
    open_criticals = {f.id for f in remaining.findings if f.severity is Severity.CRITICAL}
    assert {a.history.fingerprint for a in aged} == open_criticals
    assert all(a.age == timedelta(hours=30) for a in aged)
    none_yet = aged_findings(
        history, severity=Severity.CRITICAL, older_than=timedelta(hours=48), now=clock.now()
    )
    assert none_yet == []


def test_history_is_not_touched_when_a_tool_failed(scanned: Scanned, tmp_path: Path) -> None:
    from seccli.scan.model import ToolRun

    broken = type(scanned.report)(
        scanned.report.root, (), (ToolRun("bandit", "1", "error", detail="crash: boom"),)
    )
    gate = evaluate(broken, threshold=Severity.HIGH, today=TODAY)
    with SqliteStore.open(tmp_path / "state.db") as store:
        run_id = store.start_run("scan", "ci")
        assert record(store, run_id, "scan:repo", broken, gate, "ci") is None
        assert store.finding_history() == []


def test_parse_duration() -> None:
    assert parse_duration("24h") == timedelta(hours=24)
    assert parse_duration("7d") == timedelta(days=7)
    with pytest.raises(ValueError):
        parse_duration("soon")
