"""Findings as stable JSON: the one shape every command's JSON output uses for a finding."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from seccli.core.findings import Finding
from seccli.core.severity import Severity

SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """How many findings per severity, every severity present (critical first)."""
    counts = Counter(f.severity for f in findings)
    return {level.value: counts.get(level, 0) for level in SEVERITY_ORDER}


def finding_json(finding: Finding, end_line: int | None = None) -> dict[str, Any]:
    """A finding as stable JSON (controls as ``framework``/``controlId`` pairs)."""
    data: dict[str, Any] = finding.model_dump(mode="json")
    data["location"] = {
        "file": finding.location.file,
        "line": finding.location.line,
        "endLine": end_line,
        "column": finding.location.column,
        "path": finding.location.path,
    }
    data["controls"] = [
        {"framework": c.framework, "controlId": c.control_id, "ref": str(c)}
        for c in finding.controls
    ]
    return data


def findings_json(
    findings: Sequence[Finding], end_lines: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """Every finding as stable JSON, in the order given."""
    ends = end_lines or {}
    return [finding_json(f, ends.get(f.id)) for f in findings]
