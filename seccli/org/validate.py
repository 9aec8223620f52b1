"""Cross-checks of a ``SecurityOrg`` that the schema alone cannot express.

``validate_org`` returns every problem as (document path, message); the loader turns the paths
into file lines. The estate is not imported here: the caller passes its subdomain names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from seccli.org.model import PERSON_ID, SecurityOrg, Track
from seccli.org.oncall import Gap, gaps, iso, schedule_coverage, to_epoch
from seccli.org.roster import level_counts

PathProblem = tuple[tuple[str | int, ...], str]

MAX_GAPS_SHOWN = 8
LEVEL_UNITS = 30


def validate_org(org: SecurityOrg, subdomains: Iterable[str] | None = None) -> list[PathProblem]:
    """Every cross-reference, headcount, squad, allocation and coverage problem of ``org``.

    ``subdomains`` are the estate's subdomain names; when given, each must be owned by exactly
    one squad and squads may only own known subdomains.
    """
    problems: list[PathProblem] = []
    problems += _duplicates(org)
    problems += _levels(org)
    problems += _totals(org)
    problems += _lead_chains(org)
    problems += _squads(org, None if subdomains is None else list(subdomains))
    problems += _allocations(org)
    problems += _schedules(org)
    problems += _policies(org)
    problems += _routing_and_raci(org)
    problems += _holding(org)
    return problems


def _duplicates(org: SecurityOrg) -> list[PathProblem]:
    problems: list[PathProblem] = []
    groups: list[tuple[str, Sequence[str]]] = [
        ("levels", [x.id for x in org.levels]),
        ("regions", [x.id for x in org.regions]),
        ("teams", [x.id for x in org.teams]),
        ("squads", [x.id for x in org.squads]),
        ("schedules", [x.id for x in org.schedules]),
        ("escalationPolicies", [x.id for x in org.escalation_policies]),
        ("raci", [x.family for x in org.raci]),
    ]
    for section, ids in groups:
        seen: dict[str, int] = {}
        for position, ident in enumerate(ids):
            if ident in seen:
                first = f"{section}[{seen[ident]}]"
                problems.append(((section, position), f"duplicate {ident!r} (first at {first})"))
            else:
                seen[ident] = position
    return problems


def _levels(org: SecurityOrg) -> list[PathProblem]:
    total = sum(level.per30 for level in org.levels)
    if total != LEVEL_UNITS:
        return [(("levels",), f"level shares add up to {total} per 30, expected {LEVEL_UNITS}")]
    return []


def _totals(org: SecurityOrg) -> list[PathProblem]:
    problems: list[PathProblem] = []
    for track, declared in ((Track.SECURITY, org.totals.security), (Track.API, org.totals.api)):
        teams = [t for t in org.teams if t.track is track]
        actual = sum(t.headcount for t in teams)
        if actual != declared:
            diff = actual - declared
            problems.append(
                (
                    ("totals", track.value),
                    f"{track.value} teams add up to {actual}, but totals.{track.value} declares "
                    f"{declared} ({diff:+d}; teams: "
                    + ", ".join(f"{t.id} {t.headcount}" for t in teams)
                    + ")",
                )
            )
    return problems


def _lead_chains(org: SecurityOrg) -> list[PathProblem]:
    problems: list[PathProblem] = []
    teams = org.teams_by_id
    roots = [i for i, team in enumerate(org.teams) if team.reports_to is None]
    if not roots:
        problems.append((("teams",), "no team is at the top: every team has reportsTo"))
    elif len(roots) > 1:
        names = ", ".join(org.teams[i].id for i in roots)
        problems.extend(
            (
                ("teams", i, "reportsTo"),
                f"more than one team is at the top ({names}); give all but one a reportsTo",
            )
            for i in roots[1:]
        )
    top_level = org.levels[0].id if org.levels else None
    for i, team in enumerate(org.teams):
        lead_team = org.person_team(team.lead)
        match = PERSON_ID.match(team.lead)
        if lead_team is None or lead_team.id != team.id or match is None:
            problems.append(
                (
                    ("teams", i, "lead"),
                    f"lead {team.lead!r} is not a member of team {team.id!r} "
                    f"(members are {team.id}-0001 to {team.id}-{team.headcount:04d})",
                )
            )
        else:
            directors = level_counts(org.levels, team.headcount)[0][1] if org.levels else 0
            if int(match["number"]) > directors:
                problems.append(
                    (
                        ("teams", i, "lead"),
                        f"lead {team.lead!r} is not a {top_level} "
                        f"({team.id} has {directors}: {team.id}-0001 to "
                        f"{team.id}-{directors:04d})",
                    )
                )
        if team.reports_to is None:
            continue
        if team.reports_to not in teams:
            problems.append(
                (("teams", i, "reportsTo"), f"reportsTo names an unknown team {team.reports_to!r}")
            )
            continue
        chain = [team.id]
        current = teams[team.reports_to]
        while True:
            if current.id in chain:
                problems.append(
                    (
                        ("teams", i, "reportsTo"),
                        "the lead chain loops: " + " -> ".join([*chain, current.id]),
                    )
                )
                break
            chain.append(current.id)
            if current.reports_to is None or current.reports_to not in teams:
                break
            current = teams[current.reports_to]
    return problems


def _squads(org: SecurityOrg, subdomains: list[str] | None) -> list[PathProblem]:
    problems: list[PathProblem] = []
    minimum = org.rules.min_squad_size
    owner: dict[str, str] = {}
    for i, squad in enumerate(org.squads):
        seen: set[str] = set()
        tracks: set[Track] = set()
        valid = 0
        for j, member in enumerate(squad.members):
            person = member if isinstance(member, str) else member.person
            team = org.person_team(person)
            if team is None:
                problems.append(
                    (("squads", i, "members", j), f"{person!r} is not a member of any team")
                )
                continue
            if person in seen:
                problems.append(
                    (("squads", i, "members", j), f"{person!r} is listed twice in {squad.id}")
                )
                continue
            seen.add(person)
            tracks.add(team.track)
            valid += 1
        if valid < minimum:
            problems.append(
                (("squads", i, "members"), f"{squad.id} has {valid} members, at least {minimum}")
            )
        missing = [t.value for t in (Track.API, Track.SECURITY) if t not in tracks]
        if missing:
            problems.append(
                (
                    ("squads", i, "members"),
                    f"{squad.id} must mix API and security specialists; it has no "
                    + " and no ".join(missing)
                    + " specialist",
                )
            )
        if squad.escalation_policy is None:
            problems.append((("squads", i), f"{squad.id} has no escalationPolicy"))
        elif squad.escalation_policy not in org.policies_by_id:
            problems.append(
                (
                    ("squads", i, "escalationPolicy"),
                    f"unknown escalation policy {squad.escalation_policy!r}",
                )
            )
        for k, subdomain in enumerate(squad.subdomains):
            if subdomain in owner:
                problems.append(
                    (
                        ("squads", i, "subdomains", k),
                        f"subdomain {subdomain!r} is already owned by {owner[subdomain]}",
                    )
                )
            else:
                owner[subdomain] = squad.id
            if subdomains is not None and subdomain not in subdomains:
                problems.append(
                    (("squads", i, "subdomains", k), f"the estate has no subdomain {subdomain!r}")
                )
    if subdomains is not None:
        problems.extend(
            (
                ("squads",),
                f"subdomain {subdomain!r} of the estate has no squad "
                f"(add a squad of at least {minimum} API and security specialists)",
            )
            for subdomain in sorted(set(subdomains) - set(owner))
        )
    return problems


def _allocations(org: SecurityOrg) -> list[PathProblem]:
    limit = org.rules.max_allocation_percent
    seats: dict[str, list[tuple[int, int, str, int]]] = {}
    for i, squad in enumerate(org.squads):
        for j, (person, percent) in enumerate(squad.seats()):
            seats.setdefault(person, []).append((i, j, squad.id, percent))
    problems: list[PathProblem] = []
    for person, held in seats.items():
        total = sum(p for *_, p in held)
        if total > limit:
            running = 0
            for i, j, _, percent in held:
                running += percent
                if running > limit:
                    detail = ", ".join(f"{squad} {p}%" for _, _, squad, p in held)
                    problems.append(
                        (
                            ("squads", i, "members", j),
                            f"{person} is allocated {total}% ({detail}), over {limit}%",
                        )
                    )
                    break
    return problems


def coverage_window(org: SecurityOrg) -> tuple[int, int] | None:
    """The [start, end) epoch window in which schedules must cover 24x7."""
    if org.coverage_check is not None:
        start = to_epoch(org.coverage_check.start)
        return start, start + org.coverage_check.days * 86400
    starts = [
        layer.rotation_start.astimezone(UTC)
        if layer.rotation_start.tzinfo
        else layer.rotation_start.replace(tzinfo=layer.zone).astimezone(UTC)
        for schedule in org.schedules
        for layer in schedule.layers
    ]
    if not starts:
        return None
    first = max(starts)
    begin = datetime(first.year, first.month, first.day, tzinfo=UTC) + timedelta(days=1)
    return to_epoch(begin), to_epoch(begin) + 371 * 86400


def describe_gaps(found: list[Gap]) -> str:
    """A short human description of gaps: count, hours and the first few spans."""
    total = sum(g.hours for g in found)
    shown = ", ".join(str(g) for g in found[:MAX_GAPS_SHOWN])
    more = f" and {len(found) - MAX_GAPS_SHOWN} more" if len(found) > MAX_GAPS_SHOWN else ""
    return f"{len(found)} gap{'s' if len(found) != 1 else ''} ({total:g} h): {shown}{more}"


def schedule_gaps(org: SecurityOrg) -> dict[str, list[Gap]]:
    """Gaps of every schedule in the coverage window."""
    window = coverage_window(org)
    if window is None:
        return {}
    start, end = window
    return {
        schedule.id: gaps(schedule_coverage(schedule, start, end), start, end)
        for schedule in org.schedules
    }


def _schedules(org: SecurityOrg) -> list[PathProblem]:
    problems: list[PathProblem] = []
    for i, schedule in enumerate(org.schedules):
        if schedule.squad is not None and schedule.squad not in org.squads_by_id:
            problems.append((("schedules", i, "squad"), f"unknown squad {schedule.squad!r}"))
        squad = org.squads_by_id.get(schedule.squad) if schedule.squad else None
        squad_people = {person for person, _ in squad.seats()} if squad else None
        for k, layer in enumerate(schedule.layers):
            for m, person in enumerate(layer.members):
                path = ("schedules", i, "layers", k, "members", m)
                if org.person_team(person) is None:
                    problems.append((path, f"{person!r} is not a member of any team"))
                elif squad_people is not None and person not in squad_people:
                    problems.append(
                        (
                            path,
                            f"{person} is on call for {schedule.squad} "
                            "but is not one of its members",
                        )
                    )
        for k, override in enumerate(schedule.overrides):
            if org.person_team(override.person) is None:
                problems.append(
                    (
                        ("schedules", i, "overrides", k, "person"),
                        f"{override.person!r} is not a member of any team",
                    )
                )
    window = coverage_window(org)
    if window is not None:
        start, end = window
        for i, schedule in enumerate(org.schedules):
            found = gaps(schedule_coverage(schedule, start, end), start, end)
            if found:
                problems.append(
                    (
                        ("schedules", i),
                        f"{schedule.id} does not cover 24x7 between {iso(start)} and "
                        f"{iso(end)}: {describe_gaps(found)}",
                    )
                )
    return problems


def _policies(org: SecurityOrg) -> list[PathProblem]:
    problems: list[PathProblem] = []
    for i, policy in enumerate(org.escalation_policies):
        for k, level in enumerate(policy.levels):
            for m, target in enumerate(level.targets):
                path = ("escalationPolicies", i, "levels", k, "targets", m)
                if target.schedule is not None and target.schedule not in org.schedules_by_id:
                    problems.append(((*path, "schedule"), f"unknown schedule {target.schedule!r}"))
                if target.person is not None and org.person_team(target.person) is None:
                    problems.append(
                        ((*path, "person"), f"{target.person!r} is not a member of any team")
                    )
    return problems


def _routing_and_raci(org: SecurityOrg) -> list[PathProblem]:
    problems: list[PathProblem] = []
    teams = org.teams_by_id
    routing = org.routing
    if routing is not None:
        if routing.default_team not in teams:
            problems.append((("routing", "defaultTeam"), f"unknown team {routing.default_team!r}"))
        for category, team in routing.category_teams.items():
            if team not in teams:
                problems.append((("routing", "categoryTeams", category), f"unknown team {team!r}"))
        for i, rule in enumerate(routing.rules):
            if rule.team is not None and rule.team not in teams:
                problems.append((("routing", "rules", i, "team"), f"unknown team {rule.team!r}"))
            if rule.squad is not None and rule.squad not in org.squads_by_id:
                problems.append((("routing", "rules", i, "squad"), f"unknown squad {rule.squad!r}"))
    for i, entry in enumerate(org.raci):
        for role in ("responsible", "consulted", "informed"):
            for k, team in enumerate(getattr(entry, role)):
                if team not in teams:
                    problems.append((("raci", i, role, k), f"unknown team {team!r}"))
        if entry.accountable not in teams:
            problems.append((("raci", i, "accountable"), f"unknown team {entry.accountable!r}"))
    return problems


def _holding(org: SecurityOrg) -> list[PathProblem]:
    holding = org.holding
    if holding is None:
        return []
    problems: list[PathProblem] = []
    seen: set[str] = set()
    for i, subsidiary in enumerate(holding.subsidiaries):
        if subsidiary in seen:
            problems.append((("holding", "subsidiaries", i), f"duplicate {subsidiary!r}"))
        seen.add(subsidiary)
    training = holding.training
    if training is None:
        return problems
    counts = dict(level_counts(org.levels, holding.agents_per_subsidiary))
    subsidiaries = len(holding.subsidiaries)
    if training.trainer_level not in counts:
        problems.append(
            (("holding", "training", "trainerLevel"), f"unknown level {training.trainer_level!r}")
        )
    elif training.trainers > counts[training.trainer_level] * subsidiaries:
        problems.append(
            (
                ("holding", "training", "trainers"),
                f"{training.trainers} trainers wanted but only "
                f"{counts[training.trainer_level] * subsidiaries} agents are "
                f"{training.trainer_level}",
            )
        )
    available = 0
    for k, level in enumerate(training.operator_levels):
        if level not in counts:
            problems.append(
                (("holding", "training", "operatorLevels", k), f"unknown level {level!r}")
            )
        else:
            available += counts[level] * subsidiaries
    if training.operators > available:
        problems.append(
            (
                ("holding", "training", "operators"),
                f"{training.operators} operators wanted but only {available} agents are at "
                + "/".join(training.operator_levels),
            )
        )
    if training.trainers and training.operators % training.trainers:
        problems.append(
            (
                ("holding", "training", "operators"),
                f"{training.operators} operators do not split evenly across "
                f"{training.trainers} trainers",
            )
        )
    if training.operators and not training.trainers:
        problems.append((("holding", "training", "trainers"), "operators need trainers"))
    return problems
