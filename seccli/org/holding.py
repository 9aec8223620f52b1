"""The holding's agents at scale: subsidiaries x agents, level shares, training cohorts, and the
replacement rule (each subsidiary stays at or above its minimum headcount).

Agents get stable IDs ``<subsidiary>-<nnnnn>``; levels follow the org's per-30 shares (directors
first), names come from a seeded generator. Cohorts pair each trainer with operators of the same
subsidiary.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.errors import InputError
from seccli.org.model import Holding, SecurityOrg
from seccli.org.roster import csv_safe, level_counts, level_table, synthetic_name


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent of a subsidiary."""

    id: str
    subsidiary: str
    level: str
    name: str


@dataclass(frozen=True, slots=True)
class Vacancy:
    """A position to fill so that a subsidiary keeps its minimum headcount."""

    id: str
    subsidiary: str
    level: str
    replaces: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "id": self.id,
            "subsidiary": self.subsidiary,
            "level": self.level,
            "replaces": self.replaces,
        }


@dataclass(frozen=True, slots=True)
class ReplenishPlan:
    """Who must be added after departures, and which cohorts lost their trainer."""

    vacancies: tuple[Vacancy, ...]
    orphaned_cohorts: tuple[str, ...]
    departures: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        by_sub: dict[str, int] = {}
        for vacancy in self.vacancies:
            by_sub[vacancy.subsidiary] = by_sub.get(vacancy.subsidiary, 0) + 1
        return {
            "departures": self.departures,
            "toAdd": len(self.vacancies),
            "bySubsidiary": dict(sorted(by_sub.items())),
            "vacancies": [v.as_dict() for v in self.vacancies],
            "orphanedCohorts": list(self.orphaned_cohorts),
        }


@dataclass
class HoldingRoster:
    """Every agent of the holding, with indexes for queries."""

    spec: Holding
    seed: int
    agents: list[Agent]
    cohorts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _by_id: dict[str, Agent] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {agent.id: agent for agent in self.agents}

    def agent(self, agent_id: str) -> Agent | None:
        """The agent with ``agent_id``."""
        return self._by_id.get(agent_id)

    def __len__(self) -> int:
        return len(self.agents)

    def headcount(self) -> dict[str, dict[str, int]]:
        """subsidiary -> level -> agents."""
        out: dict[str, dict[str, int]] = {sub: {} for sub in self.spec.subsidiaries}
        for agent in self.agents:
            levels = out.setdefault(agent.subsidiary, {})
            levels[agent.level] = levels.get(agent.level, 0) + 1
        return out

    def cohort_of(self, agent_id: str) -> str | None:
        """The trainer whose cohort ``agent_id`` belongs to (trainers lead their own)."""
        if agent_id in self.cohorts:
            return agent_id
        for trainer, operators in self.cohorts.items():
            if agent_id in operators:
                return trainer
        return None

    def training_roles(self) -> dict[str, tuple[str, str]]:
        """agent -> (role, trainer) for every agent in a cohort."""
        roles: dict[str, tuple[str, str]] = {}
        for trainer, operators in self.cohorts.items():
            roles[trainer] = ("trainer", trainer)
            for operator in operators:
                roles[operator] = ("operator", trainer)
        return roles

    def to_csv(self) -> str:
        """A stable CSV export of every agent, with its training role and cohort."""
        roles = self.training_roles()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", "name", "subsidiary", "level", "trainingRole", "cohort"])
        for agent in self.agents:
            role, cohort = roles.get(agent.id, ("", ""))
            row = (agent.id, agent.name, agent.subsidiary, agent.level, role, cohort)
            writer.writerow(csv_safe(cell) for cell in row)
        return buffer.getvalue()

    def to_json(self) -> str:
        """A stable JSON export of every agent and the cohorts."""
        roles = self.training_roles()
        payload = {
            "seed": self.seed,
            "count": len(self.agents),
            "agentsPerSubsidiary": self.spec.agents_per_subsidiary,
            "agents": [
                {
                    "id": a.id,
                    "name": a.name,
                    "subsidiary": a.subsidiary,
                    "level": a.level,
                    "trainingRole": roles.get(a.id, (None, None))[0],
                    "cohort": roles.get(a.id, (None, None))[1],
                }
                for a in self.agents
            ],
            "cohorts": {trainer: list(ops) for trainer, ops in sorted(self.cohorts.items())},
        }
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def agent_id(subsidiary: str, number: int) -> str:
    """The stable ID of the ``number``-th agent of a subsidiary (1-based)."""
    return f"{subsidiary}-{number:05d}"


