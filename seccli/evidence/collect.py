"""Collectors: what the store recorded in a period, read once, as data the pack is built from.

Evidence reads only the store (runs, findings history, audit log) and the artifacts the runs
recorded (their audit payloads); it never re-runs a check. A check's status in the period is
the status of its latest finished run: ``pass`` (ok), ``fail`` (violations), ``error``
(input error or failure: the check could not judge), or ``not-run``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from seccli.core.location import ControlRef
from seccli.evidence.audit_export import entry_payload, iter_entries
from seccli.evidence.mapping import CHECKS, Check, check_for_command, rule_controls
from seccli.evidence.period import Period
from seccli.store.audit import AuditEntry, AuditVerification
from seccli.store.interface import FindingHistory, RunRecord
from seccli.store.sqlite import SqliteStore

if TYPE_CHECKING:
    from seccli.scan.suppressions import Suppression

CheckStatus = Literal["pass", "fail", "error", "not-run"]
_RUN_STATUS: dict[str, CheckStatus] = {
    "ok": "pass",
    "violations": "fail",
    "input-error": "error",
    "error": "error",
}
#: Severities of open findings that leave their controls not satisfied.
BLOCKING_SEVERITIES = frozenset({"critical", "high"})
MAX_RUNS = 10_000_000


@dataclass(frozen=True, slots=True)
class RunEvidence:
    """A run in the period with the audit entry that recorded its outcome."""

    run: RunRecord
    audit_seq: int | None
    audit_payload: Any

    def to_json(self) -> dict[str, Any]:
        """The run as evidence JSON."""
        return {
            "id": self.run.id,
            "command": self.run.command,
            "actor": self.run.actor,
            "startedAt": self.run.started_at,
            "finishedAt": self.run.finished_at,
            "status": self.run.status,
            "exitCode": self.run.exit_code,
            "summary": self.run.summary,
            "auditSeq": self.audit_seq,
            "auditPayload": self.audit_payload,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check's outcome in the period."""

    check: Check
    status: CheckStatus
    reason: str
    runs: tuple[RunEvidence, ...] = ()

    @property
    def latest(self) -> RunEvidence | None:
        """The run that decided the status."""
        return self.runs[0] if self.runs else None


@dataclass(frozen=True, slots=True)
class FindingEvidence:
    """A finding seen in the period, its state at the period's end and its controls."""

    history: FindingHistory
    open: bool
    controls: tuple[ControlRef, ...]
    accepted: str | None = None  # the live suppression (accepted risk) naming it

    @property
    def blocking(self) -> bool:
        """Open, severe enough and not an accepted risk: leaves its controls not satisfied."""
        severe = self.history.severity.lower() in BLOCKING_SEVERITIES
        return self.open and severe and self.accepted is None

    def to_json(self) -> dict[str, Any]:
        """The finding as evidence JSON."""
        h = self.history
        return {
            "fingerprint": h.fingerprint,
            "scope": h.scope,
            "tool": h.tool,
            "ruleId": h.rule_id,
            "severity": h.severity,
            "title": h.title,
            "file": h.file,
            "firstSeen": h.first_seen,
            "lastSeen": h.last_seen,
            "resolvedAt": h.resolved_at,
            "state": "open" if self.open else "resolved",
            "controls": [str(c) for c in self.controls],
            "acceptedRisk": self.accepted,
        }


@dataclass
class Collected:
    """Everything the pack is built from."""

    period: Period
    runs: list[RunEvidence] = field(default_factory=list)
    checks: dict[str, CheckResult] = field(default_factory=dict)
    findings: list[FindingEvidence] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)
    verification: AuditVerification | None = None
    latest_time: str | None = None


