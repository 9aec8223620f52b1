"""The reports ``seccli org report`` produces (a leaf module: the CLI imports it at start-up)."""

from __future__ import annotations

from enum import StrEnum


class ReportKind(StrEnum):
    """Reports ``seccli org report`` can produce."""

    HEADCOUNT = "headcount"
    COVERAGE = "coverage"
    LOAD = "load"
    CHART = "chart"
