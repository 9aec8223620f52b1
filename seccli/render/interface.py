"""The renderer interface and the table naming one implementation per format."""

from __future__ import annotations

from abc import ABC, abstractmethod

import orjson

from seccli.render.findings_json import findings_json, severity_counts
from seccli.render.formats import OutputFormat
from seccli.render.model import FindingsReport
from seccli.render.sarif import sarif_log
from seccli.render.text import csv_text, lines_text, markdown_table, table_text

_PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


class Renderer(ABC):
    """Turns a findings report into the text of one format."""

    format: OutputFormat

    @abstractmethod
    def render(self, report: FindingsReport) -> str:
        """The whole document as text."""


class SarifRenderer(Renderer):
    """SARIF 2.1.0 (code scanning)."""

    format = OutputFormat.SARIF

    def render(self, report: FindingsReport) -> str:
        return orjson.dumps(sarif_log(report), option=_PRETTY).decode()


class JsonRenderer(Renderer):
    """Versioned JSON: the findings and their counts by severity."""

    format = OutputFormat.JSON

    def render(self, report: FindingsReport) -> str:
        document = {
            "schemaVersion": "1",
            "summary": {
                "total": len(report.findings),
                "bySeverity": severity_counts(report.findings),
            },
            "tools": [
                {"name": t.name, "version": t.version, "status": t.status} for t in report.tools
            ],
            "findings": findings_json(report.findings, report.end_lines),
        }
        return orjson.dumps(document, option=_PRETTY | orjson.OPT_SORT_KEYS).decode()


class TableRenderer(Renderer):
    """Rich tables grouped by severity."""

    format = OutputFormat.TABLE

    def render(self, report: FindingsReport) -> str:
        return table_text(report.findings)


class LinesRenderer(Renderer):
    """``path:line: severity rule message`` per finding."""

    format = OutputFormat.LINES

    def render(self, report: FindingsReport) -> str:
        return lines_text(report.findings)


class MarkdownRenderer(Renderer):
    """A Markdown table (pull-request comments, job summaries)."""

    format = OutputFormat.MARKDOWN

    def render(self, report: FindingsReport) -> str:
        return f"## {report.title}\n\n" + markdown_table(report.findings)


class CsvRenderer(Renderer):
    """CSV, one row per finding."""

    format = OutputFormat.CSV

    def render(self, report: FindingsReport) -> str:
        return csv_text(report.findings)


RENDERERS: dict[OutputFormat, type[Renderer]] = {
    OutputFormat.SARIF: SarifRenderer,
    OutputFormat.JSON: JsonRenderer,
    OutputFormat.TABLE: TableRenderer,
    OutputFormat.LINES: LinesRenderer,
    OutputFormat.MARKDOWN: MarkdownRenderer,
    OutputFormat.CSV: CsvRenderer,
}


def render_findings(fmt: OutputFormat, report: FindingsReport) -> str:
    """Render ``report`` in ``fmt`` with the renderer the table names."""
    return RENDERERS[fmt]().render(report)
