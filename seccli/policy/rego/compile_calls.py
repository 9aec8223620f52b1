"""Compiling calls: user functions, builtins, relations, ``print``."""

from __future__ import annotations

from time import monotonic
from typing import Any

import seccli.policy.rego.ast as syntax
from seccli.policy.rego.budget import bounded_to_string, timed_out
from seccli.policy.rego.builtins import BUILTINS, Builtin, netio
from seccli.policy.rego.closures import (
    CompiledTerm,
    ValueCont,
    deterministic,
    operands,
)
from seccli.policy.rego.compile_core import CompilerCore
from seccli.policy.rego.errors import (
    ABORT_MEMORY,
    ABORT_NUMBER,
    BUILTIN,
    EVAL_TYPE,
    TYPE,
    BuiltinError,
    EvaluationAborted,
    RegoCompileError,
    RegoError,
    RegoEvalError,
    is_int_conversion_limit,
)
from seccli.policy.rego.ruletree import (
    RuleSet,
)
from seccli.policy.rego.runtime import Ctx
from seccli.policy.rego.scope import Scope
from seccli.policy.rego.values import UNDEF
from seccli.policy.rego.varscan import (
    static_ref,
)

DEPRECATED = frozenset(
    {
        "any",
        "all",
        "cast_array",
        "cast_set",
        "cast_string",
        "cast_boolean",
        "cast_null",
        "cast_object",
        "set_diff",
        "re_match",
        "net.cidr_overlap",
    }
)


