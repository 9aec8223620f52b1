"""Scan results: a tool finding with the extra facts normalisation needs, runs and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seccli.core.findings import Finding
from seccli.core.redaction import Secret

TOOL_ERROR_RULE = "seccli.tool-error"


@dataclass(frozen=True, slots=True)
class RawFinding:
    """A tool's finding before de-duplication: the ``Finding`` plus its line span and CWEs.

    ``secret`` marks findings whose flagged lines hold a credential. ``matched`` carries the
    values the tool said it matched, for the engine to redact them from every other finding
    and output; it lives only in memory (never in ``to_json``, so never in the cache), and the
    adapter has already removed the values from the finding itself.
    """

    finding: Finding
    end_line: int | None = None
    cwes: tuple[str, ...] = ()
    secret: bool = False
    matched: tuple[Secret, ...] = field(default=(), repr=False, compare=False)

    def replace_finding(self, finding: Finding) -> RawFinding:
        """The same raw finding around another ``Finding`` (matched values kept)."""
        return RawFinding(finding, self.end_line, self.cwes, self.secret, self.matched)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form for the cache."""
        return {
            "finding": self.finding.model_dump(mode="json"),
            "end_line": self.end_line,
            "cwes": list(self.cwes),
            "secret": self.secret,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RawFinding:
        """Rebuild from ``to_json`` output."""
        return cls(
            finding=Finding.model_validate(data["finding"]),
            end_line=data.get("end_line"),
            cwes=tuple(data.get("cwes", ())),
            secret=bool(data.get("secret", False)),
        )


@dataclass(frozen=True, slots=True)
class ToolRun:
    """How one tool fared in a scan."""

    tool: str
    version: str
    status: str  # "ok", "error" or "skipped"
    units: int = 0
    scanned: int = 0
    cached: int = 0
    seconds: float = 0.0
    detail: str = ""
    groups: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "tool": self.tool,
            "version": self.version,
            "status": self.status,
            "units": self.units,
            "scanned": self.scanned,
            "cached": self.cached,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
            "groups": list(self.groups),
        }


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The outcome of scanning a tree: de-duplicated, redacted, owner-routed findings."""

    root: str
    findings: tuple[Finding, ...]
    runs: tuple[ToolRun, ...]
    duplicates: int = 0
    redacted: int = 0
    unowned: int = 0
    end_lines: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[ToolRun, ...]:
        """The tools that failed."""
        return tuple(run for run in self.runs if run.status == "error")
