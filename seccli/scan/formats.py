"""What a scan adds to the shared renderers (``seccli.render``): its JSON document, its
pull-request Markdown and the summary lines under a table (tools, counts, gate verdict).

SARIF, tables, lines and the findings' JSON shape come from ``seccli.render``. These build text
or data; the CLI decides where it goes and redacts the final text once more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seccli.core.findings import Finding
from seccli.render.findings_json import SEVERITY_ORDER, finding_json, severity_counts
from seccli.render.text import markdown_cell as _cell
from seccli.scan.model import TOOL_ERROR_RULE

if TYPE_CHECKING:
    from seccli.scan.run import ScanResult


def report_json(result: ScanResult) -> dict[str, Any]:
    """The JSON document of a scan (findings: what remains after baseline/suppressions)."""
    findings = result.findings
    report = result.report
    return {
        "kind": "ScanReport",
        "root": report.root,
        "sourceRoot": str(result.source_root),
        "summary": {
            "total": len(findings),
            "bySeverity": severity_counts(findings),
            "duplicatesMerged": report.duplicates,
            "secretsRedacted": report.redacted,
            "unowned": sum(1 for f in findings if f.owner is None and f.location.file != "."),
        },
        "gate": result.gate.as_json(),
        "tools": [run.to_json() for run in report.runs],
        "findings": [finding_json(f, report.end_lines.get(f.id)) for f in findings],
    }


def to_markdown(result: ScanResult, *, limit: int = 50) -> str:
    """A summary for a pull-request comment: gate verdict, counts and the worst findings."""
    findings = result.findings
    threshold = result.gate.threshold
    counts = severity_counts(findings)
    if result.report.errors:
        verdict = "**Gate: failed** — a scanner did not complete"
    elif threshold is None:
        verdict = "**Gate: report only** — --fail-on none"
    elif result.gate.violations:
        verdict = (
            f"**Gate: failed** — {len(result.gate.violations)} finding(s) at or above "
            f"{threshold.value}"
        )
    else:
        verdict = f"**Gate: passed** — nothing at or above {threshold.value}"
    lines = ["## seccli scan", "", verdict, "", "| Severity | Count |", "|---|---:|"]
    lines += [f"| {level} | {count} |" for level, count in counts.items()]
    lines += ["", "| Tool | Status | Scanned | Cached | Seconds |", "|---|---|---:|---:|---:|"]
    lines += [
        f"| {r.tool} | {r.status}{' — ' + _cell(r.detail) if r.detail else ''} | {r.scanned} "
        f"| {r.cached} | {r.seconds:.1f} |"
        for r in result.report.runs
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


def summary_text(result: ScanResult) -> str:
    """The lines under a table (and alone with ``-o``): tools, counts and the gate verdict."""
    report, gate = result.report, result.gate
    lines = []
    for run in report.runs:
        line = f"{run.tool} {run.version}: {run.status}"
        if run.status != "skipped":
            line += f", {run.scanned} scanned, {run.cached} cached, {run.seconds:.1f} s"
        if run.detail:
            line += f" ({run.detail})"
        lines.append(line)
    lines += [
        f"expired suppression: {s.label()} (expired {s.expires.isoformat()}, approver {s.approver})"
        for s in gate.outcome.expired
    ]
    counts = ", ".join(
        f"{level.value} {sum(1 for f in gate.findings if f.severity == level)}"
        for level in SEVERITY_ORDER
    )
    lines.append(
        f"{len(gate.findings)} findings ({counts}); {len(gate.outcome.suppressed)} suppressed, "
        f"{gate.baselined} in baseline, {report.duplicates} duplicates merged"
    )
    threshold = "none" if gate.threshold is None else gate.threshold.value
    verdict = {0: "PASSED", 1: "FAILED", 3: "FAILED (scanner error)"}[result.exit_code]
    lines.append(f"gate (--fail-on {threshold}): {verdict}, {len(gate.violations)} violations")
    return "\n".join(lines) + "\n"


def is_tool_error(finding: Finding) -> bool:
    """True for the findings that stand for a tool failure."""
    return finding.rule_id == TOOL_ERROR_RULE
