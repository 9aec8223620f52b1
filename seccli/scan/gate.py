"""The gate over a scan: baseline, suppressions (audited), threshold, history and finding age."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from seccli.core.errors import ExitCode
from seccli.core.findings import Finding
from seccli.core.severity import Severity
from seccli.scan.model import TOOL_ERROR_RULE, ScanReport
from seccli.scan.suppressions import (
    Suppression,
    SuppressionOutcome,
    apply_suppressions,
    new_since_baseline,
)
from seccli.store.interface import AuditRecord, FindingHistory, FindingsDelta, Store


@dataclass(frozen=True, slots=True)
class GateResult:
    """What the gate decided and on which findings."""

    findings: tuple[Finding, ...]
    violations: tuple[Finding, ...]
    outcome: SuppressionOutcome
    baselined: int
    threshold: Severity | None  # None: ``--fail-on none``, findings never fail
    tool_errors: int

    @property
    def exit_code(self) -> ExitCode:
        """3 when a tool failed (still a denial), 1 for violations, else 0."""
        if self.tool_errors:
            return ExitCode.DEPENDENCY
        if self.violations:
            return ExitCode.VIOLATIONS
        return ExitCode.OK

    def as_json(self) -> dict[str, object]:
        """The gate's verdict as JSON."""
        return {
            "threshold": "none" if self.threshold is None else self.threshold.value,
            "passed": self.exit_code is ExitCode.OK,
            "exitCode": int(self.exit_code),
            "violations": len(self.violations),
            "toolErrors": self.tool_errors,
            "baselined": self.baselined,
            "suppressed": [
                {"id": f.id, "rule": f.rule_id, "file": f.location.file, "by": s.label()}
                for f, s in self.outcome.suppressed
            ],
            "expiredSuppressions": [
                {"suppression": s.label(), "expired": s.expires.isoformat(), "approver": s.approver}
                for s in self.outcome.expired
            ],
        }


def evaluate(
    report: ScanReport,
    *,
    threshold: Severity | None,
    today: date,
    baseline: frozenset[str] | None = None,
    suppressions: Sequence[Suppression] = (),
) -> GateResult:
    """Apply the baseline and suppressions, then find what is at or above ``threshold``
    (nothing when it is ``None``: a scanner that did not complete still fails the gate)."""
    findings: Sequence[Finding] = report.findings
    baselined = 0
    if baseline is not None:
        remaining = new_since_baseline(findings, baseline)
        baselined = len(findings) - len(remaining)
        findings = remaining
    outcome = apply_suppressions(findings, suppressions, today)
    violations = tuple(
        f
        for f in outcome.kept
        if threshold is not None and f.at_least(threshold) and f.rule_id != TOOL_ERROR_RULE
    )
    return GateResult(
        findings=outcome.kept,
        violations=violations,
        outcome=outcome,
        baselined=baselined,
        threshold=threshold,
        tool_errors=len(report.errors),
    )


def record(
    store: Store, run_id: str, scope: str, report: ScanReport, gate: GateResult, actor: str
) -> FindingsDelta | None:
    """Store the run's findings history and audit every suppression used.

    When a tool failed its findings are unknown, so history is not updated (nothing would be
    wrongly marked resolved); ``None`` is returned then.
    """
    records = [
        AuditRecord(
            actor=actor,
            action="scan.suppression.used",
            subject=finding.id,
            payload={
                "rule": finding.rule_id,
                "file": finding.location.file,
                "suppression": suppression.label(),
                "justification": suppression.justification,
                "approver": suppression.approver,
                "expires": suppression.expires.isoformat(),
                "run": run_id,
            },
        )
        for finding, suppression in gate.outcome.suppressed
    ]
    records += [
        AuditRecord(
            actor=actor,
            action="scan.suppression.expired",
            subject=suppression.label(),
            payload={"approver": suppression.approver, "expired": suppression.expires.isoformat()},
        )
        for suppression in gate.outcome.expired
    ]
    if records:
        store.append_audit_many(records)
    if report.errors:
        return None
    real = [f for f in report.findings if f.rule_id != TOOL_ERROR_RULE]
    return store.record_findings(run_id, scope, real)


@dataclass(frozen=True, slots=True)
class AgedFinding:
    """An open finding and how long it has been open."""

    history: FindingHistory
    age: timedelta


def aged_findings(
    history: Sequence[FindingHistory],
    *,
    severity: Severity,
    older_than: timedelta,
    now: datetime,
) -> list[AgedFinding]:
    """Open findings at or above ``severity`` first seen more than ``older_than`` ago."""
    aged = []
    for entry in history:
        if entry.resolved_at is not None:
            continue
        try:
            level = Severity.parse(entry.severity)
        except ValueError:
            level = Severity.CRITICAL
        if level < severity:
            continue
        first = datetime.fromisoformat(entry.first_seen.replace("Z", "+00:00"))
        age = now - first
        if age > older_than:
            aged.append(AgedFinding(entry, age))
    return sorted(aged, key=lambda a: (-a.age.total_seconds(), a.history.fingerprint))


def parse_duration(text: str) -> timedelta:
    """``24h``, ``7d``, ``90m`` or ``3600s`` as a ``timedelta``; ``ValueError`` otherwise."""
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    cleaned = text.strip().lower()
    if len(cleaned) < 2 or cleaned[-1] not in units or not cleaned[:-1].isdigit():
        raise ValueError(f"not a duration: {text!r} (use e.g. 24h, 7d, 90m)")
    return timedelta(**{units[cleaned[-1]]: int(cleaned[:-1])})
