"""Compiled policies: :func:`compile` modules once, :meth:`Policy.eval` many inputs."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import seccli.policy.rego.ast as syntax
import seccli.policy.rego.budget as budget
from seccli.policy.rego.compiler import Compiler
from seccli.policy.rego.errors import (
    ABORT_MEMORY,
    ABORT_NUMBER,
    ABORT_RECURSION,
    INTERNAL,
    UNSAFE,
    EvaluationAborted,
    RegoCompileError,
    RegoError,
    RegoEvalError,
    is_int_conversion_limit,
)
from seccli.policy.rego.parser import parse_module, parse_query
from seccli.policy.rego.ruletree import data_at
from seccli.policy.rego.runtime import Ctx, Limits
from seccli.policy.rego.scope import Frame, Scope, Unsafe
from seccli.policy.rego.values import UNDEF, from_json
from seccli.policy.rego.varscan import body_vars

UNDEFINED = UNDEF

_ENTRYPOINT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:[./][A-Za-z_][A-Za-z0-9_]*)*$")
_RECURSION_LIMIT = 20000
_BUDGET = budget.state


@dataclass
class EvalResult:
    """The outcome of one evaluation.

    ``value`` is the value of the query's last expression for the first solution (``UNDEFINED``
    when there is none); ``bindings`` holds one dict of variable bindings per solution;
    ``expressions`` the expression values per solution; ``prints`` what ``print`` wrote.
    """

    value: Any = UNDEF
    bindings: list[dict[str, Any]] = field(default_factory=list)
    expressions: list[list[Any]] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)

    @property
    def defined(self) -> bool:
        """True when the query had at least one solution."""
        return self.value is not UNDEF or bool(self.bindings)


@dataclass
class _Query:
    run: Any
    nslots: int
    names: list[tuple[str, int]]
    exprs: list[Any]


class Policy:
    """A compiled set of modules plus base data; evaluate with :meth:`eval`."""

    def __init__(self, compiler: Compiler, data: Any, v0: bool) -> None:
        self._compiler = compiler
        self._data = data
        self._v0 = v0
        self._queries: dict[str, _Query] = {}
        self._entries: dict[str, tuple[str, ...] | None] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Nothing to release (part of the ``PreparedPolicy`` protocol)."""

    @property
    def packages(self) -> list[str]:
        """The packages defined by the compiled modules."""
        return sorted({".".join(m.package) for m in self._compiler.modules})

    def eval(
        self,
        query: str,
        input: Any = UNDEF,
        *,
        strict_builtin_errors: bool = False,
        limits: Limits | None = None,
        now_ns: int | None = None,
        data: Any = None,
    ) -> EvalResult:
        """Evaluate ``query`` (an entrypoint like ``data.pkg.rule``/``pkg/rule`` or any query).

        ``data`` replaces the compiled base documents for this evaluation only (e.g. a
        Gatekeeper inventory); ``now_ns`` fixes ``time.now_ns()``; ``limits`` bounds the work.
        """
        base = self._data if data is None else from_json(data)
        ctx = Ctx(from_json(input), base, strict=strict_builtin_errors, limits=limits)
        ctx.now_ns = now_ns
        if sys.getrecursionlimit() < _RECURSION_LIMIT:
            sys.setrecursionlimit(_RECURSION_LIMIT)
        state = _BUDGET
        previous = state.current
        state.current = (ctx.deadline, ctx.timeout)
        try:
            try:
                path = self._entries[query]
            except KeyError:
                found = entrypoint_path(query)
                path = None if found is None else tuple(found)
                if len(self._entries) < 10_000:
                    self._entries[query] = path
            if path is not None:
                v = data_at(ctx, self._compiler.root, path)
                res = EvalResult(value=v, prints=ctx.prints)
                if v is not UNDEF:
                    res.expressions = [[v]]
                    res.bindings = [{}]
                return res
            return self._run_query(query, ctx)
        except RecursionError:
            raise EvaluationAborted(
                ABORT_RECURSION, "evaluation nesting too deep (recursion limit)"
            ) from None
        except MemoryError:
            raise EvaluationAborted(ABORT_MEMORY, "evaluation ran out of memory") from None
        except RegoError:
            raise
        except Exception as err:  # never let an engine bug look like "no violations"
            if is_int_conversion_limit(err):
                raise EvaluationAborted(
                    ABORT_NUMBER, f"number too large (more than {budget.MAX_INT_DIGITS} digits)"
                ) from None
            raise RegoEvalError(INTERNAL, f"internal error: {type(err).__name__}: {err}") from err
        finally:
            state.current = previous

    def _compile_query(self, query: str) -> _Query:
        cached = self._queries.get(query)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._queries.get(query)
            if cached is not None:
                return cached
            body = parse_query(query, v0=self._v0)
            comp = self._compiler
            # plain expressions report their value: rewrite ``e`` into ``$eN = e`` (plus a
            # truth test when the query has several expressions, so false still fails)
            rewritten: list[syntax.Literal] = []
            expr_vars: list[str | None] = []
            for i, lit in enumerate(body):
                e = lit.expr
                if not lit.negated and not lit.withs and isinstance(e, syntax.QUERY_TERMS):
                    name = f"$e{i}"
                    v = syntax.Var(lit.line, lit.col, name)
                    unify = syntax.Unify(lit.line, lit.col, v, e)
                    rewritten.append(syntax.Literal(lit.line, lit.col, unify))
                    if len(body) > 1:
                        rewritten.append(
                            syntax.Literal(lit.line, lit.col, syntax.Var(lit.line, lit.col, name))
                        )
                    expr_vars.append(name)
                else:
                    rewritten.append(lit)
                    expr_vars.append(None)
            frame = Frame()
            sc = Scope(None, frame, body_vars(rewritten))
            saved = comp.mi
            comp.mi = None
            try:
                run = comp.body(rewritten, sc, set())
            except Unsafe as u:
                raise RegoCompileError(
                    UNSAFE,
                    f"var {u.name} is unsafe",
                    file="<query>",
                    line=u.node.line,
                    column=u.node.col,
                ) from None
            finally:
                comp.mi = saved
            exprs: list[Any] = [
                None if name is None else sc.lookup_declared(name) for name in expr_vars
            ]
            comp._check_recursion()
            names: list[tuple[str, int]] = []
            seen: set[str] = set()
            for scope_map in (sc.declared, sc.implicit):
                for name, slot in scope_map.items():
                    if not name.startswith(("_$", "$")) and name not in seen:
                        seen.add(name)
                        names.append((name, slot))
            q = _Query(run, frame.n, names, exprs)
            self._queries[query] = q
            return q

    def _run_query(self, query: str, ctx: Ctx) -> EvalResult:
        q = self._compile_query(query)
        env = [UNDEF] * q.nslots
        res = EvalResult(prints=ctx.prints)

        def k() -> bool:
            res.bindings.append(
                {name: env[slot] for name, slot in q.names if env[slot] is not UNDEF}
            )
            vals = []
            for slot in q.exprs:
                if slot is None:
                    vals.append(True)
                else:
                    v = env[slot]
                    vals.append(True if v is UNDEF else v)
            res.expressions.append(vals)
            return False

        q.run(ctx, env, k)
        if res.expressions:
            res.value = res.expressions[0][-1]
        return res


