"""The monthly drill cadence: per month the scenario not run for the longest, a facilitator from
the IR/DFIR team, and an iCalendar (RFC 5545) rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from seccli.org.model import SecurityOrg, person_id

FACILITATOR_TEAM = "ir-dfir"


@dataclass(frozen=True)
class Slot:
    month: str
    """YYYY-MM."""
    day: date
    scenario: str
    title: str
    facilitator: str
    last_run: str | None
    """When the scenario last ran before this slot (store or an earlier slot), or None."""

    def to_json(self) -> dict[str, str | None]:
        return {
            "month": self.month,
            "date": self.day.isoformat(),
            "scenario": self.scenario,
            "title": self.title,
            "facilitator": self.facilitator,
            "lastRun": self.last_run,
        }


def _month_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _first_weekday(month_start: date, weekday: int = 1) -> date:
    """The first ``weekday`` (Monday 0; default Tuesday) of the month."""
    shift = (weekday - month_start.weekday()) % 7
    return month_start.replace(day=1 + shift)


def plan_schedule(
    scenarios: Mapping[str, str],
    last_runs: Mapping[str, str],
    org: SecurityOrg,
    first_month: date,
    months: int,
) -> list[Slot]:
    """``months`` slots from ``first_month``; ``scenarios`` name → title, ``last_runs`` name →
    UTC ISO time of the last drill. Never-run scenarios come first, then the oldest; ties by
    name. Facilitators rotate through the IR/DFIR team (its lead first)."""
    if not scenarios:
        raise ValueError("no scenarios to schedule")
    team = org.teams_by_id.get(FACILITATOR_TEAM)
    headcount = max(1, team.headcount) if team is not None else 1
    last: dict[str, str | None] = {name: last_runs.get(name) for name in scenarios}
    slots: list[Slot] = []
    for i in range(months):
        month_start = _month_after(first_month, i)
        name = min(last, key=lambda n: (last[n] is not None, last[n] or "", n))
        day = _first_weekday(month_start)
        if team is None:
            facilitator = "unassigned"
        elif i % headcount == 0 and team.lead:
            facilitator = team.lead
        else:
            facilitator = person_id(team.id, i % headcount + 1)
        slots.append(
            Slot(
                month=month_start.strftime("%Y-%m"),
                day=day,
                scenario=name,
                title=scenarios[name],
                facilitator=facilitator,
                last_run=last[name],
            )
        )
        last[name] = datetime(day.year, day.month, day.day, tzinfo=UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    return slots


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 3.1: lines of at most 75 octets, continuations start with a space."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def ics_calendar(slots: Sequence[Slot], stamp: datetime) -> str:
    """An iCalendar document with one all-day event per slot (CRLF line ends)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//seccli//drill schedule//EN",
        "CALSCALE:GREGORIAN",
    ]
    dtstamp = stamp.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for slot in slots:
        end = slot.day.toordinal() + 1
        lines += [
            "BEGIN:VEVENT",
            f"UID:drill-{slot.month}-{slot.scenario}@seccli",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{slot.day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{date.fromordinal(end).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape('Tabletop drill: ' + slot.title)}",
            f"DESCRIPTION:{_escape(f'Run: seccli drill run {slot.scenario} --interactive')}",
            f'ORGANIZER;CN="{slot.facilitator}":urn:seccli:person:{slot.facilitator}',
            "CATEGORIES:DRILL",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
