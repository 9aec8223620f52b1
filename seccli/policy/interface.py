"""The policy-engine extension point: prepare Rego modules once, evaluate many inputs.

Implementations are listed in :data:`seccli.policy.engines.ENGINES`; the native engine
(``seccli.policy.rego``) is the default.  Every engine returns
:class:`seccli.policy.rego.EvalResult` and raises :class:`seccli.policy.rego.RegoError` for
policy errors or :class:`seccli.core.errors.DependencyError` when its backend is unavailable
(a gate treats both as a denial).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from seccli.policy.rego import EvalResult
from seccli.policy.rego.values import UNDEF


@runtime_checkable
class PreparedPolicy(Protocol):
    """Compiled modules plus data, ready to evaluate."""

    def eval(
        self, query: str, input: Any = UNDEF, *, strict_builtin_errors: bool = False
    ) -> EvalResult:
        """Evaluate ``query`` (``data.pkg.rule``, ``pkg/rule`` or any Rego query)."""
        ...

    def close(self) -> None:
        """Release backend resources (temporary bundles, server policies)."""
        ...


@runtime_checkable
class PolicyEngine(Protocol):
    """A Rego backend."""

    name: str

    def prepare(
        self, modules: Mapping[str, str], data: Any = None, *, v0: bool = False
    ) -> PreparedPolicy:
        """Parse and compile ``modules`` (file name → source) with base ``data``."""
        ...
