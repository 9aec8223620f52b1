"""The scan cache: findings per work unit, keyed by content digest, tool version and rule set.

It lives in the state database (its own tables, created on first use), so a re-scan after a
one-file change only hands the scanners the units whose content changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson

from seccli.scan.interface import WorkUnit
from seccli.scan.model import RawFinding

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS scan_cache (
        tool TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        rules_digest TEXT NOT NULL,
        unit TEXT NOT NULL,
        digest TEXT NOT NULL,
        findings TEXT NOT NULL,
        PRIMARY KEY (tool, tool_version, rules_digest, unit)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS scan_tool_versions (
        executable TEXT PRIMARY KEY,
        stamp TEXT NOT NULL,
        version TEXT NOT NULL
    )
    """,
)


class ScanCache:
    """Cached findings per (tool, version, rule set, unit) in a SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path), timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def lookup(
        self, tool: str, version: str, rules: str, units: Sequence[WorkUnit]
    ) -> dict[str, list[RawFinding]]:
        """Cached findings of the units whose content digest still matches."""
        rows = self._db.execute(
            "SELECT unit, digest, findings FROM scan_cache "
            "WHERE tool = ? AND tool_version = ? AND rules_digest = ?",
            (tool, version, rules),
        ).fetchall()
        stored = {unit: (digest, findings) for unit, digest, findings in rows}
        hits: dict[str, list[RawFinding]] = {}
        for unit in units:
            entry = stored.get(unit.key)
            if entry is not None and entry[0] == unit.digest:
                hits[unit.key] = [RawFinding.from_json(item) for item in orjson.loads(entry[1])]
        return hits

    def store(
        self,
        tool: str,
        version: str,
        rules: str,
        entries: Iterable[tuple[WorkUnit, list[RawFinding]]],
    ) -> None:
        """Remember the findings of freshly scanned units."""
        rows = [
            (
                tool,
                version,
                rules,
                unit.key,
                unit.digest,
                json.dumps([raw.to_json() for raw in findings], sort_keys=True),
            )
            for unit, findings in entries
        ]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Results of other versions or rule sets of this tool can never be hits again.
            self._db.execute(
                "DELETE FROM scan_cache "
                "WHERE tool = ? AND (tool_version != ? OR rules_digest != ?)",
                (tool, version, rules),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO scan_cache VALUES (?, ?, ?, ?, ?, ?)", rows
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def tool_version(self, executable: str, stamp: str) -> str | None:
        """The version remembered for an executable with this stamp (size and mtime)."""
        row = self._db.execute(
            "SELECT version FROM scan_tool_versions WHERE executable = ? AND stamp = ?",
            (executable, stamp),
        ).fetchone()
        return str(row[0]) if row else None

    def remember_version(self, executable: str, stamp: str, version: str) -> None:
        """Remember a tool's version for this executable stamp."""
        self._db.execute(
            "INSERT OR REPLACE INTO scan_tool_versions VALUES (?, ?, ?)",
            (executable, stamp, version),
        )

    def clear(self) -> None:
        """Forget every cached result."""
        self._db.execute("DELETE FROM scan_cache")
