"""The local bus: a job queue, results and the audit mirror in a SQLite file, no server.

It keeps JetStream's semantics so that the same worker code runs on both: a delivered job is
leased for ``ack_wait`` seconds and delivered again when the lease runs out (a worker that
died), ``nak`` delays the next delivery, duplicates of a submitted job are one job.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seccli.bus.config import BusConfig
from seccli.bus.interface import AuditCopy, BusUnavailable, Delivery, JobStatus
from seccli.bus.model import Job, JobResult, JobState, canonical, decode_result
from seccli.core.documents import parse_json_bytes
from seccli.core.errors import InputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, subject TEXT NOT NULL, body BLOB NOT NULL,
    queued INTEGER NOT NULL DEFAULT 1, attempts INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL DEFAULT 0, seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (queued, seq);
CREATE INDEX IF NOT EXISTS jobs_seq ON jobs (seq);
CREATE TABLE IF NOT EXISTS status (id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS payloads (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT UNIQUE, subject TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT UNIQUE, body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, body BLOB NOT NULL
);
"""


class LocalDelivery:
    """A leased job of the local queue."""

    def __init__(self, bus: LocalBus, job_id: str, data: bytes, attempt: int) -> None:
        self._bus = bus
        self._id = job_id
        self._data = data
        self._attempt = attempt

    @property
    def data(self) -> bytes:
        return self._data

    @property
    def attempt(self) -> int:
        return self._attempt

    async def ack(self) -> None:
        self._bus._execute("UPDATE jobs SET queued=0 WHERE id=?", (self._id,))

    async def term(self) -> None:
        await self.ack()

    async def nak(self, delay: float) -> None:
        self._bus._execute(
            "UPDATE jobs SET visible_at=? WHERE id=? AND queued=1", (time.time() + delay, self._id)
        )

    async def in_progress(self) -> None:
        self._bus._execute(
            "UPDATE jobs SET visible_at=? WHERE id=? AND queued=1",
            (time.time() + self._bus.ack_wait, self._id),
        )


