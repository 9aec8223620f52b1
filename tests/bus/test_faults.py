"""Faults the bus must survive, with the real CLI and a real nats-server: a worker killed with
SIGKILL mid-job, the server restarted during a run, the server down at submit time, audit
entries mirrored on the audit subject (and a divergence named), credentials never printed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.bus.conftest import NatsServer, free_port

SECCLI = Path(sys.executable).parent / "seccli"
ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "examples" / "claytom" / "estate.yaml"


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if k != "SECCLI_BUS"}
    merged.update({"SECCLI_STORE": str(cwd / "state.db"), **(env or {})})
    return subprocess.run(
        [str(SECCLI), *args],
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_worker(cwd: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SECCLI_STORE": str(cwd / "worker-state.db")}
    env.pop("SECCLI_BUS", None)
    return subprocess.Popen(
        [str(SECCLI), "worker", "--bus", url, *extra],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def submit(cwd: Path, url: str, *words: str) -> str:
    done = cli("submit", "--bus", url, "--format", "json", *words, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["jobId"])


def submit_in_process(url: str, seconds: list[str]) -> list[str]:
    """Submit many no-op jobs over one connection, as ``seccli submit`` does for each."""
    import asyncio

    from seccli.bus.config import bus_config
    from seccli.bus.interface import JobStatus
    from seccli.bus.model import Job, JobState, JobVerb
    from seccli.bus.select import open_bus

    async def run() -> list[str]:
        bus = open_bus(bus_config(url))
        await bus.connect()
        try:
            for job in (jobs := [Job(JobVerb.NOOP, (s,)) for s in seconds]):
                assert await bus.submit(job)
                await bus.set_status(JobStatus(job.id, JobState.QUEUED))
            return [job.id for job in jobs]
        finally:
            await bus.close()

    return asyncio.run(run())


def status(cwd: Path, url: str, job: str) -> dict[str, object]:
    done = cli("jobs", "status", job, "--bus", url, "--format", "json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout)["jobs"][0])


def wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def results_for(server: NatsServer, job: str) -> int:
    """How many result messages the results stream holds for ``job``."""
    import asyncio

    import nats

    async def count() -> int:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        info = await js.stream_info("SECCLI_RESULTS")
        found = 0
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg("SECCLI_RESULTS", seq)
            if json.loads(msg.data)["jobId"] == job:
                found += 1
        await nc.close()
        return found

    return asyncio.run(count())


def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes_once(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    job = submit(tmp_path, nats_server.url, "noop", "2")
    first = start_worker(tmp_path, nats_server.url, "--ack-wait", "1")
    try:
        wait_for(lambda: status(tmp_path, nats_server.url, job)["state"] == "running")
        pool = children(first.pid)
        assert pool, "the worker runs its jobs in pool processes"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        # Its pool processes end with it instead of waiting forever as orphans.
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pool), timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    second = start_worker(tmp_path, nats_server.url, "--ack-wait", "1", "--idle-exit", "3")
    try:
        waited = cli(
            "jobs",
            "wait",
            job,
            "--bus",
            nats_server.url,
            "--timeout",
            "60",
            "--format",
            "json",
            cwd=tmp_path,
        )
        assert waited.returncode == 0, waited.stderr
        result = json.loads(waited.stdout)
        assert result["state"] == "done" and result["attempts"] == 2
    finally:
        try:
            second.wait(timeout=60)
        finally:
            if second.poll() is None:  # never leave a worker behind the test
                second.kill()
                second.wait(timeout=10)
    assert results_for(nats_server, job) == 1


def test_heartbeats_keep_a_long_job_from_being_redelivered(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    job = submit(tmp_path, nats_server.url, "noop", "3")
    worker = start_worker(tmp_path, nats_server.url, "--ack-wait", "1", "--idle-exit", "2")
    worker.wait(timeout=60)
    final = status(tmp_path, nats_server.url, job)
    assert final["state"] == "done" and final["attempts"] == 1


def test_a_server_restart_loses_no_job_and_no_audit_entry(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    jobs = [submit(tmp_path, nats_server.url, "noop", "0.1")]
    jobs += submit_in_process(nats_server.url, [f"0.{n}" for n in range(2, 9)])
    generated = cli("generate", str(ESTATE), "-o", str(tmp_path / "gen"), cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    synced = cli("audit", "sync", "--bus", nats_server.url, cwd=tmp_path)
    assert synced.returncode == 0, synced.stderr
    worker = start_worker(tmp_path, nats_server.url, "--idle-exit", "3")
    # Restart once the worker is at work: the later jobs are still queued, one may be running.
    wait_for(lambda: status(tmp_path, nats_server.url, jobs[0])["state"] in ("running", "done"))
    nats_server.restart()
    try:
        assert worker.wait(timeout=90) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    listed = cli("jobs", "status", "--bus", nats_server.url, "--format", "json", cwd=tmp_path)
    states = {j["jobId"]: j["state"] for j in json.loads(listed.stdout)["jobs"]}
    assert all(states.get(job) == "done" for job in jobs), states
    assert [results_for(nats_server, job) for job in jobs] == [1] * len(jobs)
    verified = cli("audit", "verify", "--bus", nats_server.url, "--format", "json", cwd=tmp_path)
    report = json.loads(verified.stdout)
    assert verified.returncode == 0, verified.stdout
    assert report["bus"]["ok"] is True and report["bus"]["mirrored"] >= 1


def test_the_server_down_at_submit_is_exit_3_and_nothing_is_published(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "pod.yaml").write_text("kind: Pod\n")
    started = time.monotonic()
    done = cli(
        "submit", "--bus", f"nats://127.0.0.1:{port}", "policy", "test", "tree", cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    assert "unreachable" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 15
    server = NatsServer(tmp_path / "js", port)
    server.start()
    try:
        listed = cli("jobs", "status", "--bus", server.url, "--format", "json", cwd=tmp_path)
        assert json.loads(listed.stdout)["jobs"] == []
    finally:
        server.stop()


def test_credentials_in_the_bus_url_are_never_printed(tmp_path: Path) -> None:
    port = free_port()
    server = NatsServer(tmp_path / "js", port, ("--user", "alice", "--pass", "s3cr3t-pass"))
    server.start()
    try:
        wrong = cli(
            "submit", "--bus", f"nats://alice:wr0ng-pass@127.0.0.1:{port}", "noop", cwd=tmp_path
        )
        assert wrong.returncode == 3
        assert "wr0ng-pass" not in wrong.stdout + wrong.stderr
        right = cli(
            "submit",
            "--bus",
            f"nats://alice:s3cr3t-pass@127.0.0.1:{port}",
            "--format",
            "json",
            "noop",
            cwd=tmp_path,
        )
        assert right.returncode == 0, right.stderr
        assert "s3cr3t-pass" not in right.stdout + right.stderr
        assert "***REDACTED***" in json.loads(right.stdout)["bus"]
    finally:
        server.stop()
    down = cli(
        "submit", "--bus", f"nats://alice:s3cr3t-pass@127.0.0.1:{port}", "noop", cwd=tmp_path
    )
    assert down.returncode == 3 and "s3cr3t-pass" not in down.stdout + down.stderr


def test_audit_entries_queue_while_the_bus_is_down_and_a_rewrite_is_named(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    env = {"SECCLI_BUS": nats_server.url}
    first = cli("generate", str(ESTATE), "-o", str(tmp_path / "gen"), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    nats_server.stop()
    second = cli("generate", str(ESTATE), "-o", str(tmp_path / "gen2"), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "queued for the bus" in second.stderr
    nats_server.start()
    behind = cli("audit", "verify", "--bus", nats_server.url, cwd=tmp_path)
    assert behind.returncode == 1 and "not on the audit subject yet" in behind.stdout
    assert cli("audit", "sync", "--bus", nats_server.url, cwd=tmp_path).returncode == 0
    agreed = cli("audit", "verify", "--bus", nats_server.url, cwd=tmp_path)
    assert agreed.returncode == 0, agreed.stdout
    # Someone who can write the database and its checkpoint rewrites history after entry 1:
    # locally consistent (audit verify alone passes), but the organisation's copy differs.
    db = tmp_path / "state.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_log WHERE seq > 1")
        (head,) = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = 1").fetchone()
    (tmp_path / "state.db.audit-head.json").write_text(
        json.dumps({"entryHash": head, "seq": 1}, separators=(",", ":"))
    )
    again = cli("generate", str(ESTATE), "-o", str(tmp_path / "gen3"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert cli("audit", "verify", cwd=tmp_path).returncode == 0, "the local chain is consistent"
    rewritten = cli("audit", "verify", "--bus", nats_server.url, "--format", "json", cwd=tmp_path)
    report = json.loads(rewritten.stdout)
    assert rewritten.returncode == 1
    assert report["bus"]["divergence"].startswith("seq 2: local entry")


def test_security_kpis_are_published_per_subsidiary(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    import asyncio

    import nats

    generated = cli("generate", str(ESTATE), "-o", str(tmp_path / "gen"), cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    done = cli(
        "evidence", "kpis", "--publish", "--bus", nats_server.url, "--format", "json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)

    async def published() -> list[tuple[str, dict[str, object]]]:
        nc = await nats.connect(nats_server.url)
        js = nc.jetstream()
        info = await js.stream_info("SECCLI_METRICS")
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg("SECCLI_METRICS", seq)
            found.append((msg.subject, json.loads(msg.data)))
        await nc.close()
        return found

    messages = asyncio.run(published())
    assert len(messages) == len(records) > 1
    for subject, record in messages:
        assert subject == f"org.claytom.{record['subsidiary']}.metrics.security"
        assert record["role"] == "security" and {"ts", "kpis", "okrs"} <= set(record)
