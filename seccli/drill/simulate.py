"""Monte Carlo: the automated drill run many times; the probability of meeting each SLO,
percentiles of the scores, and which phase and team most often break an SLO.

The standard library's ``random`` is used: a run is a short walk over a handful of phases with
branching (escalations, decisions), which does not vectorise; numpy's per-call overhead made
single draws slower than ``random`` here (see bench/drill.py, which measures both).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

from seccli.drill.engine import METRIC_NAMES, Plan, run_once, slo_targets

PERCENTILES = (50, 90, 95, 99)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted values (``inf`` for never reached → None)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    value = sorted_values[rank - 1]
    return None if math.isinf(value) else round(value, 3)


def _ancestors(plan: Plan) -> dict[str, set[str]]:
    after = {step.phase.id: set(step.after) for step in plan.phases}
    out: dict[str, set[str]] = {}
    for step in plan.phases:  # dependency order: ancestors are known already
        found = {step.phase.id}
        for before in step.after:
            found |= out.get(before, set())
        out[step.phase.id] = found & set(after)
    return out


def simulate(plan: Plan, runs: int, seed: int) -> dict[str, Any]:
    """``runs`` seeded automated runs of ``plan``, summarised."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    rng = random.Random(seed)
    targets = slo_targets(plan.slo)
    metric_phase = {METRIC_NAMES[step.metric]: step.phase.id for step in plan.phases if step.metric}
    ancestors = _ancestors(plan)
    values: dict[str, list[float]] = {name: [] for name in metric_phase}
    met: Counter[str] = Counter()
    breakers: Counter[tuple[str, str | None]] = Counter()
    expectation_met: Counter[str] = Counter()
    escalated = 0
    for _ in range(runs):
        outcome = run_once(plan, rng)
        if outcome.escalations:
            escalated += 1
        for name, value in outcome.metrics.items():
            values[name].append(math.inf if value is None else value)
        blamed_here: set[tuple[str, str | None]] = set()
        for name, target in targets.items():
            value = outcome.metrics.get(name)
            if value is not None and value <= target:
                met[name] += 1
            elif name in metric_phase:
                blamed = _blame(outcome, ancestors[metric_phase[name]])
                if blamed is not None:
                    blamed_here.add(blamed)
        breakers.update(blamed_here)  # runs in which the phase broke at least one SLO
        for exp in plan.scenario.expectations:
            result = outcome.phases[exp.phase]
            since = 0.0 if exp.since == "start" else _since(plan, outcome, exp.since)
            if (
                result.status == "done"
                and result.end is not None
                and since is not None
                and result.end - since <= float(exp.within_minutes)
            ):
                expectation_met[exp.id] += 1
    for series in values.values():
        series.sort()
    return {
        "scenario": plan.scenario.metadata.name,
        "runs": runs,
        "seed": seed,
        "slos": [
            {"metric": name, "targetMinutes": target, "probability": round(met[name] / runs, 4)}
            for name, target in targets.items()
        ],
        "percentiles": {
            name: {f"p{q}": percentile(series, q) for q in PERCENTILES}
            for name, series in values.items()
        },
        "means": {
            name: round(sum(series) / len(series), 3) if not math.isinf(series[-1]) else None
            for name, series in values.items()
        },
        "expectations": [
            {"id": exp.id, "probability": round(expectation_met[exp.id] / runs, 4)}
            for exp in plan.scenario.expectations
        ],
        "escalationRate": round(escalated / runs, 4),
        "breakers": [
            {"phase": phase, "team": team, "runs": count}
            for (phase, team), count in sorted(breakers.items(), key=lambda kv: (-kv[1], kv[0][0]))
        ][:5],
        "distributions": {name: _histogram(series) for name, series in values.items()},
    }


def _since(plan: Plan, outcome: Any, ref: str) -> float | None:
    if ref in plan.injects:
        return plan.injects[ref]
    result = outcome.phases[ref]
    return result.end if result.status in ("done", "skipped") else None


def _blame(outcome: Any, phases: set[str]) -> tuple[str, str | None] | None:
    slowest: tuple[float, str, str | None] | None = None
    for name in phases:
        result = outcome.phases[name]
        took = math.inf if result.end is None else result.end - result.start
        if result.status == "missed":
            took = math.inf
        if slowest is None or took > slowest[0] or (took == slowest[0] and name < slowest[1]):
            slowest = (took, name, result.team)
    return None if slowest is None else (slowest[1], slowest[2])


def _histogram(series: list[float], bins: int = 20) -> dict[str, Any]:
    finite = [v for v in series if not math.isinf(v)]
    if not finite:
        return {"low": 0.0, "width": 0.0, "counts": [], "never": len(series)}
    high = finite[min(len(finite) - 1, int(len(finite) * 0.99))]
    low = finite[0]
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in finite:
        counts[min(bins - 1, int((value - low) / width))] += 1
    return {
        "low": round(low, 3),
        "width": round(width, 3),
        "counts": counts,
        "never": len(series) - len(finite),
    }