class LocalBus:
    """The ``local`` bus in ``path`` (by default beside the state database)."""

    def __init__(self, config: BusConfig, *, ack_wait: float = 30.0) -> None:
        if config.local_path is None:
            raise BusUnavailable("the local bus needs a file (beside the state database)")
        self.path: Path = config.local_path
        self.ack_wait = ack_wait
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def connect(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise BusUnavailable(f"{self.path}: local bus unusable: {exc}") from None

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._db is None:
            raise BusUnavailable("the local bus is not open")
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise BusUnavailable(f"{self.path}: local bus error: {exc}") from None

    async def put_payload(self, name: str, data: bytes) -> None:
        self._execute("INSERT OR IGNORE INTO payloads VALUES (?, ?)", (name, data))

    async def get_payload(self, name: str) -> bytes:
        rows = self._execute("SELECT data FROM payloads WHERE name=?", (name,))
        if not rows:
            raise BusUnavailable(f"payload {name} is missing from the local bus")
        return bytes(rows[0][0])

    async def submit(self, job: Job) -> bool:
        rows = self._execute(
            "INSERT OR IGNORE INTO jobs (id, subject, body, seq) "
            "VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs)) RETURNING id",
            (job.id, job.subject(), job.encode()),
        )
        return bool(rows)

    async def deliveries(self, batch: int, timeout: float) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while True:
            leased = self._lease(batch)
            if leased or time.monotonic() >= deadline:
                return leased
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _lease(self, batch: int) -> list[Delivery]:
        now = time.time()
        if self._db is None:
            raise BusUnavailable("the local bus is not open")
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                rows = self._db.execute(
                    "SELECT id, body, attempts FROM jobs WHERE queued=1 AND visible_at<=? "
                    "ORDER BY seq LIMIT ?",
                    (now, batch),
                ).fetchall()
                for job_id, _, _ in rows:
                    self._db.execute(
                        "UPDATE jobs SET attempts=attempts+1, visible_at=? WHERE id=?",
                        (now + self.ack_wait, job_id),
                    )
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._db.execute("ROLLBACK")
                raise BusUnavailable(f"{self.path}: local bus error: {exc}") from None
        return [LocalDelivery(self, str(i), bytes(b), int(a) + 1) for i, b, a in rows]

    async def set_status(self, status: JobStatus) -> None:
        body = canonical({**status.to_json(), "resultRef": status.result_ref})
        self._execute("INSERT OR REPLACE INTO status VALUES (?, ?)", (status.job_id, body))

    async def status(self, job_id: str) -> JobStatus | None:
        rows = self._execute("SELECT body FROM status WHERE id=?", (job_id,))
        if rows:
            return status_of(bytes(rows[0][0]))
        queued = self._execute("SELECT attempts FROM jobs WHERE id=?", (job_id,))
        if queued:
            return JobStatus(job_id, JobState.QUEUED, attempts=int(queued[0][0]))
        return None

    async def statuses(self) -> list[JobStatus]:
        rows = self._execute(
            "SELECT jobs.id, jobs.attempts, status.body FROM jobs "
            "LEFT JOIN status ON status.id = jobs.id ORDER BY jobs.seq"
        )
        return [
            status_of(bytes(body))
            if body is not None
            else JobStatus(str(job_id), JobState.QUEUED, attempts=int(attempts))
            for job_id, attempts, body in rows
        ]

    async def publish_result(self, result: JobResult) -> str:
        msg_id = f"{result.state.value}:{result.job_id}"
        self._execute(
            "INSERT OR IGNORE INTO results (msg_id, subject, body) VALUES (?, ?, ?)",
            (msg_id, result.subject(), canonical(result.to_json())),
        )
        rows = self._execute("SELECT seq FROM results WHERE msg_id=?", (msg_id,))
        return str(rows[0][0])

    async def result(self, status: JobStatus) -> JobResult | None:
        if status.result_ref is None:
            return None
        rows = self._execute("SELECT body FROM results WHERE seq=?", (int(status.result_ref),))
        return decode_result(bytes(rows[0][0])) if rows else None

    async def publish_audit(self, chain: str, entries: Sequence[dict[str, Any]]) -> int:
        count = 0
        for entry in entries:
            rows = self._execute(
                "INSERT OR IGNORE INTO audit (msg_id, body) VALUES (?, ?) RETURNING seq",
                (entry["entryHash"], canonical({"chain": chain, **entry})),
            )
            count += len(rows)
        return count

    async def audit_copies(self) -> list[AuditCopy]:
        rows = self._execute("SELECT body FROM audit ORDER BY seq")
        return [copy for (body,) in rows if (copy := audit_copy_of(bytes(body))) is not None]

    async def publish_metrics(self, subsidiary: str, record: dict[str, Any]) -> None:
        from seccli.bus.model import metrics_subject

        self._execute(
            "INSERT INTO metrics (subject, body) VALUES (?, ?)",
            (metrics_subject(subsidiary), canonical(record)),
        )


def status_of(body: bytes) -> JobStatus:
    """A status record as written by ``set_status`` (shared with the NATS bus)."""
    data = parse_json_bytes(body, "job status")
    return JobStatus(
        job_id=str(data["jobId"]),
        state=JobState(data["state"]),
        attempts=int(data.get("attempts") or 0),
        worker=str(data.get("worker") or ""),
        error=data.get("error"),
        result_ref=data.get("resultRef"),
    )


def audit_copy_of(body: bytes) -> AuditCopy | None:
    """An audit message's chain position, or None if it is not a seccli audit message."""
    try:
        data = parse_json_bytes(body, "audit message")
        return AuditCopy(
            chain=str(data["chain"]),
            seq=int(data["seq"]),
            entry_hash=str(data["entryHash"]),
            prev_hash=str(data["prevHash"]),
        )
    except (InputError, KeyError, ValueError, TypeError):
        return None  # a foreign message on the subject is not ours to judge
