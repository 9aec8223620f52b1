"""Compiling terms: scalars, collections, variables, references, membership, templates."""

from __future__ import annotations

from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.budget import bounded_to_string
from seccli.policy.rego.closures import (
    CompiledTerm,
    Det,
    as_run,
    const_walk,
    constant,
    deterministic,
    index_step,
    iter_pattern_step,
    iter_step,
    operands,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    COMPILE,
    CONFLICT,
    TYPE,
    RegoCompileError,
    RegoEvalError,
)
from seccli.policy.rego.ruletree import (
    Node,
    data_at,
)
from seccli.policy.rego.runtime import Ctx, index
from seccli.policy.rego.scope import Scope, Unsafe
from seccli.policy.rego.values import UNDEF, RegoSet, eq, freeze


class TermCompiler(CompilerCore):
    """Compiles terms and references into closures."""

    def det_term(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Det:
        ct = self.term(t, sc, bound)
        if ct.det is not None:
            return ct.det
        gen = ct.gen

        def first(ctx: Ctx, env: list[Any]) -> Any:
            out: list[Any] = []

            def kv(v: Any) -> bool:
                out.append(v)
                return False

            gen(ctx, env, kv)
            if not out:
                return UNDEF
            v0 = out[0]
            for v in out[1:]:
                if not eq(v, v0):
                    raise RegoEvalError(
                        CONFLICT, "rule head produced multiple outputs", file=self._file()
                    )
            return v0

        return first

    def det_term_or_unsafe(self, t: syntax.Term, sc: Scope, bound: set[str]) -> Det:
        return self.det_term(t, sc, bound)

    def term(self, t: syntax.Term, sc: Scope, bound: set[str]) -> CompiledTerm:
        if isinstance(t, syntax.Scalar):
            return constant(t.value)
        if isinstance(t, syntax.Var):
            return self._var(t, sc, bound)
        if isinstance(t, syntax.Ref):
            return self._ref(t, sc, bound)
        if isinstance(t, syntax.Call):
            return self._call(t, sc, bound)
        if isinstance(t, syntax.ArrayTerm):
            items = [self.term(x, sc, bound) for x in t.items]
            if all(i.const is not UNDEF for i in items):
                return constant([i.const for i in items])
            return operands(items, lambda vs, ctx: vs)
        if isinstance(t, syntax.SetTerm):
            items = [self.term(x, sc, bound) for x in t.items]
            return operands(items, lambda vs, ctx: RegoSet(vs))
        if isinstance(t, syntax.ObjectTerm):
            flat: list[CompiledTerm] = []
            for kt, vt in t.items:
                flat.append(self.term(kt, sc, bound))
                flat.append(self.term(vt, sc, bound))

            def mk(vs: list[Any], ctx: Ctx) -> Any:
                return {freeze(vs[i]): vs[i + 1] for i in range(0, len(vs), 2)}

            return operands(flat, mk)
        if isinstance(t, (syntax.ArrayCompr, syntax.SetCompr, syntax.ObjectCompr)):
            return self._compr(t, sc, bound)
        if isinstance(t, syntax.Membership):
            return self._membership(t, sc, bound)
        if isinstance(t, syntax.TemplateString):
            return self._template(t, sc, bound)
        raise RegoCompileError(COMPILE, f"unsupported term {type(t).__name__}", file=self._file())

    def _template(self, t: syntax.TemplateString, sc: Scope, bound: set[str]) -> CompiledTerm:
        """``$"..{expr}.."``: each expression's first value as text, ``<undefined>`` if none."""
        parts: list[Any] = []
        for part in t.parts:
            if isinstance(part, str):
                parts.append(part)
                continue
            lit: syntax.Literal = part
            if lit.negated or not isinstance(
                lit.expr, (*syntax.QUERY_TERMS, syntax.TemplateString)
            ):
                raise RegoCompileError(
                    COMPILE,
                    "template string expressions must be terms",
                    file=self._file(),
                    line=t.line,
                    column=t.col,
                )
            self.hoisted += 1
            name = f"$t{self.hoisted}"
            unify = syntax.Literal(
                lit.line,
                lit.col,
                syntax.Unify(lit.line, lit.col, syntax.Var(lit.line, lit.col, name), lit.expr),
                False,
                lit.withs,
            )
            inner = set(bound)
            run = as_run(self.literal(unify, sc, inner))
            slot = self.local_slot(name, sc)
            parts.append((run, slot))

        def det(ctx: Ctx, env: list[Any]) -> Any:
            out: list[str] = []
            for p in parts:
                if isinstance(p, str):
                    out.append(p)
                    continue
                run, slot = p
                got: list[Any] = []

                def k(got: list[Any] = got, slot: int = slot) -> bool:
                    got.append(env[slot])
                    return True

                run(ctx, env, k)
                if not got:
                    out.append("<undefined>")
                else:
                    v = got[0]
                    out.append(v if type(v) is str else bounded_to_string(v))
            return "".join(out)

        return deterministic(det)

    def _var(self, t: syntax.Var, sc: Scope, bound: set[str]) -> CompiledTerm:
        name = t.name
        if self.is_local_name(name, sc):
            if name not in bound:
                raise Unsafe(name if not name.startswith("_$") else "_", t)
            slot = self.local_slot(name, sc)
            assert slot is not None
            return deterministic(lambda ctx, env: env[slot])
        gp = self.global_path(name)
        assert gp is not None
        return self._ref(
            syntax.Ref(
                t.line,
                t.col,
                syntax.Var(t.line, t.col, gp[0]),
                [syntax.Scalar(t.line, t.col, p) for p in gp[1:]],
            ),
            sc,
            bound,
        )

    def _ref(self, t: syntax.Ref, sc: Scope, bound: set[str]) -> CompiledTerm:
        head = t.head
        path = list(t.path)
        base: CompiledTerm
        if isinstance(head, syntax.Var) and not self.is_local_name(head.name, sc):
            gp = self.global_path(head.name)
            assert gp is not None
            if gp[0] == "input":
                path = [syntax.Scalar(t.line, t.col, p) for p in gp[1:]] + path
                base = deterministic(lambda ctx, env: ctx.input)
            else:
                full = [syntax.Scalar(t.line, t.col, p) for p in gp[1:]] + path
                return self._data_ref(full, sc, bound, t)
        else:
            base = self.term(head, sc, bound)
        return self._walk(base, path, sc, bound)

    def _walk(
        self, base: CompiledTerm, path: list[syntax.Term], sc: Scope, bound: set[str]
    ) -> CompiledTerm:
        cur = base
        i = 0
        # fast path: a run of constant keys on a deterministic base
        while i < len(path):
            p = path[i]
            if isinstance(p, syntax.Scalar) and cur.det is not None:
                j = i
                keys: list[Any] = []
                while j < len(path) and isinstance(path[j], syntax.Scalar):
                    keys.append(path[j].value)  # type: ignore[union-attr]
                    j += 1
                cur = deterministic(const_walk(cur.det, keys))
                i = j
                continue
            if isinstance(p, syntax.Var) and self.is_local_name(p.name, sc) and p.name not in bound:
                slot = None if p.name.startswith("_$") else self.local_slot(p.name, sc)
                if slot is not None:
                    bound.add(p.name)
                cur = iter_step(cur, slot)
                i += 1
                continue
            if self.pattern_vars(p, sc, bound):
                pat = self.pattern(p, sc, bound)
                cur = iter_pattern_step(cur, pat)
                i += 1
                continue
            kct = self.term(p, sc, bound)
            cur = index_step(cur, kct)
            i += 1
        return cur

    def _data_ref(
        self, path: list[syntax.Term], sc: Scope, bound: set[str], t: syntax.Node
    ) -> CompiledTerm:
        node: Node = self.root
        consumed: list[str] = []
        i = 0
        while i < len(path):
            p = path[i]
            if node.ruleset is not None:
                break
            if (
                isinstance(p, syntax.Scalar)
                and isinstance(p.value, str)
                and p.value in node.children
            ):
                node = node.children[p.value]
                consumed.append(p.value)
                i += 1
                continue
            break
        root = self.root
        prefix = tuple(consumed)
        rs = node.ruleset
        if rs is not None and rs.kind == "func" and rs.arity == 0:
            # a function without arguments may be referenced by name: its value is f()
            self.ensure(rs)
            self._dep(rs)
            zero_arg = rs

            def call0(ctx: Ctx, env: list[Any]) -> Any:
                if ctx.overrides:
                    return data_at(ctx, root, prefix)
                return zero_arg.call(ctx, [])

            return self._walk(deterministic(call0), path[i:], sc, bound)
        if rs is not None:
            if rs.kind == "func":
                raise RegoCompileError(
                    TYPE,
                    f"function data.{'.'.join(rs.path)} must be called",
                    file=self._file(),
                    line=t.line,
                    column=t.col,
                )
            self.ensure(rs)
            self._dep(rs)

            def rv(ctx: Ctx, env: list[Any]) -> Any:
                if ctx.overrides:
                    return data_at(ctx, root, prefix)
                return rs.value(ctx)

            return self._walk(deterministic(rv), path[i:], sc, bound)
        below_virtual = not (
            i < len(path)
            and isinstance(path[i], syntax.Scalar)
            and path[i].value not in node.children  # type: ignore[union-attr,operator]
        )
        # base documents only past this key: the lookup below converts numeric keys to the
        # string keys of base data, as OPA's storage paths do
        for sub in node.rulesets() if below_virtual else ():
            if sub.kind != "func":
                self.ensure(sub)
                if i == len(path):
                    self._dep(sub)
        if node is root and i == 0 and not path:
            return deterministic(lambda ctx, env: data_at(ctx, root, ()))
        # dynamic keys that are already bound: look the path up lazily (no materialising)
        dyn: list[Det] = []
        j = i
        while j < len(path):
            p = path[j]
            if isinstance(p, syntax.Var) and self.is_local_name(p.name, sc) and p.name not in bound:
                break
            if self.pattern_vars(p, sc, bound):
                break
            trial = set(bound)
            kct = self.term(p, sc, trial)
            if kct.det is None or trial != bound:
                break
            dyn.append(kct.det)
            j += 1
        if dyn:
            dets = tuple(dyn)

            def lazy(ctx: Ctx, env: list[Any]) -> Any:
                keys = []
                for d in dets:
                    kv = d(ctx, env)
                    if kv is UNDEF:
                        return UNDEF
                    keys.append(kv)
                return data_at(ctx, root, (*prefix, *keys))

            return self._walk(deterministic(lazy), path[j:], sc, bound)
        whole = deterministic(lambda ctx, env: data_at(ctx, root, prefix))
        return self._walk(whole, path[i:], sc, bound)

    def _membership(self, t: syntax.Membership, sc: Scope, bound: set[str]) -> CompiledTerm:
        items = [self.term(x, sc, bound) for x in (t.key, t.value, t.collection) if x is not None]
        has_key = t.key is not None

        def mk(vs: list[Any], ctx: Ctx) -> Any:
            coll = vs[-1]
            val = vs[-2]
            if has_key:
                key = vs[0]
                if isinstance(coll, frozenset):
                    return index(coll, key) is not UNDEF and eq(key, val)
                got = index(coll, key)
                return got is not UNDEF and eq(got, val)
            if isinstance(coll, dict):
                return any(eq(x, val) for x in coll.values())
            if isinstance(coll, frozenset):
                return index(coll, val) is not UNDEF
            if isinstance(coll, (list, tuple)):
                return any(eq(x, val) for x in coll)
            return False

        return operands(items, mk)

    # -- calls -----------------------------------------------------------------------------
