"""The embedded SQLite store (default ``.seccli/state.db``): WAL mode, safe with concurrent writers.

Writers take SQLite's write lock with ``BEGIN IMMEDIATE`` and wait for it (busy timeout), so
several processes can append to the audit log at once without losing or breaking entries.
The audit checkpoint is a small JSON file beside the database, rewritten atomically while the
write lock is held.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seccli.core.atomic import atomic_write_bytes
from seccli.core.clock import Clock, SystemClock, utc_iso
from seccli.core.errors import DependencyError, InputError
from seccli.core.findings import Finding
from seccli.core.hashing import canonical_json
from seccli.core.redaction import DEFAULT_REDACTOR, Redactor
from seccli.store.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditHead,
    AuditVerification,
    canonical_payload,
    entry_hash,
    payload_digest,
    verify_chain,
)
from seccli.store.interface import AuditRecord, FindingHistory, FindingsDelta, RunRecord
from seccli.store.migrations import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_S = 60.0
_AUDIT_COLUMNS = "seq, time, actor, action, subject, payload_digest, prev_hash, entry_hash, payload"


class SqliteStore:
    """The SQLite implementation of ``seccli.store.interface.Store``."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path, clock: Clock, redactor: Redactor
    ) -> None:
        self._db = connection
        self.path = path
        self._clock = clock
        self._redactor = redactor

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        clock: Clock | None = None,
        redactor: Redactor = DEFAULT_REDACTOR,
        create: bool = True,
    ) -> SqliteStore:
        """Open the database at ``path``, creating it and applying migrations as needed.

        With ``create=False`` a missing database is an input error instead.
        """
        if not create and not path.exists():
            raise InputError(
                f"{path}: no state database here yet (nothing has been recorded)",
                hint="run a command that records state first, or point --store at the database",
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"{path}: cannot open the state database: {exc}",
                hint="point --store or SECCLI_STORE at a seccli state database",
            ) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot create the state database: {exc}") from None
        store = cls(connection, path, clock or SystemClock(), redactor)
        store._migrate()
        return store

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def head_path(self) -> Path:
        """Where the audit checkpoint is kept."""
        return self.path.with_name(self.path.name + ".audit-head.json")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise DependencyError(f"{self.path}: state database is busy: {exc}") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        try:
            with self._write() as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    raise InputError(
                        f"{self.path}: state database schema {version} is newer than this "
                        f"seccli understands ({SCHEMA_VERSION})",
                        hint="upgrade seccli",
                    )
                for number in range(version, SCHEMA_VERSION):
                    for statement in _statements(MIGRATIONS[number]):
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version={number + 1}")
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"{self.path}: not a usable state database: {exc}",
                hint="point --store or SECCLI_STORE at a seccli state database",
            ) from None

    @property
    def schema_version(self) -> int:
        """The applied schema version."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # runs

    def start_run(self, command: str, actor: str, summary: dict[str, Any] | None = None) -> str:
        run_id = uuid.uuid4().hex
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (id, command, actor, started_at, status, summary) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                (run_id, command, actor, self._now(), self._json(summary or {})),
            )
        return run_id

    def finish_run(
        self, run_id: str, status: str, exit_code: int, summary: dict[str, Any] | None = None
    ) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, "
                "summary = COALESCE(?, summary) WHERE id = ?",
                (
                    self._now(),
                    status,
                    exit_code,
                    self._json(summary) if summary is not None else None,
                    run_id,
                ),
            )

    def runs(self, limit: int = 50) -> list[RunRecord]:
        rows = self._db.execute(
            "SELECT id, command, actor, started_at, finished_at, status, exit_code, summary "
            "FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            RunRecord(
                id=row[0],
                command=row[1],
                actor=row[2],
                started_at=row[3],
                finished_at=row[4],
                status=row[5],
                exit_code=row[6],
                summary=json.loads(row[7]),
            )
            for row in rows
        ]

    # findings

    def record_findings(
        self, run_id: str, scope: str, findings: Sequence[Finding]
    ) -> FindingsDelta:
        now = self._now()
        current = {finding.id: finding for finding in findings}
        with self._write() as db:
            known = dict(
                db.execute(
                    "SELECT fingerprint, resolved_at FROM findings WHERE scope = ?", (scope,)
                )
            )
            new: list[str] = []
            recurring: list[str] = []
            updates: list[tuple[str, str, str, str, str, str]] = []
            inserts: list[tuple[str, ...]] = []
            for fingerprint, finding in sorted(current.items()):
                data = self._redactor.redact(finding.model_dump_json())
                if fingerprint in known:
                    recurring.append(fingerprint)
                    updates.append((now, run_id, finding.severity.value, data, scope, fingerprint))
                else:
                    new.append(fingerprint)
                    inserts.append(
                        (
                            fingerprint,
                            scope,
                            finding.rule_id,
                            finding.tool,
                            finding.severity.value,
                            self._redactor.redact(finding.title),
                            finding.location.file,
                            now,
                            now,
                            run_id,
                            data,
                        )
                    )
            db.executemany(
                "UPDATE findings SET last_seen = ?, resolved_at = NULL, last_run_id = ?, "
                "severity = ?, data = ? WHERE scope = ? AND fingerprint = ?",
                updates,
            )
            db.executemany(
                "INSERT INTO findings (fingerprint, scope, rule_id, tool, severity, "
                "title, file, first_seen, last_seen, last_run_id, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            db.executemany(
                "INSERT OR IGNORE INTO run_findings (run_id, fingerprint) VALUES (?, ?)",
                [(run_id, fingerprint) for fingerprint in sorted(current)],
            )
            resolved = sorted(
                fp for fp, resolved_at in known.items() if fp not in current and resolved_at is None
            )
            db.executemany(
                "UPDATE findings SET resolved_at = ? WHERE scope = ? AND fingerprint = ?",
                [(now, scope, fp) for fp in resolved],
            )
        return FindingsDelta(tuple(new), tuple(recurring), tuple(resolved))

    def finding_history(self, scope: str | None = None) -> list[FindingHistory]:
        query = (
            "SELECT fingerprint, scope, rule_id, tool, severity, title, file, first_seen, "
            "last_seen, resolved_at FROM findings"
        )
        params: tuple[str, ...] = ()
        if scope is not None:
            query += " WHERE scope = ?"
            params = (scope,)
        rows = self._db.execute(query + " ORDER BY scope, fingerprint", params).fetchall()
        return [FindingHistory(*row) for row in rows]

    # audit log

    def append_audit(self, record: AuditRecord) -> AuditEntry:
        return self.append_audit_many([record])[0]

    def append_audit_many(self, records: Sequence[AuditRecord]) -> list[AuditEntry]:
        if not records:
            return []
        appended: list[AuditEntry] = []
        with self._write() as db:
            row = db.execute(
                "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, previous = (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)
            for record in records:
                seq += 1
                payload = self._redactor.redact(canonical_payload(record.payload))
                digest = payload_digest(payload)
                time = self._now()
                actor = self._redactor.redact(record.actor)
                subject = self._redactor.redact(record.subject)
                hashed = entry_hash(
                    seq=seq,
                    time=time,
                    actor=actor,
                    action=record.action,
                    subject=subject,
                    payload_digest=digest,
                    prev_hash=previous,
                )
                entry = AuditEntry(
                    seq, time, actor, record.action, subject, digest, previous, hashed, payload
                )
                appended.append(entry)
                previous = hashed
            db.executemany(
                f"INSERT INTO audit_log ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.seq,
                        e.time,
                        e.actor,
                        e.action,
                        e.subject,
                        e.payload_digest,
                        e.prev_hash,
                        e.entry_hash,
                        e.payload,
                    )
                    for e in appended
                ],
            )
            # Written while the write lock is held, so checkpoints never go backwards.
            last = appended[-1]
            self._write_head(AuditHead(last.seq, last.entry_hash))
        return appended

    def audit_entries(self, *, limit: int | None = None, after: int = 0) -> list[AuditEntry]:
        rows = self._db.execute(
            f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, -1 if limit is None else limit),
        ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def audit_head(self) -> AuditHead | None:
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            return AuditHead(int(data["seq"]), str(data["entryHash"]))
        except (ValueError, KeyError, TypeError):
            raise InputError(f"{self.head_path}: the audit checkpoint is unreadable") from None

    def verify_audit(self) -> AuditVerification:
        head = self.audit_head()
        cursor = self._db.execute(f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY seq")
        return verify_chain((AuditEntry(*row) for row in cursor), head)

    def _write_head(self, head: AuditHead) -> None:
        atomic_write_bytes(
            self.head_path, canonical_json({"seq": head.seq, "entryHash": head.entry_hash})
        )

    def _now(self) -> str:
        return utc_iso(self._clock.now())

    def _json(self, value: dict[str, Any]) -> str:
        return self._redactor.redact(canonical_json(value).decode("utf-8"))


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
