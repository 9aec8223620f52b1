"""The deterministic roster: every member of every team, with synthetic names.

IDs, levels and regions depend only on the document (``appsec-0001`` is always the first
AppSec director); names and skills come from a seeded generator, so the same seed gives the
same roster and byte-identical CSV/JSON exports.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seccli.org.model import Level, Region, SecurityOrg, Team, person_id

# Invented syllables: the names they make are deliberately not real people's names.
_GIVEN_A = ("Ka", "Zo", "Mi", "Ru", "Te", "Va", "Lo", "Ny", "Sa", "Qi", "Do", "Fe", "Ju", "Xa")
_GIVEN_B = ("ren", "lix", "mo", "thea", "vin", "dra", "sko", "nel", "ria", "bek", "quo", "sel")
_FAMILY_A = ("Vor", "Tal", "Quen", "Mir", "Sabe", "Dru", "Ost", "Kel", "Ferr", "Yl", "Bran", "Zet")
_FAMILY_B = ("adin", "oway", "ensk", "ubel", "arro", "iqua", "emble", "onth", "ask", "ivet")

SYNTHETIC_MARK = "(synthetic)"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_REGION_STRIDES = (61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113)


@dataclass(frozen=True, slots=True)
class Person:
    """One generated member of the organisation."""

    id: str
    name: str
    team: str
    track: str
    level: str
    region: str
    time_zone: str
    skills: tuple[str, ...]
    squads: tuple[tuple[str, int], ...]

    @property
    def allocation(self) -> int:
        """Share of this person's time given to squads, in %."""
        return sum(percent for _, percent in self.squads)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with stable keys."""
        return {
            "id": self.id,
            "name": self.name,
            "team": self.team,
            "track": self.track,
            "level": self.level,
            "region": self.region,
            "timeZone": self.time_zone,
            "skills": list(self.skills),
            "squads": [{"squad": squad, "percent": percent} for squad, percent in self.squads],
            "allocation": self.allocation,
        }


@dataclass(frozen=True, slots=True)
class Roster:
    """Everyone in the organisation, in team order then ID order."""

    organisation: str
    seed: int
    people: tuple[Person, ...]

    def by_id(self) -> dict[str, Person]:
        """People by ID."""
        return {person.id: person for person in self.people}

    def to_json(self) -> str:
        """A stable JSON export (sorted keys, trailing newline)."""
        payload = {
            "organisation": self.organisation,
            "seed": self.seed,
            "count": len(self.people),
            "people": [person.as_dict() for person in self.people],
        }
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def to_csv(self) -> str:
        """A stable CSV export: one row per person, lists joined with ``;``."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            [
                "id",
                "name",
                "team",
                "track",
                "level",
                "region",
                "timeZone",
                "skills",
                "squads",
                "allocation",
            ]
        )
        for p in self.people:
            writer.writerow(
                csv_safe(cell)
                for cell in (
                    p.id,
                    p.name,
                    p.team,
                    p.track,
                    p.level,
                    p.region,
                    p.time_zone,
                    ";".join(p.skills),
                    ";".join(f"{squad}:{percent}" for squad, percent in p.squads),
                    p.allocation,
                )
            )
        return buffer.getvalue()


def csv_safe(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula (``=cmd...`` gets a ``'``)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def level_counts(levels: Sequence[Level], headcount: int) -> list[tuple[str, int]]:
    """Split ``headcount`` across levels by their per-30 shares (largest remainder).

    Ties in the remainder go to the level listed first, so the split is deterministic.
    """
    total = sum(level.per30 for level in levels)
    if total <= 0:
        return [(levels[0].id, headcount)] if levels else []
    exact = [headcount * level.per30 / total for level in levels]
    counts = [math.floor(value) for value in exact]
    missing = headcount - sum(counts)
    order = sorted(range(len(levels)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:missing]:
        counts[i] += 1
    return [(level.id, count) for level, count in zip(levels, counts, strict=True)]


def level_table(levels: Sequence[Level], headcount: int) -> list[str]:
    """The level of each member number 1..headcount (directors first)."""
    out: list[str] = []
    for level_id, count in level_counts(levels, headcount):
        out.extend([level_id] * count)
    return out


def region_picker(regions: Sequence[Region]) -> list[Region]:
    """A repeating pattern of regions honouring weights, spread rather than in blocks."""
    slots: list[Region] = []
    for region in regions:
        slots.extend([region] * region.weight)
    size = len(slots)
    stride = next((s for s in _REGION_STRIDES if math.gcd(s, size) == 1), 1)
    return [slots[(i * stride) % size] for i in range(size)]


def synthetic_name(rng: random.Random) -> str:
    """An invented name, marked as synthetic."""
    given = rng.choice(_GIVEN_A) + rng.choice(_GIVEN_B)
    family = rng.choice(_FAMILY_A) + rng.choice(_FAMILY_B)
    return f"{given} {family} {SYNTHETIC_MARK}"


def squad_seats(org: SecurityOrg) -> dict[str, list[tuple[str, int]]]:
    """Each person's squad seats (squad, percent), in document order."""
    seats: dict[str, list[tuple[str, int]]] = {}
    for squad in org.squads:
        for person, percent in squad.seats():
            seats.setdefault(person, []).append((squad.id, percent))
    return seats


def generate_team(
    org: SecurityOrg,
    team: Team,
    seed: int,
    seats: dict[str, list[tuple[str, int]]] | None = None,
) -> list[Person]:
    """The members of one team (its RNG is seeded by the seed and the team ID only)."""
    rng = random.Random(f"{seed}:{team.id}")
    levels = level_table(org.levels, team.headcount)
    pattern = region_picker(org.regions)
    offset = zlib.crc32(team.id.encode()) % len(pattern)
    pool = team.skills
    seats = seats or {}
    people: list[Person] = []
    for number in range(1, team.headcount + 1):
        pid = person_id(team.id, number)
        region = pattern[(number - 1 + offset) % len(pattern)]
        name = synthetic_name(rng)
        if pool:
            k = rng.randint(min(2, len(pool)), min(4, len(pool)))
            picked = sorted(rng.sample(range(len(pool)), k))
            skills = tuple(pool[i] for i in picked)
        else:
            skills = ()
        people.append(
            Person(
                id=pid,
                name=name,
                team=team.id,
                track=team.track.value,
                level=levels[number - 1],
                region=region.id,
                time_zone=region.time_zone,
                skills=skills,
                squads=tuple(seats.get(pid, ())),
            )
        )
    return people


def generate_roster(org: SecurityOrg, seed: int | None = None) -> Roster:
    """Everyone in ``org``; ``seed`` defaults to the document's ``roster.seed``."""
    chosen = org.roster.seed if seed is None else seed
    seats = squad_seats(org)
    people: list[Person] = []
    for team in org.teams:
        people.extend(generate_team(org, team, chosen, seats))
    return Roster(org.organisation, chosen, tuple(people))


def headcount_by_level(people: Iterable[Person]) -> dict[tuple[str, str], int]:
    """(team, level) -> number of people."""
    out: dict[tuple[str, str], int] = {}
    for person in people:
        key = (person.team, person.level)
        out[key] = out.get(key, 0) + 1
    return out
