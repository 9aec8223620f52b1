"""Routing findings to owners: CODEOWNERS first, then the estate (service or namespace by path).

Unknown owners stay unknown (``None``) and are counted, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CODEOWNERS_LOCATIONS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """A path pattern and who owns what matches it."""

    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]
    line: int


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-style matching as CODEOWNERS uses it."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    directory = pattern.endswith("/")
    body = pattern.strip("/")
    out = []
    index = 0
    while index < len(body):
        char = body[index]
        if body.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if body.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(char))
        index += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    # A pattern naming a directory (or anything without a trailing slash) covers what is below.
    suffix = "/.*$" if directory else "(?:/.*)?$"
    return re.compile(prefix + "".join(out) + suffix)


def parse_codeowners(text: str) -> list[OwnerRule]:
    """The rules of a CODEOWNERS file, in file order (the last match wins)."""
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line.startswith("["):
            continue
        parts = line.split()
        rules.append(OwnerRule(parts[0], tuple(parts[1:]), _glob_to_regex(parts[0]), number))
    return rules


def find_codeowners(root: Path) -> Path | None:
    """The CODEOWNERS file of a repository, in GitHub's search order."""
    for candidate in CODEOWNERS_LOCATIONS:
        path = root / candidate
        if path.is_file():
            return path
    return None


@dataclass(frozen=True, slots=True)
class EstateOwner:
    """A path component naming a service or namespace, and its owner."""

    component: str
    owner: str
    kind: str


class OwnerRouter:
    """Answers "who owns this path?" from CODEOWNERS rules and estate entries."""

    def __init__(self, rules: Sequence[OwnerRule] = (), estate: Iterable[EstateOwner] = ()) -> None:
        self._rules = list(rules)
        entries = list(estate)
        # Services are more specific than namespaces.
        self._services = {e.component: e.owner for e in entries if e.kind == "service"}
        self._namespaces = {e.component: e.owner for e in entries if e.kind == "namespace"}

    @classmethod
    def for_root(cls, root: Path, estate: Iterable[EstateOwner] = ()) -> OwnerRouter:
        """A router from the repository's CODEOWNERS (if any) and estate entries."""
        from seccli.core.documents import read_file_bytes

        found = find_codeowners(root)
        # GitHub ignores CODEOWNERS files over 3 MB; a FIFO or device is refused, not read.
        text = read_file_bytes(found, 3 * 1024 * 1024).decode("utf-8", "replace") if found else ""
        rules = parse_codeowners(text) if found else []
        return cls(rules, estate)

    def owner_of(self, path: str) -> str | None:
        """The owner(s) of ``path`` joined by spaces, or ``None`` when nobody is known."""
        matched: OwnerRule | None = None
        for rule in self._rules:
            if rule.regex.match(path):
                matched = rule
        if matched is not None and matched.owners:
            return " ".join(matched.owners)
        parts = path.split("/")[:-1]
        for part in reversed(parts):
            if part in self._services:
                return self._services[part]
        for part in reversed(parts):
            if part in self._namespaces:
                return self._namespaces[part]
        return None


def estate_owners(estate: object) -> list[EstateOwner]:
    """Service and namespace owners of an estate (``seccli.estate.model.Estate``).

    A service is owned by its ``owner``, else by its subdomain's squad. A namespace is owned
    only when all its owned services agree on one owner.
    """
    squads = {sub.name: sub.squad for sub in getattr(estate, "subdomains", ())}
    entries: list[EstateOwner] = []
    by_namespace: dict[str, set[str]] = {}
    for service in getattr(estate, "services", ()):
        owner = service.owner or squads.get(service.subdomain)
        if owner:
            entries.append(EstateOwner(service.name, owner, "service"))
            by_namespace.setdefault(service.namespace, set()).add(owner)
    for namespace, owners in sorted(by_namespace.items()):
        if len(owners) == 1:
            entries.append(EstateOwner(namespace, next(iter(owners)), "namespace"))
    return entries
