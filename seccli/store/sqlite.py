"""The embedded SQLite store (default ``.seccli/state.db``): WAL mode, safe with concurrent writers.

Writers take SQLite's write lock with ``BEGIN IMMEDIATE`` and wait for it (busy timeout), so
several processes can append to the audit log at once without losing or breaking entries.
The audit checkpoint is a small JSON file beside the database, only ever rewritten (atomically)
while the write lock is held. A damaged database or checkpoint is an ``AuditLogBroken`` error,
never a traceback.
"""

from __future__ import annotations

import contextlib
import glob
import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from seccli.core.atomic import atomic_write_bytes
from seccli.core.clock import Clock, SystemClock, utc_iso
from seccli.core.documents import LoadLimits, decode_source, parse_documents
from seccli.core.errors import DependencyError, InputError, SeccliError
from seccli.core.findings import Finding
from seccli.core.hashing import canonical_json
from seccli.core.redaction import DEFAULT_REDACTOR, Redactor
from seccli.store.audit import (
    AuditCheckpoint,
    AuditEntry,
    AuditHead,
    AuditVerification,
    canonical_payload,
    check_tail,
    entry_hash,
    payload_digest,
    verify_chain,
)
from seccli.store.errors import AuditLogBroken, AuditLogInconsistent
from seccli.store.interface import AuditRecord, FindingHistory, FindingsDelta, RunRecord
from seccli.store.migrations import MIGRATIONS, SCHEMA_VERSION
from seccli.store.runs import RunStatus

BUSY_TIMEOUT_S = 60.0
_AUDIT_COLUMNS = "seq, time, actor, action, subject, payload_digest, prev_hash, entry_hash, payload"
_CHECKPOINT_LIMITS = LoadLimits(max_bytes=4096, max_depth=4)
_SQLITE_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


def _reached(step: str) -> None:
    """A seam for crash tests: called at each step of an append; does nothing."""


