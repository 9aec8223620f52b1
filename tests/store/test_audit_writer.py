"""The writer extends only a head its checkpoint vouches for, and never heals the checkpoint.

Also: a run is never left ``running`` because its audit append failed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from seccli.store.audit import GENESIS_HASH, AuditCheckpoint
from seccli.store.errors import AuditLogBroken, AuditLogInconsistent
from seccli.store.interface import AuditRecord
from seccli.store.runs import recorded_run
from seccli.store.sqlite import SqliteStore
from tests.store.chain import ENTRIES, append_one, fill, intact, problem, raw


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return fill(tmp_path / "state.db")


def _head_file(db: Path) -> Path:
    return db.with_name(db.name + ".audit-head.json")


def _log_end(db: Path) -> int:
    return int(raw(db).execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])


def _refused(db: Path, match: str) -> None:
    """An append is refused, and neither the log nor the checkpoint changes."""
    head = _head_file(db)
    before = (_log_end(db), head.read_bytes() if head.exists() else None)
    with pytest.raises(AuditLogInconsistent, match=f"^audit log inconsistent: .*{match}"):
        append_one(db)
    assert (_log_end(db), head.read_bytes() if head.exists() else None) == before


def test_first_append_starts_from_genesis(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    append_one(db)
    checkpoint = json.loads(_head_file(db).read_text())
    first = raw(db).execute("SELECT prev_hash, entry_hash FROM audit_log").fetchall()
    assert first[0][0] == GENESIS_HASH
    assert checkpoint == {"seq": 1, "entryHash": first[0][1]}  # settled: no pending left
    assert intact(db) == 1


def test_a_truncated_tail_stays_detected_after_the_next_command(db: Path) -> None:
    raw(db).execute("DELETE FROM audit_log WHERE seq > 7")
    _refused(db, "the log ends at entry 7 but the checkpoint records entry 10")
    _refused(db, "the tail was truncated")  # and again: nothing was healed
    assert problem(db)[0] == 8


def test_a_deleted_checkpoint_is_not_recreated(db: Path) -> None:
    _head_file(db).unlink()
    _refused(db, "the checkpoint is missing but the log has entries")
    assert not _head_file(db).exists()
    assert "checkpoint is missing" in problem(db)[1]


def test_a_checkpoint_without_a_log_is_inconsistent(db: Path) -> None:
    raw(db).execute("DELETE FROM audit_log")
    _refused(db, "the log ends at entry 0 but the checkpoint records entry 10")


def test_a_deleted_database_beside_its_checkpoint_is_inconsistent(db: Path) -> None:
    for path in db.parent.glob("state.db*"):
        if path != _head_file(db):
            path.unlink()
    with pytest.raises(AuditLogBroken, match="the log was deleted"):
        SqliteStore.open(db, create=False)
    with pytest.raises(AuditLogInconsistent, match="the tail was truncated"):
        append_one(db)  # a writer may create the database, but not extend a log it lost


@pytest.mark.parametrize(
    ("checkpoint", "match"),
    [
        ({"seq": ENTRIES + 3, "entryHash": "c" * 64}, "checkpoint records entry 13"),
        ({"seq": ENTRIES, "entryHash": "d" * 64}, "differs from the checkpoint"),
        ({"seq": 4, "entryHash": "e" * 64}, "differs from the checkpoint"),
        ({"seq": 0, "entryHash": GENESIS_HASH}, "entries after the checkpoint .entry 0."),
    ],
)
def test_a_checkpoint_not_on_the_chain_is_refused(
    db: Path, checkpoint: dict[str, object], match: str
) -> None:
    _head_file(db).write_text(json.dumps(checkpoint))
    _refused(db, match)


def test_a_checkpoint_rolled_back_is_refused(tmp_path: Path) -> None:
    db = fill(tmp_path / "state.db", entries=6)
    older = _head_file(db).read_bytes()
    append_one(db)
    _head_file(db).write_bytes(older)
    _refused(db, "entries after the checkpoint .entry 6. were not written through seccli")


def test_entries_added_behind_seccli_s_back_are_refused(db: Path) -> None:
    connection = raw(db)
    connection.execute(
        "INSERT INTO audit_log SELECT seq + 1, time, actor, action, subject, payload, "
        "payload_digest, entry_hash, entry_hash FROM audit_log WHERE seq = ?",
        (ENTRIES,),
    )
    _refused(db, "entries after the checkpoint .entry 10.")


def test_an_interrupted_append_is_rolled_forward_by_the_next(db: Path) -> None:
    rows = dict(raw(db).execute("SELECT seq, entry_hash FROM audit_log").fetchall())
    interrupted = AuditCheckpoint.from_json(
        {"seq": 8, "entryHash": rows[8], "pending": {"seq": 10, "entryHash": rows[10]}}
    )
    _head_file(db).write_text(json.dumps(interrupted.to_json()))
    append_one(db)
    with SqliteStore.open(db) as store:
        head, checkpoint = store.verify_audit().head, store.audit_checkpoint()
    assert head is not None and head.seq == ENTRIES + 1
    assert checkpoint == AuditCheckpoint(head)  # settled: no pending left
    assert intact(db) == ENTRIES + 1


def test_an_append_that_never_committed_is_dropped_from_the_checkpoint(db: Path) -> None:
    rows = dict(raw(db).execute("SELECT seq, entry_hash FROM audit_log").fetchall())
    never = {
        "seq": ENTRIES,
        "entryHash": rows[ENTRIES],
        "pending": {"seq": 12, "entryHash": "f" * 64},
    }
    _head_file(db).write_text(json.dumps(never))
    assert intact(db) == ENTRIES
    append_one(db)
    assert json.loads(_head_file(db).read_text())["seq"] == ENTRIES + 1
    assert intact(db) == ENTRIES + 1


def _statuses(db: Path) -> list[tuple[str, int | None]]:
    return [tuple(row) for row in raw(db).execute("SELECT status, exit_code FROM runs")]


def test_a_run_whose_append_is_refused_ends_as_an_error(db: Path) -> None:
    raw(db).execute("DELETE FROM audit_log WHERE seq > 7")
    with pytest.raises(AuditLogInconsistent), SqliteStore.open(db) as store:
        run_id = store.start_run("estate validate", "alice")
        store.append_audit(AuditRecord("alice", "estate.validate", "e.yaml"))
        store.finish_run(run_id, "ok", 0)
    assert _statuses(db) == [("error", 3)]


def test_a_run_nobody_finished_is_not_left_running(db: Path) -> None:
    with SqliteStore.open(db) as store:
        store.start_run("images verify", "alice")
    assert _statuses(db) == [("error", 3)]


def test_recorded_run_with_a_broken_log_ends_the_run(db: Path) -> None:
    raw(db).execute("DELETE FROM audit_log WHERE seq > 7")
    with SqliteStore.open(db) as store:
        with pytest.raises(AuditLogInconsistent), recorded_run(store, "scan", "a", "repo"):
            pass
        with pytest.raises(AuditLogInconsistent), recorded_run(store, "scan", "a", "repo"):
            raise KeyError("work failed too")
    assert _statuses(db) == [("error", 3), ("error", 3)]


def test_with_the_runs_table_gone_nothing_is_half_written(db: Path) -> None:
    raw(db).execute("DROP TABLE run_findings")
    raw(db).execute("DROP TABLE findings")
    raw(db).execute("DROP TABLE runs")
    with pytest.raises(AuditLogBroken, match="no such table: runs"), SqliteStore.open(db) as s:
        s.start_run("scan", "a")
    assert intact(db) == ENTRIES
    with pytest.raises(sqlite3.OperationalError):
        raw(db).execute("SELECT * FROM runs")
