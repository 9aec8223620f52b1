"""On-call: schedule timelines (layers, restrictions, overrides), gaps, escalation and ``who``.

Semantics:
- a layer's members take turns of ``turn`` starting at ``rotationStart``; turns and
  restrictions are read in the layer's time zone as wall-clock times, so a daily 07:00-16:00
  window stays 07:00-16:00 local across DST changes (and moves in UTC);
- a layer is active from its rotation start (until its optional end), only inside its
  restrictions when it has any; later layers win over earlier ones where both are active;
- overrides win over every layer (a later override over an earlier one);
- an escalation level is notified when the previous one has gone ``delayMinutes`` without an
  acknowledgement; after the last level the policy starts over ``loops`` more times.

Instants are handled as integer UTC epoch seconds internally and rendered as UTC ISO 8601.
Timelines are compiled per schedule and per week and cached, so repeated ``who`` queries cost a
dictionary lookup and a binary search.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from seccli.core.clock import Clock
from seccli.core.errors import InputError
from seccli.org.model import WEEKDAYS, Layer, Schedule, SecurityOrg

WEEK = 7 * 86400
_WEEK_ORIGIN = 4 * 86400  # 1970-01-05, a Monday


def to_epoch(moment: datetime) -> int:
    """Epoch seconds of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    """An aware UTC datetime from epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC)


def iso(seconds: int) -> str:
    """UTC ISO 8601 with a ``Z`` suffix, to the second."""
    return from_epoch(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


class Segment(NamedTuple):
    """Someone on call in a schedule over [start, end) (epoch seconds)."""

    start: int
    end: int
    person: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "person": self.person,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Gap:
    """Nobody on call over [start, end)."""

    start: int
    end: int

    @property
    def hours(self) -> float:
        """Length in hours."""
        return (self.end - self.start) / 3600

    def __str__(self) -> str:
        return f"{iso(self.start)}/{iso(self.end)}"


_BUCKET = 900  # UTC offsets change on quarter-hour boundaries
_NAIVE_EPOCH = datetime(1970, 1, 1)


class ZoneClock:
    """Fast conversions between UTC epoch seconds and local wall-clock seconds of one zone.

    Local seconds count wall-clock time since 1970-01-01T00:00 local. Offsets are memoised per
    quarter hour, so a conversion is one dictionary lookup after the first. A local time that
    does not exist (spring forward) or exists twice (fall back) takes the offset in force
    before the change, like ``datetime.replace(tzinfo=zone)`` with ``fold=0``.
    """

    _clocks: dict[str, ZoneClock] = {}

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._local_offsets: dict[int, int] = {}
        self._utc_offsets: dict[int, int] = {}

    @classmethod
    def of(cls, zone: ZoneInfo) -> ZoneClock:
        """The shared clock of ``zone``."""
        key = str(zone.key)
        clock = cls._clocks.get(key)
        if clock is None:
            clock = cls._clocks[key] = cls(zone)
        return clock

    def to_utc(self, local: int) -> int:
        """UTC epoch seconds of a local wall-clock second."""
        bucket = local // _BUCKET
        offset = self._local_offsets.get(bucket)
        if offset is None:
            naive = _NAIVE_EPOCH + timedelta(seconds=bucket * _BUCKET)
            delta = self.zone.utcoffset(naive)
            offset = int(delta.total_seconds()) if delta is not None else 0
            self._local_offsets[bucket] = offset
        return local - offset

    def to_local(self, utc: int) -> int:
        """Local wall-clock seconds of a UTC epoch second."""
        bucket = utc // _BUCKET
        offset = self._utc_offsets.get(bucket)
        if offset is None:
            moment = datetime.fromtimestamp(bucket * _BUCKET, UTC).astimezone(self.zone)
            delta = moment.utcoffset()
            offset = int(delta.total_seconds()) if delta is not None else 0
            self._utc_offsets[bucket] = offset
        return utc + offset


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def layer_active_spans(layer: Layer, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of [start, end) in which ``layer`` is active, merged and sorted."""
    clock = ZoneClock.of(layer.zone)
    local_start = layer.local_start_seconds
    low = max(start, clock.to_utc(local_start))
    high = end if layer.end is None else min(end, to_epoch(layer.end))
    if low >= high:
        return []
    if not layer.restrictions:
        return [(low, high)]
    lookback = 7 if any(r.type == "weekly" for r in layer.restrictions) else 1
    first_day = clock.to_local(low) // 86400 - lookback
    last_day = clock.to_local(high) // 86400 + 1
    prepared = [
        (
            r.type == "weekly",
            WEEKDAYS.index(r.start_day) if r.start_day else 0,
            (r.offset_minutes % 1440) * 60,
            r.duration_minutes * 60,
        )
        for r in layer.restrictions
    ]
    spans: list[tuple[int, int]] = []
    to_utc = clock.to_utc
    for day in range(first_day, last_day + 1):
        midnight = day * 86400
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        for weekly, start_day, offset, duration in prepared:
            if weekly and weekday != start_day:
                continue
            begin_local = midnight + offset
            s = to_utc(begin_local)
            e = to_utc(begin_local + duration)
            if s < low:
                s = low
            if e > high:
                e = high
            if s < e:
                spans.append((s, e))
    return _merge(spans)