def collect(store: SqliteStore, period: Period) -> Collected:
    """Read the store's runs, audit entries and findings for ``period``."""
    collected = Collected(period)
    by_run: dict[str, tuple[int, Any]] = {}
    for entry in iter_entries(store):
        if entry.time >= _iso_bound(period.end):
            continue
        collected.latest_time = max(collected.latest_time or entry.time, entry.time)
        if entry.time < _iso_bound(period.start):
            continue
        collected.entries.append(entry)
        payload = entry_payload(entry)
        if isinstance(payload, dict) and isinstance(payload.get("run"), str):
            by_run[payload["run"]] = (entry.seq, payload.get("result", payload))
    for run in store.runs(limit=MAX_RUNS):
        if not (_iso_bound(period.start) <= run.started_at < _iso_bound(period.end)):
            continue
        seq, payload = by_run.get(run.id, (None, None))
        collected.runs.append(RunEvidence(run, seq, payload))
    collected.runs.sort(key=lambda r: (r.run.started_at, r.run.id), reverse=True)
    collected.verification = store.verify_audit()
    collected.checks = _check_results(collected)
    collected.findings = _findings(store.finding_history(), period)
    return collected


def _iso_bound(moment: Any) -> str:
    """A period bound as text comparable with the store's ``...Z`` timestamps."""
    text: str = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text


def _check_results(collected: Collected) -> dict[str, CheckResult]:
    runs_by_check: dict[str, list[RunEvidence]] = {}
    for evidence in collected.runs:
        check = check_for_command(evidence.run.command)
        if check is not None and evidence.run.status in _RUN_STATUS:
            runs_by_check.setdefault(check.id, []).append(evidence)
    results: dict[str, CheckResult] = {}
    for check in CHECKS.values():
        runs = tuple(runs_by_check.get(check.id, ()))
        if check.id == "audit-chain":
            results[check.id] = _chain_result(check, collected.verification, runs)
            continue
        if not runs:
            results[check.id] = CheckResult(check, "not-run", "no run of this check in the period")
            continue
        latest = runs[0].run
        status = _RUN_STATUS[latest.status]
        reason = f"latest run {latest.id} ({latest.command}, {latest.started_at}): {latest.status}"
        results[check.id] = CheckResult(check, status, reason, runs)
    return results


def _chain_result(
    check: Check, verification: AuditVerification | None, runs: tuple[RunEvidence, ...]
) -> CheckResult:
    if verification is None:
        return CheckResult(check, "error", "the audit log was not verified", runs)
    if not verification.ok:
        problem = verification.problems[0]
        return CheckResult(check, "fail", f"audit chain broken: {problem}", runs)
    return CheckResult(
        check,
        "pass",
        f"audit chain verified at build time: {verification.entries} entries",
        runs,
    )


def _findings(history: list[FindingHistory], period: Period) -> list[FindingEvidence]:
    start, end = _iso_bound(period.start), _iso_bound(period.end)
    found: list[FindingEvidence] = []
    for item in history:
        if item.first_seen >= end or item.last_seen < start:
            continue
        is_open = item.resolved_at is None or item.resolved_at >= end
        controls = rule_controls(item.tool, item.rule_id)
        found.append(FindingEvidence(item, is_open, controls))
    found.sort(key=lambda f: (f.history.scope, f.history.fingerprint))
    return found


#: The rule of a scanner that did not complete: never an accepted risk.
TOOL_ERROR_RULE = "seccli.tool-error"


def accept_risks(
    findings: list[FindingEvidence], suppressions: Sequence[Suppression], today: date
) -> list[FindingEvidence]:
    """Mark the scan findings a live suppression names as accepted risks (they stay listed,
    with the suppression, but no longer leave their controls not satisfied). Expired
    suppressions accept nothing; tool errors are never accepted."""
    live = [s for s in suppressions if s.expires >= today]
    if not live:
        return findings
    marked: list[FindingEvidence] = []
    for item in findings:
        h = item.history
        match = None
        if h.scope.startswith("scan:") and h.rule_id != TOOL_ERROR_RULE:
            match = next((s for s in live if s.names(h.fingerprint, h.rule_id, h.file)), None)
        marked.append(replace(item, accepted=match.label()) if match is not None else item)
    return marked
