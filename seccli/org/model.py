"""The ``SecurityOrg`` document: teams, levels, regions, squads, on-call, routing, RACI, holding.

Field names are camelCase in YAML (``reportsTo``) and snake_case in Python. People are not
listed one by one: a team declares its headcount and members get stable IDs ``<team>-<nnnn>``
(``appsec-0001`` ... ``appsec-0160``); the roster generator gives them names, levels, regions
and skills. Squads, schedules and escalation policies name people by those IDs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from seccli.core.userdoc import DocumentModel, UserDocument

API_VERSION = "seccli.dev/v1alpha1"
KIND = "SecurityOrg"

_ID = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
PERSON_ID = re.compile(r"^(?P<team>[a-z0-9]([-a-z0-9]*[a-z0-9])?)-(?P<number>[0-9]{4,6})$")
_NICE_ID = r"^[A-Z]{2}-WRL-[0-9]{3}$"
_CLOCK = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")
_TURN = re.compile(r"^(?P<count>[1-9][0-9]*)(?P<unit>[hdw])$")

Ident = Annotated[str, Field(pattern=_ID, min_length=1, max_length=63)]
PersonId = Annotated[str, Field(pattern=PERSON_ID.pattern, max_length=80)]
Percent = Annotated[int, Field(ge=1, le=100)]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Track(StrEnum):
    """The two populations of the organisation."""

    SECURITY = "security"
    API = "api"


def check_time_zone(value: str) -> str:
    """Accept an IANA time zone name (``Europe/Madrid``) or ``UTC``."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name like Europe/Madrid)"
        ) from None
    return value


def clock_minutes(value: str) -> int:
    """Minutes since midnight of ``HH:MM`` (``24:00`` is 1440)."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


class Metadata(DocumentModel):
    """Document metadata."""

    name: Ident
    description: str | None = None


class Totals(DocumentModel):
    """The headcount the organisation plans for each track."""

    security: int = Field(ge=0)
    api: int = Field(ge=0)


class Level(DocumentModel):
    """A career level and how many people of every 30 hold it (directors first)."""

    id: Annotated[str, Field(pattern=r"^L[0-9]$")]
    title: str = Field(min_length=1)
    per30: int = Field(ge=0, le=30)


class Region(DocumentModel):
    """A follow-the-sun region with its time zone and its share of the people."""

    id: Ident
    time_zone: str
    weight: int = Field(1, ge=1, le=1000)

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_time_zone(value)


class Team(DocumentModel):
    """A team: its track, planned headcount, lead and the team its lead reports to."""

    id: Ident
    name: str = Field(min_length=1)
    track: Track
    headcount: int = Field(ge=1, le=100_000)
    lead: PersonId
    reports_to: Ident | None = None
    nice_roles: tuple[Annotated[str, Field(pattern=_NICE_ID)], ...] = ()
    skills: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    description: str | None = None


class SquadMember(DocumentModel):
    """A squad seat: a person and the share of their time it takes."""

    person: PersonId
    percent: Percent | None = None


class Squad(DocumentModel):
    """A cross-functional squad owning one or more subdomains, with its escalation policy."""

    id: Ident
    subdomains: tuple[Ident, ...] = Field(min_length=1)
    allocation: Percent = Field(50, description="Default share of each member's time, in %.")
    members: tuple[PersonId | SquadMember, ...] = ()
    escalation_policy: Ident | None = None

    def seats(self) -> tuple[tuple[str, int], ...]:
        """(person, percent) for each member, the squad default applied."""
        out: list[tuple[str, int]] = []
        for member in self.members:
            if isinstance(member, str):
                out.append((member, self.allocation))
            else:
                out.append((member.person, member.percent or self.allocation))
        return tuple(out)


class Restriction(DocumentModel):
    """When a layer is active: every day between two local times, or a span of the week."""

    type: Literal["daily", "weekly"]
    start: str
    end: str
    start_day: Weekday | None = None
    end_day: Weekday | None = None

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"expected a local time HH:MM (00:00 to 24:00), got {value!r}")
        return value

    @model_validator(mode="after")
    def _days(self) -> Restriction:
        if self.type == "weekly" and (self.start_day is None or self.end_day is None):
            raise ValueError("a weekly restriction needs startDay and endDay")
        if self.type == "daily" and (self.start_day is not None or self.end_day is not None):
            raise ValueError("a daily restriction takes no startDay/endDay")
        if self.type == "daily" and self.start == self.end:
            raise ValueError("a daily restriction must not start and end at the same time")
        return self

    @property
    def offset_minutes(self) -> int:
        """Start, in minutes from midnight (daily) or from Monday 00:00 (weekly)."""
        day = WEEKDAYS.index(self.start_day) if self.start_day else 0
        return day * 1440 + clock_minutes(self.start)

    @property
    def duration_minutes(self) -> int:
        """How long each active span lasts."""
        if self.type == "daily":
            return (clock_minutes(self.end) - clock_minutes(self.start)) % 1440 or 1440
        assert self.end_day is not None
        end = WEEKDAYS.index(self.end_day) * 1440 + clock_minutes(self.end)
        return (end - self.offset_minutes) % 10080 or 10080


class Layer(DocumentModel):
    """A rotation: members take turns of ``turn`` from ``rotationStart`` (local wall time)."""

    name: Ident
    time_zone: str = "UTC"
    rotation_start: datetime
    turn: str = Field(description="Length of a turn: 12h, 1d, 1w ...")
    members: tuple[PersonId, ...] = Field(min_length=1)
    restrictions: tuple[Restriction, ...] = ()
    end: datetime | None = None

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_time_zone(value)

    @field_validator("turn")
    @classmethod
    def _turn(cls, value: str) -> str:
        if not _TURN.match(value):
            raise ValueError(f"expected a turn length like 12h, 1d or 1w, got {value!r}")
        return value

    @model_validator(mode="after")
    def _end(self) -> Layer:
        if self.end is not None and self.end.tzinfo is None:
            raise ValueError("end must carry a UTC offset (e.g. 2026-12-31T00:00:00Z)")
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        """The layer's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def turn_delta(self) -> timedelta:
        """The turn length as a wall-clock duration."""
        match = _TURN.match(self.turn)
        assert match is not None
        count = int(match["count"])
        unit = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
        return count * unit[match["unit"]]

    @cached_property
    def turn_seconds(self) -> int:
        """The turn length in (wall-clock) seconds."""
        return int(self.turn_delta.total_seconds())

    @cached_property
    def local_start_seconds(self) -> int:
        """The rotation start as wall-clock seconds since 1970-01-01T00:00 local."""
        return int((self.local_start - datetime(1970, 1, 1)).total_seconds())

    @property
    def local_start(self) -> datetime:
        """The rotation start as naive local wall time in the layer's zone."""
        if self.rotation_start.tzinfo is None:
            return self.rotation_start
        return self.rotation_start.astimezone(self.zone).replace(tzinfo=None)


