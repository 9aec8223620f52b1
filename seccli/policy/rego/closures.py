"""Closure combinators: compiled terms (deterministic or generating) and how bodies chain.

A body literal compiles to ``run(ctx, env, cont) -> bool`` in continuation-passing style:
it calls ``cont()`` once per solution and returns True when the caller asked to stop early.
A term compiles to a :class:`CompiledTerm`: a deterministic ``det(ctx, env) -> value | UNDEF``
when it has at most one value, and always a generator ``gen(ctx, env, value_cont) -> bool``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seccli.policy.rego.runtime import Ctx, index, iterate, sorted_items
from seccli.policy.rego.values import UNDEF, FrozenDict, FrozenList, freeze, set_members

Det = Callable[[Ctx, list[Any]], Any]
ValueCont = Callable[[Any], bool]
Gen = Callable[[Ctx, list[Any], ValueCont], bool]
Cont = Callable[[], bool]
Run = Callable[[Ctx, list[Any], Cont], bool]


@dataclass(slots=True)
class CompiledTerm:
    """A compiled term: a deterministic closure when possible, always a generator."""

    gen: Gen
    det: Det | None = None
    const: Any = UNDEF


def deterministic(f: Det) -> CompiledTerm:
    def gen(ctx: Ctx, env: list[Any], kv: ValueCont) -> bool:
        v = f(ctx, env)
        if v is UNDEF:
            return False
        return kv(v)

    return CompiledTerm(gen, f)


def constant(v: Any) -> CompiledTerm:
    def det(ctx: Ctx, env: list[Any]) -> Any:
        return v

    def gen(ctx: Ctx, env: list[Any], kv: ValueCont) -> bool:
        return kv(v)

    return CompiledTerm(gen, det, v)


def stop() -> bool:
    return True


def as_run(c: tuple[str, Any]) -> Run:
    kind, f = c
    if kind == "gen":
        return f  # type: ignore[no-any-return]
    test = f

    def run(ctx: Ctx, env: list[Any], k: Cont) -> bool:
        if test(ctx, env):
            return k()
        return False

    return run


def sequence(parts: list[tuple[str, Any]]) -> Run:
    if not parts:
        return lambda ctx, env, k: k()
    # merge consecutive tests
    merged: list[tuple[str, Any]] = []
    for p in parts:
        if p[0] == "test" and merged and merged[-1][0] == "tests":
            merged[-1][1].append(p[1])
        elif p[0] == "test":
            merged.append(("tests", [p[1]]))
        else:
            merged.append(p)
    run: Run | None = None
    for kind, f in reversed(merged):
        run = chain(kind, f, run)
    assert run is not None
    return run


def chain(kind: str, f: Any, rest: Run | None) -> Run:
    if kind == "tests":
        tests = tuple(f)
        if len(tests) == 1:
            t0 = tests[0]
            if rest is None:
                return lambda ctx, env, k: k() if t0(ctx, env) else False

            def r1(ctx: Ctx, env: list[Any], k: Cont) -> bool:
                if t0(ctx, env):
                    return rest(ctx, env, k)
                return False

            return r1

        def rn(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            for t in tests:
                if not t(ctx, env):
                    return False
            if rest is None:
                return k()
            return rest(ctx, env, k)

        return rn
    g: Run = f
    if rest is None:
        return g

    def rg(ctx: Ctx, env: list[Any], k: Cont) -> bool:
        return g(ctx, env, lambda: rest(ctx, env, k))

    return rg


def unify_run(ct: CompiledTerm, pat: Any) -> Run:
    if ct.det is not None:
        det = ct.det

        def rd(ctx: Ctx, env: list[Any], k: Cont) -> bool:
            v = det(ctx, env)
            if v is UNDEF:
                return False
            return pat(ctx, env, v, k)  # type: ignore[no-any-return]

        return rd
    gen = ct.gen

    def rgen(ctx: Ctx, env: list[Any], k: Cont) -> bool:
        return gen(ctx, env, lambda v: pat(ctx, env, v, k))

    return rgen


def const_walk(base: Det, keys: list[Any]) -> Det:
    # object keys are frozen (0 and 1 apart from the booleans); arrays take the plain index
    dict_keys = [k if type(k) is str else freeze(k) for k in keys]
    if len(keys) == 1:
        k0 = keys[0]
        d0 = dict_keys[0]
        d0_str = type(d0) is str

        def w1(ctx: Ctx, env: list[Any]) -> Any:
            v = base(ctx, env)
            if type(v) is dict and d0_str:
                return v.get(d0, UNDEF)
            if v is UNDEF:
                return UNDEF
            return index(v, k0)

        return w1
    ks = tuple(zip(keys, dict_keys, strict=True))

    def wn(ctx: Ctx, env: list[Any]) -> Any:
        v = base(ctx, env)
        for key, dkey in ks:
            if type(v) is dict and type(dkey) is str:
                v = v.get(dkey, UNDEF)
            elif v is UNDEF:
                return UNDEF
            else:
                v = index(v, key)
        return v

    return wn


def iter_step(cur: CompiledTerm, slot: int | None) -> CompiledTerm:
    g = cur.gen

    def gen(ctx: Ctx, env: list[Any], kv: ValueCont) -> bool:
        def kc(c: Any) -> bool:
            tc = type(c)
            if tc is dict or tc is FrozenDict:
                pairs: Any = sorted_items(c)
            elif tc is list or tc is tuple or tc is FrozenList:
                pairs = enumerate(c)
            elif isinstance(c, frozenset):
                pairs = ((x, x) for x in set_members(c))
            else:
                pairs = iterate(c)
            if slot is None:
                for _, v in pairs:
                    ctx.tick()
                    if kv(v):
                        return True
                return False
            try:
                for key, v in pairs:
                    ctx.tick()
                    env[slot] = key
                    if kv(v):
                        return True
            finally:
                env[slot] = UNDEF
            return False

        return g(ctx, env, kc)

    return CompiledTerm(gen)


def iter_pattern_step(cur: CompiledTerm, pat: Any) -> CompiledTerm:
    g = cur.gen

    def gen(ctx: Ctx, env: list[Any], kv: ValueCont) -> bool:
        def kc(c: Any) -> bool:
            for key, v in iterate(c):
                ctx.tick()
                if pat(ctx, env, key, lambda v=v: kv(v)):
                    return True
            return False

        return g(ctx, env, kc)

    return CompiledTerm(gen)


Combine = Callable[[list[Any], Ctx], Any]


def operands(items: list[CompiledTerm], combine: Combine) -> CompiledTerm:
    """Evaluate ``items`` (operands) and ``combine(values, ctx)`` each combination of values.

    The one det/gen combinator: deterministic when every operand is (specialised for one and
    two operands, the common builtin calls), otherwise a generator over the product of the
    operands' values.  An undefined operand or an undefined ``combine`` result gives nothing.
    """
    n = len(items)
    dets = [i.det for i in items]
    if all(d is not None for d in dets):
        if n == 1:
            d0 = dets[0]
            assert d0 is not None

            def det1(ctx: Ctx, env: list[Any]) -> Any:
                v = d0(ctx, env)
                if v is UNDEF:
                    return UNDEF
                return combine([v], ctx)

            return deterministic(det1)
        if n == 2:
            da, db = dets[0], dets[1]
            assert da is not None and db is not None

            def det2(ctx: Ctx, env: list[Any]) -> Any:
                a = da(ctx, env)
                if a is UNDEF:
                    return UNDEF
                b = db(ctx, env)
                if b is UNDEF:
                    return UNDEF
                return combine([a, b], ctx)

            return deterministic(det2)

        def detn(ctx: Ctx, env: list[Any]) -> Any:
            vs = []
            for d in dets:
                v = d(ctx, env)  # type: ignore[misc]
                if v is UNDEF:
                    return UNDEF
                vs.append(v)
            return combine(vs, ctx)

        return deterministic(detn)
    gens = [i.gen for i in items]

    def gen(ctx: Ctx, env: list[Any], kv: ValueCont) -> bool:
        vs: list[Any] = [None] * n

        def step(i: int) -> bool:
            if i == n:
                r = combine(list(vs), ctx)
                if r is UNDEF:
                    return False
                return kv(r)

            def ki(v: Any) -> bool:
                vs[i] = v
                return step(i + 1)

            return gens[i](ctx, env, ki)

        return step(0)

    return CompiledTerm(gen)


def index_step(cur: CompiledTerm, key: CompiledTerm) -> CompiledTerm:
    """``cur[key]`` for a key that is neither constant nor iterated."""
    return operands([cur, key], lambda vs, ctx: index(vs[0], vs[1]))
