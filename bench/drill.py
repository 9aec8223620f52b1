"""Drill benchmark: simulating the largest scenario, one automated run, random draws.

1. ``drill simulate`` of the largest shipped scenario (most phases and injects): 10,000 runs;
   goal <= 10 s on this machine.
2. One automated run: the engine alone, and the whole capability (load and check the scenario,
   the org model already loaded, simulate the expected playbooks, run, score); goal <= 0.2 s.
3. Why the standard library: 100,000 exponential draws one at a time with ``random`` and with
   numpy's Generator (a run draws a handful of values between branches, so draws are single).

Run: python bench/drill.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from _timing import timed, timed_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seccli.drill.engine import run_drill  # noqa: E402
from seccli.drill.service import prepare  # noqa: E402
from seccli.drill.simulate import simulate  # noqa: E402
from seccli.org.loader import load_org  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIMULATE_GOAL_S = 10.0
RUN_GOAL_S = 0.2


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    options = parser.parse_args()
    org = load_org(ROOT / "examples/claytom/org.yaml").org
    drills, playbooks = ROOT / "playbooks/drills", ROOT / "playbooks"
    sizes = {}
    for path in sorted(drills.glob("*.yaml")):
        prepared = prepare(str(path), drills, playbooks, org, None)
        scenario = prepared.loaded.scenario
        sizes[path] = len(scenario.phases) + len(scenario.injects) + len(scenario.expectations)
    largest = max(sizes, key=lambda p: (sizes[p], p.name))

    with timed() as whole:
        prepared = prepare(str(largest), drills, playbooks, org, None)
        run_drill(prepared.plan, 1)
    whole_s = whole.wall
    with timed() as engine:
        for seed in range(100):
            run_drill(prepared.plan, seed)
    engine_s = engine.wall / 100

    summary, sim = timed_call(lambda: simulate(prepared.plan, options.runs, 1))
    sim_s = sim.wall

    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SECCLI_STORE": f"{tmp}/state.db", "SECCLI_ACTOR": "bench"}
        command = [sys.executable, "-m", "seccli", "drill", "run", str(largest), "-f", "json"]
        with timed() as process:
            subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        process_s = process.wall

    rng = random.Random(1)
    with timed() as stdlib:
        for _ in range(100_000):
            rng.expovariate(0.25)
    stdlib_s = stdlib.wall
    try:
        import numpy

        generator = numpy.random.default_rng(1)
        with timed() as drawing:
            for _ in range(100_000):
                generator.exponential(4.0)
        numpy_s: float | None = drawing.wall
    except ImportError:  # pragma: no cover
        numpy_s = None

    print(f"largest scenario: {largest.stem} ({sizes[largest]} phases+injects+expectations)")
    print(
        f"simulate: {options.runs} runs in {sim_s:.3f} s = {options.runs / sim_s:,.0f} runs/s "
        f"(goal <= {SIMULATE_GOAL_S} s for 10,000); "
        f"P(MTTA met) {summary['slos'][0]['probability']}"
    )
    print(
        f"one automated run: engine {engine_s * 1000:.2f} ms; load+check+playbooks+run "
        f"{whole_s:.3f} s (goal <= {RUN_GOAL_S} s); the whole `seccli drill run` process "
        f"(interpreter, org model, store and audit record) {process_s:.3f} s"
    )
    shown = f"{numpy_s:.3f} s" if numpy_s is not None else "not installed"
    print(f"100,000 single draws: random {stdlib_s:.3f} s, numpy {shown}")
    scale = 10_000 / options.runs
    ok = sim_s * scale <= SIMULATE_GOAL_S and whole_s <= RUN_GOAL_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
