"""The SQLite store: migrations, runs, findings history, redaction, concurrency."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seccli.core.clock import FixedClock
from seccli.core.errors import InputError
from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.redaction import Redactor, Secret
from seccli.core.severity import Severity
from seccli.store.errors import AuditLogBroken
from seccli.store.interface import AuditRecord
from seccli.store.migrations import SCHEMA_VERSION
from seccli.store.sqlite import SqliteStore


def _finding(rule: str, snippet: str) -> Finding:
    return Finding.create(
        tool="t",
        rule_id=rule,
        title=rule,
        message="m",
        severity=Severity.HIGH,
        location=Location("a.py", 1),
        basis=snippet,
    )


def test_fresh_store_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    with SqliteStore.open(tmp_path / "s" / "state.db") as store:
        assert store.schema_version == SCHEMA_VERSION
        mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    # Opening again does not re-run migrations.
    with SqliteStore.open(tmp_path / "s" / "state.db") as again:
        assert again.schema_version == SCHEMA_VERSION


def test_partial_schema_is_upgraded(tmp_path: Path) -> None:
    from seccli.store.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with SqliteStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store._db.execute("SELECT count(*) FROM exceptions").fetchone()[0] == 0


def test_newer_schema_and_garbage_files_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(InputError, match="newer than this seccli"):
        SqliteStore.open(newer)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AuditLogBroken, match=r"audit log broken/unreadable: .*garbage.db"):
        SqliteStore.open(garbage)
    with pytest.raises(InputError, match="no state database"):
        SqliteStore.open(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_runs_are_recorded(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 21, tzinfo=UTC))
    with SqliteStore.open(tmp_path / "s.db", clock=clock) as store:
        run_id = store.start_run("estate validate", "alice", {"file": "e.yaml"})
        clock.advance(timedelta(seconds=3))
        store.finish_run(run_id, "ok", 0, {"services": 3})
        (run,) = store.runs()
    assert run.id == run_id
    assert (run.started_at, run.finished_at) == (
        "2026-11-21T00:00:00.000000Z",
        "2026-11-21T00:00:03.000000Z",
    )
    assert (run.status, run.exit_code, run.summary) == ("ok", 0, {"services": 3})


def test_findings_history_tracks_first_last_seen_and_resolution(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 11, 1, tzinfo=UTC))
    a, b, c = _finding("A", "a"), _finding("B", "b"), _finding("C", "c")
    with SqliteStore.open(tmp_path / "s.db", clock=clock) as store:
        run1 = store.start_run("scan", "ci")
        delta1 = store.record_findings(run1, "repo", [a, b])
        assert sorted(delta1.new) == sorted([a.id, b.id]) and not delta1.resolved
        clock.advance(timedelta(days=1))
        run2 = store.start_run("scan", "ci")
        delta2 = store.record_findings(run2, "repo", [b, c])
        assert delta2.new == (c.id,)
        assert delta2.recurring == (b.id,)
        assert delta2.resolved == (a.id,)
        # Another scope is independent.
        store.record_findings(store.start_run("scan", "ci"), "other", [a])
        clock.advance(timedelta(days=1))
        delta3 = store.record_findings(store.start_run("scan", "ci"), "repo", [a, b, c])
        assert delta3.recurring == tuple(sorted([a.id, b.id, c.id]))
        history = {h.fingerprint: h for h in store.finding_history("repo")}
    assert history[a.id].first_seen == "2026-11-01T00:00:00.000000Z"
    assert history[a.id].resolved_at is None  # came back
    assert history[b.id].last_seen == "2026-11-03T00:00:00.000000Z"
    assert history[c.id].first_seen == "2026-11-02T00:00:00.000000Z"


def test_audit_payload_and_subject_are_redacted(tmp_path: Path) -> None:
    redactor = Redactor()
    canary = Secret("canary-secret-9d2f", redactor=redactor)
    with SqliteStore.open(tmp_path / "s.db", redactor=redactor) as store:
        entry = store.append_audit(
            AuditRecord("alice", "vault.rotate", f"kv/x?{canary.reveal()}", {"v": canary.reveal()})
        )
        assert store.verify_audit().ok
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"canary-secret-9d2f" not in raw
    assert "canary-secret-9d2f" not in repr(entry)


def _append_worker(path: str, actor: str, count: int) -> None:
    with SqliteStore.open(Path(path)) as store:
        for i in range(count):
            store.append_audit(AuditRecord(actor, "concurrent.append", f"{actor}-{i}", {"i": i}))


def test_concurrent_processes_append_without_losing_or_breaking_entries(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore.open(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_worker, args=(str(path), f"worker{n}", 40)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with SqliteStore.open(path) as store:
        result = store.verify_audit()
        entries = store.audit_entries()
    assert result.ok, result.problems
    assert [e.seq for e in entries] == list(range(1, 161))
    subjects = sorted(e.subject for e in entries)
    assert subjects == sorted(f"worker{n}-{i}" for n in range(4) for i in range(40))


def test_verifying_while_others_append_never_reports_a_false_break(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SqliteStore.open(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_worker, args=(str(path), f"worker{n}", 30)) for n in range(2)
    ]
    for worker in workers:
        worker.start()
    checks = 0
    with SqliteStore.open(path) as store:
        while any(worker.is_alive() for worker in workers) or checks == 0:
            result = store.verify_audit()
            assert result.ok, result.problems
            checks += 1
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    with SqliteStore.open(path) as store:
        assert store.verify_audit().entries == 60