def generate_holding(org: SecurityOrg, seed: int | None = None) -> HoldingRoster:
    """Generate every agent of the org's holding and its training cohorts."""
    spec = org.holding
    if spec is None:
        raise InputError(f"the org {org.metadata.name!r} has no holding section")
    chosen = org.roster.seed if seed is None else seed
    rng = random.Random(f"{chosen}:holding")
    levels = level_table(org.levels, spec.agents_per_subsidiary)
    agents = [
        Agent(agent_id(sub, number), sub, levels[number - 1], synthetic_name(rng))
        for sub in spec.subsidiaries
        for number in range(1, spec.agents_per_subsidiary + 1)
    ]
    roster = HoldingRoster(spec, chosen, agents)
    roster.cohorts = _cohorts(org, roster)
    return roster


def _cohorts(org: SecurityOrg, roster: HoldingRoster) -> dict[str, tuple[str, ...]]:
    training = roster.spec.training
    if training is None or training.trainers == 0:
        return {}
    per_trainer = training.operators // training.trainers
    trainers: dict[str, list[str]] = {}
    operators: dict[str, list[str]] = {}
    operator_levels = set(training.operator_levels)
    for agent in roster.agents:
        if agent.level == training.trainer_level:
            trainers.setdefault(agent.subsidiary, []).append(agent.id)
        elif agent.level in operator_levels:
            operators.setdefault(agent.subsidiary, []).append(agent.id)
    cohorts: dict[str, tuple[str, ...]] = {}
    subs = list(roster.spec.subsidiaries)
    taken = dict.fromkeys(subs, 0)
    round_index = 0
    while len(cohorts) < training.trainers:
        progressed = False
        for sub in subs:
            if len(cohorts) >= training.trainers:
                break
            pool_t = trainers.get(sub, [])
            pool_o = operators.get(sub, [])
            start = taken[sub]
            if round_index < len(pool_t) and start + per_trainer <= len(pool_o):
                cohorts[pool_t[round_index]] = tuple(pool_o[start : start + per_trainer])
                taken[sub] = start + per_trainer
                progressed = True
        if not progressed:
            break
        round_index += 1
    return cohorts


def validate_holding(org: SecurityOrg, roster: HoldingRoster) -> list[str]:
    """Problems of a holding roster: headcount floors, level shares, cohorts."""
    spec = roster.spec
    problems: list[str] = []
    plan = dict(level_counts(org.levels, spec.agents_per_subsidiary))
    seen: set[str] = set()
    for agent in roster.agents:
        if agent.id in seen:
            problems.append(f"agent {agent.id} appears twice")
        seen.add(agent.id)
    for sub, levels in roster.headcount().items():
        total = sum(levels.values())
        if total < spec.agents_per_subsidiary:
            problems.append(
                f"{sub} has {total} agents, below the minimum of {spec.agents_per_subsidiary}"
            )
        for level, planned in plan.items():
            if levels.get(level, 0) < planned:
                problems.append(
                    f"{sub} has {levels.get(level, 0)} agents at {level}, plan {planned}"
                )
    training = spec.training
    if training is not None:
        problems += _check_cohorts(
            roster,
            training.trainers,
            training.operators,
            training.trainer_level,
            set(training.operator_levels),
        )
    return problems


def _check_cohorts(
    roster: HoldingRoster,
    trainers: int,
    operators: int,
    trainer_level: str,
    operator_levels: set[str],
) -> list[str]:
    problems: list[str] = []
    if len(roster.cohorts) != trainers:
        problems.append(f"{len(roster.cohorts)} training cohorts, plan {trainers} trainers")
    assigned: dict[str, str] = {}
    for trainer, members in roster.cohorts.items():
        agent = roster.agent(trainer)
        if agent is None or agent.level != trainer_level:
            problems.append(f"trainer {trainer} is not an agent at {trainer_level}")
        for operator in members:
            other = roster.agent(operator)
            if other is None or other.level not in operator_levels:
                problems.append(f"operator {operator} of {trainer} is not at an operator level")
            if operator in assigned:
                problems.append(
                    f"operator {operator} is in cohorts {assigned[operator]} and {trainer}"
                )
            assigned[operator] = trainer
            if operator in roster.cohorts:
                problems.append(f"{operator} is both a trainer and an operator")
    if len(assigned) != operators:
        problems.append(f"{len(assigned)} operators in cohorts, plan {operators}")
    return problems


