"""Checks of a drill scenario beyond its schema, every problem at once as ``file:line: path``.

Injects in order and inside the exercise, unique ids, phases after known phases or injects
without cycles, distributions with their parameters, expectations and decisions naming defined
phases and options, teams and the subdomain known to the org model, playbooks that exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from seccli.core.documents import Document
from seccli.core.errors import Problem
from seccli.drill.model import Distribution, DrillScenario, TeamResponse
from seccli.org.model import SecurityOrg

Report = Callable[[Sequence[str | int], str], None]


def distribution_problems(dist: Distribution) -> list[tuple[tuple[str, ...], str]]:
    """Missing parameters or inconsistent bounds, as (alias path, reason)."""
    aliases = {
        "minutes": "minutes",
        "mean_minutes": "meanMinutes",
        "min_minutes": "minMinutes",
        "mode_minutes": "modeMinutes",
        "max_minutes": "maxMinutes",
        "median_minutes": "medianMinutes",
        "sigma": "sigma",
    }
    out: list[tuple[tuple[str, ...], str]] = []
    needed = dist.required()
    for name, alias in aliases.items():
        value = getattr(dist, name)
        if name in needed and value is None:
            out.append(((), f"a {dist.distribution} distribution needs {alias}"))
        elif name not in needed and value is not None:
            out.append(((alias,), f"not a parameter of a {dist.distribution} distribution"))
    low, mode, high = dist.min_minutes, dist.mode_minutes, dist.max_minutes
    if low is not None and high is not None and low > high:
        out.append((("minMinutes",), "minMinutes is greater than maxMinutes"))
    if mode is not None and low is not None and high is not None and not low <= mode <= high:
        out.append((("modeMinutes",), "modeMinutes must lie between minMinutes and maxMinutes"))
    return out


def _check_dist(report: Report, path: Sequence[str | int], dist: Distribution | None) -> None:
    if dist is None:
        return
    for sub, reason in distribution_problems(dist):
        report([*path, *sub], reason)


def check_responders(
    report: Report,
    base: Sequence[str | int],
    teams: Mapping[str, TeamResponse],
    known_teams: set[str] | None,
) -> None:
    """Distributions and team names of a responders mapping."""
    for team, response in teams.items():
        if known_teams is not None and team not in known_teams:
            report([*base, team], f"team {team!r} is not a team or squad of the org model")
        _check_dist(report, [*base, team, "acknowledge"], response.acknowledge)
        for phase, dist in response.phases.items():
            _check_dist(report, [*base, team, "phases", phase], dist)


def org_teams(org: SecurityOrg | None) -> set[str] | None:
    """Team and squad ids of the org model (None: no org to check against)."""
    if org is None:
        return None
    return {team.id for team in org.teams} | {squad.id for squad in org.squads}


def scenario_problems(
    scenario: DrillScenario,
    document: Document,
    org: SecurityOrg | None,
    playbook_exists: Callable[[str], bool],
) -> list[Problem]:
    """Every problem of a validated-by-schema scenario."""
    problems: list[Problem] = []

    def report(path: Sequence[str | int], reason: str) -> None:
        problems.append(Problem(document.locate(path), reason))

    known_teams = org_teams(org)

    def team_known(path: Sequence[str | int], team: str | None) -> None:
        if team is not None and known_teams is not None and team not in known_teams:
            report(path, f"team {team!r} is not a team or squad of the org model")

    if org is not None and scenario.subdomain not in org.squad_of_subdomain:
        report(["subdomain"], f"subdomain {scenario.subdomain!r} is not owned by any squad")
    for i, name in enumerate(scenario.playbooks):
        if not playbook_exists(name):
            report(["playbooks", i], f"no playbook {name!r}")

    _check_injects(scenario, report)
    phase_ids = _check_phases(scenario, report, team_known, playbook_exists)
    inject_ids = {inject.id for inject in scenario.injects}
    for i, exp in enumerate(scenario.expectations):
        if exp.phase not in phase_ids:
            report(["expectations", i, "phase"], f"no phase {exp.phase!r}")
        if exp.since != "start" and exp.since not in phase_ids | inject_ids:
            report(["expectations", i, "since"], f"no phase or inject {exp.since!r}")
        team_known(["expectations", i, "team"], exp.team)
    _unique(report, "expectations", [e.id for e in scenario.expectations])
    _check_decisions(scenario, report, phase_ids)
    check_responders(report, ["responders"], scenario.responders, known_teams)
    return problems


def _unique(report: Report, field: str, ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            report([field, i, "id"], f"duplicate id {ident!r}")
        seen.add(ident)


def _check_injects(scenario: DrillScenario, report: Report) -> None:
    previous = 0.0
    for i, inject in enumerate(scenario.injects):
        if inject.at_minutes < previous:
            report(["injects", i, "atMinutes"], "injects out of order (earlier than the previous)")
        previous = max(previous, float(inject.at_minutes))
        if inject.at_minutes > scenario.duration_minutes:
            report(["injects", i, "atMinutes"], "after the end of the exercise (durationMinutes)")
        if inject.kind == "no-answer" and inject.level is None:
            report(["injects", i], "a no-answer inject needs level")
        if inject.kind == "pause" and inject.pause_minutes is None:
            report(["injects", i], "a pause inject needs pauseMinutes")
        if inject.kind != "no-answer" and inject.level is not None:
            report(["injects", i, "level"], "only no-answer injects have a level")
    _unique(report, "injects", [inject.id for inject in scenario.injects])
    if not any(inject.kind == "alert" for inject in scenario.injects):
        report(["injects"], "no alert inject: nothing starts the response")


def _check_phases(
    scenario: DrillScenario,
    report: Report,
    team_known: Callable[[Sequence[str | int], str | None], None],
    playbook_exists: Callable[[str], bool],
) -> set[str]:
    phase_ids = {phase.id for phase in scenario.phases}
    inject_ids = {inject.id for inject in scenario.injects}
    _unique(report, "phases", [phase.id for phase in scenario.phases])
    for i, phase in enumerate(scenario.phases):
        if phase.id in inject_ids:
            report(["phases", i, "id"], f"{phase.id!r} is also an inject id")
        for j, before in enumerate(phase.after):
            if before not in phase_ids | inject_ids:
                report(["phases", i, "after", j], f"no phase or inject {before!r}")
        if phase.kind == "page":
            if phase.team is None:
                report(["phases", i], "a page phase needs team (whose answer times are used)")
            if phase.duration is not None:
                report(["phases", i, "duration"], "a page phase ends on acknowledgement")
        elif phase.duration is None and not _team_has_phase(scenario, phase.team, phase.id):
            report(["phases", i], "a work phase needs duration (or its team's phase time)")
        team_known(["phases", i, "team"], phase.team)
        _check_dist(report, ["phases", i, "duration"], phase.duration)
        if phase.playbook is not None and not playbook_exists(phase.playbook):
            report(["phases", i, "playbook"], f"no playbook {phase.playbook!r}")
    for i in _cycle_members(scenario):
        report(["phases", i, "after"], f"phase {scenario.phases[i].id!r} is part of a cycle")
    metrics = [phase.metric or phase.id for phase in scenario.phases]
    for metric in ("detect", "acknowledge"):
        if metric not in metrics:
            report(["phases"], f"no {metric} phase (set metric: {metric} on one)")
    return phase_ids


def _team_has_phase(scenario: DrillScenario, team: str | None, phase: str) -> bool:
    response = scenario.responders.get(team or "")
    return response is not None and phase in response.phases


def _cycle_members(scenario: DrillScenario) -> list[int]:
    index = {phase.id: i for i, phase in enumerate(scenario.phases)}
    state: dict[str, int] = {}
    cyclic: set[int] = set()

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        stack.append(name)
        for before in scenario.phases[index[name]].after:
            if before not in index:
                continue
            if state.get(before) == 1:
                cyclic.update(index[n] for n in stack[stack.index(before) :])
            elif before not in state:
                visit(before, stack)
        stack.pop()
        state[name] = 2

    for phase in scenario.phases:
        if phase.id not in state:
            visit(phase.id, [])
    return sorted(cyclic)


def descendants(scenario: DrillScenario, phase_id: str) -> set[str]:
    """Phases that (transitively) come after ``phase_id``."""
    out: set[str] = set()
    frontier = {phase_id}
    while frontier:
        nxt = {p.id for p in scenario.phases if set(p.after) & frontier and p.id not in out}
        out |= nxt
        frontier = nxt
    return out


def _check_decisions(scenario: DrillScenario, report: Report, phase_ids: set[str]) -> None:
    _unique(report, "decisions", [d.id for d in scenario.decisions])
    for i, decision in enumerate(scenario.decisions):
        if decision.after not in phase_ids:
            report(["decisions", i, "after"], f"no phase {decision.after!r}")
            continue
        later = descendants(scenario, decision.after)
        options = {option.id for option in decision.options}
        if decision.default not in options:
            report(["decisions", i, "default"], f"no option {decision.default!r}")
        for j, rule in enumerate(decision.rules):
            if rule.choose not in options:
                report(["decisions", i, "rules", j, "choose"], f"no option {rule.choose!r}")
            if rule.variable not in scenario.variables:
                report(["decisions", i, "rules", j, "variable"], f"undefined {rule.variable!r}")
        for j, option in enumerate(decision.options):
            for k, skipped in enumerate(option.skips):
                if skipped not in later:
                    report(
                        ["decisions", i, "options", j, "skips", k],
                        f"{skipped!r} is not a phase after {decision.after!r}",
                    )
