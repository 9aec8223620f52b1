"""The audit hash chain: every kind of tampering is detected and located."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from seccli.store.audit import entry_hash, payload_digest
from seccli.store.interface import AuditRecord
from seccli.store.sqlite import SqliteStore

ENTRIES = 10


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore.open(tmp_path / "state.db") as opened:
        opened.append_audit_many(
            [AuditRecord("alice", "test.append", f"subject-{i}", {"i": i}) for i in range(1, 6)]
        )
        for i in range(6, ENTRIES + 1):
            opened.append_audit(AuditRecord("bob", "test.append", f"subject-{i}", {"i": i}))
        yield opened


def _raw(store: SqliteStore) -> sqlite3.Connection:
    return sqlite3.connect(store.path, isolation_level=None)


def _problem(store: SqliteStore) -> tuple[int, str]:
    result = store.verify_audit()
    assert not result.ok
    first = result.problems[0]
    return first.seq, first.reason


def test_intact_chain_verifies(store: SqliteStore) -> None:
    result = store.verify_audit()
    assert result.ok, result.problems
    assert result.entries == ENTRIES
    assert result.head is not None and result.head.seq == ENTRIES
    entries = store.audit_entries()
    assert [e.seq for e in entries] == list(range(1, ENTRIES + 1))
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    assert all(e.time.endswith("Z") for e in entries)


def test_edited_entry_is_located(store: SqliteStore) -> None:
    _raw(store).execute("UPDATE audit_log SET subject = 'forged' WHERE seq = 4")
    assert _problem(store) == (4, "entry was modified: its hash does not match its contents")


def test_edited_payload_is_located(store: SqliteStore) -> None:
    _raw(store).execute("UPDATE audit_log SET payload = '{\"i\":999}' WHERE seq = 7")
    seq, reason = _problem(store)
    assert (seq, "payload was modified" in reason) == (7, True)


def test_deleted_entry_is_located(store: SqliteStore) -> None:
    _raw(store).execute("DELETE FROM audit_log WHERE seq = 5")
    assert _problem(store) == (6, "entries 5 are missing (deleted)")


def test_deleted_and_renumbered_entries_are_detected(store: SqliteStore) -> None:
    db = _raw(store)
    db.execute("DELETE FROM audit_log WHERE seq = 5")
    for seq in range(6, ENTRIES + 1):
        db.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (seq - 1, seq))
    seq, reason = _problem(store)
    assert seq == 5 and "modified" in reason


def test_reordered_entries_are_detected(store: SqliteStore) -> None:
    db = _raw(store)
    columns = "time, actor, action, subject, payload, payload_digest, prev_hash, entry_hash"
    row3 = db.execute(f"SELECT {columns} FROM audit_log WHERE seq = 3").fetchone()
    row4 = db.execute(f"SELECT {columns} FROM audit_log WHERE seq = 4").fetchone()
    assignments = ", ".join(f"{c.strip()} = ?" for c in columns.split(","))
    db.execute(f"UPDATE audit_log SET {assignments} WHERE seq = 3", (*row4,))
    db.execute(f"UPDATE audit_log SET {assignments} WHERE seq = 4", (*row3,))
    seq, reason = _problem(store)
    assert seq == 3 and "modified" in reason


def test_inserted_entry_with_valid_hash_is_detected(store: SqliteStore) -> None:
    db = _raw(store)
    for seq in range(ENTRIES, 5, -1):
        db.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (seq + 1, seq))
    prev = db.execute("SELECT entry_hash FROM audit_log WHERE seq = 5").fetchone()[0]
    payload = '{"forged":true}'
    digest = payload_digest(payload)
    forged = entry_hash(
        seq=6,
        time="2026-01-01T00:00:00.000000Z",
        actor="mallory",
        action="x",
        subject="y",
        payload_digest=digest,
        prev_hash=prev,
    )
    db.execute(
        "INSERT INTO audit_log (seq, time, actor, action, subject, payload, payload_digest, "
        "prev_hash, entry_hash) VALUES (6, '2026-01-01T00:00:00.000000Z', 'mallory', 'x', 'y', "
        "?, ?, ?, ?)",
        (payload, digest, prev, forged),
    )
    seq, reason = _problem(store)
    assert seq == 7 and "modified" in reason


def test_truncated_tail_is_detected_by_the_checkpoint(store: SqliteStore) -> None:
    _raw(store).execute("DELETE FROM audit_log WHERE seq > 7")
    seq, reason = _problem(store)
    assert seq == 8
    assert "truncated" in reason and "checkpoint records entry 10" in reason


def test_rewritten_chain_is_detected_by_the_checkpoint(store: SqliteStore) -> None:
    db = _raw(store)
    rows = db.execute(
        "SELECT seq, time, actor, action, subject, payload_digest FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = "0" * 64
    for seq, time, actor, action, subject, digest in rows:
        actor = "mallory" if seq == 2 else actor
        new_hash = entry_hash(
            seq=seq,
            time=time,
            actor=actor,
            action=action,
            subject=subject,
            payload_digest=digest,
            prev_hash=prev,
        )
        db.execute(
            "UPDATE audit_log SET actor = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?",
            (actor, prev, new_hash, seq),
        )
        prev = new_hash
    seq, reason = _problem(store)
    assert seq == ENTRIES and "rewritten" in reason


def test_appended_outside_seccli_is_detected(store: SqliteStore) -> None:
    db = _raw(store)
    prev = db.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", (ENTRIES,)).fetchone()[0]
    digest = payload_digest("{}")
    forged = entry_hash(
        seq=ENTRIES + 1,
        time="t",
        actor="m",
        action="a",
        subject="s",
        payload_digest=digest,
        prev_hash=prev,
    )
    db.execute(
        "INSERT INTO audit_log (seq, time, actor, action, subject, payload, payload_digest, "
        "prev_hash, entry_hash) VALUES (?, 't', 'm', 'a', 's', '{}', ?, ?, ?)",
        (ENTRIES + 1, digest, prev, forged),
    )
    assert _problem(store) == (
        ENTRIES + 1,
        f"entries after the checkpoint (entry {ENTRIES}) were not written through seccli",
    )


def test_missing_checkpoint_is_reported(store: SqliteStore) -> None:
    store.head_path.unlink()
    assert _problem(store) == (
        ENTRIES,
        "the checkpoint is missing but the log has entries: the tail is unprovable",
    )


def test_empty_log_verifies(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "empty.db") as empty:
        result = empty.verify_audit()
    assert result.ok and result.entries == 0