def unknown_agents(roster: HoldingRoster, ids: Iterable[str]) -> list[str]:
    """The IDs that name no agent."""
    return [agent for agent in ids if roster.agent(agent) is None]


def replenish(org: SecurityOrg, roster: HoldingRoster, departed: Iterable[str]) -> ReplenishPlan:
    """Positions to add so each subsidiary is back at its minimum, level shares restored."""
    spec = roster.spec
    gone = set(departed)
    unknown = unknown_agents(roster, sorted(gone))
    if unknown:
        raise InputError(f"unknown agents: {', '.join(unknown[:10])}")
    plan = level_counts(org.levels, spec.agents_per_subsidiary)
    remaining: dict[str, dict[str, int]] = {sub: {} for sub in spec.subsidiaries}
    departed_by: dict[tuple[str, str], list[str]] = {}
    highest: dict[str, int] = {}
    for agent in roster.agents:
        number = int(agent.id.rsplit("-", 1)[1])
        highest[agent.subsidiary] = max(highest.get(agent.subsidiary, 0), number)
        if agent.id in gone:
            departed_by.setdefault((agent.subsidiary, agent.level), []).append(agent.id)
            continue
        levels = remaining.setdefault(agent.subsidiary, {})
        levels[agent.level] = levels.get(agent.level, 0) + 1
    vacancies: list[Vacancy] = []
    for sub in spec.subsidiaries:
        levels = remaining.get(sub, {})
        deficit = spec.agents_per_subsidiary - sum(levels.values())
        if deficit <= 0:
            continue
        next_number = highest.get(sub, 0) + 1
        for level, planned in plan:
            missing = min(deficit, max(0, planned - levels.get(level, 0)))
            replaced = departed_by.get((sub, level), [])
            for k in range(missing):
                vacancies.append(
                    Vacancy(
                        agent_id(sub, next_number),
                        sub,
                        level,
                        replaced[k] if k < len(replaced) else None,
                    )
                )
                next_number += 1
            deficit -= missing
        # Above-plan levels lost people but the floor is still short: fill at the last level.
        for _ in range(deficit):
            vacancies.append(Vacancy(agent_id(sub, next_number), sub, plan[-1][0], None))
            next_number += 1
    orphaned = tuple(sorted(trainer for trainer in roster.cohorts if trainer in gone))
    return ReplenishPlan(tuple(vacancies), orphaned, len(gone))


def simulate_departures(roster: HoldingRoster, count: int, seed: int) -> list[str]:
    """``count`` random agent IDs (seeded), for drills and demos."""
    if count > len(roster.agents):
        raise InputError(f"cannot simulate {count} departures from {len(roster.agents)} agents")
    rng = random.Random(f"{seed}:departures")
    return sorted(agent.id for agent in rng.sample(roster.agents, count))


def agent_card(roster: HoldingRoster, agent: str) -> dict[str, Any]:
    """One agent with its training role, cohort and the cohort's members."""
    found = roster.agent(agent)
    if found is None:
        raise InputError(f"no agent {agent!r} in the holding")
    role, cohort = roster.training_roles().get(found.id, (None, None))
    return {
        "id": found.id,
        "name": found.name,
        "subsidiary": found.subsidiary,
        "level": found.level,
        "trainingRole": role,
        "cohort": cohort,
        "cohortMembers": list(roster.cohorts.get(cohort, ())) if cohort else [],
    }


def read_departures(path: Path, roster: HoldingRoster) -> list[str]:
    """Departed agent IDs from a file, one per line (``#`` comments); ``DocumentInvalid``
    with the line of every ID that names no agent."""
    from seccli.core.documents import read_source
    from seccli.core.errors import DocumentInvalid, Problem
    from seccli.core.location import Location

    ids: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(read_source(path).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if roster.agent(line) is None:
            problems.append(Problem(Location(str(path), number), f"unknown agent {line!r}"))
        else:
            ids.append(line)
    if problems:
        raise DocumentInvalid(problems)
    return ids
