"""The output formats commands offer; each command declares which of them it renders."""

from __future__ import annotations

from enum import StrEnum


class OutputFormat(StrEnum):
    """Output formats offered by commands (each command accepts the ones that fit)."""

    TABLE = "table"
    LINES = "lines"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    CSV = "csv"
    JSONL = "jsonl"  # one JSON document per line (audit export)
    DOT = "dot"  # graphs (Graphviz source)
    SVG = "svg"  # graphs rendered by Graphviz
    YAML = "yaml"  # generated Kubernetes manifests
    HTML = "html"  # self-contained reports (drill after-action reports)
    ICS = "ics"  # iCalendar (drill schedules)


SEVERITY_ORDER_NAMES = ("critical", "high", "medium", "low", "info")
