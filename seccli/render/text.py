"""Text renderings of findings: grep-friendly lines, a Rich table, Markdown and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from seccli.core.findings import Finding
from seccli.render.findings_json import SEVERITY_ORDER


def finding_line(finding: Finding) -> str:
    """``path:line: severity rule message`` (one line, grep-friendly)."""
    where = finding.location.file
    if finding.location.line is not None:
        where += f":{finding.location.line}"
    message = " ".join((finding.message or finding.title).split())
    return f"{where}: {finding.severity.value} {finding.rule_id} {message}"


def lines_text(findings: Sequence[Finding]) -> str:
    """One line per finding, most severe first (stable within a severity)."""
    ordered = sorted(findings, key=lambda f: -f.severity.rank)
    return "".join(finding_line(f) + "\n" for f in ordered)


def table_text(findings: Sequence[Finding], *, width: int = 160, unowned: str = "-") -> str:
    """Findings grouped by severity as Rich tables (plain text, no colour codes); ``unowned``
    fills the owner column of findings without one."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(
        file=buffer, width=max(80, width), highlight=False, soft_wrap=False, force_terminal=False
    )
    for level in SEVERITY_ORDER:
        group = [f for f in findings if f.severity == level]
        if not group:
            continue
        table = Table(title=f"{level.value.upper()} ({len(group)})", title_justify="left")
        for column in ("Rule", "Tool", "Location", "Owner", "Message"):
            table.add_column(column, overflow="fold")
        for f in group:
            table.add_row(f.rule_id, f.tool, str(f.location), f.owner or unowned, f.message)
        console.print(table)
    return buffer.getvalue()


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, one line)."""
    return " ".join(text.replace("|", "\\|").split())


def markdown_table(findings: Sequence[Finding], *, limit: int = 50) -> str:
    """A Markdown table of the first ``limit`` findings, with a count of the rest."""
    if not findings:
        return "No findings.\n"
    lines = ["| Severity | Rule | Location | Owner | Message |", "|---|---|---|---|---|"]
    lines.extend(
        f"| {f.severity.value} | `{markdown_cell(f.rule_id)}` ({f.tool}) "
        f"| `{markdown_cell(str(f.location))}` | {markdown_cell(f.owner or 'unowned')} "
        f"| {markdown_cell(f.message)} |"
        for f in findings[:limit]
    )
    if len(findings) > limit:
        lines.append(f"\n…and {len(findings) - limit} more.")
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "id",
    "severity",
    "rule",
    "tool",
    "file",
    "line",
    "path",
    "owner",
    "controls",
    "message",
)


def csv_text(findings: Sequence[Finding]) -> str:
    """RFC 4180 CSV, one row per finding, with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in findings:
        writer.writerow(
            [
                f.id,
                f.severity.value,
                f.rule_id,
                f.tool,
                f.location.file,
                "" if f.location.line is None else f.location.line,
                f.location.path or "",
                f.owner or "",
                " ".join(str(c).replace(" ", ":") for c in f.controls),
                f.message,
            ]
        )
    return buffer.getvalue()
