"""Compiling array, set and object comprehensions."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.closures import (
    CompiledTerm,
    deterministic,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    CONFLICT,
    RegoEvalError,
)
from seccli.policy.rego.runtime import Ctx
from seccli.policy.rego.scope import Scope
from seccli.policy.rego.values import UNDEF, eq, freeze, frozen_set
from seccli.policy.rego.varscan import (
    body_vars,
    walk_vars,
)


class ComprehensionCompiler(CompilerCore):
    """Compiles comprehensions into deterministic closures."""

    def _compr(self, t: Any, sc: Scope, bound: set[str]) -> CompiledTerm:
        inner = Scope(sc, sc.frame, body_vars(t.body))
        # outer variables that are not yet bound but used here must come first
        used: set[str] = set()
        walk_vars(t.term if not isinstance(t, syntax.ObjectCompr) else t.key, used)
        if isinstance(t, syntax.ObjectCompr):
            walk_vars(t.value, used)
        for lit in t.body:
            walk_vars(lit, used, into_bodies=True)
        ib = set(bound)
        body = self.body(t.body, inner, ib)
        if isinstance(t, syntax.ObjectCompr):
            kg = self.term(t.key, inner, ib).gen
            vg = self.term(t.value, inner, ib).gen

            def objc(ctx: Ctx, env: list[Any]) -> Any:
                out: dict[Any, Any] = {}

                def k() -> bool:
                    ctx.tick()
                    return kg(ctx, env, lambda kk: vg(ctx, env, lambda vv: put(kk, vv)))

                def put(kk: Any, vv: Any) -> bool:
                    fk = freeze(kk)
                    old = out.get(fk, UNDEF)
                    if old is not UNDEF and not eq(old, vv):
                        raise RegoEvalError(
                            CONFLICT,
                            "object keys must be unique",
                            file=self._file(),
                            line=t.line,
                            column=t.col,
                        )
                    out[fk] = vv
                    return False

                body(ctx, env, k)
                return out

            return deterministic(objc)
        tct = self.term(t.term, inner, ib)
        td = tct.det
        tg = tct.gen
        if isinstance(t, syntax.SetCompr):

            def setc(ctx: Ctx, env: list[Any]) -> Any:
                out: set[Any] = set()

                def add(v: Any) -> bool:
                    out.add(freeze(v))
                    return False

                def k() -> bool:
                    ctx.tick()
                    if td is None:
                        return tg(ctx, env, add)
                    v = td(ctx, env)
                    if v is not UNDEF:
                        out.add(freeze(v))
                    return False

                body(ctx, env, k)
                return frozen_set(out)

            return deterministic(setc)

        def arrc(ctx: Ctx, env: list[Any]) -> Any:
            out: list[Any] = []

            def add(v: Any) -> bool:
                out.append(v)
                return False

            def k() -> bool:
                ctx.tick()
                if td is None:
                    return tg(ctx, env, add)
                v = td(ctx, env)
                if v is not UNDEF:
                    out.append(v)
                return False

            body(ctx, env, k)
            return out

        return deterministic(arrc)
