"""JSON Schema builtins: ``json.verify_schema`` and ``json.match_schema``.

Schemas may be given as objects or JSON strings (as in OPA).  The draft comes from
``$schema``, draft 7 otherwise.  References resolve only inside the schema: remote ``$ref``
is never fetched (an unresolvable reference makes the schema invalid).
"""

from __future__ import annotations

from typing import Any

from seccli.policy.rego.builtins.base import builtin, fail, table, type_err
from seccli.policy.rego.errors import EvaluationAborted
from seccli.policy.rego.values import to_json


def _schema_value(schema: Any, pos: int) -> Any:
    from seccli.policy.rego.budget import json_loads

    if isinstance(schema, str):
        try:
            return json_loads(schema)
        except ValueError as err:
            return _Invalid(f"invalid JSON: {err}")
    if isinstance(schema, (dict, bool)):
        return to_json(schema)
    raise type_err(pos, "one of {object, string}", schema)


class _Invalid:
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _validator(schema: Any) -> Any:
    """A validator for ``schema``, or the reason it is not a valid schema (a string)."""
    import jsonschema
    from referencing import Registry

    if isinstance(schema, _Invalid):
        return schema.reason
    if not isinstance(schema, (dict, bool)):
        return "schema must be an object or a boolean"
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as err:
        return err.message
    return cls(schema, registry=Registry())


def _verify_schema(schema: Any) -> list[Any]:
    v = _validator(_schema_value(schema, 1))
    if isinstance(v, str):
        return [False, v]
    try:
        v.is_valid(None)  # resolves the root's references at least once
    except _NOT_SCHEMA_ERRORS:
        raise
    except Exception as err:  # an unresolvable $ref and the like
        return [False, str(err)]
    return [True, None]


# limits and engine failures that must abort the evaluation, never read as "invalid schema"
_NOT_SCHEMA_ERRORS = (EvaluationAborted, RecursionError, MemoryError)


def _match_schema(document: Any, schema: Any) -> list[Any]:
    v = _validator(_schema_value(schema, 2))
    if isinstance(v, str):
        raise fail(f"invalid schema: {v}")
    try:
        found = list(v.iter_errors(to_json(document)))
    except _NOT_SCHEMA_ERRORS:
        raise
    except Exception as err:  # unresolvable references
        raise fail(f"invalid schema: {err}") from None
    errors = sorted(found, key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors:
        field = ".".join(str(p) for p in e.absolute_path) or "(root)"
        error = f"{field}: {e.message}"
        out.append({"error": error, "type": e.validator, "field": field, "desc": e.message})
    return [not out, out]


TABLE = table(
    builtin("json.verify_schema", _verify_schema, 1),
    builtin("json.match_schema", _match_schema, 2),
)
