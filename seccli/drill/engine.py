"""The automated drill: responders' times drawn from seeded distributions, on a simulated clock.

One run walks the phases in dependency order on exercise time (``DrillClock``): a ``work``
phase takes a drawn duration; a ``page`` phase pages whoever the org model has on call for the
scenario's subdomain at that simulated instant and follows the escalation policy: a level is
paged when nobody acknowledged within the previous level's delay; ``no-answer`` injects make a
level stay silent. Decisions follow the scenario's rules. Scores: MTTD from the start to the end
of detection, MTTA/MTTC/MTTR from the end of detection to acknowledgement, containment and
recovery; each expectation met, late or missed; the bottleneck is the longest phase.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seccli.drill.clock import DrillClock
from seccli.drill.model import (
    METRICS,
    Distribution,
    DrillResponders,
    DrillScenario,
    Phase,
    Slo,
    TeamResponse,
)
from seccli.org.model import SecurityOrg
from seccli.org.oncall import OnCallIndex, iso, who

Sampler = Callable[[random.Random], float]
METRIC_NAMES = {"detect": "mttd", "acknowledge": "mtta", "contain": "mttc", "recover": "mttr"}


def sampler(dist: Distribution) -> Sampler:
    """A draw function for a (validated) distribution, in minutes."""
    kind = dist.distribution
    if kind == "fixed":
        value = float(dist.minutes or 0)
        return lambda rng: value
    if kind == "exponential":
        rate = 1.0 / float(dist.mean_minutes or 1)
        return lambda rng: rng.expovariate(rate)
    if kind == "uniform":
        low, high = float(dist.min_minutes or 0), float(dist.max_minutes or 0)
        return lambda rng: rng.uniform(low, high)
    if kind == "triangular":
        low, mode, high = (
            float(v or 0) for v in (dist.min_minutes, dist.mode_minutes, dist.max_minutes)
        )
        return lambda rng: rng.triangular(low, high, mode)
    mu, sigma = math.log(float(dist.median_minutes or 1)), float(dist.sigma or 0)
    return lambda rng: rng.lognormvariate(mu, sigma)


@dataclass(frozen=True)
class _Page:
    level: int
    loop: int
    offset: float
    """Minutes after the page phase starts."""
    person: str | None


@dataclass(frozen=True)
class _CompiledPhase:
    phase: Phase
    after: tuple[str, ...]
    draw: Sampler | None
    answer_probability: float
    metric: str | None


@dataclass
class Plan:
    """A scenario compiled for many runs (samplers, order, who is on call is looked up live)."""

    scenario: DrillScenario
    org: SecurityOrg
    slo: Slo
    phases: list[_CompiledPhase]
    injects: dict[str, float]
    silent_levels: list[tuple[float, int]]
    decisions: dict[str, Any]
    index: OnCallIndex
    playbooks: list[dict[str, Any]] = field(default_factory=list)
    _pages: dict[int, list[_Page]] = field(default_factory=dict)

    def pages(self, clock: DrillClock, at: float) -> list[_Page]:
        """The escalation chain for a page at exercise time ``at`` (cached per minute)."""
        moment = clock.at(at)
        key = int(moment.timestamp()) // 60
        cached = self._pages.get(key)
        if cached is None:
            answer = who(self.index, self.scenario.subdomain, moment)
            base = answer.at
            cached = [
                _Page(n.level, n.loop, (n.at - base) / 60, n.person) for n in answer.escalations
            ]
            self._pages[key] = cached
        return cached


def _order(scenario: DrillScenario) -> list[Phase]:
    by_id = {phase.id: phase for phase in scenario.phases}
    done: set[str] = set()
    out: list[Phase] = []

    def visit(phase: Phase) -> None:
        if phase.id in done:
            return
        done.add(phase.id)
        for before in phase.after:
            if before in by_id:
                visit(by_id[before])
        out.append(phase)

    for phase in scenario.phases:
        visit(phase)
    return out


def compile_plan(
    scenario: DrillScenario,
    org: SecurityOrg,
    responders: DrillResponders | None = None,
    slo: Slo | None = None,
) -> Plan:
    """Prepare a validated scenario for runs; ``responders`` override the scenario's teams."""
    teams: dict[str, TeamResponse] = dict(scenario.responders)
    if responders is not None:
        teams.update(responders.teams)
    phases: list[_CompiledPhase] = []
    for phase in _order(scenario):
        response = teams.get(phase.team or "")
        dist: Distribution | None
        if phase.kind == "page":
            dist = response.acknowledge if response else None
            dist = dist or Distribution(distribution="fixed", minutes=0)
        else:
            dist = (response.phases.get(phase.id) if response else None) or phase.duration
        metric = phase.metric or (phase.id if phase.id in METRICS else None)
        phases.append(
            _CompiledPhase(
                phase,
                phase.after,
                sampler(dist) if dist is not None else None,
                float(response.answer_probability) if response else 1.0,
                metric,
            )
        )
    return Plan(
        scenario=scenario,
        org=org,
        slo=scenario.slo or slo or Slo(),
        phases=phases,
        injects={inject.id: float(inject.at_minutes) for inject in scenario.injects},
        silent_levels=[
            (float(i.at_minutes), i.level or 1) for i in scenario.injects if i.kind == "no-answer"
        ],
        decisions={decision.after: decision for decision in scenario.decisions},
        index=OnCallIndex(org),
    )


