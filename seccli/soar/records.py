"""Durable records of playbook runs: the run, each step before and after it runs, approvals.

The tables (migration 4 of ``seccli.store.migrations``) live in the state database; this module
uses its own connection to the same file in WAL mode, so a step's record is committed before
its action starts and again before the next step starts. By default commits are
``synchronous=NORMAL``: in WAL mode a committed transaction is in the operating system's copy of
the WAL file when COMMIT returns, so it survives the process being killed at any point (SIGKILL,
the crash resume is specified against, tested in ``tests/soar/test_kill_resume.py``); what it
does not survive is the machine losing power or the kernel crashing before the WAL is synced (the
next checkpoint or FULL commit syncs it) — then the last steps may run again on resume, with the
same idempotency key. ``fsync=True`` (``SECCLI_SOAR_FSYNC=1``) makes every commit
``synchronous=FULL``, durable against power loss too; ``bench/soar.py --fsync`` measures what it
costs (about 0.3 ms more per step on this machine's disk). A step's record is keyed by (run id,
step key); a completed record is never executed again.

Every record change is also an audit entry (``playbook.step.start`` / ``playbook.step.end`` /
``playbook.approval``); they are appended to the audit chain in batches — at the end of each
run, pause or failure, and first thing on resume for anything a killed process left behind.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.clock import Clock, utc_iso
from seccli.core.errors import DependencyError, InputError
from seccli.core.redaction import DEFAULT_REDACTOR, Secret
from seccli.store.interface import AuditRecord, Store

REDACTED = "[redacted]"


class RunState:
    """Spellings of a playbook run's state."""

    RUNNING = "running"
    WAITING = "waiting-approval"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step's record."""

    run_id: str
    step_key: str
    seq: int
    state: str  # started, completed, failed, waiting
    attempt: int
    inputs_digest: str
    outcome: str | None
    output: Any
    error: str | None
    started_at: str
    finished_at: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "step": self.step_key,
            "state": self.state,
            "attempt": self.attempt,
            "inputsDigest": self.inputs_digest,
            "outcome": self.outcome,
            "output": self.output,
            "error": self.error,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
        }


@dataclass(frozen=True, slots=True)
class RunRow:
    """A playbook run."""

    id: str
    playbook: str
    actor: str
    state: str
    definition: dict[str, Any]
    inputs: dict[str, Any]
    created_at: str
    updated_at: str
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Approval:
    """An approval request and its decision (if any)."""

    run_id: str
    step_key: str
    requested_at: str
    expires_at: str
    reason: str
    decision: str | None
    approver: str | None
    decision_reason: str | None
    decided_at: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "step": self.step_key,
            "requestedAt": self.requested_at,
            "expiresAt": self.expires_at,
            "reason": self.reason,
            "decision": self.decision,
            "approver": self.approver,
            "decisionReason": self.decision_reason,
            "decidedAt": self.decided_at,
        }


