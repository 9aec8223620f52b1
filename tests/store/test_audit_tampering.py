"""Tampering variants beyond the basic ones: every field, NULL and foreign types, duplicated and
renumbered entries, hash-consistent rewrites, and rolled-back checkpoints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seccli.store.audit import GENESIS_HASH, entry_hash
from seccli.store.sqlite import SqliteStore
from tests.store.chain import ENTRIES, append_one, fill, intact, loosen, problem, raw

MODIFIED = "entry was modified: its hash does not match its contents"


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return fill(tmp_path / "state.db")


def _head_file(db: Path) -> Path:
    return db.with_name(db.name + ".audit-head.json")


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("time", "2020-01-01T00:00:00.000000Z"),
        ("actor", "mallory"),
        ("action", "estate.validate"),
        ("subject", "somewhere-else"),
        ("actor", "bob "),  # one trailing space
        ("subject", ""),
    ],
)
def test_every_hashed_field_is_covered(db: Path, column: str, value: str) -> None:
    raw(db).execute(f"UPDATE audit_log SET {column} = ? WHERE seq = 4", (value,))
    assert problem(db) == (4, MODIFIED)


def test_payload_rewritten_with_a_matching_digest_breaks_the_entry_hash(db: Path) -> None:
    from seccli.store.audit import payload_digest

    forged = '{"i":999}'
    raw(db).execute(
        "UPDATE audit_log SET payload = ?, payload_digest = ? WHERE seq = 7",
        (forged, payload_digest(forged)),
    )
    assert problem(db) == (7, MODIFIED)


def test_null_payload_is_not_skipped(db: Path) -> None:
    raw(db).execute("UPDATE audit_log SET payload = NULL WHERE seq = 3")
    assert problem(db) == (
        3,
        "payload was removed (NULL): seccli writes a payload with every entry",
    )


@pytest.mark.parametrize(
    "column",
    ["time", "actor", "action", "subject", "payload_digest", "prev_hash", "entry_hash"],
)
def test_null_in_any_field_is_detected(db: Path, column: str) -> None:
    connection = raw(db)
    loosen(connection)
    connection.execute(f"UPDATE audit_log SET {column} = NULL WHERE seq = 5")
    assert problem(db) == (5, f"{column} was modified: it holds null, not text")


@pytest.mark.parametrize("column", ["actor", "subject", "payload", "entry_hash"])
def test_a_blob_with_the_same_bytes_is_not_the_same_value(db: Path, column: str) -> None:
    raw(db).execute(f"UPDATE audit_log SET {column} = CAST({column} AS BLOB) WHERE seq = 6")
    assert problem(db) == (6, f"{column} was modified: it holds bytes, not text")


@pytest.mark.parametrize(("value", "kind"), [(1700000000, "int"), (1.5, "float")])
def test_a_number_where_text_belongs_is_detected(db: Path, value: object, kind: str) -> None:
    connection = raw(db)
    loosen(connection)  # without column affinity the number stays a number
    connection.execute("UPDATE audit_log SET time = ? WHERE seq = 2", (value,))
    assert problem(db) == (2, f"time was modified: it holds {kind}, not text")


def test_swapped_sequence_numbers_are_detected(db: Path) -> None:
    connection = raw(db)
    connection.execute("UPDATE audit_log SET seq = -1 WHERE seq = 3")
    connection.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4")
    connection.execute("UPDATE audit_log SET seq = 4 WHERE seq = -1")
    assert problem(db) == (3, MODIFIED)


@pytest.mark.parametrize("seq", [1, 5, ENTRIES])
def test_a_duplicated_entry_is_detected(db: Path, seq: int) -> None:
    connection = raw(db)
    loosen(connection)
    connection.execute("INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = ?", (seq,))
    assert problem(db) == (
        seq,
        "sequence number repeats or goes backwards (inserted or duplicated)",
    )


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("seq = 1", (2, "entries 1 are missing (deleted)")),
        ("seq IN (3, 4, 5)", (6, "entries 3-5 are missing (deleted)")),
        (
            f"seq = {ENTRIES}",
            (
                ENTRIES,
                f"the log ends at entry {ENTRIES - 1} but the checkpoint records entry "
                f"{ENTRIES}: the tail was truncated",
            ),
        ),
        (
            "1 = 1",
            (
                1,
                f"the log ends at entry 0 but the checkpoint records entry {ENTRIES}: "
                "the tail was truncated",
            ),
        ),
    ],
)
def test_deletions_are_located(db: Path, where: str, expected: tuple[int, str]) -> None:
    raw(db).execute(f"DELETE FROM audit_log WHERE {where}")
    assert problem(db) == expected


def _rehash(db: Path, *, forge_actor_at: int, keep: int, extra: int = 0) -> None:
    """Rewrite the first ``keep`` entries hash-consistently (one actor changed), drop the rest,
    and add ``extra`` forged, correctly linked entries."""
    connection = raw(db)
    rows = connection.execute(
        "SELECT seq, time, actor, action, subject, payload, payload_digest FROM audit_log "
        "WHERE seq <= ? ORDER BY seq",
        (keep,),
    ).fetchall()
    connection.execute("DELETE FROM audit_log")
    prev = GENESIS_HASH
    forged = [
        (keep + n, "t", "mallory", "x.y", "s", rows[0][5], rows[0][6]) for n in range(1, extra + 1)
    ]
    for seq, time, actor, action, subject, payload, digest in [*rows, *forged]:
        actor = "mallory" if seq == forge_actor_at else actor
        new_hash = entry_hash(
            seq=seq,
            time=time,
            actor=actor,
            action=action,
            subject=subject,
            payload_digest=digest,
            prev_hash=prev,
        )
        connection.execute(
            "INSERT INTO audit_log (seq, time, actor, action, subject, payload, payload_digest, "
            "prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, time, actor, action, subject, payload, digest, prev, new_hash),
        )
        prev = new_hash


def test_a_hash_consistent_rewrite_of_the_whole_chain_is_caught_by_the_checkpoint(
    db: Path,
) -> None:
    _rehash(db, forge_actor_at=2, keep=ENTRIES)
    assert problem(db) == (
        ENTRIES,
        "the entry's hash differs from the checkpoint: the chain was rewritten",
    )


def test_a_rewritten_and_shortened_chain_is_caught(db: Path) -> None:
    _rehash(db, forge_actor_at=2, keep=6)
    seq, reason = problem(db)
    assert seq == 7 and "the tail was truncated" in reason


def test_a_rewritten_and_extended_chain_is_caught(db: Path) -> None:
    _rehash(db, forge_actor_at=9, keep=ENTRIES, extra=3)
    assert problem(db) == (
        ENTRIES,
        "the entry's hash differs from the checkpoint: the chain was rewritten",
    )


def test_a_checkpoint_rolled_back_to_an_older_valid_one_is_detected(tmp_path: Path) -> None:
    db = fill(tmp_path / "state.db", entries=5)
    older = _head_file(db).read_bytes()
    for i in range(5):
        append_one(db, f"later-{i}")
    _head_file(db).write_bytes(older)
    assert problem(db) == (
        6,
        "entries after the checkpoint (entry 5) were not written through seccli",
    )


def test_rolling_back_both_files_together_is_only_caught_by_a_head_kept_elsewhere(
    tmp_path: Path,
) -> None:
    """Documented limit: a consistent older pair (database + checkpoint) verifies locally.

    What catches it is a copy of the head kept outside the machine (``audit verify --format
    json`` prints it): the verified head goes backwards.
    """
    db = fill(tmp_path / "state.db", entries=5)
    backup = tmp_path / "backup"
    backup.mkdir()
    for path in (db, _head_file(db)):
        shutil.copy2(path, backup / path.name)
    fill(tmp_path / "state.db", entries=5)  # five more entries: ten in all
    with SqliteStore.open(db) as store:
        recorded_elsewhere = store.verify_audit().head
    for path in backup.iterdir():
        shutil.copy2(path, tmp_path / path.name)
    for leftover in tmp_path.glob("state.db-*"):  # WAL files of the newer state
        leftover.unlink()
    with SqliteStore.open(db) as store:
        result = store.verify_audit()
    assert result.ok and result.head is not None and recorded_elsewhere is not None
    assert (result.head.seq, recorded_elsewhere.seq) == (5, ENTRIES)
    assert result.head.entry_hash != recorded_elsewhere.entry_hash


@pytest.mark.parametrize(
    ("checkpoint", "expected"),
    [
        (
            {"seq": ENTRIES, "entryHash": "a" * 64},
            (ENTRIES, "the entry's hash differs from the checkpoint: the chain was rewritten"),
        ),
        (
            {"seq": ENTRIES + 2, "entryHash": "b" * 64},
            (
                ENTRIES + 1,
                f"the log ends at entry {ENTRIES} but the checkpoint records entry "
                f"{ENTRIES + 2}: the tail was truncated",
            ),
        ),
        (
            {"seq": 0, "entryHash": GENESIS_HASH},
            (1, "entries after the checkpoint (entry 0) were not written through seccli"),
        ),
    ],
)
def test_a_checkpoint_off_the_chain_is_detected(
    db: Path, checkpoint: dict[str, object], expected: tuple[int, str]
) -> None:
    _head_file(db).write_text(json.dumps(checkpoint))
    assert problem(db) == expected


def _pending_checkpoint(db: Path, head_seq: int) -> None:
    """Make the checkpoint look like an append from ``head_seq`` to the end was interrupted."""
    connection = raw(db)
    rows = dict(connection.execute("SELECT seq, entry_hash FROM audit_log").fetchall())
    end = max(rows)
    head = {"seq": head_seq, "entryHash": rows[head_seq]}
    _head_file(db).write_text(json.dumps({**head, "pending": {"seq": end, "entryHash": rows[end]}}))


def test_an_interrupted_append_that_committed_verifies(db: Path) -> None:
    _pending_checkpoint(db, 7)
    assert intact(db) == ENTRIES


def test_entries_beyond_the_pending_head_are_detected(db: Path) -> None:
    _pending_checkpoint(db, 7)
    connection = raw(db)
    row = connection.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", (ENTRIES,))
    prev = row.fetchone()[0]
    digest = connection.execute("SELECT payload_digest FROM audit_log WHERE seq = 1").fetchone()
    payload = connection.execute("SELECT payload FROM audit_log WHERE seq = 1").fetchone()[0]
    forged = entry_hash(
        seq=ENTRIES + 1,
        time="t",
        actor="m",
        action="a",
        subject="s",
        payload_digest=digest[0],
        prev_hash=prev,
    )
    connection.execute(
        "INSERT INTO audit_log VALUES (?, 't', 'm', 'a', 's', ?, ?, ?, ?)",
        (ENTRIES + 1, payload, digest[0], prev, forged),
    )
    assert problem(db) == (
        8,
        "entries after the checkpoint (entry 7) were not written through seccli",
    )


def test_an_edit_inside_the_pending_append_is_detected(db: Path) -> None:
    _pending_checkpoint(db, 7)
    raw(db).execute("UPDATE audit_log SET subject = 'x' WHERE seq = 9")
    assert problem(db) == (9, MODIFIED)


def test_a_cut_inside_the_pending_append_is_detected(db: Path) -> None:
    _pending_checkpoint(db, 7)
    raw(db).execute(f"DELETE FROM audit_log WHERE seq = {ENTRIES}")
    seq, reason = problem(db)
    assert seq == ENTRIES and "inside the append" in reason and "truncated" in reason