class SqliteStore:
    """The SQLite implementation of ``seccli.store.interface.Store``."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path, clock: Clock, redactor: Redactor
    ) -> None:
        self._db = connection
        self.path = path
        self._clock = clock
        self._redactor = redactor
        self._unfinished: dict[str, None] = {}
        self._integrity_checked = False

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
        head_path = _head_path(path)
        if not create and not path.exists():
            if os.path.lexists(head_path):
                raise AuditLogBroken(
                    f"{path}: the state database is missing but its checkpoint {head_path} "
                    "exists: the log was deleted"
                )
            raise InputError(
                f"{path}: no state database here yet (nothing has been recorded)",
                hint="run a command that records state first, or point --store at the database",
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{path}: cannot create the state database: {exc}") from None
        try:
            connection = sqlite3.connect(
                str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as exc:
            raise AuditLogBroken(f"{path}: cannot open the state database: {exc}") from None
        store = cls(connection, path, clock or SystemClock(), redactor)
        try:
            with store._translated():
                connection.execute("PRAGMA journal_mode=WAL")
                # FULL: a commit is on disk before the checkpoint that names it is written.
                connection.execute("PRAGMA synchronous=FULL")
                connection.execute("PRAGMA foreign_keys=ON")
            store._migrate()
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        try:
            self._end_unfinished_runs(exc)
        finally:
            self.close()

    def _end_unfinished_runs(self, exc: BaseException | None) -> None:
        """Mark runs this store started and nobody finished as ended, never left ``running``.

        This covers a command whose audit append (or anything else) failed after
        ``start_run``; when even that write fails, the database is broken and the original
        error is what the user sees.
        """
        code = _exit_code_of(exc)
        status = RunStatus.for_exit_code(code)
        if status in (RunStatus.OK, RunStatus.VIOLATIONS):
            status = RunStatus.ERROR  # a run nobody finished is not a clean verdict
        reason = type(exc).__name__ if exc is not None else "not finished"
        for run_id in list(self._unfinished):
            with contextlib.suppress(SeccliError, sqlite3.Error):
                self.finish_run(run_id, status.value, code, {"error": reason})
        self._unfinished.clear()

    @property
    def head_path(self) -> Path:
        """Where the audit checkpoint is kept."""
        return _head_path(self.path)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn SQLite's errors into seccli errors: busy is busy, anything else is damage."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _SQLITE_BUSY:
                raise DependencyError(f"{self.path}: state database is busy: {exc}") from None
            raise AuditLogBroken(f"{self.path}: {_printable(str(exc))}") from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._translated():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
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

    @property
    def schema_version(self) -> int:
        """The applied schema version."""
        with self._translated():
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
        self._unfinished[run_id] = None
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
        self._unfinished.pop(run_id, None)

    def runs(self, limit: int = 50) -> list[RunRecord]:
        with self._translated():
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
                summary=self._summary(row[0], row[7]),
            )
            for row in rows
        ]

    def _summary(self, run_id: object, text: object) -> dict[str, Any]:
        source = f"{self.path}: run {run_id} summary"
        try:
            if not isinstance(text, str):
                raise InputError(f"{source}: holds {type(text).__name__}, not JSON text")
            (document,) = parse_documents(text, source, fmt="json")
        except InputError as exc:
            raise AuditLogBroken(str(exc)) from None
        if not isinstance(document.data, dict):
            raise AuditLogBroken(f"{source}: not a JSON object")
        return document.data

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
        with self._translated():
            rows = self._db.execute(query + " ORDER BY scope, fingerprint", params).fetchall()
        return [FindingHistory(*row) for row in rows]

    # audit log

    def append_audit(self, record: AuditRecord) -> AuditEntry:
        return self.append_audit_many([record])[0]

    def append_audit_many(self, records: Sequence[AuditRecord]) -> list[AuditEntry]:
        """Append entries in one transaction, extending only a head the checkpoint vouches for.

        The steps, each leaving a state that verifies if the process dies right after it:
        under the write lock, check the log's end against the checkpoint (refusing with
        ``AuditLogInconsistent`` instead of extending a log that was cut or rewritten); write
        the checkpoint naming the new head as pending; insert and commit; then, under the lock
        again, write the checkpoint with the new head. An append that dies between the commit
        and the last write is completed (rolled forward) by the next one.
        """
        if not records:
            return []
        if not self._integrity_checked:
            self._check_integrity()  # once per store: a command appends on a sound database
            self._integrity_checked = True
        with self._write() as db:
            checkpoint = self._read_checkpoint()
            head = self._settled_head(db, checkpoint)
            self._remove_stale_checkpoint_files()
            _reached("settled")
            appended = self._entries_after(head, records)
            new_head = AuditHead(appended[-1].seq, appended[-1].entry_hash)
            self._write_checkpoint(AuditCheckpoint(head, new_head))
            _reached("checkpoint-pending")
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
            _reached("inserted")
        self._settle_checkpoint(new_head)
        return appended

    def _entries_after(self, head: AuditHead, records: Sequence[AuditRecord]) -> list[AuditEntry]:
        seq, previous = head.seq, head.entry_hash
        appended: list[AuditEntry] = []
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
            appended.append(
                AuditEntry(
                    seq, time, actor, record.action, subject, digest, previous, hashed, payload
                )
            )
            previous = hashed
        return appended

    def _settled_head(
        self, db: sqlite3.Connection, checkpoint: AuditCheckpoint | None
    ) -> AuditHead:
        """The head to extend: the log's end, checked against the checkpoint (lock held)."""
        log_end = int(db.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])
        if checkpoint is None:
            start, room = 1, 1
        else:
            start = max(checkpoint.head.seq, 1)
            ahead = checkpoint.pending.seq if checkpoint.pending else checkpoint.head.seq
            room = ahead - checkpoint.head.seq + 2  # one more than may follow, to see extras
        rows = db.execute(
            f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?",
            (start, room),
        ).fetchall()
        head, problem = check_tail(checkpoint, [AuditEntry(*row) for row in rows], log_end)
        if problem is not None or head is None:
            raise AuditLogInconsistent(f"{self.path}: {problem}")
        return head

    def _settle_checkpoint(self, new_head: AuditHead) -> None:
        """Record ``new_head`` as the checkpoint's head unless a later append already moved it.

        Best effort: the entries are committed whatever happens here. If this fails, the
        checkpoint still names ``new_head`` as pending, which verifies, and the next append
        completes it.
        """
        try:
            _reached("committed")
            with self._write():
                checkpoint = self._read_checkpoint()
                if checkpoint is not None and checkpoint.pending == new_head:
                    _reached("settling")
                    self._write_checkpoint(AuditCheckpoint(new_head))
                    _reached("settled-checkpoint")
        except Exception:  # noqa: BLE001 - the append itself succeeded; see above
            return

    def audit_entries(self, *, limit: int | None = None, after: int = 0) -> list[AuditEntry]:
        with self._translated():
            rows = self._db.execute(
                f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, -1 if limit is None else limit),
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def audit_head(self) -> AuditHead | None:
        checkpoint = self._read_checkpoint()
        return checkpoint.head if checkpoint is not None else None

    def audit_checkpoint(self) -> AuditCheckpoint | None:
        """The checkpoint as stored (``None`` when there is none)."""
        return self._read_checkpoint()

    def verify_audit(self) -> AuditVerification:
        """Check the database's integrity, then the whole chain against the checkpoint.

        The log and the checkpoint are read under the write lock, so an append running at the
        same time is seen either wholly or not at all.
        """
        self._check_integrity()
        with self._write() as db:
            checkpoint = self._read_checkpoint()
            cursor = db.execute(f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY seq")
            return verify_chain((AuditEntry(*row) for row in cursor), checkpoint)

    def _check_integrity(self) -> None:
        """SQLite's structural check of every page (``quick_check``, linear in the size)."""
        with self._translated():
            damage = [str(row[0]) for row in self._db.execute("PRAGMA quick_check").fetchall()]
        if damage != ["ok"]:
            details = [line for line in damage if not line.startswith("***")] or damage
            raise AuditLogBroken(f"{self.path}: the database is damaged: {'; '.join(details[:3])}")

    def _read_checkpoint(self) -> AuditCheckpoint | None:
        """Read the checkpoint: a regular file of at most a few KiB, through the safe loader."""
        path = self.head_path
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if os.path.islink(path):
                raise AuditLogBroken(f"{path}: the checkpoint is a symbolic link") from None
            raise AuditLogBroken(f"{path}: cannot read the checkpoint: {exc.strerror}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise AuditLogBroken(f"{path}: the checkpoint is not a regular file")
        with os.fdopen(fd, "rb") as handle:
            try:
                raw = handle.read(_CHECKPOINT_LIMITS.max_bytes + 1)
            except OSError as exc:
                raise AuditLogBroken(f"{path}: cannot read the checkpoint: {exc}") from None
        try:
            text = decode_source(raw, str(path), _CHECKPOINT_LIMITS)
            (document,) = parse_documents(text, str(path), fmt="json", limits=_CHECKPOINT_LIMITS)
            return AuditCheckpoint.from_json(document.data)
        except InputError as exc:
            raise AuditLogBroken(f"the checkpoint is not valid JSON: {exc}") from None
        except ValueError as exc:
            raise AuditLogBroken(f"{path}: the checkpoint is malformed: {exc}") from None

    def _write_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        try:
            atomic_write_bytes(self.head_path, canonical_json(checkpoint.to_json()))
        except OSError as exc:
            raise AuditLogBroken(
                f"{self.head_path}: cannot write the checkpoint: {exc.strerror or exc}"
            ) from None

    def _remove_stale_checkpoint_files(self) -> None:
        """Remove temporary checkpoint files an append killed mid-write left (lock held)."""
        for stale in self.path.parent.glob(f".{glob.escape(self.head_path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()

    def _now(self) -> str:
        return utc_iso(self._clock.now())

    def _json(self, value: dict[str, Any]) -> str:
        return self._redactor.redact(canonical_json(value).decode("utf-8"))


def _printable(text: str, limit: int = 200) -> str:
    """``text`` safe for a terminal: control and undecodable characters become ``?``."""
    cleaned = "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def _head_path(path: Path) -> Path:
    return path.with_name(path.name + ".audit-head.json")


def _exit_code_of(exc: BaseException | None) -> int:
    if exc is None:
        return 3
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    return 130 if isinstance(exc, KeyboardInterrupt) else 3


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]
