"""A native Rego engine: parse and compile modules once, evaluate many inputs fast.

Usage::

    policy = compile({"k8s.rego": source}, data={"allowed": [...]})
    result = policy.eval("data.k8s.violation", input_document)
    if result.defined: ...

``compile`` raises :class:`RegoError` (``rego_parse_error``, ``rego_type_error``,
``rego_unsafe_var_error``, ``rego_recursion_error``...) with file, line and column; ``eval``
raises :class:`RegoError` for evaluation errors (``eval_conflict_error``, ``eval_type_error``,
``eval_builtin_error`` in strict mode, ``eval_limit_error``).  A step limit, the deadline, a
builtin's size limit, memory exhaustion or too deep a recursion raise
:class:`EvaluationAborted` (code ``eval_limit_error``, with a ``reason``): never undefined,
even without strict builtin errors.  A compiled :class:`Policy` is immutable and safe to
evaluate from many threads at once.
"""

from __future__ import annotations

from seccli.policy.rego.errors import (
    EvaluationAborted,
    RegoCompileError,
    RegoError,
    RegoEvalError,
    RegoParseError,
)
from seccli.policy.rego.policy import UNDEFINED, EvalResult, Policy, compile, entrypoint_path
from seccli.policy.rego.runtime import Limits
from seccli.policy.rego.values import RegoSet, to_json

__all__ = [
    "UNDEFINED",
    "EvalResult",
    "EvaluationAborted",
    "Limits",
    "Policy",
    "RegoCompileError",
    "RegoError",
    "RegoEvalError",
    "RegoParseError",
    "RegoSet",
    "compile",
    "entrypoint_path",
    "to_json",
]
