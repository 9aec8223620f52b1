"""What every renderer reads: findings plus the metadata of the tools that produced them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seccli.core.findings import Finding


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Help for one rule: a title, a longer explanation and where to read more."""

    rule_id: str
    title: str
    help_text: str = ""
    help_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """A tool (scanner or seccli gate) whose findings a report carries.

    ``status`` is ``ok``, ``error`` or ``skipped``; ``detail`` says why a run failed.
    """

    name: str
    version: str | None = None
    information_uri: str = "https://github.com/seccli/seccli"
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    status: str = "ok"
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class FindingsReport:
    """Findings to render, the tools behind them and the root their file paths are relative to.

    ``source_root`` is the folder every relative ``Location.file`` is relative to (the
    repository root for a scan); SARIF declares it as ``originalUriBaseIds.SRCROOT``.
    ``end_lines`` maps finding ids to the last line of their region where a tool gives one.
    """

    findings: Sequence[Finding]
    tools: Sequence[ToolInfo]
    source_root: Path | None = None
    end_lines: Mapping[str, int] = field(default_factory=dict)
    title: str = "seccli"

    def findings_of(self, tool: str) -> list[Finding]:
        """The findings reported by ``tool``."""
        return [f for f in self.findings if f.tool == tool]
