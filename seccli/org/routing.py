"""Ownership and routing of findings, and the RACI of control families.

``Router.route`` answers "who owns this finding and who responds": the owning squad comes from
the subdomain (given, or found through the service or namespace), the responding team from the
finding's category; explicit routing rules of the org win over both. ``Router`` takes the
service -> subdomain and namespace -> subdomain maps; ``estate_router`` derives them from an estate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from seccli.core.errors import InputError
from seccli.org.model import RaciEntry, RoutingRule, SecurityOrg

if TYPE_CHECKING:
    from seccli.estate.model import Estate


@dataclass(frozen=True, slots=True)
class FindingLocation:
    """Where a finding is: any of namespace, service, subdomain and file path."""

    namespace: str | None = None
    service: str | None = None
    subdomain: str | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """The owning squad (None when no subdomain is known) and the responding team."""

    squad: str | None
    team: str
    subdomain: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "squad": self.squad,
            "team": self.team,
            "subdomain": self.subdomain,
            "reason": self.reason,
        }


def _matches(pattern: str | None, value: str | None) -> bool:
    if pattern is None:
        return True
    return value is not None and fnmatchcase(value, pattern)


def _rule_matches(
    rule: RoutingRule, location: FindingLocation, subdomain: str | None, category: str
) -> bool:
    if rule.category and not any(fnmatchcase(category, c) for c in rule.category):
        return False
    return (
        _matches(rule.namespace, location.namespace)
        and _matches(rule.service, location.service)
        and _matches(rule.subdomain, subdomain)
        and _matches(rule.path, location.path)
    )


class Router:
    """Routes findings to squads and teams for one org (and one estate's maps)."""

    def __init__(
        self,
        org: SecurityOrg,
        service_subdomains: Mapping[tuple[str, str], str] | None = None,
        namespace_subdomains: Mapping[str, str] | None = None,
    ) -> None:
        if org.routing is None:
            raise InputError(f"the org {org.metadata.name!r} has no routing section")
        self.org = org
        self.routing = org.routing
        self.service_subdomains = dict(service_subdomains or {})
        self.namespace_subdomains = dict(namespace_subdomains or {})

    def subdomain_of(self, location: FindingLocation) -> tuple[str | None, str]:
        """The subdomain of a location and how it was found."""
        if location.subdomain:
            return location.subdomain, "subdomain given"
        if location.namespace and location.service:
            found = self.service_subdomains.get((location.namespace, location.service))
            if found:
                return found, f"service {location.namespace}/{location.service}"
        if location.service and not location.namespace:
            candidates = {
                sub
                for (_, name), sub in self.service_subdomains.items()
                if name == location.service
            }
            if len(candidates) == 1:
                return candidates.pop(), f"service {location.service}"
        if location.namespace:
            found = self.namespace_subdomains.get(location.namespace)
            if found:
                return found, f"namespace {location.namespace}"
        return None, "no subdomain"

    def category_team(self, category: str) -> str:
        """The team responding to a category (``secrets/vault`` falls back to ``secrets``)."""
        teams = self.routing.category_teams
        key = category.lower()
        while key:
            if key in teams:
                return teams[key]
            cut = max(key.rfind("/"), key.rfind("."))
            key = key[:cut] if cut > 0 else ""
        return self.routing.default_team

    def route(self, location: FindingLocation, category: str) -> Route:
        """The owning squad and responding team of a finding."""
        subdomain, how = self.subdomain_of(location)
        owner = self.org.squad_of_subdomain.get(subdomain) if subdomain else None
        squad = owner.id if owner else None
        team = self.category_team(category)
        reason = f"squad from {how}; team from category {category!r}"
        for index, rule in enumerate(self.routing.rules):
            if _rule_matches(rule, location, subdomain, category):
                squad = rule.squad or squad
                team = rule.team or team
                reason = f"routing.rules[{index}] matched; {how}"
                break
        return Route(squad, team, subdomain, reason)


def raci_entry(org: SecurityOrg, family: str) -> RaciEntry:
    """The RACI entry of a control family."""
    for entry in org.raci:
        if entry.family == family:
            return entry
    known = ", ".join(entry.family for entry in org.raci) or "none"
    raise InputError(f"no RACI entry for control family {family!r}", hint=f"known: {known}")


def raci_matrix(org: SecurityOrg) -> dict[str, dict[str, Any]]:
    """family -> {"title", "responsible", "accountable", "consulted", "informed"}."""
    return {
        entry.family: {
            "title": entry.title,
            "responsible": list(entry.responsible),
            "accountable": entry.accountable,
            "consulted": list(entry.consulted),
            "informed": list(entry.informed),
        }
        for entry in sorted(org.raci, key=lambda e: e.family)
    }


def raci_by_team(org: SecurityOrg) -> dict[str, dict[str, str]]:
    """team -> {family: letters} (e.g. ``"RA"``), for a team-centred view."""
    out: dict[str, dict[str, str]] = {team.id: {} for team in org.teams}
    for entry in org.raci:
        roles = (
            ("R", entry.responsible),
            ("A", (entry.accountable,)),
            ("C", entry.consulted),
            ("I", entry.informed),
        )
        for letter, teams in roles:
            for team in teams:
                cell = out.setdefault(team, {})
                cell[entry.family] = cell.get(entry.family, "") + letter
    return out


def estate_router(org: SecurityOrg, estate: Estate) -> Router:
    """A router over ``estate``'s services; a namespace maps to the subdomain most of its
    services belong to (ties: the first name in order)."""
    services = {svc.key: svc.subdomain for svc in estate.services}
    by_namespace: dict[str, dict[str, int]] = {}
    for svc in estate.services:
        counts = by_namespace.setdefault(svc.namespace, {})
        counts[svc.subdomain] = counts.get(svc.subdomain, 0) + 1
    namespaces = {
        ns: sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        for ns, counts in by_namespace.items()
    }
    return Router(org, services, namespaces)
