"""The worker loop: pull jobs, run them exactly once in the results, retry, dead-letter.

Delivery is at least once (a worker killed mid-job has its job delivered again after the ack
wait); results are exactly once because a job's state is checked before it runs and its result
is published under a ``Nats-Msg-Id`` derived from the job id. A job whose command fails with a
dependency error (exit 3) is delivered again with a growing delay; after ``max_deliver``
attempts, or at once for an input error (exit 2) or a malformed message, it goes to the
dead-letter subject with its last error. The worker keeps going in every case.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from seccli.bus.interface import Bus, Delivery, JobStatus
from seccli.bus.jobs import materialise
from seccli.bus.model import HOLDING, Job, JobResult, JobState, JobVerb, MalformedJob, decode_job
from seccli.core.clock import utc_iso
from seccli.core.errors import InputError, SeccliError

#: Output kept in the result message; anything longer goes to the object store.
MAX_INLINE_OUTPUT = 256 * 1024


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What running a job's command gave."""

    exit_code: int
    stdout: str
    stderr: str


Execute = Callable[[list[str], Path], Awaitable[CommandOutcome]]


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """How a worker behaves."""

    concurrency: int = 1
    max_deliver: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    heartbeat: float = 10.0
    idle_exit: float | None = None
    max_jobs: int | None = None
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{id(object())}")

    def backoff(self, attempt: int) -> float:
        """Delay before the next delivery after ``attempt`` failed."""
        return float(min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1)))


@dataclass(slots=True)
class WorkerStats:
    """What a worker did."""

    done: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    events: list[str] = field(default_factory=list)


async def run_worker(
    bus: Bus,
    execute: Execute,
    settings: WorkerSettings,
    stop: asyncio.Event | None = None,
    on_event: Callable[[str], None] | None = None,
) -> WorkerStats:
    """Process jobs until ``stop`` is set, ``max_jobs`` were handled or the queue stayed idle
    for ``idle_exit`` seconds."""
    stop = stop or asyncio.Event()
    stats = WorkerStats()
    slots = asyncio.Semaphore(settings.concurrency)
    running: set[asyncio.Task[None]] = set()
    idle_since = time.monotonic()
    handled = 0

    def note(text: str) -> None:
        stats.events.append(text)
        if on_event is not None:
            on_event(text)

    while not stop.is_set():
        if settings.max_jobs is not None and handled >= settings.max_jobs:
            break
        free = settings.concurrency - len(running)
        if free <= 0:
            await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            continue
        wanted = free if settings.max_jobs is None else min(free, settings.max_jobs - handled)
        deliveries = await bus.deliveries(wanted, timeout=0.5)
        if not deliveries:
            if running:
                await asyncio.wait(running, timeout=0.2)
                idle_since = time.monotonic()
            elif settings.idle_exit is not None and (
                time.monotonic() - idle_since >= settings.idle_exit
            ):
                break
            continue
        idle_since = time.monotonic()
        for delivery in deliveries:
            handled += 1
            await slots.acquire()
            task = asyncio.create_task(_handle(bus, execute, settings, delivery, stats, note))
            running.add(task)
            task.add_done_callback(lambda t: _release(running, slots, t))
    if running:
        await asyncio.wait(running)
    return stats


def _release(
    running: set[asyncio.Task[None]], slots: asyncio.Semaphore, task: asyncio.Task[None]
) -> None:
    running.discard(task)
    slots.release()