@dataclass
class PhaseResult:
    id: str
    team: str | None
    start: float
    end: float | None
    status: str
    """done, skipped or missed (never ended, or after the end of the exercise)."""
    actor: str | None = None
    pages: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunOutcome:
    """One run: phase results, scores and the decisions taken."""

    phases: dict[str, PhaseResult]
    metrics: dict[str, float | None]
    decisions: list[dict[str, Any]]
    escalations: int
    clock: DrillClock
    bottleneck: tuple[str, str | None, float] | None


def _new_clock(plan: Plan) -> DrillClock:
    clock = DrillClock(plan.scenario.start)
    for inject in plan.scenario.injects:
        if inject.kind == "pause":
            clock.pause(float(inject.at_minutes), float(inject.pause_minutes or 0))
    return clock


def _page_phase(
    plan: Plan, step: _CompiledPhase, start: float, rng: random.Random, clock: DrillClock
) -> PhaseResult:
    chain = plan.pages(clock, start)
    best: float | None = None
    actor: str | None = None
    pages: list[dict[str, Any]] = []
    draw = step.draw
    for i, page in enumerate(chain):
        at = start + page.offset
        if best is not None and best <= at:
            break
        silent = any(level == page.level and when <= at for when, level in plan.silent_levels)
        answered = (
            page.person is not None
            and not silent
            and (step.answer_probability >= 1.0 or rng.random() < step.answer_probability)
        )
        acked = at + draw(rng) if answered and draw is not None else None
        pages.append(
            {
                "level": page.level,
                "loop": page.loop,
                "at": at,
                "person": page.person,
                "answered": answered,
            }
        )
        if acked is not None and (best is None or acked < best):
            best, actor = acked, page.person
        del i
    status = "done" if best is not None else "missed"
    return PhaseResult(step.phase.id, step.phase.team, start, best, status, actor, pages)


