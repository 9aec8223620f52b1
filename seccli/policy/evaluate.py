"""``policy eval`` as a capability: modules, input and data in; the query's result out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seccli.policy.interface import PolicyEngine


@dataclass(frozen=True)
class EvalOutcome:
    """Whether the query was defined, its value and bindings (JSON), and ``print`` output."""

    defined: bool
    value: Any
    bindings: list[Any]
    prints: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document ``policy eval`` prints."""
        payload: dict[str, Any] = {
            "defined": self.defined,
            "value": self.value,
            "bindings": self.bindings,
        }
        if self.prints:
            payload["prints"] = self.prints
        return payload


_NO_INPUT = object()


def evaluate_query(
    engine: PolicyEngine,
    query: str,
    modules: Mapping[str, str],
    *,
    input_document: Any = _NO_INPUT,
    data: Any = None,
    v0: bool = False,
    strict_builtin_errors: bool = False,
) -> EvalOutcome:
    """Evaluate ``query`` against ``modules`` (name → source) with ``data`` and, when given,
    ``input_document`` (absent input leaves ``input`` undefined)."""
    from seccli.policy.rego import to_json
    from seccli.policy.rego.values import UNDEF

    policy = engine.prepare(modules, data, v0=v0)
    try:
        given = UNDEF if input_document is _NO_INPUT else input_document
        result = policy.eval(query, given, strict_builtin_errors=strict_builtin_errors)
    finally:
        policy.close()
    return EvalOutcome(
        defined=result.defined,
        value=to_json(result.value) if result.defined else None,
        bindings=[to_json(b) for b in result.bindings],
        prints=list(result.prints or []),
    )
