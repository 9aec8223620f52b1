"""Constraints: instances of a template's kind with ``match``, ``parameters`` and an action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seccli.core.documents import Document
from seccli.core.errors import DocumentInvalid, Problem
from seccli.core.location import DocPath, Location
from seccli.policy.gatekeeper.match import Match, parse_match
from seccli.policy.gatekeeper.schema import parameter_problems
from seccli.policy.gatekeeper.template import Template

CONSTRAINT_API_GROUP = "constraints.gatekeeper.sh"
ACTIONS = ("deny", "dryrun", "warn")
#: Enforcement points whose ``scoped`` action seccli applies (gator and the webhook).
SCOPED_POINTS = frozenset({"*", "gator.gatekeeper.sh", "validation.gatekeeper.sh"})


class ConstraintInvalid(DocumentInvalid):
    """A constraint Gatekeeper would refuse (unknown kind, bad match, invalid parameters)."""


@dataclass(frozen=True)
class Constraint:
    """A checked constraint bound to its template."""

    kind: str
    name: str
    match: Match
    parameters: Any
    action: str
    source: str
    line: int
    template: Template = field(repr=False, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ident(self) -> str:
        """``Kind/name``, as gator prints it."""
        return f"{self.kind}/{self.name}"


def constraint_kind(document: Document) -> str | None:
    """The kind of a constraint document, or ``None`` when it is not a constraint."""
    data = document.data
    if not isinstance(data, dict):
        return None
    api = data.get("apiVersion")
    if not isinstance(api, str) or not api.startswith(CONSTRAINT_API_GROUP + "/"):
        return None
    kind = data.get("kind")
    return kind if isinstance(kind, str) else None


def parse_constraint(document: Document, templates: Mapping[str, Template]) -> Constraint:
    """Check one constraint against its template; ``ConstraintInvalid`` lists every problem."""
    problems: list[Problem] = []
    data = document.data

    def fail(path: DocPath, message: str) -> None:
        problems.append(Problem(document.locate(path), message))

    if not isinstance(data, dict):
        raise ConstraintInvalid([Problem(document.locate(()), "a constraint must be a mapping")])
    api = data.get("apiVersion")
    if not isinstance(api, str) or not api.startswith(CONSTRAINT_API_GROUP + "/"):
        fail(
            ("apiVersion",),
            f"a constraint's apiVersion must be {CONSTRAINT_API_GROUP}/v1beta1 "
            f"(or v1, v1alpha1), not {api!r}",
        )
    kind = data.get("kind")
    template = templates.get(kind) if isinstance(kind, str) else None
    if template is None:
        known = ", ".join(sorted(templates)) or "none loaded"
        fail(("kind",), f"no ConstraintTemplate defines kind {kind!r} (known: {known})")
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        fail(("metadata",), "metadata.name is required")
        name = ""
    spec = data.get("spec", {})
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        fail(("spec",), "spec must be a mapping")
        spec = {}
    match = parse_match(spec.get("match"), lambda p, m: fail(("spec", "match", *p), m))
    action = _action(spec, fail)
    parameters = spec.get("parameters")
    if template is not None and "parameters" in spec:
        for path, message in parameter_problems(template.schema, parameters):
            fail(("spec", "parameters", *path), message)
    if problems or template is None:
        raise ConstraintInvalid(problems)
    return Constraint(
        kind=str(kind),
        name=name,
        match=match,
        parameters=parameters,
        action=action,
        source=document.source,
        line=document.start_line,
        template=template,
        raw=data,
    )


def _action(spec: dict[str, Any], fail: Any) -> str:
    action = spec.get("enforcementAction", "deny")
    if action in ("", None):
        return "deny"
    if action == "scoped":
        scoped = spec.get("scopedEnforcementActions")
        if not isinstance(scoped, list):
            fail(
                ("spec", "scopedEnforcementActions"),
                "enforcementAction scoped needs scopedEnforcementActions",
            )
            return "deny"
        chosen: list[str] = []
        for index, entry in enumerate(scoped):
            if not isinstance(entry, dict) or entry.get("action") not in ACTIONS:
                fail(
                    ("spec", "scopedEnforcementActions", index),
                    "action must be deny, dryrun or warn",
                )
                continue
            points = entry.get("enforcementPoints") or []
            names = {p.get("name") for p in points if isinstance(p, dict)}
            if names & SCOPED_POINTS:
                chosen.append(str(entry["action"]))
        if "deny" in chosen:
            return "deny"
        return chosen[0] if chosen else "dryrun"
    if action not in ACTIONS:
        fail(
            ("spec", "enforcementAction"),
            f"enforcementAction must be deny, dryrun, warn or scoped, not {action!r}",
        )
        return "deny"
    return str(action)


def location_of(constraint: Constraint) -> Location:
    """Where a constraint was defined."""
    return Location(constraint.source, constraint.line)
