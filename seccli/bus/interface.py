"""What every bus offers: jobs in, deliveries to workers, results, the audit and metrics subjects.

Implementations are named in ``seccli.bus.select.BUSES``. All methods are coroutines; a bus
that cannot be reached raises ``BusUnavailable`` (exit 3), never blocks past its time-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from seccli.bus.model import Job, JobResult, JobState
from seccli.core.errors import DependencyError


class BusUnavailable(DependencyError):
    """The bus could not be reached or refused the operation."""


@dataclass(frozen=True, slots=True)
class JobStatus:
    """A job's last known state, attempts and the result's locator once it has one."""

    job_id: str
    state: JobState
    attempts: int = 0
    worker: str = ""
    error: str | None = None
    result_ref: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "jobId": self.job_id,
            "state": self.state.value,
            "attempts": self.attempts,
            "worker": self.worker,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class AuditCopy:
    """An audit entry as mirrored on the audit subject."""

    chain: str
    seq: int
    entry_hash: str
    prev_hash: str


class Delivery(Protocol):
    """One delivery of a job message to a worker."""

    @property
    def data(self) -> bytes:
        """The message body."""

    @property
    def attempt(self) -> int:
        """1 for the first delivery, 2 for the first redelivery, ..."""

    async def ack(self) -> None:
        """Done: never deliver again."""

    async def nak(self, delay: float) -> None:
        """Failed this time: deliver again after ``delay`` seconds."""

    async def in_progress(self) -> None:
        """Still working: restart the ack-wait timer."""

    async def term(self) -> None:
        """Never deliver again (dead-lettered)."""


class Bus(Protocol):
    """A transport for jobs, results, audit entries and metrics."""

    async def connect(self) -> None:
        """Reach the bus and make sure its streams/tables exist."""

    async def close(self) -> None:
        """Release the connection."""

    async def put_payload(self, name: str, data: bytes) -> None:
        """Store a job's file payload under its content name (idempotent)."""

    async def get_payload(self, name: str) -> bytes:
        """A stored payload (``BusUnavailable`` if it is missing)."""

    async def submit(self, job: Job) -> bool:
        """Publish the job; False when it is a duplicate of one already submitted."""

    async def deliveries(self, batch: int, timeout: float) -> list[Delivery]:
        """Up to ``batch`` deliveries for this worker, waiting at most ``timeout`` seconds."""

    async def set_status(self, status: JobStatus) -> None:
        """Record a job's state (queued, running, done, dead)."""

    async def status(self, job_id: str) -> JobStatus | None:
        """A job's last recorded state, or None if the bus has never seen it."""

    async def statuses(self) -> list[JobStatus]:
        """Every job the bus knows, oldest first where the bus can tell."""

    async def publish_result(self, result: JobResult) -> str:
        """Publish a result (or dead letter) idempotently; return its locator."""

    async def result(self, status: JobStatus) -> JobResult | None:
        """The result a status points at."""

    async def publish_audit(self, chain: str, entries: Sequence[dict[str, Any]]) -> int:
        """Mirror audit entries on the audit subject (Msg-Id = entry hash); count published."""

    async def audit_copies(self) -> list[AuditCopy]:
        """Every audit entry mirrored on the audit subject, in publication order."""

    async def publish_metrics(self, subsidiary: str, record: dict[str, Any]) -> None:
        """Publish one security metrics record on the subsidiary's metrics subject."""
