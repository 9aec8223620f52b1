"""One renderer per output format, over findings and the tools that produced them.

Capabilities return findings (and their own result objects); commands pick a format and call
these. Usage::

    from seccli.render import FindingsReport, ToolInfo, render_findings
    text = render_findings(OutputFormat.SARIF, FindingsReport(findings, [ToolInfo("bandit")]))
"""

from seccli.render.findings_json import finding_json, findings_json, severity_counts
from seccli.render.formats import OutputFormat
from seccli.render.interface import RENDERERS, Renderer, render_findings
from seccli.render.model import FindingsReport, RuleInfo, ToolInfo
from seccli.render.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY, sarif_log
from seccli.render.text import csv_text, finding_line, lines_text, markdown_table, table_text

__all__ = [
    "FINGERPRINT_KEY",
    "RENDERERS",
    "SECURITY_SEVERITY",
    "FindingsReport",
    "OutputFormat",
    "Renderer",
    "RuleInfo",
    "ToolInfo",
    "csv_text",
    "finding_json",
    "finding_line",
    "findings_json",
    "lines_text",
    "markdown_table",
    "render_findings",
    "sarif_log",
    "severity_counts",
    "table_text",
]