def run_once(plan: Plan, rng: random.Random) -> RunOutcome:
    """One automated run of the plan."""
    clock = _new_clock(plan)
    ends: dict[str, float | None] = dict(plan.injects)
    results: dict[str, PhaseResult] = {}
    skipped: set[str] = set()
    extra: dict[str, float] = {}
    decisions: list[dict[str, Any]] = []
    limit = float(plan.scenario.duration_minutes)
    for step in plan.phases:
        phase = step.phase
        befores = [ends.get(b) for b in step.after]
        if any(b is None for b in befores):
            results[phase.id] = PhaseResult(phase.id, phase.team, limit, None, "missed")
            ends[phase.id] = None
            continue
        start = max(
            (
                float(b) + extra.get(a, 0.0)
                for a, b in zip(step.after, befores, strict=True)
                if b is not None
            ),
            default=0.0,
        )
        if phase.id in skipped:
            results[phase.id] = PhaseResult(phase.id, phase.team, start, start, "skipped")
            ends[phase.id] = start
            continue
        clock.advance_to(start)
        if phase.kind == "page":
            result = _page_phase(plan, step, start, rng, clock)
        else:
            took = step.draw(rng) if step.draw is not None else 0.0
            result = PhaseResult(phase.id, phase.team, start, start + took, "done")
        if result.end is not None and result.end > limit:
            result.status = "missed"
        results[phase.id] = result
        ends[phase.id] = result.end if result.status == "done" else None
        decision = plan.decisions.get(phase.id)
        if decision is not None and ends[phase.id] is not None:
            chosen = next(
                (
                    r.choose
                    for r in decision.rules
                    if plan.scenario.variables.get(r.variable) == r.equals
                ),
                decision.default,
            )
            option = next(o for o in decision.options if o.id == chosen)
            skipped.update(option.skips)
            extra[phase.id] = float(option.adds_minutes)
            decisions.append(
                {
                    "decision": decision.id,
                    "chosen": chosen,
                    "at": ends[phase.id],
                    "question": decision.question,
                }
            )
    return _score(plan, results, decisions, clock)


def _score(
    plan: Plan,
    results: dict[str, PhaseResult],
    decisions: list[dict[str, Any]],
    clock: DrillClock,
) -> RunOutcome:
    by_metric: dict[str, float | None] = {}
    for step in plan.phases:
        if step.metric is not None:
            result = results[step.phase.id]
            by_metric[step.metric] = result.end if result.status == "done" else None
    detected = by_metric.get("detect")
    metrics: dict[str, float | None] = {}
    for metric, name in METRIC_NAMES.items():
        if metric not in by_metric:
            continue
        end = by_metric[metric]
        if metric == "detect":
            metrics[name] = end
        else:
            metrics[name] = end - detected if end is not None and detected is not None else None
    escalations = 0
    slowest: tuple[str, str | None, float] | None = None
    for result in results.values():
        levels = {p["level"] for p in result.pages}
        escalations += max(0, len(levels) - 1)
        if result.status == "done" and result.end is not None:
            took = result.end - result.start
            if slowest is None or took > slowest[2]:
                slowest = (result.id, result.team, took)
    return RunOutcome(results, metrics, decisions, escalations, clock, slowest)


def slo_targets(slo: Slo) -> dict[str, float]:
    """Metric name → target minutes."""
    targets = {"mtta": float(slo.mtta_minutes), "mttr": float(slo.mttr_minutes)}
    if slo.mttd_minutes is not None:
        targets["mttd"] = float(slo.mttd_minutes)
    if slo.mttc_minutes is not None:
        targets["mttc"] = float(slo.mttc_minutes)
    return targets


