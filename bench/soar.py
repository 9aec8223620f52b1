"""SOAR benchmark: dry runs, executions and resume of playbooks.

Workload:
1. 1,000 dry runs of an eight-step playbook (an if-condition, a parallel step with two
   branches, http.request actions, an end step);
2. 1,000 executions of it (five batches of 200) with the actions calling a local HTTP server
   (in its own process); reported: runs/s and the engine's overhead per step *excluding action
   time* (wall time minus the time during which an ``Action.execute`` was running — parallel
   branches' actions overlap and are counted once), which includes the durable step records
   written before and after every step and the batched audit entries; goal <= 2 ms per step,
   judged on the median batch (one batch slowed by another program on a shared machine does
   not decide); also the CPU time per step outside actions, which waiting for a core does not
   change, and the load average, which tells whether the machine was shared;
3. resume of a 50-step run interrupted at its last step; goal <= 0.5 s.

Run: python bench/soar.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _timing import timed, timed_call, verdict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import seccli.soar.engine as engine_module  # noqa: E402
from seccli.core.clock import SystemClock  # noqa: E402
from seccli.soar.engine import Engine, dry_run  # noqa: E402
from seccli.soar.interface import Endpoint, SoarConfig  # noqa: E402
from seccli.soar.loader import PlaybookLibrary  # noqa: E402
from seccli.soar.records import RunRecords  # noqa: E402
from seccli.store.sqlite import SqliteStore  # noqa: E402
from tests.soar.helpers import chain, http_step, write_playbook  # noqa: E402

OVERHEAD_GOAL_MS = 2.0
RESUME_GOAL_S = 0.5


def eight_steps(folder: Path) -> None:
    """start → check (if) → fork (parallel: a | b) → c → d → e → done: 8 steps, 5 actions."""
    write_playbook(
        folder,
        "eight",
        {
            "check": {
                "type": "if-condition",
                "condition": "$level == 'high' and 'x' in $tags",
                "onTrue": "fork",
                "onFalse": "done",
            },
            "fork": {"type": "parallel", "nextSteps": ["a", "b"], "onCompletion": "c"},
            "a": http_step("/a"),
            "b": http_step("/b"),
            "c": http_step("/c", onSuccess="d"),
            "d": http_step("/d", onSuccess="e"),
            "e": http_step("/e", onSuccess="done"),
            "done": {"type": "end"},
        },
        inputs=[{"name": "level"}, {"name": "tags", "type": "list"}],
    )


class ActionTimer:
    """Wraps the engine's action call to measure the time during which an action runs.

    Actions of parallel branches overlap; adding up their durations would count the shared
    stretch twice and understate the engine's overhead, so the time is the length of the union
    of the actions' intervals.
    """

    def __init__(self) -> None:
        self.intervals: list[tuple[float, float]] = []
        self.cpu = 0.0  # CPU time of the threads while inside an action
        self.original = engine_module._run_action
        self._lock = threading.Lock()

    def __enter__(self) -> ActionTimer:
        def timed_action(*args: Any) -> Any:
            began, began_cpu = time.perf_counter(), time.thread_time()
            try:
                return self.original(*args)
            finally:
                ended, cpu = time.perf_counter(), time.thread_time() - began_cpu
                with self._lock:
                    self.intervals.append((began, ended))
                    self.cpu += cpu

        engine_module._run_action = timed_action  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        engine_module._run_action = self.original  # type: ignore[assignment]

    @property
    def seconds(self) -> float:
        """Wall time during which at least one action was running."""
        total, reach = 0.0, float("-inf")
        for began, ended in sorted(self.intervals):
            if ended <= reach:
                continue
            total += ended - max(began, reach)
            reach = ended
        return total

    @property
    def summed(self) -> float:
        """The actions' durations added up (overlaps counted twice)."""
        return sum(ended - began for began, ended in self.intervals)


