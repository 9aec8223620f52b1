"""Cross-reference checks of an estate: every problem at once, each with its document path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from seccli.core.location import DocPath
from seccli.estate.model import Estate, Service

Issue = tuple[DocPath, str]


def check_references(estate: Estate) -> list[Issue]:
    """Every inconsistency between the parts of ``estate``, as (document path, message)."""
    issues: list[Issue] = []
    issues.extend(_duplicates("namespaces", (ns.name for ns in estate.namespaces), "namespace"))
    issues.extend(_duplicates("subdomains", (sd.name for sd in estate.subdomains), "subdomain"))
    issues.extend(
        _duplicates(
            "services", (f"{svc.namespace}/{svc.name}" for svc in estate.services), "service"
        )
    )
    for index, namespace in enumerate(estate.namespaces):
        if namespace.role == "subsidiary" and not namespace.name.startswith("subs-"):
            issues.append(
                (
                    ("namespaces", index, "name"),
                    f"subsidiary namespace {namespace.name!r} must be named subs-<slug>",
                )
            )
    namespaces = {ns.name for ns in estate.namespaces}
    subdomains = {sd.name for sd in estate.subdomains}
    services = {svc.key: svc for svc in estate.services}
    for index, service in enumerate(estate.services):
        issues.extend(_check_service(index, service, namespaces, subdomains, services))
    return issues


def _duplicates(section: str, names: Iterable[str], what: str) -> Iterator[Issue]:
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            yield (
                (section, index, "name"),
                f"duplicate {what} {name!r} (also {section}[{first[name]}])",
            )
        else:
            first[name] = index


def _check_service(
    index: int,
    service: Service,
    namespaces: set[str],
    subdomains: set[str],
    services: dict[tuple[str, str], Service],
) -> Iterator[Issue]:
    here: DocPath = ("services", index)
    if service.namespace not in namespaces:
        yield (
            (*here, "namespace"),
            f"unknown namespace {service.namespace!r}{_hint(service.namespace, namespaces)}",
        )
    if service.subdomain not in subdomains:
        yield (
            (*here, "subdomain"),
            f"unknown subdomain {service.subdomain!r}{_hint(service.subdomain, subdomains)}",
        )
    yield from _duplicates_in(here, "ports", [p.name for p in service.ports], "port name")
    yield from _duplicates_in(here, "ports", [str(p.port) for p in service.ports], "port number")
    yield from _duplicates_in(here, "secrets", [s.path for s in service.secrets], "secret path")
    for position, intent in enumerate(service.intents):
        path: DocPath = (*here, "intents", position)
        namespace, name = intent.target(service.namespace)
        target = services.get((namespace, name))
        if target is None:
            known = {f"{ns}/{svc}" for ns, svc in services}
            yield (
                (*path, "to"),
                f"unknown intent target {namespace}/{name}{_hint(f'{namespace}/{name}', known)}",
            )
            continue
        if target.port_named(intent.port) is None:
            exposed = ", ".join(f"{p.name}:{p.port}" for p in target.ports) or "no ports"
            yield (
                (*path, "port"),
                f"{namespace}/{name} does not expose port {intent.port!r} (it exposes {exposed})",
            )


def _duplicates_in(here: DocPath, field: str, names: list[str], what: str) -> Iterator[Issue]:
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in seen:
            yield (
                (*here, field, position),
                f"duplicate {what} {name!r} (also {field}[{seen[name]}])",
            )
        else:
            seen[name] = position


def _hint(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
