"""The builtin function table.

Each submodule exports ``TABLE``: ``name -> Builtin``; :data:`BUILTINS` merges them.  A builtin
raises :class:`~seccli.policy.rego.errors.BuiltinError` for bad operands (code
``eval_type_error``, always an error) or bad values (``eval_builtin_error``: undefined unless
strict builtin errors are on), and returns ``UNDEF`` when the result is undefined.

A builtin that hits a resource limit raises
:class:`~seccli.policy.rego.errors.EvaluationAborted` (see :mod:`seccli.policy.rego.budget`),
which is never a builtin error.  Builtins named in :data:`CHEAP` do constant work; every other
call checks the evaluation's deadline first.
"""

from __future__ import annotations

import dataclasses

from seccli.policy.rego.builtins import (
    aggregates,
    awssign,
    collections,
    encoding,
    graphql,
    misc,
    net,
    numbers,
    regexes,
    schemas,
    strings,
    timefns,
    x509keys,
)
from seccli.policy.rego.builtins.base import Builtin

#: Builtins whose cost does not grow with their operands (no deadline check per call).
CHEAP = frozenset(
    {
        "abs",
        "bits.and",
        "bits.lsh",
        "bits.negate",
        "bits.or",
        "bits.rsh",
        "bits.xor",
        "cast_boolean",
        "cast_null",
        "cast_object",
        "cast_string",
        "ceil",
        "count",
        "div",
        "endswith",
        "equal",
        "floor",
        "gt",
        "gte",
        "is_array",
        "is_boolean",
        "is_null",
        "is_number",
        "is_object",
        "is_set",
        "is_string",
        "lt",
        "lte",
        "minus",
        "mul",
        "neq",
        "object.get",
        "opa.runtime",
        "plus",
        "rand.intn",
        "rem",
        "round",
        "startswith",
        "time.now_ns",
        "trace",
        "type_name",
        "uuid.rfc4122",
    }
)

BUILTINS: dict[str, Builtin] = {}
for _mod in (
    aggregates,
    awssign,
    collections,
    encoding,
    graphql,
    misc,
    net,
    numbers,
    regexes,
    schemas,
    strings,
    timefns,
    x509keys,
):
    BUILTINS.update(_mod.TABLE)
for _name in CHEAP:
    BUILTINS[_name] = dataclasses.replace(BUILTINS[_name], cheap=True)

__all__ = ["BUILTINS", "CHEAP", "Builtin"]
