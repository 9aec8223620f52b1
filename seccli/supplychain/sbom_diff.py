"""What changed between two CycloneDX SBOMs, component by component.

Components are matched by package identity: their purl without version, qualifiers and subpath
(``pkg:npm/left-pad`` and ``pkg:pypi/left-pad`` are different packages), else, for components
without a purl, by ``group/name``. bom-refs are not used as keys: generators often make them
positional or random (cyclonedx-py's requirements builder writes ``requirements-L<line>``), so
the same package has another bom-ref in the next SBOM. A package present in several versions
on either side (npm installs nested copies) is matched version by version.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from seccli.supplychain.purl import purl_identity


@dataclass(frozen=True, slots=True)
class ComponentEntry:
    """A component as the diff reports it."""

    key: str
    name: str
    version: str | None
    licenses: tuple[str, ...]
    purl: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Stable JSON."""
        return {
            "key": self.key,
            "name": self.name,
            "version": self.version,
            "licenses": list(self.licenses),
            "purl": self.purl,
        }


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """A package in both SBOMs with a different version or licences."""

    key: str
    name: str
    old_version: str | None
    new_version: str | None
    old_licenses: tuple[str, ...]
    new_licenses: tuple[str, ...]

    @property
    def what(self) -> list[str]:
        """``version`` and/or ``licenses``."""
        changed = ["version"] if self.old_version != self.new_version else []
        return changed + (["licenses"] if self.old_licenses != self.new_licenses else [])


@dataclass(frozen=True, slots=True)
class SbomDiff:
    """What changed between two SBOMs (each list sorted by key, then version)."""

    added: tuple[ComponentEntry, ...] = ()
    removed: tuple[ComponentEntry, ...] = ()
    changed: tuple[ComponentChange, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        """Stable JSON."""
        return {
            "added": [entry.to_json() for entry in self.added],
            "removed": [entry.to_json() for entry in self.removed],
            "changed": [
                {
                    "key": c.key,
                    "name": c.name,
                    "changes": c.what,
                    "version": {"from": c.old_version, "to": c.new_version},
                    "licenses": {"from": list(c.old_licenses), "to": list(c.new_licenses)},
                }
                for c in self.changed
            ],
        }


def _licenses(component: dict[str, Any]) -> tuple[str, ...]:
    found: set[str] = set()
    for entry in component.get("licenses") or []:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            found.add(entry["expression"])
        lic = entry.get("license")
        if isinstance(lic, dict):
            value = lic.get("id") or lic.get("name")
            if isinstance(value, str):
                found.add(value)
    return tuple(sorted(found))


def _walk(items: Any) -> Iterator[dict[str, Any]]:
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            yield item
            yield from _walk(item.get("components"))


def _entry(item: dict[str, Any]) -> ComponentEntry:
    group = item.get("group")
    name = f"{group}/{item['name']}" if isinstance(group, str) and group else item["name"]
    purl = item.get("purl") if isinstance(item.get("purl"), str) else None
    key = purl_identity(purl) if purl else "name:" + name.lower().replace("_", "-")
    version = item.get("version")
    return ComponentEntry(
        key, name, version if isinstance(version, str) else None, _licenses(item), purl
    )


def _by_key(sbom: dict[str, Any]) -> dict[str, dict[str | None, ComponentEntry]]:
    out: dict[str, dict[str | None, ComponentEntry]] = {}
    for item in _walk(sbom.get("components")):
        entry = _entry(item)
        out.setdefault(entry.key, {}).setdefault(entry.version, entry)
    return out


def _order(entry: ComponentEntry) -> tuple[str, str]:
    return entry.key, entry.version or ""


def diff_sboms(old: dict[str, Any], new: dict[str, Any]) -> SbomDiff:
    """Packages added, removed, and changed (version or licences)."""
    before, after = _by_key(old), _by_key(new)
    added: list[ComponentEntry] = []
    removed: list[ComponentEntry] = []
    changed: list[ComponentChange] = []
    for key in sorted(before.keys() | after.keys()):
        olds, news = before.get(key, {}), after.get(key, {})
        if len(olds) == 1 and len(news) == 1:
            (was,), (now,) = olds.values(), news.values()
            if was.version != now.version or was.licenses != now.licenses:
                changed.append(
                    ComponentChange(
                        key, now.name, was.version, now.version, was.licenses, now.licenses
                    )
                )
            continue
        for version, entry in olds.items():
            if version not in news:
                removed.append(entry)
            elif news[version].licenses != entry.licenses:
                now = news[version]
                changed.append(
                    ComponentChange(key, now.name, version, version, entry.licenses, now.licenses)
                )
        added.extend(entry for version, entry in news.items() if version not in olds)
    return SbomDiff(
        tuple(sorted(added, key=_order)), tuple(sorted(removed, key=_order)), tuple(changed)
    )