def entrypoint_path(query: str) -> list[str] | None:
    """The data path of an entrypoint query (``data.a.b`` or ``a/b``), else None."""
    q = query.strip()
    if not _ENTRYPOINT.match(q):
        return None
    parts = re.split(r"[./]", q)
    if parts[0] == "data":
        return parts[1:]
    if "/" in q:
        return parts
    return None


def compile(
    modules: Mapping[str, str],
    data: Any = None,
    *,
    v0: bool = False,
    v0_files: frozenset[str] | set[str] = frozenset(),
    v0_keywords: bool = False,
    allow_net: frozenset[str] | None = None,
) -> Policy:
    """Parse and compile ``modules`` (file name → source) with base ``data``.

    ``v0`` parses every module as Rego v0 (what Gatekeeper uses unless a template says
    ``version: v1``); ``v0_files`` selects v0 per file; ``v0_keywords`` enables the future
    keywords (``if``, ``contains``, ``in``, ``every``) in v0 modules as if imported;
    ``allow_net`` makes ``http.send`` and ``net.lookup_ip_addr`` available for those hosts
    (``*``: any host); without it a module calling them does not compile.
    """
    if sys.getrecursionlimit() < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        parsed = [
            parse_module(modules[name], name, v0=v0 or name in v0_files, v0_keywords=v0_keywords)
            for name in sorted(modules)
        ]
        comp = Compiler(parsed)
        comp.allow_net = frozenset(h.lower() for h in allow_net) if allow_net is not None else None
        comp.compile_all()
    except RecursionError:
        raise RegoCompileError("rego_compile_error", "module nesting too deep to compile") from None
    base = from_json(data) if data is not None else {}
    return Policy(comp, base, v0)