class CallCompiler(CompilerCore):
    """Compiles calls of functions and builtins."""

    def _call_output_arg(
        self, e: syntax.Call, sc: Scope, bound: set[str]
    ) -> tuple[str, Any] | None:
        """``f(x, out)`` where ``out`` receives the result (one more arg than the arity)."""
        fn = self._resolve_func(e, sc)
        if fn is None or (isinstance(fn, Builtin) and fn.variadic):
            return None
        arity = fn.arity
        if len(e.args) != arity + 1:
            return None
        call = syntax.Call(e.line, e.col, e.name, e.fref, e.args[:-1])
        return self._unify(e.args[-1], call, sc, bound)

    def _arity(self, e: syntax.Call, sc: Scope) -> int | None:
        fn = self._resolve_func(e, sc)
        if fn is None:
            return None
        if isinstance(fn, RuleSet):
            return fn.arity
        return fn.arity

    def _resolve_func(self, e: syntax.Call, sc: Scope) -> RuleSet | Builtin | None:
        if isinstance(e.fref, syntax.Scalar):  # infix operator
            return BUILTINS.get(e.name)
        path = static_ref(e.fref)
        if path is None:
            return None
        head = path[0]
        if self.is_local_name(head, sc) and sc.lookup_declared(head) is not None:
            return None
        gp = None if self.is_local_name(head, sc) else self.global_path(head)
        if gp is not None and gp[0] == "data":
            node = self._node_at([*gp[1:], *path[1:]])
            if node is not None and node.ruleset is not None and node.ruleset.kind == "func":
                return node.ruleset
            if node is not None and node.ruleset is not None:
                return None
        name = ".".join(path)
        found = BUILTINS.get(name)
        if found is None and name in netio.NAMES and self.allow_net is not None:
            return netio.network_builtin(name, self.allow_net)
        return found

    def _call(self, e: syntax.Call, sc: Scope, bound: set[str]) -> CompiledTerm:
        fn = self._resolve_func(e, sc)
        name = e.name
        if fn is None:
            path = static_ref(e.fref)
            if path is not None:
                gp = None if self.is_local_name(path[0], sc) else self.global_path(path[0])
                if gp is not None and gp[0] == "data":
                    name = ".".join([*gp, *path[1:]])
            if name in netio.NAMES:
                raise RegoCompileError(
                    TYPE,
                    f"undefined function {name}: it needs network access, which is off "
                    "(allow the hosts it may reach with --allow-net HOSTS)",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            raise RegoCompileError(
                TYPE,
                f"undefined function {name}",
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        args = [self.term(a, sc, bound) for a in e.args]
        if isinstance(fn, RuleSet):
            if len(args) != fn.arity:
                raise RegoCompileError(
                    TYPE,
                    f"function data.{'.'.join(fn.path)} expects {fn.arity} arguments, "
                    f"got {len(args)}",
                    file=self._file(),
                    line=e.line,
                    column=e.col,
                )
            self.ensure(fn)
            self._dep(fn)
            rs = fn
            fpath = rs.path

            def callf(vs: list[Any], ctx: Ctx) -> Any:
                if ctx.overrides or ctx.mocks:
                    for opath, oval in reversed(ctx.overrides):
                        if opath == fpath:
                            return apply_mock(ctx, oval, vs)
                return rs.call(ctx, vs)

            return operands(args, callf)
        builtin = fn
        if builtin.name in DEPRECATED and self.mi is not None and self.mi.module.v1:
            raise RegoCompileError(
                TYPE,
                f"could not find function {builtin.name} (deprecated builtins are not available "
                "in Rego v1)",
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        if builtin.name == "print":
            return self._print(args, e)
        if builtin.relation:
            return self._relation(builtin, args, e)
        if not builtin.variadic and len(args) != builtin.arity:
            raise RegoCompileError(
                TYPE,
                f"{builtin.name}: arity mismatch: expected {builtin.arity} arguments, "
                f"got {len(args)}",
                file=self._file(),
                line=e.line,
                column=e.col,
            )
        impl = builtin.fn
        bname = builtin.name
        needs_ctx = builtin.needs_ctx
        heavy = not builtin.cheap
        file = self._file()
        line, col = e.line, e.col

        def callb(vs: list[Any], ctx: Ctx) -> Any:
            if ctx.mocks and bname in ctx.mocks:
                inner = ctx.derive()
                inner.mocks = {k: v for k, v in ctx.mocks.items() if k != bname}
                return apply_mock(inner, ctx.mocks[bname], vs)
            try:
                if heavy and monotonic() > ctx.deadline:
                    raise timed_out(ctx.timeout)
                if needs_ctx:
                    return impl(ctx, *vs)
                return impl(*vs)
            except BuiltinError as err:
                if ctx.strict:
                    raise RegoEvalError(
                        err.code, f"{bname}: {err}", file=file, line=line, column=col
                    ) from None
                return UNDEF
            except EvaluationAborted as err:
                # a limit is never a builtin error: it must not become undefined
                raise err.at(bname, file, line, col) from None
            except RegoError:
                raise
            except RecursionError:
                raise
            except MemoryError:
                raise EvaluationAborted(
                    ABORT_MEMORY, f"{bname}: out of memory", file=file, line=line, column=col
                ) from None
            except (
                ValueError,
                TypeError,
                KeyError,
                IndexError,
                OverflowError,
                ArithmeticError,
            ) as err:
                if is_int_conversion_limit(err):
                    raise EvaluationAborted(
                        ABORT_NUMBER,
                        f"{bname}: number too large (more than 4300 digits)",
                        file=file,
                        line=line,
                        column=col,
                    ) from None
                if ctx.strict:
                    raise RegoEvalError(
                        BUILTIN, f"{bname}: {err}", file=file, line=line, column=col
                    ) from None
                return UNDEF

        constant_args = args and all(a.const is not UNDEF for a in args)
        if builtin.pure and not builtin.needs_ctx and constant_args:
            # constant operands: report operand type errors at compile time, as OPA's type
            # checker does (a policy that cannot work must not silently evaluate to undefined)
            try:
                impl(*[a.const for a in args])
            except BuiltinError as err:
                if err.code == EVAL_TYPE and err.static:
                    raise RegoCompileError(
                        TYPE, f"{bname}: {err}", file=file, line=line, column=col
                    ) from None
            except Exception:  # value errors stay run-time errors
                pass
        return operands(args, callb)

    def _relation(self, builtin: Builtin, args: list[CompiledTerm], e: syntax.Call) -> CompiledTerm:
        """A builtin producing many values (``walk``)."""
        impl = builtin.fn
        inner = operands(args, lambda vs, ctx: vs)

        def gen(ctx: Ctx, env: list[Any], kv: ValueCont) -> bool:
            def ka(vs: Any) -> bool:
                for out in impl(*vs):
                    ctx.tick()
                    if kv(out):
                        return True
                return False

            return inner.gen(ctx, env, ka)

        return CompiledTerm(gen)

    def _print(self, args: list[CompiledTerm], e: syntax.Call) -> CompiledTerm:
        def det(ctx: Ctx, env: list[Any]) -> Any:
            parts = []
            for a in args:
                vals: list[Any] = []

                def collect(v: Any, vals: list[Any] = vals) -> bool:
                    vals.append(v)
                    return True

                a.gen(ctx, env, collect)
                if not vals:
                    parts.append("<undefined>")
                else:
                    v = vals[0]
                    parts.append(v if isinstance(v, str) else bounded_to_string(v))
            ctx.prints.append(" ".join(parts))
            return True

        return deterministic(det)


def apply_mock(ctx: Ctx, mock: Any, vs: list[Any]) -> Any:
    if isinstance(mock, tuple) and len(mock) == 2 and mock[0] == "__func__":
        return mock[1].call(ctx, vs)
    if isinstance(mock, tuple) and len(mock) == 2 and mock[0] == "__builtin__":
        builtin: Builtin = mock[1]
        try:
            return builtin.fn(ctx, *vs) if builtin.needs_ctx else builtin.fn(*vs)
        except BuiltinError:
            return UNDEF
    return mock
