"""Report formats of a scan: JSON document, SARIF 2.1.0 (one run per tool) and Markdown.

These build data or text; the CLI decides where it goes. Findings reaching here are already
redacted; the CLI redacts the final text once more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seccli.core.findings import Finding
from seccli.core.severity import Severity
from seccli.render.findings_json import SEVERITY_ORDER, finding_json, severity_counts
from seccli.render.sarif import SECURITY_SEVERITY as _SECURITY_SEVERITY
from seccli.render.text import markdown_cell as _cell
from seccli.scan.model import TOOL_ERROR_RULE, ScanReport, ToolRun

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_URIS = {
    "checkov": "https://www.checkov.io/",
    "bandit": "https://bandit.readthedocs.io/",
    "semgrep": "https://semgrep.dev/",
}
def report_json(
    report: ScanReport,
    findings: Sequence[Finding],
    *,
    gate: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document of a scan (``findings`` is what remains after baseline/suppressions)."""
    return {
        "kind": "ScanReport",
        "root": report.root,
        "summary": {
            "total": len(findings),
            "bySeverity": severity_counts(findings),
            "duplicatesMerged": report.duplicates,
            "secretsRedacted": report.redacted,
            "unowned": sum(1 for f in findings if f.owner is None and f.location.file != "."),
        },
        "gate": gate,
        "tools": [run.to_json() for run in report.runs],
        "findings": [finding_json(f, report.end_lines.get(f.id)) for f in findings],
        **(extra or {}),
    }


def to_sarif(report: ScanReport, findings: Sequence[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run per tool that was run (rule metadata included)."""
    runs = [
        _sarif_run(run, [f for f in findings if f.tool == run.tool], report.end_lines)
        for run in report.runs
        if run.status != "skipped"
    ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def _sarif_run(
    run: ToolRun, findings: Sequence[Finding], end_lines: dict[str, int]
) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in findings:
        if finding.rule_id not in rules:
            rules[finding.rule_id] = _sarif_rule(finding)
        results.append(_sarif_result(finding, list(rules).index(finding.rule_id), end_lines))
    driver: dict[str, Any] = {
        "name": run.tool,
        "informationUri": TOOL_URIS.get(run.tool, "https://example.invalid/"),
        "rules": list(rules.values()),
    }
    if run.version:
        driver["version"] = run.version
    invocation: dict[str, Any] = {"executionSuccessful": run.status == "ok"}
    if run.status == "error":
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": run.detail or "the tool failed"}}
        ]
    return {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }


def _sarif_rule(finding: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": finding.rule_id,
        "shortDescription": {"text": finding.title or finding.rule_id},
        "defaultConfiguration": {"level": finding.severity.sarif_level},
        "properties": {
            "tags": ["security", *finding.tags],
            "security-severity": _SECURITY_SEVERITY[finding.severity],
        },
    }
    if finding.help_url:
        rule["helpUri"] = finding.help_url
    return rule


def _sarif_result(finding: Finding, index: int, end_lines: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": finding.severity.sarif_level,
        "message": {"text": finding.message or finding.title},
        "partialFingerprints": {"seccliFingerprint/v1": finding.id},
        "properties": {"severity": finding.severity.value, "owner": finding.owner},
    }
    if finding.location.file != ".":
        region: dict[str, Any] = {}
        if finding.location.line:
            region["startLine"] = finding.location.line
            end = end_lines.get(finding.id)
            if end and end >= finding.location.line:
                region["endLine"] = end
            if finding.location.column:
                region["startColumn"] = finding.location.column
        physical: dict[str, Any] = {"artifactLocation": {"uri": finding.location.file}}
        if region:
            physical["region"] = region
        location: dict[str, Any] = {"physicalLocation": physical}
        if finding.location.path:
            location["logicalLocations"] = [{"fullyQualifiedName": finding.location.path}]
        result["locations"] = [location]
    return result


def to_markdown(
    report: ScanReport, findings: Sequence[Finding], *, threshold: Severity, limit: int = 50
) -> str:
    """A summary for a pull-request comment: gate verdict, counts and the worst findings."""
    counts = severity_counts(findings)
    failing = [f for f in findings if f.at_least(threshold)]
    errors = report.errors
    if errors:
        verdict = "**Gate: failed** — a scanner did not complete"
    elif failing:
        verdict = f"**Gate: failed** — {len(failing)} finding(s) at or above {threshold.value}"
    else:
        verdict = f"**Gate: passed** — nothing at or above {threshold.value}"
    lines = ["## seccli scan", "", verdict, "", "| Severity | Count |", "|---|---:|"]
    lines += [f"| {level} | {count} |" for level, count in counts.items()]
    lines += ["", "| Tool | Status | Scanned | Cached | Seconds |", "|---|---|---:|---:|---:|"]
    lines += [
        f"| {r.tool} | {r.status}{' — ' + _cell(r.detail) if r.detail else ''} | {r.scanned} "
        f"| {r.cached} | {r.seconds:.1f} |"
        for r in report.runs
    ]
    if findings:
        lines += ["", "| Severity | Rule | Location | Owner | Message |", "|---|---|---|---|---|"]
        for finding in findings[:limit]:
            lines.append(
                f"| {finding.severity.value} | `{_cell(finding.rule_id)}` ({finding.tool}) "
                f"| `{_cell(str(finding.location))}` | {_cell(finding.owner or 'unowned')} "
                f"| {_cell(finding.message)} |"
            )
        if len(findings) > limit:
            lines.append(f"\n…and {len(findings) - limit} more.")
    return "\n".join(lines) + "\n"


def is_tool_error(finding: Finding) -> bool:
    """True for the findings that stand for a tool failure."""
    return finding.rule_id == TOOL_ERROR_RULE


__all__ = ["SEVERITY_ORDER", "finding_json", "severity_counts"]
