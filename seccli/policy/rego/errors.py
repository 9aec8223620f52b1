"""Structured Rego errors: every failure carries an OPA-style code and, where known, a location."""

from __future__ import annotations

from seccli.core.errors import SeccliError
from seccli.core.location import Location

PARSE = "rego_parse_error"
COMPILE = "rego_compile_error"
TYPE = "rego_type_error"
UNSAFE = "rego_unsafe_var_error"
RECURSION = "rego_recursion_error"
CONFLICT = "eval_conflict_error"
BUILTIN = "eval_builtin_error"
EVAL_TYPE = "eval_type_error"
LIMIT = "eval_limit_error"
INTERNAL = "eval_internal_error"


class RegoError(SeccliError):
    """A Rego parse, compile or evaluation error with an OPA-compatible ``code``."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        location = Location(file or "<query>", line, column) if line is not None else None
        super().__init__(f"{code}: {message}", location=location)
        self.code = code
        self.detail = message
        self.file = file
        self.line = line
        self.column = column

    def opa_message(self) -> str:
        """The error as OPA prints it: ``file:line: code: message`` (no column)."""
        if self.line is None:
            return f"{self.code}: {self.detail}"
        return f"{self.file or '<query>'}:{self.line}: {self.code}: {self.detail}"


class RegoParseError(RegoError):
    """Source text that is not valid Rego."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(PARSE, message, file=file, line=line, column=column)


class RegoCompileError(RegoError):
    """A module that parses but cannot be compiled (unsafe vars, unknown functions, recursion)."""


class RegoEvalError(RegoError):
    """An error raised while evaluating a compiled policy (conflicts, builtin errors, limits)."""


#: Why an evaluation was aborted (``EvaluationAborted.reason``).
ABORT_LIMIT = "limit"
ABORT_TIMEOUT = "timeout"
ABORT_MEMORY = "memory"
ABORT_RECURSION = "recursion"
ABORT_NUMBER = "number"


class EvaluationAborted(RegoEvalError):
    """A resource limit, the deadline, memory exhaustion or a number too large to convert hit
    during evaluation.

    Never a builtin error: non-strict evaluation does not turn it into undefined, it ends the
    whole evaluation, and a gate reports the object as an error (a denial).  ``reason`` is one
    of ``limit``, ``timeout``, ``memory``, ``recursion`` or ``number``.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(LIMIT, message, file=file, line=line, column=column)
        self.reason = reason

    def at(self, name: str, file: str | None, line: int, column: int) -> EvaluationAborted:
        """The same abort, attributed to the builtin call ``name`` at ``file:line:column``."""
        if self.line is not None:
            return self
        return EvaluationAborted(
            self.reason, f"{name}: {self.detail}", file=file, line=line, column=column
        )


def is_int_conversion_limit(err: BaseException) -> bool:
    """True for CPython's int/str conversion limit (more than ``sys.get_int_max_str_digits()``
    digits), which must abort an evaluation rather than read as a bad value."""
    return isinstance(err, ValueError) and str(err).startswith("Exceeds the limit")


class BuiltinError(Exception):
    """Raised by a builtin implementation; converted to ``eval_builtin_error`` or undefined."""

    def __init__(self, message: str, code: str = BUILTIN, *, static: bool = True) -> None:
        super().__init__(message)
        self.code = code
        # False for a type error OPA's type checker cannot see (an integral number expected,
        # a floating-point one given): raised at evaluation only, never at compile time
        self.static = static