def scrub(value: Any) -> Any:
    """``value`` with every ``Secret`` replaced and every registered secret text redacted."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, str):
        return DEFAULT_REDACTOR.redact(value)
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return DEFAULT_REDACTOR.redact(str(value))


def _json(value: Any) -> str:
    return json.dumps(scrub(value), sort_keys=True, separators=(",", ":"))


class RunRecords:
    """Playbook run, step and approval records in the state database."""

    def __init__(self, path: Path, clock: Clock, *, fsync: bool = False) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                str(path), timeout=60.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        except sqlite3.Error as exc:
            raise DependencyError(f"{path}: cannot open the playbook records: {exc}") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def now(self) -> str:
        """The clock's time, UTC ISO 8601."""
        return utc_iso(self._clock.now())

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise DependencyError(f"{self.path}: playbook records: {exc}") from None

    def _read(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(query, params).fetchall()
            except sqlite3.Error as exc:
                raise DependencyError(f"{self.path}: playbook records: {exc}") from None

    # runs

    def create_run(
        self, run_id: str, playbook: str, actor: str, definition: dict[str, Any], inputs: Any
    ) -> None:
        """Record a new run (state running)."""
        now = self.now()
        with self._write() as db:
            db.execute(
                "INSERT INTO playbook_runs (id, playbook, actor, state, definition, inputs, "
                "created_at, updated_at) VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    run_id,
                    playbook,
                    actor,
                    json.dumps(definition, sort_keys=True),
                    _json(inputs),
                    now,
                    now,
                ),
            )

    def set_state(self, run_id: str, state: str, result: dict[str, Any]) -> None:
        """Record the run's state and result."""
        with self._write() as db:
            db.execute(
                "UPDATE playbook_runs SET state = ?, result = ?, updated_at = ? WHERE id = ?",
                (state, _json(result), self.now(), run_id),
            )

    def run(self, run_id: str) -> RunRow:
        """The run ``run_id`` (``InputError`` when there is none)."""
        rows = self._read(
            "SELECT id, playbook, actor, state, definition, inputs, created_at, updated_at, "
            "result FROM playbook_runs WHERE id = ?",
            (run_id,),
        )
        if not rows:
            raise InputError(f"no playbook run {run_id!r}", hint="list them: seccli playbook runs")
        return _run_row(rows[0])

    def runs(self, limit: int = 50) -> list[RunRow]:
        """The newest runs first."""
        rows = self._read(
            "SELECT id, playbook, actor, state, definition, inputs, created_at, updated_at, "
            "result FROM playbook_runs ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [_run_row(row) for row in rows]

    # steps

    def step(self, run_id: str, step_key: str) -> StepRecord | None:
        """The record of one step, if it has one."""
        rows = self._read(
            "SELECT run_id, step_key, seq, state, attempt, inputs_digest, outcome, output, error, "
            "started_at, finished_at FROM playbook_steps WHERE run_id = ? AND step_key = ?",
            (run_id, step_key),
        )
        return _step_row(rows[0]) if rows else None

    def steps(self, run_id: str) -> list[StepRecord]:
        """Every step record of a run, in the order they started."""
        rows = self._read(
            "SELECT run_id, step_key, seq, state, attempt, inputs_digest, outcome, output, error, "
            "started_at, finished_at FROM playbook_steps WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return [_step_row(row) for row in rows]

    def begin_step(self, run_id: str, step_key: str, inputs_digest: str, attempt: int) -> None:
        """Record that a step (attempt) starts; durable before it runs."""
        now = self.now()
        with self._write() as db:
            db.execute(
                "INSERT INTO playbook_steps (run_id, step_key, seq, state, attempt, inputs_digest,"
                " started_at) VALUES (?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM playbook_steps"
                " WHERE run_id = ?), 'started', ?, ?, ?) ON CONFLICT (run_id, step_key) DO UPDATE"
                " SET state = 'started', attempt = excluded.attempt, inputs_digest ="
                " excluded.inputs_digest, started_at = excluded.started_at, finished_at = NULL,"
                " audited = ''",
                (run_id, step_key, run_id, attempt, inputs_digest, now),
            )

    def end_step(
        self,
        run_id: str,
        step_key: str,
        state: str,
        outcome: str,
        output: Any,
        error: str | None = None,
    ) -> None:
        """Record how a step ended (``completed``, ``failed`` or ``waiting``)."""
        with self._write() as db:
            db.execute(
                "UPDATE playbook_steps SET state = ?, outcome = ?, output = ?, error = ?, "
                "finished_at = ? WHERE run_id = ? AND step_key = ?",
                (state, outcome, _json(output), scrub(error), self.now(), run_id, step_key),
            )

    # approvals

    def request_approval(self, run_id: str, step_key: str, expires_at: str, reason: str) -> None:
        """Open an approval request (no-op when one exists)."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO playbook_approvals (run_id, step_key, requested_at, "
                "expires_at, reason) VALUES (?, ?, ?, ?, ?)",
                (run_id, step_key, self.now(), expires_at, scrub(reason)),
            )

    def approval(self, run_id: str, step_key: str) -> Approval | None:
        """The approval request of a step."""
        rows = self._read(
            "SELECT run_id, step_key, requested_at, expires_at, reason, decision, approver, "
            "decision_reason, decided_at FROM playbook_approvals WHERE run_id = ? AND "
            "step_key = ?",
            (run_id, step_key),
        )
        return Approval(*rows[0]) if rows else None

    def approvals(self, run_id: str) -> list[Approval]:
        """Every approval request of a run."""
        rows = self._read(
            "SELECT run_id, step_key, requested_at, expires_at, reason, decision, approver, "
            "decision_reason, decided_at FROM playbook_approvals WHERE run_id = ? "
            "ORDER BY requested_at, step_key",
            (run_id,),
        )
        return [Approval(*row) for row in rows]

    def decide(
        self, run_id: str, step_key: str, decision: str, approver: str, reason: str
    ) -> Approval:
        """Record a decision on an open, unexpired request (``InputError`` otherwise)."""
        with self._write() as db:
            row = db.execute(
                "SELECT decision, expires_at FROM playbook_approvals WHERE run_id = ? AND "
                "step_key = ?",
                (run_id, step_key),
            ).fetchone()
            if row is None:
                raise InputError(f"run {run_id} has no approval request at step {step_key!r}")
            if row[0] is not None:
                raise InputError(f"step {step_key!r} of run {run_id} was already {row[0]}")
            now = self.now()
            if now >= row[1]:
                raise InputError(
                    f"the approval request of step {step_key!r} expired at {row[1]}",
                    hint="resume the run: the step takes its failure path",
                )
            db.execute(
                "UPDATE playbook_approvals SET decision = ?, approver = ?, decision_reason = ?, "
                "decided_at = ? WHERE run_id = ? AND step_key = ?",
                (decision, scrub(approver), scrub(reason), now, run_id, step_key),
            )
        found = self.approval(run_id, step_key)
        assert found is not None
        return found

    # audit

    def flush_audit(self, store: Store, actor: str, run_id: str) -> int:
        """Append the audit entries of step records not yet audited; how many."""
        rows = self._read(
            "SELECT step_key, state, attempt, inputs_digest, outcome, audited, error "
            "FROM playbook_steps WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        records: list[AuditRecord] = []
        marks: list[tuple[str, str]] = []
        for key, state, attempt, digest, outcome, audited, error in rows:
            done = set(audited.split(",")) if audited else set()
            payload = {"run": run_id, "step": key, "attempt": attempt, "inputsDigest": digest}
            wanted = [("start", {**payload, "state": "started"})]
            if state != "started":
                wanted.append(
                    ("end", {**payload, "state": state, "outcome": outcome, "error": error})
                )
            new = [(event, body) for event, body in wanted if f"{event}{attempt}" not in done]
            for event, body in new:
                records.append(
                    AuditRecord(
                        actor=actor, action=f"playbook.step.{event}", subject=key, payload=body
                    )
                )
                done.add(f"{event}{attempt}")
            if new:
                marks.append((",".join(sorted(done)), key))
        if not records:
            return 0
        store.append_audit_many(records)
        with self._write() as db:
            db.executemany(
                "UPDATE playbook_steps SET audited = ? WHERE run_id = ? AND step_key = ?",
                [(mark, run_id, key) for mark, key in marks],
            )
        return len(records)


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _run_row(row: tuple[Any, ...]) -> RunRow:
    return RunRow(
        id=row[0],
        playbook=row[1],
        actor=row[2],
        state=row[3],
        definition=_loads(row[4]) or {},
        inputs=_loads(row[5]) or {},
        created_at=row[6],
        updated_at=row[7],
        result=_loads(row[8]) or {},
    )


def _step_row(row: tuple[Any, ...]) -> StepRecord:
    return StepRecord(
        run_id=row[0],
        step_key=row[1],
        seq=row[2],
        state=row[3],
        attempt=row[4],
        inputs_digest=row[5],
        outcome=row[6],
        output=_loads(row[7]),
        error=row[8],
        started_at=row[9],
        finished_at=row[10],
    )
