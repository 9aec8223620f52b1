"""Evaluating reviews against constraints: match, build the input, run the Rego, keep violations.

A gate fails closed: a match that cannot be decided or a Rego evaluation error becomes a
``deny`` result carrying the reason, never a silent pass.  An evaluation aborted by a limit
(steps, deadline, a builtin's size limit, memory, recursion, a number too large) is such an
error, with ``reason`` saying which.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seccli.core.findings import Finding
from seccli.core.location import Location
from seccli.core.severity import Severity
from seccli.evidence.mapping import with_controls
from seccli.policy.gatekeeper.constraint import Constraint
from seccli.policy.gatekeeper.match import MatchError, matches_review
from seccli.policy.gatekeeper.review import (
    ReviewItem,
    input_document,
    inventory_of,
    namespaces_of,
)

if TYPE_CHECKING:
    from seccli.policy.rego import Policy

TOOL = "gatekeeper"
_ACTION_SEVERITY = {"deny": None, "warn": Severity.MEDIUM, "dryrun": Severity.LOW}


@dataclass(frozen=True)
class Violation:
    """One result of a constraint on a review: a violation, or an error (``error=True``;
    ``reason`` is ``limit``, ``timeout``, ``memory``, ``recursion`` or ``number`` when a limit
    aborted the evaluation)."""

    constraint_kind: str
    constraint_name: str
    action: str
    message: str
    details: Any = None
    error: bool = False
    reason: str | None = None

    @property
    def constraint(self) -> str:
        """``Kind/name`` of the constraint."""
        return f"{self.constraint_kind}/{self.constraint_name}"

    @property
    def denies(self) -> bool:
        """True when this result would reject the object (deny action, or an error)."""
        return self.error or self.action == "deny"

    def to_json(self) -> dict[str, Any]:
        """A stable JSON form."""
        out: dict[str, Any] = {
            "constraint": {"kind": self.constraint_kind, "name": self.constraint_name},
            "enforcementAction": self.action,
            "msg": self.message,
        }
        if self.details is not None:
            out["details"] = self.details
        if self.error:
            out["error"] = True
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass
class Timing:
    """Seconds spent in the Rego evaluation and the number of evaluations."""

    eval_seconds: float = 0.0
    evaluations: int = 0


@dataclass
class Evaluator:
    """Constraints compiled once, ready to review many objects.

    ``inventory`` objects fill ``data.inventory`` (for templates that read it) and give the
    Namespace objects used by ``namespaceSelector``.
    """

    constraints: Sequence[Constraint]
    inventory: Sequence[Mapping[str, Any]] = ()
    timing: Timing = field(default_factory=Timing)

    def __post_init__(self) -> None:
        data = inventory_of(self.inventory)
        self._namespaces = namespaces_of(self.inventory)
        self._policies: dict[str, Policy] = {}
        for constraint in self.constraints:
            template = constraint.template
            if template.kind not in self._policies:
                self._policies[template.kind] = template.compile(
                    data if template.uses_inventory else None
                )

    def namespace(self, name: str) -> Mapping[str, Any] | None:
        """The Namespace object called ``name``, if one was given."""
        return self._namespaces.get(name)

    def review(self, item: ReviewItem) -> list[Violation]:
        """Every violation (and error) of every matching constraint, in a stable order."""
        request = item.request
        ns_name = item.namespace
        ns_obj: Mapping[str, Any] | None = None
        given = request.get("namespaceObject")
        if isinstance(given, dict):
            ns_obj = given
        elif ns_name:
            ns_obj = self._namespaces.get(ns_name)

        def lookup(name: str) -> Mapping[str, Any] | None:
            if ns_obj is not None and name == ns_name:
                return ns_obj
            return self._namespaces.get(name)

        results: list[Violation] = []
        for constraint in self.constraints:
            try:
                if not matches_review(constraint.match, request, lookup):
                    continue
            except MatchError as err:
                results.append(_error(constraint, f"cannot decide the match: {err}"))
                continue
            results.extend(self._evaluate(constraint, request, ns_obj))
        return results

    def _evaluate(
        self, constraint: Constraint, request: dict[str, Any], ns_obj: Mapping[str, Any] | None
    ) -> list[Violation]:
        from seccli.policy.rego import UNDEFINED, EvaluationAborted, RegoError, to_json
        from seccli.policy.rego.budget import MAX_STRING, logical_size

        policy = self._policies[constraint.template.kind]
        document = input_document(request, constraint.parameters, ns_obj)
        started = time.perf_counter()
        try:
            result = policy.eval(constraint.template.query, document)
            if result.value is not UNDEFINED:
                # shared parts count every time: a small value may expand enormously
                logical_size(result.value, MAX_STRING)
        except EvaluationAborted as err:
            why = f"evaluation aborted ({err.reason}): {err}"
            return [_error(constraint, why, err.reason)]
        except RegoError as err:
            return [_error(constraint, f"evaluation error: {err}")]
        finally:
            self.timing.eval_seconds += time.perf_counter() - started
            self.timing.evaluations += 1
        if result.value is UNDEFINED:
            return []
        value = to_json(result.value)
        if not isinstance(value, list):
            return [_error(constraint, "violation must be a set of {msg, details} objects")]
        out: list[Violation] = []
        for entry in value:
            message = entry.get("msg") if isinstance(entry, dict) else None
            if not isinstance(message, str):
                out.append(_error(constraint, f"a violation has no string msg: {entry!r}"[:300]))
                continue
            out.append(
                Violation(
                    constraint.kind,
                    constraint.name,
                    constraint.action,
                    message,
                    entry.get("details"),
                )
            )
        out.sort(key=lambda v: (v.message, repr(v.details)))
        return out


def _error(constraint: Constraint, message: str, reason: str | None = None) -> Violation:
    return Violation(
        constraint.kind, constraint.name, "deny", message, None, error=True, reason=reason
    )


@dataclass(frozen=True)
class ItemResult:
    """The results of one review item."""

    item: ReviewItem
    violations: tuple[Violation, ...]


def to_findings(results: Iterable[ItemResult], constraints: Sequence[Constraint]) -> list[Finding]:
    """Violations as findings (one per violation), sharing the findings model and SARIF."""
    by_ident = {c.ident: c for c in constraints}
    findings: list[Finding] = []
    for result in results:
        for violation in result.violations:
            constraint = by_ident.get(violation.constraint)
            template = constraint.template if constraint else None
            severity = _ACTION_SEVERITY.get(violation.action)
            if severity is None or violation.error:
                severity = template.severity if template and not violation.error else Severity.HIGH
            location = result.item.location()
            findings.append(
                with_controls(
                    Finding.create(
                        tool=TOOL,
                        rule_id=violation.constraint,
                        title=template.title if template else violation.constraint_kind,
                        message=violation.message,
                        severity=severity,
                        location=Location(
                            location.file, location.line, None, result.item.ident or location.path
                        ),
                        basis=f"{result.item.ident}|{location.path}|{violation.message}",
                        tags=(violation.action, "error")
                        if violation.error
                        else (violation.action,),
                        controls=template.controls if template else (),
                    )
                )
            )
    return findings
