"""State and name resolution shared by the compiler parts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.builtins import Builtin
from seccli.policy.rego.closures import (
    CompiledTerm,
    Det,
    Run,
)
from seccli.policy.rego.ruletree import (
    ModuleInfo,
    Node,
    RuleSet,
)
from seccli.policy.rego.scope import Scope


class CompilerCore:
    """Compiler state, name resolution and the methods each part provides."""

    root: Node
    modules: list[ModuleInfo]
    strict: bool
    #: hosts the network builtins may reach; None: they are not available (compile error)
    allow_net: frozenset[str] | None = None
    current: RuleSet | None
    mi: ModuleInfo | None
    hoisted: int
    obj_prefixes: set[tuple[str, ...]]
    pkg_names: dict[tuple[str, ...], set[str]]

    if TYPE_CHECKING:
        # provided by the construct-specific parts combined in ``compiler.Compiler``
        def ensure(self, rs: RuleSet) -> None: ...
        def body(self, lits: list[syntax.Literal], sc: Scope, bound: set[str]) -> Run: ...
        def literal(self, lit: syntax.Literal, sc: Scope, bound: set[str]) -> tuple[str, Any]: ...
        def _expr(
            self, e: syntax.Expr, sc: Scope, bound: set[str], negated: bool = False
        ) -> tuple[str, Any]: ...
        def _with(self, lit: syntax.Literal, sc: Scope, bound: set[str]) -> Run: ...
        def _unify(
            self, a: syntax.Term, b: syntax.Term, sc: Scope, bound: set[str]
        ) -> tuple[str, Any]: ...
        def _assign(self, e: syntax.Assign, sc: Scope, bound: set[str]) -> tuple[str, Any]: ...
        def _some_in(self, e: syntax.SomeIn, sc: Scope, bound: set[str]) -> tuple[str, Any]: ...
        def _every(self, e: syntax.Every, sc: Scope, bound: set[str]) -> tuple[str, Any]: ...
        def pattern(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Any: ...
        def term(self, t: syntax.Term, sc: Scope, bound: set[str]) -> CompiledTerm: ...
        def det_term(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Det: ...
        def det_term_or_unsafe(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Det: ...
        def _compr(self, t: Any, sc: Scope, bound: set[str]) -> CompiledTerm: ...
        def _call(self, e: syntax.Call, sc: Scope, bound: set[str]) -> CompiledTerm: ...
        def _call_output_arg(
            self, e: syntax.Call, sc: Scope, bound: set[str]
        ) -> tuple[str, Any] | None: ...
        def _resolve_func(self, e: syntax.Call, sc: Scope) -> RuleSet | Builtin | None: ...

    def pattern_vars(self, t: syntax.Term, sc: Scope, bound: set[str]) -> set[str]:
        """Unbound local variables in binding positions of ``t``."""
        out: set[str] = set()
        if isinstance(t, syntax.Var):
            if self.is_local_name(t.name, sc) and t.name not in bound:
                out.add(t.name)
        elif isinstance(t, syntax.ArrayTerm):
            for x in t.items:
                out |= self.pattern_vars(x, sc, bound)
        elif isinstance(t, syntax.ObjectTerm):
            for _, v in t.items:
                out |= self.pattern_vars(v, sc, bound)
        return out

    def is_local_name(self, name: str, sc: Scope) -> bool:
        if sc.lookup_declared(name) is not None:
            return True
        if name in ("input", "data"):
            return False
        mi = self.mi
        return not (mi is not None and (name in mi.rule_names or name in mi.imports))

    def local_slot(self, name: str, sc: Scope) -> int | None:
        s = sc.lookup_declared(name)
        if s is not None:
            return s
        if not self.is_local_name(name, sc):
            return None
        return sc.implicit_slot(name)

    def global_path(self, name: str) -> list[Any] | None:
        """``data``/``input`` rooted path of a non-local name."""
        if name in ("input", "data"):
            return [name]
        mi = self.mi
        if mi is None:
            return None
        if name in mi.rule_names:
            return ["data", *mi.package, name]
        if name in mi.imports:
            return list(mi.imports[name])
        return None

    def local_slot_if_declared(self, name: str, sc: Scope) -> int | None:
        return sc.lookup_declared(name)

    def _node_at(self, path: list[Any]) -> Node | None:
        n: Node | None = self.root
        for p in path:
            if n is None or not isinstance(p, str):
                return None
            n = n.children.get(p)
        return n

    def _file(self) -> str:
        return self.mi.module.file if self.mi else "<query>"

    def _dep(self, rs: RuleSet) -> None:
        if self.current is not None:
            self.current.deps.add(rs)
