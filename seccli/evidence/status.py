"""Control status from the collected checks and findings.

A control is ``not satisfied`` when a check mapped to it failed in the period or an open
critical/high finding bears on it that is not an accepted risk (a live scan suppression);
``satisfied`` when at least one mapped check passed and nothing failed; ``not applicable``
only when declared so; else ``not assessed`` (no automated check, or its checks did not run or
could not judge). Nothing unjudged counts as satisfied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from seccli.evidence.catalog import FRAMEWORKS, Catalog, Control
from seccli.evidence.collect import CheckResult, Collected, FindingEvidence

ControlStatus = Literal["satisfied", "not satisfied", "not assessed", "not applicable"]
STATUSES: tuple[ControlStatus, ...] = (
    "satisfied",
    "not satisfied",
    "not assessed",
    "not applicable",
)


@dataclass(frozen=True, slots=True)
class ControlResult:
    """A control's status with the checks and findings behind it."""

    control: Control
    status: ControlStatus
    reason: str
    checks: tuple[CheckResult, ...]
    findings: tuple[FindingEvidence, ...]

    @property
    def path(self) -> str:
        """The control's file in the pack."""
        return f"controls/{self.control.framework}/{self.control.id}.json"

    def to_json(self, evidence_files: list[str]) -> dict[str, Any]:
        """The control file's contents."""
        return {
            "framework": self.control.framework,
            "id": self.control.id,
            "title": self.control.title,
            "group": self.control.group,
            "status": self.status,
            "reason": self.reason,
            "checks": [
                {
                    "id": c.check.id,
                    "title": c.check.title,
                    "status": c.status,
                    "reason": c.reason,
                    "evidence": f"evidence/checks/{c.check.id}.json",
                    "latestRun": c.latest.run.id if c.latest else None,
                }
                for c in self.checks
            ],
            "findings": [f.to_json() for f in self.findings],
            "evidence": evidence_files,
        }


def control_results(
    cat: Catalog, collected: Collected, not_applicable: dict[str, str] | None = None
) -> list[ControlResult]:
    """The status of every control of ``cat``."""
    name = FRAMEWORKS[cat.framework]
    declared = not_applicable or {}
    checks_for: dict[str, list[CheckResult]] = {}
    for result in collected.checks.values():
        for ref in result.check.controls:
            if ref.framework == name:
                checks_for.setdefault(ref.control_id, []).append(result)
    findings_for: dict[str, list[FindingEvidence]] = {}
    for finding in collected.findings:
        for ref in finding.controls:
            if ref.framework == name:
                findings_for.setdefault(ref.control_id, []).append(finding)
    results: list[ControlResult] = []
    for control in cat.controls:
        checks = tuple(sorted(checks_for.get(control.id, ()), key=lambda c: c.check.id))
        findings = tuple(findings_for.get(control.id, ()))
        status, reason = _status(checks, findings, declared.get(control.id))
        results.append(ControlResult(control, status, reason, checks, findings))
    return results


def _status(
    checks: tuple[CheckResult, ...],
    findings: tuple[FindingEvidence, ...],
    not_applicable: str | None,
) -> tuple[ControlStatus, str]:
    failed = [c.check.id for c in checks if c.status == "fail"]
    blocking = [f for f in findings if f.blocking]
    if failed or blocking:
        parts = [f"check {', '.join(failed)} failed"] if failed else []
        if blocking:
            parts.append(f"{len(blocking)} open critical/high finding(s)")
        return "not satisfied", "; ".join(parts)
    if not_applicable is not None:
        return "not applicable", f"declared not applicable: {not_applicable}"
    passed = [c.check.id for c in checks if c.status == "pass"]
    if passed:
        accepted = sum(1 for f in findings if f.open and f.accepted is not None)
        note = f"; {accepted} accepted risk(s), see exceptions/" if accepted else ""
        return "satisfied", f"check {', '.join(passed)} passed in the period{note}"
    if not checks:
        return "not assessed", "no automated check: needs manual evidence"
    states = ", ".join(f"{c.check.id} {c.status}" for c in checks)
    return "not assessed", f"no mapped check judged it in the period ({states})"


def summary(results: list[ControlResult]) -> dict[str, int]:
    """Count of controls per status (every status present, in a fixed order)."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for result in results:
        counts[result.status] += 1
    return counts


def overall(counts: dict[str, int]) -> str:
    """A framework's overall verdict from its status counts."""
    if counts["not satisfied"]:
        return "not satisfied"
    if counts["satisfied"] == 0:
        return "not assessed"
    return "partially assessed" if counts["not assessed"] else "satisfied"