async def _handle(
    bus: Bus,
    execute: Execute,
    settings: WorkerSettings,
    delivery: Delivery,
    stats: WorkerStats,
    note: Callable[[str], None],
) -> None:
    try:
        job = decode_job(delivery.data)
    except MalformedJob as exc:
        await _dead_letter_malformed(bus, settings, delivery, exc.message)
        stats.dead += 1
        note(f"dead: malformed job message ({exc.message})")
        return
    status = await bus.status(job.id)
    if status is not None and status.state in (JobState.DONE, JobState.DEAD):
        await delivery.ack()  # already completed: a redelivery or a late duplicate
        stats.skipped += 1
        note(f"skip: {job.id} already {status.state.value}")
        return
    if delivery.attempt > settings.max_deliver:
        reason = f"delivered {delivery.attempt} times without completing (worker lost)"
        await _finish(bus, settings, delivery, job, JobState.DEAD, None, reason)
        stats.dead += 1
        note(f"dead: {job.id} {reason}")
        return
    await bus.set_status(JobStatus(job.id, JobState.RUNNING, delivery.attempt, settings.name))
    heartbeat = asyncio.create_task(_heartbeat(delivery, settings.heartbeat))
    try:
        outcome = await _run(bus, execute, job)
    finally:
        heartbeat.cancel()
    if outcome.exit_code in (0, 1):
        await _finish(bus, settings, delivery, job, JobState.DONE, outcome, None)
        stats.done += 1
        note(f"done: {job.id} {job.verb.value} exit {outcome.exit_code}")
    elif outcome.exit_code == 2 or delivery.attempt >= settings.max_deliver:
        reason = _last_line(outcome.stderr) or f"exit {outcome.exit_code}"
        await _finish(bus, settings, delivery, job, JobState.DEAD, outcome, reason)
        stats.dead += 1
        note(f"dead: {job.id} after {delivery.attempt} attempt(s): {reason}")
    else:
        reason = _last_line(outcome.stderr) or f"exit {outcome.exit_code}"
        await bus.set_status(
            JobStatus(job.id, JobState.QUEUED, delivery.attempt, settings.name, error=reason)
        )
        await delivery.nak(settings.backoff(delivery.attempt))
        stats.retried += 1
        note(f"retry: {job.id} attempt {delivery.attempt} failed: {reason}")


async def _run(bus: Bus, execute: Execute, job: Job) -> CommandOutcome:
    if job.verb is JobVerb.NOOP:
        # ``noop [SECONDS]``: the bus's own cost, or a stand-in for a long job.
        seconds = _seconds(job.args[0]) if job.args else 0.0
        if seconds is None:
            return CommandOutcome(2, "", f"error: noop takes seconds, not {job.args[0]!r}")
        if seconds:
            await asyncio.sleep(seconds)
        return CommandOutcome(0, "", "")
    with tempfile.TemporaryDirectory(prefix="seccli-job-") as folder:
        try:
            args = await materialise(job, Path(folder), bus.get_payload)
        except InputError as exc:
            return CommandOutcome(2, "", f"error: {exc.message}")
        except SeccliError as exc:
            return CommandOutcome(exc.exit_code, "", f"error: {exc.message}")
        return await execute(args, Path(folder))


async def _heartbeat(delivery: Delivery, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await delivery.in_progress()
        except Exception:  # a lost connection: the redelivery handles it
            return


async def _finish(
    bus: Bus,
    settings: WorkerSettings,
    delivery: Delivery,
    job: Job,
    state: JobState,
    outcome: CommandOutcome | None,
    error: str | None,
) -> None:
    stdout = outcome.stdout if outcome else ""
    output_object = None
    if len(stdout.encode()) > MAX_INLINE_OUTPUT:
        output_object = f"output-{job.id}"
        await bus.put_payload(output_object, stdout.encode())
        stdout = ""
    result = JobResult(
        job_id=job.id,
        verb=job.verb.value,
        subsidiary=job.subsidiary,
        state=state,
        exit_code=outcome.exit_code if outcome else None,
        stdout=stdout,
        stderr=(outcome.stderr if outcome else "")[-MAX_INLINE_OUTPUT:],
        attempts=delivery.attempt,
        worker=settings.name,
        finished_at=utc_iso(_now()),
        error=error,
        output_object=output_object,
    )
    ref = await bus.publish_result(result)
    await bus.set_status(
        JobStatus(job.id, state, delivery.attempt, settings.name, error=error, result_ref=ref)
    )
    if state is JobState.DEAD:
        await delivery.term()
    else:
        await delivery.ack()


async def _dead_letter_malformed(
    bus: Bus, settings: WorkerSettings, delivery: Delivery, reason: str
) -> None:
    digest = hashlib.sha256(delivery.data).hexdigest()[:32]
    result = JobResult(
        job_id=f"malformed-{digest}",
        verb="malformed",
        subsidiary=HOLDING,
        state=JobState.DEAD,
        exit_code=None,
        attempts=delivery.attempt,
        worker=settings.name,
        finished_at=utc_iso(_now()),
        error=reason,
    )
    await bus.publish_result(result)
    await delivery.term()


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 3600 else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def _now() -> datetime:
    return datetime.now(UTC)
