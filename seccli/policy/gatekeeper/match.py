"""Gatekeeper's ``spec.match``: which objects a constraint applies to.

Semantics follow Gatekeeper:
- ``kinds``: any entry matches when its ``apiGroups`` and ``kinds`` contain the request's group
  and kind, ``*``, or are empty;
- ``scope``: ``*`` (default), ``Cluster`` (no namespace) or ``Namespaced``;
- ``namespaces`` / ``excludedNamespaces``: names with a ``*`` prefix or suffix glob; a Namespace
  is matched by its own name and other cluster-scoped objects are never filtered out by them;
- ``labelSelector``: the object's labels; ``namespaceSelector``: the labels of the object's
  Namespace (its own labels for a Namespace; cluster-scoped objects pass); when that Namespace
  is not known the match cannot be decided and is an error, as in gator;
- ``name``: the object's name, glob as above;
- on a request with both ``object`` and ``oldObject`` a constraint applies when either matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from seccli.core.location import DocPath

WILDCARD = re.compile(r"^(\*|\*-)?[a-z0-9]([-:a-z0-9]*[a-z0-9])?(\*|-\*)?$")
_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})
_SCOPES = frozenset({"*", "Cluster", "Namespaced"})
_SOURCES = frozenset({"All", "Original", "Generated"})


class MatchError(Exception):
    """The match cannot be decided (e.g. the Namespace of a namespaceSelector is unknown)."""


def glob_match(pattern: str, value: str) -> bool:
    """Gatekeeper's wildcard: ``*`` at the start, the end, or both; otherwise equality."""
    if pattern == "*":
        return True
    starts = pattern.startswith("*")
    ends = pattern.endswith("*")
    core = pattern.strip("*")
    if starts and ends:
        return core in value
    if ends:
        return value.startswith(core)
    if starts:
        return value.endswith(core)
    return value == pattern


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` entry."""

    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Kubernetes label-selector semantics for one requirement."""
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values  # NotIn


@dataclass(frozen=True, slots=True)
class Selector:
    """A label selector: ``matchLabels`` and ``matchExpressions`` (all must hold)."""

    labels: tuple[tuple[str, str], ...]
    expressions: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when every label and expression holds for ``labels``."""
        return all(labels.get(k) == v for k, v in self.labels) and all(
            r.matches(labels) for r in self.expressions
        )


@dataclass(frozen=True, slots=True)
class KindSelector:
    """One ``match.kinds`` entry."""

    groups: frozenset[str]
    kinds: frozenset[str]

    def matches(self, group: str, kind: str) -> bool:
        """Empty lists and ``*`` match everything."""
        ok_group = not self.groups or "*" in self.groups or group in self.groups
        ok_kind = not self.kinds or "*" in self.kinds or kind in self.kinds
        return ok_group and ok_kind


@dataclass(frozen=True, slots=True)
class Match:
    """A parsed ``spec.match``."""

    kinds: tuple[KindSelector, ...] = ()
    scope: str = "*"
    namespaces: tuple[str, ...] | None = None
    excluded_namespaces: tuple[str, ...] = ()
    label_selector: Selector | None = None
    namespace_selector: Selector | None = None
    name: str | None = None
    source: str = "All"


NamespaceLookup = Callable[[str], Mapping[str, Any] | None]


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels if isinstance(labels, dict) else {}


def _meta(obj: Mapping[str, Any], key: str) -> str:
    meta = obj.get("metadata")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def _is_namespace(group: str, kind: str) -> bool:
    return group == "" and kind == "Namespace"


def matches_object(
    match: Match,
    obj: Mapping[str, Any],
    group: str,
    kind: str,
    namespace_of: NamespaceLookup,
    *,
    generated: bool = False,
) -> bool:
    """Whether ``match`` selects one object (``group``/``kind`` come from the request)."""
    if match.source == "Generated" and not generated:
        return False
    if match.source == "Original" and generated:
        return False
    if match.kinds and not any(k.matches(group, kind) for k in match.kinds):
        return False
    namespace = _meta(obj, "namespace")
    is_ns = _is_namespace(group, kind)
    if match.scope == "Cluster" and namespace:
        return False
    if match.scope == "Namespaced" and not namespace:
        return False
    subject = _meta(obj, "name") if is_ns else namespace
    if subject or is_ns:
        if match.namespaces is not None and not any(
            glob_match(p, subject) for p in match.namespaces
        ):
            return False
        if any(glob_match(p, subject) for p in match.excluded_namespaces):
            return False
    if match.label_selector is not None and not match.label_selector.matches(_labels(obj)):
        return False
    if match.namespace_selector is not None:
        if is_ns:
            if not match.namespace_selector.matches(_labels(obj)):
                return False
        elif namespace:
            ns_obj = namespace_of(namespace)
            if ns_obj is None:
                raise MatchError(
                    f"namespace selector for namespace-scoped object but missing Namespace "
                    f"{namespace!r} (give the Namespace object among the inputs)"
                )
            if not match.namespace_selector.matches(_labels(ns_obj)):
                return False
    return not (match.name is not None and not glob_match(match.name, _meta(obj, "name")))


def matches_review(match: Match, review: Mapping[str, Any], namespace_of: NamespaceLookup) -> bool:
    """Whether ``match`` selects a review: its ``object`` or its ``oldObject``."""
    raw_gvk = review.get("kind")
    gvk: Mapping[str, Any] = raw_gvk if isinstance(raw_gvk, dict) else {}
    group = str(gvk.get("group") or "")
    kind = str(gvk.get("kind") or "")
    candidates = [o for o in (review.get("object"), review.get("oldObject")) if isinstance(o, dict)]
    if not candidates:
        return False
    error: MatchError | None = None
    for obj in candidates:
        try:
            if matches_object(match, obj, group, kind, namespace_of):
                return True
        except MatchError as err:
            error = err
    if error is not None:
        raise error
    return False


def parse_match(raw: Any, problem: Callable[[DocPath, str], None]) -> Match:
    """Parse and check ``spec.match``; report problems through ``problem(path, message)``."""
    if raw is None:
        return Match()
    if not isinstance(raw, dict):
        problem((), "match must be a mapping")
        return Match()
    kinds: list[KindSelector] = []
    raw_kinds = raw.get("kinds")
    if raw_kinds is not None:
        if not isinstance(raw_kinds, list):
            problem(("kinds",), "kinds must be a list")
        else:
            for index, entry in enumerate(raw_kinds):
                if not isinstance(entry, dict):
                    problem(("kinds", index), "each kinds entry must be a mapping")
                    continue
                groups = _strings(entry.get("apiGroups"), ("kinds", index, "apiGroups"), problem)
                names = _strings(entry.get("kinds"), ("kinds", index, "kinds"), problem)
                kinds.append(KindSelector(frozenset(groups), frozenset(names)))
    scope = raw.get("scope", "*")
    if scope not in _SCOPES:
        problem(("scope",), f"scope must be one of *, Cluster, Namespaced; not {scope!r}")
        scope = "*"
    source = raw.get("source", "All")
    if source not in _SOURCES:
        problem(("source",), f"source must be one of All, Original, Generated; not {source!r}")
        source = "All"
    namespaces = None
    if raw.get("namespaces") is not None:
        namespaces = tuple(_globs(raw.get("namespaces"), ("namespaces",), problem))
    excluded = tuple(_globs(raw.get("excludedNamespaces"), ("excludedNamespaces",), problem))
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not WILDCARD.match(name)):
        problem(("name",), f"name must be a name with an optional * prefix or suffix: {name!r}")
        name = None
    return Match(
        kinds=tuple(kinds),
        scope=str(scope),
        namespaces=namespaces,
        excluded_namespaces=excluded,
        label_selector=parse_selector(raw.get("labelSelector"), ("labelSelector",), problem),
        namespace_selector=parse_selector(
            raw.get("namespaceSelector"), ("namespaceSelector",), problem
        ),
        name=name,
        source=str(source),
    )


def _strings(value: Any, path: DocPath, problem: Callable[[DocPath, str], None]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problem(path, "must be a list of strings")
        return []
    return list(value)


def _globs(value: Any, path: DocPath, problem: Callable[[DocPath, str], None]) -> list[str]:
    items = _strings(value, path, problem)
    for index, item in enumerate(items):
        if not WILDCARD.match(item):
            problem(
                (*path, index),
                f"{item!r} is not a namespace name with an optional * prefix or suffix",
            )
    return items


def parse_selector(
    raw: Any, path: DocPath, problem: Callable[[DocPath, str], None]
) -> Selector | None:
    """Parse a Kubernetes label selector, reporting what the API server would refuse."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problem(path, "a label selector must be a mapping")
        return None
    labels: list[tuple[str, str]] = []
    match_labels = raw.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        problem((*path, "matchLabels"), "matchLabels must be a mapping")
    else:
        for key, value in match_labels.items():
            if not isinstance(value, str):
                problem((*path, "matchLabels", key), "label values must be strings")
            else:
                labels.append((str(key), value))
    expressions: list[Requirement] = []
    raw_expr = raw.get("matchExpressions") or []
    if not isinstance(raw_expr, list):
        problem((*path, "matchExpressions"), "matchExpressions must be a list")
        raw_expr = []
    for index, entry in enumerate(raw_expr):
        here = (*path, "matchExpressions", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            problem(here, "each expression needs a key and an operator")
            continue
        operator = entry.get("operator")
        values = entry.get("values") or []
        if operator not in _OPERATORS:
            problem(
                (*here, "operator"),
                f"operator must be In, NotIn, Exists or DoesNotExist: {operator!r}",
            )
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problem((*here, "values"), "values must be a list of strings")
            continue
        if operator in ("In", "NotIn") and not values:
            problem((*here, "values"), f"values must be non-empty for operator {operator}")
            continue
        if operator in ("Exists", "DoesNotExist") and values:
            problem((*here, "values"), f"values must be empty for operator {operator}")
            continue
        expressions.append(Requirement(entry["key"], str(operator), frozenset(values)))
    return Selector(tuple(labels), tuple(expressions))
