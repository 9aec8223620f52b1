"""The on-call timeline between two instants: hand-offs, overrides and gaps per schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seccli.core.errors import InputError
from seccli.org.model import SecurityOrg
from seccli.org.oncall import Gap, OnCallIndex, Segment, gaps, iso

MAX_WINDOW_SECONDS = 366 * 86400


@dataclass(frozen=True, slots=True)
class ScheduleTimeline:
    """Who is on call in one schedule over the window, and when nobody is."""

    schedule: str
    segments: tuple[Segment, ...]
    gaps: tuple[Gap, ...]

    def rows(self) -> list[tuple[int, int, str, str]]:
        """(start, end, person or NOBODY, source or gap), in time order."""
        rows = [(seg.start, seg.end, seg.person, seg.source) for seg in self.segments]
        rows += [(g.start, g.end, "NOBODY", "gap") for g in self.gaps]
        return sorted(rows)


@dataclass(frozen=True, slots=True)
class OnCallTimelines:
    """The timelines of the chosen schedules over [start, end)."""

    start: int
    end: int
    schedules: tuple[ScheduleTimeline, ...]

    def as_json(self) -> dict[str, Any]:
        """The JSON body of ``org oncall``."""
        return {
            "from": iso(self.start),
            "to": iso(self.end),
            "schedules": {
                line.schedule: {
                    "segments": [seg.as_dict() for seg in line.segments],
                    "gaps": [{"start": iso(g.start), "end": iso(g.end)} for g in line.gaps],
                }
                for line in self.schedules
            },
        }


def check_window(start: int, end: int) -> None:
    """A window must be positive and at most 366 days (``InputError`` otherwise)."""
    if end <= start:
        raise InputError("--to must be after --from")
    if end - start > MAX_WINDOW_SECONDS:
        raise InputError("the window is limited to 366 days")


def chosen_schedules(org: SecurityOrg, subdomain: str | None, schedule: str | None) -> list[str]:
    """One schedule, the schedules of the squad owning ``subdomain``, or every schedule."""
    if schedule is not None:
        if schedule not in org.schedules_by_id:
            raise InputError(f"no schedule {schedule!r} in the org")
        return [schedule]
    if subdomain is not None:
        squad = org.squad_of_subdomain.get(subdomain)
        if squad is None:
            raise InputError(f"no squad owns subdomain {subdomain!r}")
        return [s.id for s in org.schedules if s.squad == squad.id]
    return [s.id for s in org.schedules]


def oncall_timelines(
    org: SecurityOrg,
    start: int,
    end: int,
    *,
    subdomain: str | None = None,
    schedule: str | None = None,
) -> OnCallTimelines:
    """Timelines of the schedules chosen by ``subdomain``/``schedule`` over [start, end)."""
    check_window(start, end)
    index = OnCallIndex(org)
    lines = []
    for sid in chosen_schedules(org, subdomain, schedule):
        segments = index.timeline(sid, start, end)
        lines.append(ScheduleTimeline(sid, tuple(segments), tuple(gaps(segments, start, end))))
    return OnCallTimelines(start, end, tuple(lines))