# The recording server runs in its own process, so this process's CPU time is the engine's and
# the HTTP client's only.
SERVER = """
import sys
from tests.soar.recording_server import RecordingServer
server = RecordingServer().start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""
BATCHES = 5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument(
        "--fsync", action="store_true", help="step records synchronous=FULL (SECCLI_SOAR_FSYNC=1)"
    )
    options = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            return _bench(Path(tmp), url, options.runs, options.fsync)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)


@dataclass
class Batch:
    """One batch of executions: wall and CPU time, and the actions' share of each."""

    runs: int
    wall: float
    cpu: float
    action_wall: float
    action_cpu: float

    def overhead_ms(self) -> float:
        """Engine wall time per step, actions excluded."""
        return (self.wall - self.action_wall) / (self.runs * 8) * 1000

    def cpu_overhead_ms(self) -> float:
        """Engine CPU time per step, actions excluded."""
        return (self.cpu - self.action_cpu) / (self.runs * 8) * 1000


def _executions(engine: Engine, playbook: Any, inputs: dict[str, Any], runs: int) -> Batch:
    with ActionTimer() as timer, timed() as spent:
        for _ in range(runs):
            result = engine.start(playbook, inputs)
            assert result.state == "completed", result.failure
    return Batch(runs, spent.wall, spent.cpu, timer.seconds, timer.cpu)


def _bench(tmp: Path, url: str, runs: int, fsync: bool) -> int:
    folder = tmp / "playbooks"
    eight_steps(folder)
    write_playbook(folder, "fifty", chain([f"/s{i}" for i in range(1, 50)]))
    config = SoarConfig(workdir=tmp / "work", endpoints={"edge": Endpoint(url)})
    library = PlaybookLibrary((folder,), config)
    playbook, _, _ = library.validated("eight")
    inputs = {"level": "high", "tags": ["x", "y"]}

    with timed() as dry:
        for _ in range(runs):
            dry_run(playbook, inputs, config, library.resolve)
    dry_s = dry.wall

    clock = SystemClock()
    with SqliteStore.open(tmp / "state.db") as store:
        records = RunRecords(store.path, clock, fsync=fsync)
        engine = Engine(records, store, config, clock, "bench", library.resolve)
        engine.start(playbook, inputs)  # warm-up (connection pool, caches)
        size = max(1, runs // BATCHES)
        batches = [_executions(engine, playbook, inputs, size) for _ in range(BATCHES)]
        total = Batch(
            sum(b.runs for b in batches),
            sum(b.wall for b in batches),
            sum(b.cpu for b in batches),
            sum(b.action_wall for b in batches),
            sum(b.action_cpu for b in batches),
        )
        overheads = sorted(b.overhead_ms() for b in batches)
        median_ms = overheads[len(overheads) // 2]

        fifty, _, _ = library.validated("fifty")

        class Stop(BaseException):
            pass

        def stop_at_last(point: str, key: str) -> None:
            if point == "started" and key == "s49":
                raise Stop()

        engine_module._reached = stop_at_last
        try:
            engine.start(fifty, {})
        except Stop:
            pass
        finally:
            engine_module._reached = lambda point, key: None
        run_id = records.runs(1)[0].id
        resumed, resume = timed_call(lambda: engine.resume(run_id))
        resume_s = resume.wall
        assert resumed.state == "completed"
        records.close()

    mode = "FULL (fsync every record)" if fsync else "NORMAL (WAL, survives SIGKILL)"
    print(f"step records: synchronous={mode}")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"dry runs of the 8-step playbook:  {runs} in {dry_s:.3f} s = {runs / dry_s:,.0f} runs/s")
    print(
        f"executions (5 HTTP actions each): {total.runs} in {total.wall:.3f} s = "
        f"{total.runs / total.wall:,.0f} runs/s (actions running {total.action_wall:.3f} s of it)"
    )
    print(
        "engine overhead per step, actions excluded, durable records included: "
        f"median of {BATCHES} batches {median_ms:.3f} ms wall (goal <= {OVERHEAD_GOAL_MS} ms: "
        f"{verdict(median_ms, OVERHEAD_GOAL_MS)}); all runs {total.overhead_ms():.3f} ms wall, "
        f"{total.cpu_overhead_ms():.3f} ms CPU; batches {', '.join(f'{o:.3f}' for o in overheads)}"
    )
    print(
        f"resume of a 50-step run stopped at its last step: {resume_s:.3f} s "
        f"(goal <= {RESUME_GOAL_S} s: {verdict(resume_s, RESUME_GOAL_S)})"
    )
    ok = median_ms <= OVERHEAD_GOAL_MS and resume_s <= RESUME_GOAL_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
