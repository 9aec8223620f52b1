"""Control catalogs (SOC 2 TSC, ISO/IEC 27001:2022 Annex A, GDPR) and their crosswalk.

The catalogs are package data (``seccli/evidence/data/*.json``) read with ``importlib.resources``,
so they work from an installed wheel. Titles are seccli's own short paraphrases (the official
texts are copyrighted), except GDPR article titles, which are quoted from the Regulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from seccli.core.errors import InputError

#: Framework key → the framework name used in ``ControlRef`` (as policy templates write it).
FRAMEWORKS: dict[str, str] = {"soc2": "SOC2", "iso27001": "ISO27001:2022", "gdpr": "GDPR"}
#: ``ControlRef.framework`` spellings → framework key.
FRAMEWORK_KEYS: dict[str, str] = {name: key for key, name in FRAMEWORKS.items()}

RELATIONSHIPS = ("equivalent", "subset", "related")


@dataclass(frozen=True, slots=True)
class Control:
    """One control of a catalog."""

    framework: str  # key: soc2 | iso27001 | gdpr
    id: str
    title: str
    group: str

    def to_json(self) -> dict[str, str]:
        """The control as JSON."""
        return {
            "framework": self.framework,
            "id": self.id,
            "title": self.title,
            "group": self.group,
        }


@dataclass(frozen=True, slots=True)
class Catalog:
    """A framework's controls in catalog order."""

    framework: str
    title: str
    version: str
    note: str
    controls: tuple[Control, ...]

    def get(self, control_id: str) -> Control | None:
        """The control ``control_id`` or ``None``."""
        return _index(self.framework).get(control_id)


@dataclass(frozen=True, slots=True)
class Crosswalk:
    """One crosswalk row: SOC 2 ↔ ISO 27001 ↔ GDPR (one side may be absent)."""

    soc2: str | None
    iso27001: str | None
    gdpr: str | None
    relationship: str
    rationale: str

    def ids(self, framework: str) -> str | None:
        """This row's control of ``framework`` (key)."""
        value: str | None = getattr(self, framework)
        return value

    def to_json(self) -> dict[str, Any]:
        """The row as JSON."""
        return {
            "soc2": self.soc2,
            "iso27001": self.iso27001,
            "gdpr": self.gdpr,
            "relationship": self.relationship,
            "rationale": self.rationale,
        }


def _read(name: str) -> Any:
    from seccli.core.documents import parse_json_bytes

    raw = resources.files("seccli.evidence").joinpath("data", name).read_bytes()
    return parse_json_bytes(raw, f"seccli/evidence/data/{name}")


def framework_key(name: str) -> str:
    """Normalise a framework name (``soc2``, ``SOC2``, ``ISO27001:2022``...) or exit 2."""
    lowered = name.strip().lower()
    aliases = {
        "soc2": "soc2",
        "soc-2": "soc2",
        "iso27001": "iso27001",
        "iso27001:2022": "iso27001",
        "iso-27001": "iso27001",
        "iso": "iso27001",
        "gdpr": "gdpr",
    }
    key = aliases.get(lowered) or FRAMEWORK_KEYS.get(name.strip())
    if key is None:
        raise InputError(
            f"unknown framework {name!r}",
            hint=f"use one of: {', '.join(FRAMEWORKS)}",
        )
    return key


@cache
def catalog(framework: str) -> Catalog:
    """The catalog of ``framework`` (a key or any accepted spelling)."""
    key = framework_key(framework)
    data = _read(f"{key}.json")
    controls = tuple(
        Control(key, str(item["id"]), str(item["title"]), str(item["group"]))
        for item in data["controls"]
    )
    return Catalog(key, str(data["title"]), str(data["version"]), str(data["note"]), controls)


@cache
def _index(framework: str) -> dict[str, Control]:
    return {control.id: control for control in catalog(framework).controls}


def catalogs(frameworks: tuple[str, ...] | None = None) -> tuple[Catalog, ...]:
    """The catalogs of ``frameworks`` (all by default), in a fixed order."""
    keys = [framework_key(name) for name in frameworks] if frameworks else list(FRAMEWORKS)
    return tuple(catalog(key) for key in dict.fromkeys(keys))


def require_control(framework: str, control_id: str) -> Control:
    """The control or an input error (exit 2) naming the unknown id."""
    found = catalog(framework).get(control_id)
    if found is None:
        raise InputError(f"unknown {framework} control id {control_id!r}")
    return found


@cache
def crosswalk() -> tuple[Crosswalk, ...]:
    """Every crosswalk row, in file order."""
    rows = _read("crosswalk.json")["mappings"]
    return tuple(
        Crosswalk(
            row.get("soc2"),
            row.get("iso27001"),
            row.get("gdpr"),
            str(row["relationship"]),
            str(row["rationale"]),
        )
        for row in rows
    )


def related_controls(framework: str, control_id: str) -> tuple[tuple[str, str, str], ...]:
    """The controls the crosswalk links to ``framework`` ``control_id``, as sorted
    (framework key, id, relationship), keeping the strongest relationship of each."""
    key = framework_key(framework)
    found: set[tuple[str, str, str]] = set()
    for row in crosswalk():
        if row.ids(key) != control_id:
            continue
        for other in FRAMEWORKS:
            value = row.ids(other)
            if other != key and value:
                found.add((other, value, row.relationship))
    strength = {name: rank for rank, name in enumerate(RELATIONSHIPS)}
    best: dict[tuple[str, str], str] = {}
    for other, value, relationship in found:
        current = best.get((other, value))
        if current is None or strength[relationship] < strength[current]:
            best[(other, value)] = relationship
    return tuple(sorted((fw, cid, rel) for (fw, cid), rel in best.items()))
