"""Reports: headcount against plan, coverage per subdomain, on-call load, and the org chart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from seccli.org.chart import org_chart_dot as org_chart_dot  # the chart's home is chart.py
from seccli.org.model import SecurityOrg, Track
from seccli.org.oncall import OnCallIndex, gaps, iso, on_call_hours, schedule_coverage
from seccli.org.report_kind import ReportKind
from seccli.org.roster import Roster, headcount_by_level, level_counts


@dataclass(frozen=True, slots=True)
class HeadcountRow:
    """Planned and actual people of one team at one level."""

    team: str
    track: str
    level: str
    planned: int
    actual: int

    @property
    def delta(self) -> int:
        """Actual minus planned."""
        return self.actual - self.planned


def headcount_report(org: SecurityOrg, roster: Roster) -> dict[str, Any]:
    """Headcount against plan per team and level, and per track against the declared totals."""
    actual = headcount_by_level(roster.people)
    rows: list[HeadcountRow] = []
    for team in org.teams:
        for level, planned in level_counts(org.levels, team.headcount):
            rows.append(
                HeadcountRow(
                    team.id, team.track.value, level, planned, actual.get((team.id, level), 0)
                )
            )
    tracks = {}
    for track, declared in ((Track.SECURITY, org.totals.security), (Track.API, org.totals.api)):
        in_track = [r for r in rows if r.track == track.value]
        tracks[track.value] = {
            "declared": declared,
            "planned": sum(r.planned for r in in_track),
            "actual": sum(r.actual for r in in_track),
        }
    return {
        "rows": [
            {
                "team": r.team,
                "track": r.track,
                "level": r.level,
                "planned": r.planned,
                "actual": r.actual,
                "delta": r.delta,
            }
            for r in rows
        ],
        "tracks": tracks,
    }


def coverage_report(
    org: SecurityOrg, subdomains: Iterable[str], start: int, end: int
) -> list[dict[str, Any]]:
    """Per subdomain: squad, its mix, escalation policy, and 24x7 coverage over [start, end)."""
    out: list[dict[str, Any]] = []
    for subdomain in sorted(set(subdomains)):
        squad = org.squad_of_subdomain.get(subdomain)
        row: dict[str, Any] = {"subdomain": subdomain, "squad": squad.id if squad else None}
        if squad is None:
            row.update(
                members=0,
                security=0,
                api=0,
                escalationPolicy=None,
                covered=False,
                gapHours=round((end - start) / 3600, 2),
                schedules=[],
                gaps=[{"schedule": None, "start": iso(start), "end": iso(end)}],
            )
            out.append(row)
            continue
        tracks = [org.person_team(person) for person, _ in squad.seats()]
        schedules = [s for s in org.schedules if s.squad == squad.id]
        gap_hours = 0.0
        gap_list: list[dict[str, str]] = []
        for schedule in schedules:
            found = gaps(schedule_coverage(schedule, start, end), start, end)
            gap_hours += sum(g.hours for g in found)
            gap_list += [
                {"schedule": schedule.id, "start": iso(g.start), "end": iso(g.end)} for g in found
            ]
        row.update(
            members=len(squad.members),
            security=sum(1 for t in tracks if t is not None and t.track is Track.SECURITY),
            api=sum(1 for t in tracks if t is not None and t.track is Track.API),
            escalationPolicy=squad.escalation_policy,
            schedules=[s.id for s in schedules],
            covered=bool(schedules) and gap_hours == 0,
            gapHours=round(gap_hours, 2),
            gaps=gap_list,
        )
        out.append(row)
    return out


def load_report(index: OnCallIndex, start: int, end: int) -> dict[str, Any]:
    """On-call hours per person over [start, end), busiest first."""
    hours = on_call_hours(index, start, end)
    people = sorted(hours.items(), key=lambda item: (-item[1], item[0]))
    values = [h for _, h in people]
    return {
        "from": iso(start),
        "to": iso(end),
        "people": [{"person": p, "hours": round(h, 2)} for p, h in people],
        "summary": {
            "people": len(values),
            "totalHours": round(sum(values), 2),
            "maxHours": round(max(values), 2) if values else 0,
            "meanHours": round(sum(values) / len(values), 2) if values else 0,
        },
    }


DEFAULT_LOAD_DAYS = 28


def org_report(
    kind: ReportKind,
    org: SecurityOrg,
    subdomains: Iterable[str],
    *,
    start: int | None = None,
    end: int | None = None,
) -> dict[str, Any]:
    """The headcount, coverage or load report as a JSON-ready mapping.

    Coverage is judged over the org's coverage window; the load window defaults to 28 days
    from the coverage window's start.
    """
    from seccli.core.errors import InputError
    from seccli.org.roster import generate_roster
    from seccli.org.timeline import check_window
    from seccli.org.validate import coverage_window

    if kind is ReportKind.HEADCOUNT:
        return headcount_report(org, generate_roster(org))
    window = coverage_window(org)
    if kind is ReportKind.COVERAGE:
        if window is None:
            raise InputError("the org has no schedules to check")
        return {"subdomains": coverage_report(org, subdomains, window[0], window[1])}
    if kind is ReportKind.LOAD:
        low = start if start is not None else (window or (0, 0))[0]
        high = end if end is not None else low + DEFAULT_LOAD_DAYS * 86400
        try:
            check_window(low, high)
        except InputError:
            raise InputError("the load window must be positive and at most 366 days") from None
        return load_report(OnCallIndex(org), low, high)
    raise InputError(f"{kind.value} is not a tabular report")
