"""The scanner extension point: what an adapter must provide, and the units it caches by.

An adapter (``Scanner``) looks at the repository's inventory, plans *work units* (one file, or
one checkov framework over the tree), and scans the units it is given. The engine caches the
findings of each unit by content digest, tool version and rule-set digest, so a re-scan only
hands the adapter the units that changed. Implementations are named in
``seccli.scan.registry.SCANNERS``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from seccli.scan.model import RawFinding


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of the scanned tree: its path relative to the root (POSIX) and digest."""

    path: str
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class Inventory:
    """Every scannable file under a root, keyed by relative path."""

    root: Path
    files: Mapping[str, SourceFile]

    def paths(self) -> list[str]:
        """All relative paths, sorted."""
        return sorted(self.files)


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """What a scanner caches by: a key (a file, a framework), its files and their digest."""

    key: str
    files: tuple[str, ...]
    digest: str
    group: str = ""


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What an adapter needs to run its tool (``version``: the tool's; ``warm``: a warm
    worker may be used where the adapter has one)."""

    root: Path
    executable: Path
    timeout: float
    rules_dir: Path | None = None
    processes: int = 1
    env: Mapping[str, str] = field(default_factory=dict)
    skip_dirs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    deadline: float | None = None
    version: str = ""
    warm: bool = False

    def remaining(self) -> float:
        """Seconds left of this tool's time-out (shared by all its processes)."""
        if self.deadline is None:
            return self.timeout
        return max(0.05, self.deadline - time.monotonic())


class ToolFailure(Exception):
    """The tool is missing, crashed, timed out or wrote output we cannot read."""

    def __init__(self, tool: str, kind: str, detail: str) -> None:
        super().__init__(f"{tool}: {kind}: {detail}")
        self.tool = tool
        self.kind = kind
        self.detail = detail


class Scanner(Protocol):
    """A scanner adapter. Instances are cheap; running is done by ``scan``."""

    name: str
    executable_name: str
    package: str

    def plan(self, inventory: Inventory) -> list[WorkUnit]:
        """The units this scanner would scan in ``inventory`` (empty: it does not apply)."""
        ...

    def rules_digest(self, rules_dir: Path | None) -> str:
        """A digest of the rule set in use (changes invalidate the cache)."""
        ...

    def scan(self, context: ToolContext, units: Sequence[WorkUnit]) -> dict[str, list[RawFinding]]:
        """Scan ``units`` and return their findings keyed by unit key (every key present).

        Raises ``ToolFailure`` when the tool cannot give a trustworthy answer.
        """
        ...