class Override(DocumentModel):
    """Someone covers a schedule between two instants, above every layer."""

    person: PersonId
    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _span(self) -> Override:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("override start and end need a UTC offset (e.g. ...T03:00:00Z)")
        if self.end <= self.start:
            raise ValueError("override end must be after its start")
        return self


class Schedule(DocumentModel):
    """An on-call schedule: layers (later ones win where active) and overrides (win always)."""

    id: Ident
    squad: Ident | None = None
    description: str | None = None
    layers: tuple[Layer, ...] = Field(min_length=1)
    overrides: tuple[Override, ...] = ()


class EscalationTarget(DocumentModel):
    """Who a level notifies: whoever is on call in a schedule, or a named person."""

    schedule: Ident | None = None
    person: PersonId | None = None

    @model_validator(mode="after")
    def _one(self) -> EscalationTarget:
        if (self.schedule is None) == (self.person is None):
            raise ValueError("a target names exactly one of schedule or person")
        return self


class EscalationLevel(DocumentModel):
    """A level: its targets, and minutes without acknowledgement before the next level."""

    delay_minutes: int = Field(ge=1, le=1440)
    targets: tuple[EscalationTarget, ...] = Field(min_length=1)


class EscalationPolicy(DocumentModel):
    """Ordered levels, repeated ``loops`` more times when nobody acknowledges."""

    id: Ident
    loops: int = Field(0, ge=0, le=9)
    levels: tuple[EscalationLevel, ...] = Field(min_length=1)


class RoutingRule(DocumentModel):
    """A rule routing findings: every given matcher must match (globs allowed)."""

    category: tuple[str, ...] = ()
    namespace: str | None = None
    service: str | None = None
    subdomain: str | None = None
    path: str | None = None
    squad: Ident | None = None
    team: Ident | None = None

    @model_validator(mode="after")
    def _target(self) -> RoutingRule:
        if self.squad is None and self.team is None:
            raise ValueError("a routing rule needs a squad, a team or both")
        return self