def expectation_status(plan: Plan, outcome: RunOutcome) -> list[dict[str, Any]]:
    """Each expectation met, late, missed (or not-applicable when its phase was skipped)."""
    out: list[dict[str, Any]] = []
    for exp in plan.scenario.expectations:
        result = outcome.phases[exp.phase]
        if exp.since == "start":
            since: float | None = 0.0
        elif exp.since in plan.injects:
            since = plan.injects[exp.since]
        else:
            ref = outcome.phases[exp.since]
            since = ref.end if ref.status in ("done", "skipped") else None
        took = result.end - since if result.end is not None and since is not None else None
        if result.status == "skipped":
            status = "not-applicable"
        elif result.status != "done" or took is None:
            status = "missed"
        else:
            status = "met" if took <= float(exp.within_minutes) else "late"
        out.append(
            {
                "id": exp.id,
                "phase": exp.phase,
                "team": exp.team,
                "withinMinutes": float(exp.within_minutes),
                "tookMinutes": _round(took),
                "status": status,
            }
        )
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def outcome_json(plan: Plan, outcome: RunOutcome, seed: int) -> dict[str, Any]:
    """The full, deterministic JSON of one run."""
    clock = outcome.clock
    targets = slo_targets(plan.slo)
    scenario = plan.scenario

    def stamp(minutes: float) -> str:
        return iso(int(round(clock.at(minutes).timestamp())))

    timeline: list[dict[str, Any]] = [
        {
            "minutes": float(inject.at_minutes),
            "event": f"inject:{inject.kind}",
            "text": inject.text,
            "by": None,
        }
        for inject in scenario.injects
    ]
    for result in outcome.phases.values():
        timeline.extend(
            {
                "minutes": page["at"],
                "event": "page",
                "text": f"level {page['level']} paged"
                + ("" if page["answered"] else " (no answer)"),
                "by": page["person"],
            }
            for page in result.pages
        )
        if result.status == "done" and result.end is not None:
            timeline.append(
                {
                    "minutes": result.start,
                    "event": "phase-start",
                    "text": result.id,
                    "by": result.team,
                }
            )
            timeline.append(
                {
                    "minutes": result.end,
                    "event": "phase-end",
                    "text": result.id,
                    "by": result.actor or result.team,
                }
            )
    timeline.extend(
        {
            "minutes": d["at"],
            "event": "decision",
            "text": f"{d['decision']}: {d['chosen']}",
            "by": None,
        }
        for d in outcome.decisions
    )
    timeline.sort(key=lambda e: (e["minutes"], e["event"], e["text"]))
    for entry in timeline:
        entry["at"] = stamp(entry["minutes"])
        entry["minutes"] = round(entry["minutes"], 3)
    slos = [
        {
            "metric": name,
            "targetMinutes": target,
            "minutes": _round(outcome.metrics.get(name)),
            "met": outcome.metrics.get(name) is not None
            and float(outcome.metrics[name] or 0) <= target,
        }
        for name, target in targets.items()
    ]
    phases = [
        {
            "id": r.id,
            "team": r.team,
            "startMinutes": _round(r.start),
            "endMinutes": _round(r.end),
            "minutes": _round(r.end - r.start) if r.end is not None else None,
            "status": r.status,
            "actor": r.actor,
            "pages": [{**p, "at": round(p["at"], 3)} for p in r.pages],
        }
        for r in outcome.phases.values()
    ]
    bottleneck = None
    if outcome.bottleneck is not None:
        name, team, took = outcome.bottleneck
        bottleneck = {"phase": name, "team": team, "minutes": round(took, 3)}
    return {
        "scenario": scenario.metadata.name,
        "title": scenario.metadata.title,
        "incidentType": scenario.incident_type,
        "seed": seed,
        "start": iso(int(clock.start.timestamp())),
        "pausedMinutes": clock.paused_minutes,
        "metrics": {k: _round(v) for k, v in outcome.metrics.items()},
        "slos": slos,
        "phases": phases,
        "expectations": expectation_status(plan, outcome),
        "decisions": [{**d, "at": round(d["at"], 3)} for d in outcome.decisions],
        "escalations": outcome.escalations,
        "bottleneck": bottleneck,
        "timeline": timeline,
        "playbooks": plan.playbooks,
    }


def run_drill(plan: Plan, seed: int) -> dict[str, Any]:
    """One seeded automated run, as JSON data (same seed → same data)."""
    return outcome_json(plan, run_once(plan, random.Random(seed)), seed)


def owners(org: SecurityOrg) -> Mapping[str, str]:
    """Team id → its lead; squad id → its first member (owners of improvement items)."""
    found = {team.id: team.lead for team in org.teams if team.lead}
    for squad in org.squads:
        seats = squad.seats()
        if seats:
            found.setdefault(squad.id, seats[0][0])
    return found
