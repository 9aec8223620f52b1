"""Helpers for audit-chain tests: a filled store, raw SQL access and a loosened schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from seccli.store.interface import AuditRecord
from seccli.store.sqlite import SqliteStore

ENTRIES = 10
COLUMNS = "seq, time, actor, action, subject, payload, payload_digest, prev_hash, entry_hash"


def fill(path: Path, entries: int = ENTRIES, *, pad: int = 0) -> Path:
    """A store at ``path`` with ``entries`` entries: one batch of five, then single appends
    (up to ten; any more in one last batch). ``pad`` adds that many bytes to each payload."""
    with SqliteStore.open(path) as store:
        store.append_audit_many(
            [AuditRecord("alice", "test.append", f"subject-{i}", {"i": i}) for i in range(1, 6)]
        )
        for i in range(6, min(entries, 10) + 1):
            store.append_audit(AuditRecord("bob", "test.append", f"subject-{i}", {"i": i}))
        store.append_audit_many(
            [
                AuditRecord("carol", "test.append", f"subject-{i}", {"i": i, "pad": "x" * pad})
                for i in range(11, entries + 1)
            ]
        )
    return path


def raw(path: Path) -> sqlite3.Connection:
    """A plain autocommit connection to the database, bypassing seccli."""
    return sqlite3.connect(path, isolation_level=None)


def loosen(db: sqlite3.Connection) -> None:
    """Recreate ``audit_log`` without types, NOT NULL or key, as a tamperer with SQL access can."""
    db.executescript(
        f"""
        ALTER TABLE audit_log RENAME TO audit_old;
        CREATE TABLE audit_log ({COLUMNS});
        INSERT INTO audit_log SELECT {COLUMNS} FROM audit_old;
        DROP TABLE audit_old;
        """
    )


def problem(path: Path) -> tuple[int, str]:
    """The first problem ``verify_audit`` reports (failing when the log verifies)."""
    with SqliteStore.open(path, create=False) as store:
        result = store.verify_audit()
    assert not result.ok, "expected the audit log to be reported broken"
    first = result.problems[0]
    return first.seq, first.reason


def append_one(path: Path, subject: str = "next") -> None:
    """Append one ordinary entry."""
    with SqliteStore.open(path) as store:
        store.append_audit(AuditRecord("carol", "test.append", subject, {"s": subject}))


def intact(path: Path) -> int:
    """Assert the log verifies; return its number of entries."""
    with SqliteStore.open(path, create=False) as store:
        result = store.verify_audit()
    assert result.ok, result.problems
    return result.entries
