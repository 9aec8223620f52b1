"""SOAR benchmark: dry runs, executions and resume of playbooks.

Workload (issue 17):
1. 1,000 dry runs of an eight-step playbook (an if-condition, a parallel step with two
   branches, http.request actions, an end step);
2. 1,000 executions of it with the actions calling a local HTTP server; reported: runs/s and
   the engine's overhead per step *excluding action time* (wall time minus the time spent
   inside ``Action.execute``), which includes the durable step records written before and
   after every step and the batched audit entries; goal <= 2 ms per step;
3. resume of a 50-step run interrupted at its last step; goal <= 0.5 s.

Run: python bench/soar.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import seccli.soar.engine as engine_module  # noqa: E402
from seccli.core.clock import SystemClock  # noqa: E402
from seccli.soar.engine import Engine, dry_run  # noqa: E402
from seccli.soar.interface import Endpoint, SoarConfig  # noqa: E402
from seccli.soar.loader import PlaybookLibrary  # noqa: E402
from seccli.soar.records import RunRecords  # noqa: E402
from seccli.store.sqlite import SqliteStore  # noqa: E402
from tests.soar.helpers import chain, http_step, write_playbook  # noqa: E402
from tests.soar.recording_server import RecordingServer  # noqa: E402

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
    """Wraps the engine's action call to add up the time spent inside actions."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = engine_module._run_action

    def __enter__(self) -> ActionTimer:
        def timed(*args: Any) -> Any:
            began = time.perf_counter()
            try:
                return self.original(*args)
            finally:
                self.seconds += time.perf_counter() - began

        engine_module._run_action = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        engine_module._run_action = self.original  # type: ignore[assignment]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    options = parser.parse_args()
    server = RecordingServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _bench(Path(tmp), server, options.runs)
    finally:
        server.stop()


def _bench(tmp: Path, server: RecordingServer, runs: int) -> int:
    folder = tmp / "playbooks"
    eight_steps(folder)
    write_playbook(folder, "fifty", chain([f"/s{i}" for i in range(1, 50)]))
    config = SoarConfig(workdir=tmp / "work", endpoints={"edge": Endpoint(server.url)})
    library = PlaybookLibrary((folder,), config)
    playbook, _, _ = library.validated("eight")
    inputs = {"level": "high", "tags": ["x", "y"]}

    began = time.perf_counter()
    for _ in range(runs):
        dry_run(playbook, inputs, config, library.resolve)
    dry_s = time.perf_counter() - began

    clock = SystemClock()
    with SqliteStore.open(tmp / "state.db") as store:
        records = RunRecords(store.path, clock)
        engine = Engine(records, store, config, clock, "bench", library.resolve)
        engine.start(playbook, inputs)  # warm-up (connection pool, caches)
        with ActionTimer() as timer:
            began = time.perf_counter()
            for _ in range(runs):
                result = engine.start(playbook, inputs)
                assert result.state == "completed", result.failure
            exec_s = time.perf_counter() - began
        steps = runs * 8
        overhead_ms = (exec_s - timer.seconds) / steps * 1000

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
        began = time.perf_counter()
        resumed = engine.resume(run_id)
        resume_s = time.perf_counter() - began
        assert resumed.state == "completed"
        records.close()

    print(f"dry runs of the 8-step playbook:  {runs} in {dry_s:.3f} s = {runs / dry_s:,.0f} runs/s")
    print(
        f"executions (5 HTTP actions each): {runs} in {exec_s:.3f} s = {runs / exec_s:,.0f} runs/s"
        f" (action time {timer.seconds:.3f} s)"
    )
    print(
        f"engine overhead per step, actions excluded, durable records included: "
        f"{overhead_ms:.3f} ms (goal <= {OVERHEAD_GOAL_MS} ms)"
    )
    print(
        f"resume of a 50-step run stopped at its last step: {resume_s:.3f} s "
        f"(goal <= {RESUME_GOAL_S} s)"
    )
    ok = overhead_ms <= OVERHEAD_GOAL_MS and resume_s <= RESUME_GOAL_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