class Routing(DocumentModel):
    """How findings find their owners and responders."""

    default_team: Ident
    category_teams: dict[str, Ident] = {}
    rules: tuple[RoutingRule, ...] = ()


class RaciEntry(DocumentModel):
    """Who is Responsible, Accountable, Consulted and Informed for a control family."""

    family: Ident
    title: str | None = None
    responsible: tuple[Ident, ...] = Field(min_length=1)
    accountable: Ident
    consulted: tuple[Ident, ...] = ()
    informed: tuple[Ident, ...] = ()


class Training(DocumentModel):
    """Training cohorts: trainers at one level, each training operators of other levels."""

    trainers: int = Field(ge=0)
    operators: int = Field(ge=0)
    trainer_level: str
    operator_levels: tuple[str, ...] = Field(min_length=1)


class Holding(DocumentModel):
    """The holding's agents: subsidiaries that each keep at least a minimum headcount."""

    subsidiaries: tuple[Ident, ...] = Field(min_length=1)
    agents_per_subsidiary: int = Field(ge=1, le=100_000)
    training: Training | None = None


class RosterSettings(DocumentModel):
    """Defaults of the roster generator."""

    seed: int = 0


class Rules(DocumentModel):
    """Thresholds the validation applies."""

    min_squad_size: int = Field(10, ge=1)
    max_allocation_percent: int = Field(100, ge=1, le=100)


class CoverageCheck(DocumentModel):
    """The window in which every schedule must cover 24x7 (a year catches every DST change)."""

    start: datetime
    days: int = Field(371, ge=1, le=3660)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a UTC offset (e.g. 2026-01-05T00:00:00Z)")
        return value.astimezone(UTC)


class SecurityOrg(UserDocument):
    """The security organisation of an estate's owner."""

    api_version: Literal["seccli.dev/v1alpha1"]
    kind: Literal["SecurityOrg"]
    metadata: Metadata
    organisation: str = Field(min_length=1)
    totals: Totals
    levels: tuple[Level, ...] = Field(min_length=1)
    regions: tuple[Region, ...] = Field(min_length=1)
    teams: tuple[Team, ...] = Field(min_length=1)
    squads: tuple[Squad, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    escalation_policies: tuple[EscalationPolicy, ...] = ()
    routing: Routing | None = None
    raci: tuple[RaciEntry, ...] = ()
    holding: Holding | None = None
    roster: RosterSettings = RosterSettings()
    rules: Rules = Rules()
    coverage_check: CoverageCheck | None = None

    @cached_property
    def teams_by_id(self) -> dict[str, Team]:
        """Teams by ID (first wins when duplicated; validation reports duplicates)."""
        out: dict[str, Team] = {}
        for team in self.teams:
            out.setdefault(team.id, team)
        return out

    @cached_property
    def squads_by_id(self) -> dict[str, Squad]:
        """Squads by ID."""
        out: dict[str, Squad] = {}
        for squad in self.squads:
            out.setdefault(squad.id, squad)
        return out

    @cached_property
    def schedules_by_id(self) -> dict[str, Schedule]:
        """Schedules by ID."""
        out: dict[str, Schedule] = {}
        for schedule in self.schedules:
            out.setdefault(schedule.id, schedule)
        return out

    @cached_property
    def policies_by_id(self) -> dict[str, EscalationPolicy]:
        """Escalation policies by ID."""
        out: dict[str, EscalationPolicy] = {}
        for policy in self.escalation_policies:
            out.setdefault(policy.id, policy)
        return out

    @cached_property
    def squad_of_subdomain(self) -> dict[str, Squad]:
        """The squad owning each subdomain."""
        out: dict[str, Squad] = {}
        for squad in self.squads:
            for subdomain in squad.subdomains:
                out.setdefault(subdomain, squad)
        return out

    def person_team(self, person: str) -> Team | None:
        """The team of a person ID, or None when the ID names nobody."""
        match = PERSON_ID.match(person)
        if match is None:
            return None
        team = self.teams_by_id.get(match["team"])
        if team is None or not 1 <= int(match["number"]) <= team.headcount:
            return None
        return team


def person_id(team: str, number: int) -> str:
    """The stable ID of the ``number``-th member of ``team`` (1-based)."""
    return f"{team}-{number:04d}"
