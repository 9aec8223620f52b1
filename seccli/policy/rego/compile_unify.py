"""Compiling unification: assignment, ``=`` and binding patterns."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.closures import (
    Cont,
    sequence,
    unify_run,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    COMPILE,
    RegoCompileError,
)
from seccli.policy.rego.runtime import Ctx, index
from seccli.policy.rego.scope import Scope, Unsafe
from seccli.policy.rego.values import UNDEF, eq
from seccli.policy.rego.varscan import (
    walk_vars,
)


class UnifyCompiler(CompilerCore):
    """Compiles ``:=``, ``=`` and patterns that bind variables."""

    def _assign(self, e: syntax.Assign, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        names: set[str] = set()
        walk_vars(e.left, names)
        if not isinstance(e.left, (syntax.Var, syntax.ArrayTerm, syntax.ObjectTerm)):
            raise RegoCompileError(
                COMPILE,
                "cannot assign to " + type(e.left).__name__.lower(),
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        rhs = self.term(e.right, sc, bound)
        for nm in sorted(names):
            if nm.startswith("_$"):
                continue
            if sc.lookup_declared(nm) is not None and nm in sc.declared:
                raise RegoCompileError(
                    COMPILE,
                    f"var {nm} assigned above",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            if nm in ("input", "data") and self.mi is not None and self.mi.module.v1:
                raise RegoCompileError(
                    COMPILE,
                    f"{nm} cannot be shadowed",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            sc.declare(nm, e)
            bound.discard(nm)
        pat = self.pattern(e.left, sc, bound)
        return ("gen", unify_run(rhs, pat))

    def _unify(self, a: syntax.Term, b: syntax.Term, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        pa = self.pattern_vars(a, sc, bound)
        pb = self.pattern_vars(b, sc, bound)
        if (
            pa
            and pb
            and isinstance(a, syntax.ArrayTerm)
            and isinstance(b, syntax.ArrayTerm)
            and len(a.items) == len(b.items)
        ):
            parts = [self._unify(x, y, sc, bound) for x, y in zip(a.items, b.items, strict=True)]
            return ("gen", sequence(parts))
        if pa and pb and isinstance(a, syntax.ObjectTerm) and isinstance(b, syntax.ObjectTerm):
            ka = [self.det_term_or_unsafe(k, sc, bound) for k, _ in a.items]
            kb = [self.det_term_or_unsafe(k, sc, bound) for k, _ in b.items]
            del ka, kb
            bmap = {_key_identity(k): v for k, v in b.items}
            parts = []
            for kt, vt in a.items:
                other = bmap.get(_key_identity(kt))
                if other is None or len(a.items) != len(b.items):
                    return ("test", lambda ctx, env: False)
                parts.append(self._unify(vt, other, sc, bound))
            return ("gen", sequence(parts))
        if pa and not pb:
            ct = self.term(b, sc, bound)
            pat = self.pattern(a, sc, bound)
            return ("gen", unify_run(ct, pat))
        if pb and not pa:
            ct = self.term(a, sc, bound)
            pat = self.pattern(b, sc, bound)
            return ("gen", unify_run(ct, pat))
        if pa and pb:
            # e.g. x = y with both unbound: try evaluating one side (raises Unsafe otherwise)
            try:
                trial = set(bound)
                ct = self.term(b, sc, trial)
                bound |= trial
                pat = self.pattern(a, sc, bound)
                return ("gen", unify_run(ct, pat))
            except Unsafe:
                ct = self.term(a, sc, bound)
                pat = self.pattern(b, sc, bound)
                return ("gen", unify_run(ct, pat))
        ca = self.term(a, sc, bound)
        cb = self.term(b, sc, bound)
        if ca.det is not None and cb.det is not None:
            da, db = ca.det, cb.det

            def test(ctx: Ctx, env: list[Any]) -> bool:
                x = da(ctx, env)
                if x is UNDEF:
                    return False
                y = db(ctx, env)
                if y is UNDEF:
                    return False
                return eq(x, y)

            return ("test", test)
        ga, gb = ca.gen, cb.gen

        def run(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            def kx(x: Any) -> bool:
                def ky(y: Any) -> bool:
                    if eq(x, y):
                        return k()
                    return False

                return gb(ctx, env, ky)

            return ga(ctx, env, kx)

        return ("gen", run)

    def pattern(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Any:
        """A unifier ``(ctx, env, value, k) -> bool`` binding unbound variables of ``t``."""
        if isinstance(t, syntax.Var) and self.is_local_name(t.name, sc) and t.name not in bound:
            if t.name.startswith("_$"):
                return lambda ctx, env, v, k: k()
            slot = self.local_slot(t.name, sc)
            assert slot is not None
            bound.add(t.name)

            def bind(ctx: Ctx, env: list[Any], v: Any, k: Cont) -> bool:
                env[slot] = v
                try:
                    return k()
                finally:
                    env[slot] = UNDEF

            return bind
        if isinstance(t, syntax.ArrayTerm) and self.pattern_vars(t, sc, bound):
            subs = [self.pattern(x, sc, bound) for x in t.items]
            n = len(subs)

            def arr(ctx: Ctx, env: list[Any], v: Any, k: Cont) -> bool:
                if not isinstance(v, (list, tuple)) or len(v) != n:
                    return False

                def step(i: int) -> bool:
                    if i == n:
                        return k()
                    return subs[i](ctx, env, v[i], lambda: step(i + 1))  # type: ignore[no-any-return]

                return step(0)

            return arr
        if isinstance(t, syntax.ObjectTerm) and self.pattern_vars(t, sc, bound):
            keys = [self.det_term_or_unsafe(kt, sc, bound) for kt, _ in t.items]
            vals = [self.pattern(vt, sc, bound) for _, vt in t.items]
            n = len(vals)

            def obj(ctx: Ctx, env: list[Any], v: Any, k: Cont) -> bool:
                if not isinstance(v, dict) or len(v) != n:
                    return False
                items = []
                for kf in keys:
                    kk = kf(ctx, env)
                    x = index(v, kk)
                    if x is UNDEF:
                        return False
                    items.append(x)

                def step(i: int) -> bool:
                    if i == n:
                        return k()
                    return vals[i](ctx, env, items[i], lambda: step(i + 1))  # type: ignore[no-any-return]

                return step(0)

            return obj
        ct = self.term(t, sc, bound)
        if ct.det is not None:
            det = ct.det

            def cmp(ctx: Ctx, env: list[Any], v: Any, k: Cont) -> bool:
                x = det(ctx, env)
                if x is UNDEF or not eq(x, v):
                    return False
                return k()

            return cmp
        gen = ct.gen

        def cmpg(ctx: Ctx, env: list[Any], v: Any, k: Cont) -> bool:
            return gen(ctx, env, lambda x: k() if eq(x, v) else False)

        return cmpg

    # -- terms -----------------------------------------------------------------------------


def _key_identity(t: syntax.Term) -> Any:
    """What makes two object-literal keys the same key (their value, not their position)."""
    if isinstance(t, syntax.Scalar):
        return (type(t.value).__name__, t.value)
    return ("term", id(t))
