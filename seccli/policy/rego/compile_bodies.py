"""Compiling bodies: safety ordering, negation, expressions, ``some ... in``, ``every``."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.closures import (
    Cont,
    Run,
    as_run,
    sequence,
    stop,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    COMPILE,
    RegoCompileError,
)
from seccli.policy.rego.runtime import Ctx, iterate
from seccli.policy.rego.scope import Scope, Unsafe
from seccli.policy.rego.values import UNDEF
from seccli.policy.rego.varscan import (
    body_vars,
    closure_vars,
    has_closure,
    walk_vars,
)

COMPREHENSIONS = (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr)


class BodyCompiler(CompilerCore):
    """Orders and compiles body literals."""

    def body(self, lits: list[syntax.Literal], sc: Scope, bound: set[str]) -> Run:
        pending = list(lits)
        compiled: list[tuple[str, Any]] = []
        while pending:
            progress = False
            first_err: Unsafe | None = None
            for i, lit in enumerate(pending):
                trial = set(bound)
                saved_decl = dict(sc.declared)
                saved_impl = dict(sc.implicit)
                try:
                    self._check_negation_order(lit, sc, trial, pending, i)
                    c = self.literal(lit, sc, trial)
                except Unsafe as u:
                    sc.declared = saved_decl
                    sc.implicit = saved_impl
                    if first_err is None:
                        first_err = u
                    continue
                bound |= trial
                compiled.append(c)
                pending.pop(i)
                progress = True
                break
            if not progress:
                assert first_err is not None
                raise first_err
        return sequence(compiled)

    def _check_negation_order(
        self, lit: syntax.Literal, sc: Scope, bound: set[str], pending: list[syntax.Literal], i: int
    ) -> None:
        """Negations, comprehensions and every wait for variables others can bind."""
        if len(pending) <= 1:
            return
        mine: set[str] = set()
        if lit.negated:
            walk_vars(lit, mine, into_bodies=True)
        elif has_closure(lit.expr):
            closure_vars(lit.expr, mine)
        else:
            return
        mine = {v for v in mine if v not in bound and self.is_local_name(v, sc)}
        if not mine:
            return
        others: set[str] = set()
        for j, o in enumerate(pending):
            if j != i and not o.negated:
                walk_vars(o, others)
                if isinstance(o.expr, syntax.Assign):
                    walk_vars(o.expr.left, others)
                if isinstance(o.expr, syntax.SomeIn):
                    if o.expr.key is not None:
                        walk_vars(o.expr.key, others)
                    walk_vars(o.expr.value, others)
        for v in sorted(mine & others):
            raise Unsafe(v, lit)

    def literal(self, lit: syntax.Literal, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        binding = (syntax.SomeDecl, syntax.SomeIn, syntax.Every, syntax.Assign)
        if lit.negated and not isinstance(lit.expr, binding):
            pre, expr = self._hoist(lit.expr, sc)
            if pre:
                # OPA evaluates dynamic operands (refs, calls, comprehensions) of a negated
                # expression before the negation: `not f(input.missing)` is undefined.
                lits = [
                    syntax.Literal(
                        t.line,
                        t.col,
                        syntax.Unify(t.line, t.col, syntax.Var(t.line, t.col, n), t),
                        False,
                        lit.withs,
                    )
                    for n, t in pre
                ]
                lits.append(syntax.Literal(lit.line, lit.col, expr, True, lit.withs))
                return ("gen", sequence([self.literal(x, sc, bound) for x in lits]))
        if lit.withs:
            return ("gen", self._with(lit, sc, bound))
        if lit.negated:
            inner = self._expr(lit.expr, sc, set(bound), negated=True)
            run = as_run(inner)

            def neg(ctx: Ctx, env: list[Any], k: Cont) -> bool:
                if run(ctx, env, stop):
                    return False
                return k()

            if inner[0] == "test":
                t = inner[1]
                return ("test", lambda ctx, env: not t(ctx, env))
            return ("gen", neg)
        return self._expr(lit.expr, sc, bound)

    def _hoist(
        self, e: syntax.Expr, sc: Scope
    ) -> tuple[list[tuple[str, syntax.Term]], syntax.Expr]:
        """Split dynamic operands out of an expression (OPA's expandExpr/rewriteDynamics).

        Refs, calls and comprehensions used as call operands (and ref keys) are evaluated
        before a negation in OPA, so ``not startswith(input.missing, "x")`` is undefined while
        ``not input.missing == false`` (rewritten to unification) is true.
        """
        pre: list[tuple[str, syntax.Term]] = []

        def extract(t: syntax.Term) -> syntax.Term:
            self.hoisted += 1
            name = f"$h{self.hoisted}"
            pre.append((name, t))
            return syntax.Var(t.line, t.col, name)

        def one(t: syntax.Term) -> syntax.Term:
            if isinstance(t, syntax.Var):
                if self.is_local_name(t.name, sc):
                    return t
                return extract(t)
            if isinstance(t, syntax.Ref):
                head = t.head
                if not isinstance(head, syntax.Var):
                    head = one(head)
                return extract(syntax.Ref(t.line, t.col, head, [one(p) for p in t.path]))
            if isinstance(t, syntax.Call):
                return extract(syntax.Call(t.line, t.col, t.name, t.fref, [one(a) for a in t.args]))
            if isinstance(t, syntax.Membership):
                key = one(t.key) if t.key is not None else None
                member = syntax.Membership(t.line, t.col, key, one(t.value), one(t.collection))
                return extract(member)
            if isinstance(t, syntax.ArrayTerm):
                return syntax.ArrayTerm(t.line, t.col, [one(x) for x in t.items])
            if isinstance(t, syntax.SetTerm):
                return syntax.SetTerm(t.line, t.col, [one(x) for x in t.items])
            if isinstance(t, syntax.ObjectTerm):
                return syntax.ObjectTerm(t.line, t.col, [(one(k), one(v)) for k, v in t.items])
            if isinstance(t, (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr)):
                return extract(t)
            return t

        def in_term(t: syntax.Term) -> syntax.Term:
            if isinstance(t, syntax.Ref):
                head = t.head
                if isinstance(head, syntax.Call):
                    head = one(head)
                return syntax.Ref(t.line, t.col, head, [one(p) for p in t.path])
            if isinstance(t, syntax.Call):
                return one(t)  # a call on either side of `=` is evaluated first
            if isinstance(t, (syntax.Var, syntax.Scalar, *COMPREHENSIONS)):
                return t
            return one(t)

        if isinstance(e, syntax.Call) and e.name == "equal" and len(e.args) == 2:
            # OPA rewrites `a == b` into unification before this step: only nested
            # operands (ref keys, calls) are evaluated first, so `not x.missing == v` is true.
            left, right = in_term(e.args[0]), in_term(e.args[1])
            return pre, syntax.Call(e.line, e.col, e.name, e.fref, [left, right])
        if isinstance(e, syntax.Call):
            return pre, syntax.Call(e.line, e.col, e.name, e.fref, [one(a) for a in e.args])
        if isinstance(e, syntax.Membership):
            key = one(e.key) if e.key is not None else None
            return pre, syntax.Membership(e.line, e.col, key, one(e.value), one(e.collection))
        if isinstance(e, syntax.Unify):
            return pre, syntax.Unify(e.line, e.col, in_term(e.left), in_term(e.right))
        if isinstance(e, (syntax.SomeDecl, syntax.SomeIn, syntax.Every, syntax.Assign)):
            return pre, e
        return pre, in_term(e)

    def _expr(
        self, e: syntax.Expr, sc: Scope, bound: set[str], negated: bool = False
    ) -> tuple[str, Any]:
        if isinstance(e, syntax.SomeDecl):
            for v in e.names:
                sc.declare(v.name, v, strict=False)
            return ("test", lambda ctx, env: True)
        if isinstance(e, syntax.Assign):
            return self._assign(e, sc, bound)
        if isinstance(e, syntax.Unify):
            return self._unify(e.left, e.right, sc, bound)
        if isinstance(e, syntax.SomeIn):
            return self._some_in(e, sc, bound)
        if isinstance(e, syntax.Every):
            return self._every(e, sc, bound)
        if isinstance(e, syntax.Call):
            extra = self._call_output_arg(e, sc, bound)
            if extra is not None:
                return extra
        ct = self.term(e, sc, bound)
        if ct.det is not None:
            det = ct.det

            def test(ctx: Ctx, env: list[Any]) -> bool:
                v = det(ctx, env)
                return v is not UNDEF and v is not False

            return ("test", test)
        gen = ct.gen

        def run(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            def kv(v: Any) -> bool:
                if v is False:
                    return False
                return k()

            return gen(ctx, env, kv)

        return ("gen", run)

    def _some_in(self, e: syntax.SomeIn, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        coll = self.term(e.collection, sc, bound)
        for t in (e.key, e.value):
            if t is None:
                continue
            names: set[str] = set()
            walk_vars(t, names)
            for nm in names:
                if not nm.startswith("_$") and (nm in sc.declared or nm in sc.implicit):
                    raise RegoCompileError(
                        COMPILE,
                        f"var {nm} used before definition below (some ... in declares it)",
                        file=self._file(),
                        line=e.line,
                        column=e.col,
                    )
                if isinstance(t, syntax.Var) or nm not in bound:
                    sc.declare(nm, t, strict=False)
                    bound.discard(nm)
        kpat = self.pattern(e.key, sc, bound) if e.key is not None else None
        vpat = self.pattern(e.value, sc, bound)

        def run(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            def kc(c: Any) -> bool:
                for kk, vv in iterate(c):  # nothing for scalars
                    ctx.tick()
                    if kpat is not None:
                        if kpat(ctx, env, kk, lambda vv=vv: vpat(ctx, env, vv, k)):
                            return True
                    elif vpat(ctx, env, vv, k):
                        return True
                return False

            return coll.gen(ctx, env, kc)

        return ("gen", run)

    def _every(self, e: syntax.Every, sc: Scope, bound: set[str]) -> tuple[str, Any]:
        dom = self.term(e.domain, sc, bound)
        inner = Scope(sc, sc.frame, body_vars(e.body))
        ib = set(bound)
        kslot = inner.declare(e.key.name, e.key) if isinstance(e.key, syntax.Var) else None
        assert isinstance(e.value, syntax.Var)
        vslot = inner.declare(e.value.name, e.value)
        if isinstance(e.key, syntax.Var):
            ib.add(e.key.name)
        ib.add(e.value.name)
        body = self.body(e.body, inner, ib)

        def run(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            def kd(c: Any) -> bool:
                if not isinstance(c, (frozenset, dict, list, tuple)):
                    return False  # every over a scalar is undefined, not vacuously true
                for kk, vv in iterate(c):
                    ctx.tick()
                    if kslot is not None:
                        env[kslot] = kk
                    env[vslot] = vv
                    ok = body(ctx, env, stop)
                    if kslot is not None:
                        env[kslot] = UNDEF
                    env[vslot] = UNDEF
                    if not ok:
                        return False
                return k()

            return dom.gen(ctx, env, kd)

        return ("gen", run)

    # -- patterns --------------------------------------------------------------------------
