"""The worker loop on both buses (local SQLite and a real nats-server): exactly one result per
job, retries with backoff, dead letters after max_deliver, malformed messages dead-lettered
while the worker keeps going, duplicates are one job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from seccli.bus.config import bus_config
from seccli.bus.interface import Bus, BusUnavailable, JobStatus
from seccli.bus.model import Job, JobState, JobVerb
from seccli.bus.select import open_bus
from seccli.bus.worker import CommandOutcome, WorkerSettings, run_worker
from tests.bus.conftest import NatsServer

Opener = Callable[..., Awaitable[Bus]]
pytestmark = pytest.mark.anyio


@pytest.fixture(params=["local", "nats"])
def bus_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
async def open_connected(
    bus_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Opener]:
    opened: list[Bus] = []
    server: NatsServer | None = None
    if bus_kind == "nats":
        server = request.getfixturevalue("nats_server")

    async def opener(**options: object) -> Bus:
        url = server.url if server is not None else None
        config = bus_config(url, local_path=tmp_path / "bus.db")
        bus = open_bus(config, **options)  # type: ignore[arg-type]
        await bus.connect()
        opened.append(bus)
        return bus

    yield opener
    for bus in opened:
        await bus.close()


def _job(n: int, verb: JobVerb = JobVerb.POLICY_TEST) -> Job:
    return Job(verb, (f"tree-{n}",))


class Recorder:
    """An executor that records every run and answers with a programmed exit code."""

    def __init__(self, codes: dict[str, list[int]] | None = None, default: int = 0) -> None:
        self.codes = codes or {}
        self.default = default
        self.runs: list[list[str]] = []

    async def __call__(self, args: list[str], workdir: Path) -> CommandOutcome:
        self.runs.append(args)
        key = args[-1]
        programmed = self.codes.get(key)
        code = programmed.pop(0) if programmed else self.default
        return CommandOutcome(code, f"out {key}\n", "" if code < 2 else f"error: failed {key}\n")


FAST = WorkerSettings(backoff_base=0.05, backoff_max=0.1, heartbeat=0.2, idle_exit=1.0)


async def test_every_job_runs_once_and_duplicates_are_one_job(open_connected: Opener) -> None:
    bus = await open_connected()
    jobs = [_job(n) for n in range(6)]
    assert all([await bus.submit(job) for job in jobs])
    assert not await bus.submit(jobs[0]), "the same work submitted again is a duplicate"
    recorder = Recorder(default=1)
    stats = await run_worker(bus, recorder, FAST)
    assert stats.done == 6 and stats.dead == 0
    assert sorted(run[-1] for run in recorder.runs) == sorted(f"tree-{n}" for n in range(6))
    for job in jobs:
        status = await bus.status(job.id)
        assert status is not None and status.state is JobState.DONE
        result = await bus.result(status)
        assert result is not None and result.exit_code == 1
        assert result.stdout == f"out {job.args[0]}\n"


async def test_a_completed_job_delivered_again_is_not_run_again(open_connected: Opener) -> None:
    bus = await open_connected()
    job = _job(1)
    await bus.submit(job)
    await bus.set_status(JobStatus(job.id, JobState.DONE, 1, "other", result_ref="1"))
    recorder = Recorder()
    stats = await run_worker(bus, recorder, FAST)
    assert recorder.runs == [] and stats.skipped == 1


async def test_dependency_failures_are_retried_then_succeed(open_connected: Opener) -> None:
    bus = await open_connected()
    job = _job(7)
    await bus.submit(job)
    recorder = Recorder({"tree-7": [3, 3, 0]})
    stats = await run_worker(bus, recorder, FAST)
    assert stats.retried == 2 and stats.done == 1
    status = await bus.status(job.id)
    assert status is not None and status.state is JobState.DONE and status.attempts == 3


async def test_a_job_that_always_fails_is_dead_lettered(open_connected: Opener) -> None:
    bus = await open_connected(max_deliver=3)
    job = _job(9)
    await bus.submit(job)
    recorder = Recorder(default=3)
    settings = WorkerSettings(max_deliver=3, backoff_base=0.05, backoff_max=0.1, idle_exit=1.0)
    stats = await run_worker(bus, recorder, settings)
    assert len(recorder.runs) == 3 and stats.dead == 1
    status = await bus.status(job.id)
    assert status is not None and status.state is JobState.DEAD
    result = await bus.result(status)
    assert result is not None and result.state is JobState.DEAD
    assert result.error == "error: failed tree-9" and result.attempts == 3
    assert result.subject().startswith("org.claytom.holding.deadletter.")


async def test_an_input_error_is_dead_lettered_at_once(open_connected: Opener) -> None:
    bus = await open_connected()
    await bus.submit(_job(2))
    recorder = Recorder(default=2)
    stats = await run_worker(bus, recorder, FAST)
    assert len(recorder.runs) == 1 and stats.dead == 1


async def test_malformed_messages_are_dead_lettered_and_the_worker_goes_on(
    open_connected: Opener, bus_kind: str
) -> None:
    bus = await open_connected()
    good = _job(3)
    await _publish_raw(bus, bus_kind, b'{"kind": "Job", "verb": "rm -rf"}')
    await bus.submit(good)
    recorder = Recorder()
    stats = await run_worker(bus, recorder, FAST)
    assert stats.dead == 1 and stats.done == 1
    assert any("malformed" in event for event in stats.events)
    assert [run[-1] for run in recorder.runs] == ["tree-3"]


async def _publish_raw(bus: Bus, kind: str, body: bytes) -> None:
    if kind == "nats":
        js = bus._js  # type: ignore[attr-defined]
        await js.publish("org.claytom.holding.command.scan", body)
    else:
        bus._execute(  # type: ignore[attr-defined]
            "INSERT INTO jobs (id, subject, body, seq) VALUES ('raw', 's', ?, 0)", (body,)
        )


async def test_concurrency_runs_jobs_at_once(open_connected: Opener) -> None:
    bus = await open_connected()
    for n in range(4):
        await bus.submit(_job(n))
    running = 0
    peak = 0

    async def slow(args: list[str], workdir: Path) -> CommandOutcome:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.3)
        running -= 1
        return CommandOutcome(0, "", "")

    settings = WorkerSettings(concurrency=4, idle_exit=1.0)
    stats = await run_worker(bus, slow, settings)
    assert stats.done == 4 and peak >= 2


async def test_a_large_output_goes_through_the_object_store(open_connected: Opener) -> None:
    from seccli.bus.worker import MAX_INLINE_OUTPUT

    bus = await open_connected()
    job = _job(11)
    await bus.submit(job)
    big = "".join(f"line {n:08d}\n" for n in range(MAX_INLINE_OUTPUT // 14 + 100))

    async def loud(args: list[str], workdir: Path) -> CommandOutcome:
        return CommandOutcome(0, big, "")

    stats = await run_worker(bus, loud, FAST)
    assert stats.done == 1
    status = await bus.status(job.id)
    assert status is not None
    result = await bus.result(status)
    assert result is not None and result.stdout == "" and result.output_object
    assert (await bus.get_payload(result.output_object)).decode() == big


async def test_a_worker_with_a_subject_filter_takes_only_those_jobs(
    open_connected: Opener, bus_kind: str
) -> None:
    if bus_kind != "nats":
        pytest.skip("subject filters are a JetStream consumer feature")
    submitter = await open_connected()
    scan, policy = _job(12, JobVerb.SCAN), _job(13)
    assert await submitter.submit(scan) and await submitter.submit(policy)
    scans_only = await open_connected(subjects=["org.claytom.*.command.scan"])
    recorder = Recorder()
    stats = await run_worker(scans_only, recorder, FAST)
    assert stats.done == 1 and [run[-1] for run in recorder.runs] == ["tree-12"]
    assert await submitter.status(policy.id) is None, "the policy job is still waiting"
    policies_only = await open_connected(subjects=["org.claytom.*.command.policy.test"])
    stats = await run_worker(policies_only, recorder, FAST)
    assert stats.done == 1 and recorder.runs[-1][-1] == "tree-13"
    # A work queue gives a subject to one consumer: an overlapping worker is refused clearly.
    everything = await open_connected()
    with pytest.raises(BusUnavailable, match="cannot be created") as refused:
        await run_worker(everything, recorder, FAST)
    assert "not unique" in refused.value.message and "--subjects" in (refused.value.hint or "")
