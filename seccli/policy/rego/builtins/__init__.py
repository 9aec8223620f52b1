"""The builtin function table.

Each submodule exports ``TABLE``: ``name -> Builtin``; :data:`BUILTINS` merges them.  A builtin
raises :class:`~seccli.policy.rego.errors.BuiltinError` for bad operands (code
``eval_type_error``, always an error) or bad values (``eval_builtin_error``: undefined unless
strict builtin errors are on), and returns ``UNDEF`` when the result is undefined.
"""

from __future__ import annotations

from seccli.policy.rego.builtins import (
    aggregates,
    collections,
    encoding,
    misc,
    net,
    numbers,
    regexes,
    strings,
    timefns,
)
from seccli.policy.rego.builtins.base import Builtin

BUILTINS: dict[str, Builtin] = {}
for _mod in (aggregates, collections, encoding, misc, net, numbers, regexes, strings, timefns):
    BUILTINS.update(_mod.TABLE)

__all__ = ["BUILTINS", "Builtin"]
