"""Compiling ``with`` modifiers (input, data and function mocks)."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.builtins import BUILTINS
from seccli.policy.rego.closures import (
    Cont,
    Det,
    Run,
    as_run,
    stop,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    COMPILE,
    RegoCompileError,
)
from seccli.policy.rego.runtime import Ctx
from seccli.policy.rego.scope import Scope
from seccli.policy.rego.values import UNDEF
from seccli.policy.rego.varscan import (
    static_ref,
)


class WithCompiler(CompilerCore):
    """Compiles literals carrying ``with`` modifiers."""

    def _with(self, lit: syntax.Literal, sc: Scope, bound: set[str]) -> Run:
        mods: list[tuple[str, Any, Det]] = []
        for w in lit.withs:
            target = w.target
            fpath = self._func_target(target, sc)
            if fpath is not None:
                mods.append(("data", fpath, self._mock_value(w.value, sc, bound)))
                continue
            path = static_ref(target)
            if path is None:
                raise RegoCompileError(
                    COMPILE, "with target must be a reference", file=self._file(), line=w.line
                )
            root = path[0]
            if root == "input":
                vct = self.det_term_or_unsafe(w.value, sc, bound)
                mods.append(("input", tuple(path[1:]), vct))
            elif root == "data":
                vct = self.det_term_or_unsafe(w.value, sc, bound)
                mods.append(("data", tuple(path[1:]), vct))
            else:
                # function mock: builtin name or data function reference by local name
                gp = self.global_path(root)
                if gp is not None and gp[0] == "data":
                    vct = self.det_term_or_unsafe(w.value, sc, bound)
                    mods.append(("data", tuple(gp[1:] + path[1:]), vct))
                else:
                    name = ".".join(path)
                    if name not in BUILTINS:
                        raise RegoCompileError(
                            COMPILE,
                            f"with keyword target {name} must reference input, data or a function",
                            file=self._file(),
                            line=w.line,
                        )
                    mocker = self._mock_value(w.value, sc, bound)
                    mods.append(("mock", name, mocker))
        inner_bound = set(bound)
        inner = self._expr(lit.expr, sc, inner_bound, negated=lit.negated)
        inner_run = as_run(inner)
        negated = lit.negated
        # with-bound output vars become bound after the literal
        bound |= inner_bound

        def run(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            nctx = ctx.derive()
            for kind, target, vf in mods:
                v = vf(ctx, env)
                if v is UNDEF:
                    return False
                if kind == "input":
                    if target:
                        base = nctx.input
                        nctx.input = patch_path(base, list(target), v)
                    else:
                        nctx.input = v
                elif kind == "data":
                    nctx.overrides = (*nctx.overrides, (target, v))
                else:
                    m = dict(nctx.mocks)
                    m[target] = v
                    nctx.mocks = m
            if negated:
                if inner_run(nctx, env, stop):
                    ctx.steps = nctx.steps
                    return False
                ctx.steps = nctx.steps
                return k()
            return inner_run(nctx, env, k)

        return run

    def _func_target(self, t: syntax.Term, sc: Scope) -> tuple[str, ...] | None:
        """The data path of a ``with`` target naming a user function, if it does."""
        path = static_ref(t)
        if path is None or self.is_local_name(path[0], sc) and path[0] not in ("data",):
            return None
        gp = ["data"] if path[0] == "data" else self.global_path(path[0])
        if gp is None or gp[0] != "data":
            return None
        full = [*gp[1:], *path[1:]]
        node = self._node_at(full)
        if node is not None and node.ruleset is not None and node.ruleset.kind == "func":
            return tuple(full)
        return None

    def _mock_value(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Det:
        """A mock for a builtin: either a function reference or a value."""
        path = static_ref(t)
        if path is not None:
            name = ".".join(path)
            gp = None if self.is_local_name(path[0], sc) else self.global_path(path[0])
            if gp is not None and gp[0] == "data":
                node = self._node_at([*gp[1:], *path[1:]])
                if node is not None and node.ruleset is not None and node.ruleset.kind == "func":
                    rs = node.ruleset
                    self.ensure(rs)
                    self._dep(rs)
                    return lambda ctx, env: ("__func__", rs)
            if name in BUILTINS and self.local_slot_if_declared(path[0], sc) is None:
                builtin = BUILTINS[name]
                return lambda ctx, env: ("__builtin__", builtin)
        return self.det_term_or_unsafe(t, sc, bound)


def patch_path(base: Any, path: list[Any], v: Any) -> Any:
    if not path:
        return v
    obj = dict(base) if isinstance(base, dict) else {}
    obj[path[0]] = patch_path(obj.get(path[0]), path[1:], v)
    return obj