def layer_segments(layer: Layer, start: int, end: int) -> list[Segment]:
    """Who the layer puts on call in [start, end), split at every hand-off."""
    spans = layer_active_spans(layer, start, end)
    if not spans:
        return []
    clock = ZoneClock.of(layer.zone)
    local_start = layer.local_start_seconds
    turn = layer.turn_seconds
    members = layer.members
    count = len(members)
    source = f"layer:{layer.name}"
    segments: list[Segment] = []
    for span_start, span_end in spans:
        turn_index = max(0, (clock.to_local(span_start) - local_start) // turn)
        cursor = span_start
        guard = 0
        while cursor < span_end:
            handoff = clock.to_utc(local_start + (turn_index + 1) * turn)
            if handoff <= cursor:
                turn_index += 1
                guard += 1
                if guard > 1000:  # pragma: no cover - defensive against clock oddities
                    break
                continue
            stop = min(span_end, handoff)
            person = members[turn_index % count]
            if segments and segments[-1].end == cursor and segments[-1].person == person:
                segments[-1] = Segment(segments[-1].start, stop, person, source)
            else:
                segments.append(Segment(cursor, stop, person, source))
            cursor = stop
            turn_index += 1
    return segments


def schedule_coverage(schedule: Schedule, start: int, end: int) -> list[tuple[int, int]]:
    """The merged spans of [start, end) in which someone is on call (no hand-off detail)."""
    spans: list[tuple[int, int]] = []
    for layer in schedule.layers:
        spans.extend(layer_active_spans(layer, start, end))
    for override in schedule.overrides:
        s = max(start, to_epoch(override.start))
        e = min(end, to_epoch(override.end))
        if s < e:
            spans.append((s, e))
    return _merge(spans)


def _paint(base: list[Segment], top: list[Segment]) -> list[Segment]:
    """``top`` painted over ``base`` (both sorted and without overlaps of their own)."""
    if not base:
        return list(top)
    if not top:
        return base
    out: list[Segment] = []
    j = 0
    count = len(top)
    for seg in base:
        seg_start, seg_end = seg.start, seg.end
        while j < count and top[j].end <= seg_start:
            j += 1
        cursor = seg_start
        k = j
        while k < count and top[k].start < seg_end:
            if top[k].start > cursor:
                out.append(Segment(cursor, top[k].start, seg.person, seg.source))
            if top[k].end > cursor:
                cursor = top[k].end
            if cursor >= seg_end:
                break
            k += 1
        if cursor < seg_end:
            out.append(Segment(cursor, seg_end, seg.person, seg.source))
    out.extend(top)
    out.sort()
    return out


def schedule_timeline(schedule: Schedule, start: int, end: int) -> list[Segment]:
    """The final timeline of a schedule over [start, end): layers stacked, then overrides."""
    painted: list[Segment] = []
    for layer in schedule.layers:
        painted = _paint(painted, layer_segments(layer, start, end))
    for override in schedule.overrides:
        s = max(start, to_epoch(override.start))
        e = min(end, to_epoch(override.end))
        if s < e:
            painted = _paint(painted, [Segment(s, e, override.person, "override")])
    out: list[Segment] = []
    for seg in painted:
        if out and out[-1].end == seg.start and out[-1][2:] == seg[2:]:
            out[-1] = Segment(out[-1].start, seg.end, seg.person, seg.source)
        else:
            out.append(seg)
    return out


def gaps(covered: list[Segment] | list[tuple[int, int]], start: int, end: int) -> list[Gap]:
    """The parts of [start, end) not covered by a timeline or by sorted (start, end) spans."""
    out: list[Gap] = []
    cursor = start
    for item in covered:
        seg_start, seg_end = (item.start, item.end) if isinstance(item, Segment) else item
        if seg_start > cursor:
            out.append(Gap(cursor, min(seg_start, end)))
        cursor = max(cursor, seg_end)
    if cursor < end:
        out.append(Gap(cursor, end))
    return [gap for gap in out if gap.start < gap.end]


class OnCallIndex:
    """Answers "who is on call" quickly: timelines compiled per schedule and week, cached."""

    def __init__(self, org: SecurityOrg) -> None:
        self.org = org
        self._weeks: dict[str, dict[int, tuple[list[int], list[Segment]]]] = {}
        self.plans: dict[str, tuple[str, str, int, tuple[_Level, ...]]] = {}

    def _week(self, schedule_id: str, week: int) -> tuple[list[int], list[Segment]]:
        weeks = self._weeks.get(schedule_id)
        if weeks is None:
            weeks = self._weeks[schedule_id] = {}
        cached = weeks.get(week)
        if cached is None:
            schedule = self.org.schedules_by_id[schedule_id]
            low = _WEEK_ORIGIN + week * WEEK
            segments = schedule_timeline(schedule, low, low + WEEK)
            cached = ([seg.start for seg in segments], segments)
            weeks[week] = cached
        return cached

    def on_call(self, schedule_id: str, at: int) -> Segment | None:
        """The segment covering instant ``at`` in a schedule, or None."""
        starts, segments = self._week(schedule_id, (at - _WEEK_ORIGIN) // WEEK)
        i = bisect_right(starts, at) - 1
        if i >= 0 and segments[i].end > at:
            return segments[i]
        return None

    def timeline(self, schedule_id: str, start: int, end: int) -> list[Segment]:
        """The timeline of a schedule over [start, end)."""
        schedule = self.org.schedules_by_id.get(schedule_id)
        if schedule is None:
            raise InputError(f"no schedule {schedule_id!r} in the org")
        return schedule_timeline(schedule, start, end)


class Notification(NamedTuple):
    """One page of an escalation: which level and loop, when, through what, to whom."""

    level: int
    loop: int
    at: int
    via: str
    person: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "level": self.level,
            "loop": self.loop,
            "at": iso(self.at),
            "via": self.via,
            "person": self.person,
        }


class WhoAnswer(NamedTuple):
    """Who is paged for a subdomain at an instant, and who comes next."""

    subdomain: str
    squad: str
    policy: str
    at: int
    primary: Notification | None
    secondary: Notification | None
    escalations: tuple[Notification, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "subdomain": self.subdomain,
            "squad": self.squad,
            "escalationPolicy": self.policy,
            "at": iso(self.at),
            "primary": self.primary.as_dict() if self.primary else None,
            "secondary": self.secondary.as_dict() if self.secondary else None,
            "escalations": [n.as_dict() for n in self.escalations],
        }


# (delay in seconds, ((via, schedule or None, person or None), ...)) for each level
_Level = tuple[int, tuple[tuple[str, str | None, str | None], ...]]


def _plan(index: OnCallIndex, subdomain: str) -> tuple[str, str, int, tuple[_Level, ...]]:
    cached = index.plans.get(subdomain)
    if cached is not None:
        return cached
    org = index.org
    squad = org.squad_of_subdomain.get(subdomain)
    if squad is None:
        known = ", ".join(sorted(org.squad_of_subdomain)) or "none"
        raise InputError(f"no squad owns subdomain {subdomain!r}", hint=f"known: {known}")
    if squad.escalation_policy is None or squad.escalation_policy not in org.policies_by_id:
        raise InputError(f"squad {squad.id!r} has no escalation policy")
    policy = org.policies_by_id[squad.escalation_policy]
    levels = tuple(
        (
            level.delay_minutes * 60,
            tuple(
                (
                    f"person:{t.person}" if t.person else f"schedule:{t.schedule}",
                    t.schedule,
                    t.person,
                )
                for t in level.targets
            ),
        )
        for level in policy.levels
    )
    plan = (squad.id, policy.id, policy.loops, levels)
    index.plans[subdomain] = plan
    return plan


def _page(
    index: OnCallIndex,
    level: int,
    loop: int,
    at: int,
    via: str,
    schedule: str | None,
    person: str | None,
) -> Notification:
    if schedule is not None:
        weeks = index._weeks.get(schedule)
        week = (at - _WEEK_ORIGIN) // WEEK
        cached = weeks.get(week) if weeks is not None else None
        starts, segments = cached if cached is not None else index._week(schedule, week)
        i = bisect_right(starts, at) - 1
        person = segments[i].person if i >= 0 and segments[i].end > at else None
    return Notification(level, loop, at, via, person)


def _first_reached(notifications: list[Notification]) -> Notification | None:
    for notification in notifications:
        if notification.person is not None:
            return notification
    return notifications[0] if notifications else None


def who(index: OnCallIndex, subdomain: str, at: datetime | int) -> WhoAnswer:
    """Primary, secondary and the escalation chain for ``subdomain`` at ``at``.

    Primary and secondary are whoever levels 1 and 2 reach at ``at``; each escalation step is
    resolved at the time it would be sent, so a hand-off in between is honoured.
    """
    moment = at if isinstance(at, int) else to_epoch(at)
    squad, policy, loops, levels = _plan(index, subdomain)
    steps: list[Notification] = []
    offset = 0
    for loop in range(loops + 1):
        for number, (delay, targets) in enumerate(levels, start=1):
            when = moment + offset
            for via, schedule, person in targets:
                steps.append(_page(index, number, loop, when, via, schedule, person))
            offset += delay
    primary = _first_reached(steps[: len(levels[0][1])])
    secondary = None
    if len(levels) > 1:
        secondary = _first_reached([_page(index, 2, 0, moment, *t) for t in levels[1][1]])
    return WhoAnswer(subdomain, squad, policy, moment, primary, secondary, tuple(steps))


def who_now(index: OnCallIndex, subdomain: str, clock: Clock) -> WhoAnswer:
    """``who`` at the clock's current time (a simulated clock in drills and tests)."""
    return who(index, subdomain, clock.now())


def on_call_hours(
    index: OnCallIndex, start: int, end: int, schedule_ids: list[str] | None = None
) -> dict[str, float]:
    """Hours each person is on call in [start, end), over the given (default: all) schedules."""
    hours: dict[str, float] = {}
    for schedule_id in schedule_ids or [s.id for s in index.org.schedules]:
        for seg in index.timeline(schedule_id, start, end):
            hours[seg.person] = hours.get(seg.person, 0.0) + (seg.end - seg.start) / 3600
    return hours
