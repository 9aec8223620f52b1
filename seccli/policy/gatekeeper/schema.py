"""A template's ``openAPIV3Schema``: checking it and validating constraint parameters with it.

Kubernetes validates a constraint's ``spec.parameters`` against the schema the template declares;
invalid parameters make the constraint invalid.  OpenAPI v3 schemas are JSON Schema draft 4 plus
``nullable`` and ``x-kubernetes-*`` extensions, which are translated here.  Unknown fields are
not errors (Kubernetes prunes them), unless the schema says ``additionalProperties: false``.
"""

from __future__ import annotations

from typing import Any

from seccli.core.location import DocPath

_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean"})


def to_jsonschema(schema: Any) -> Any:
    """A JSON Schema draft-4 copy of an OpenAPI v3 schema."""
    if isinstance(schema, list):
        return [to_jsonschema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if isinstance(key, str) and key.startswith("x-kubernetes-"):
            continue
        if key in ("properties", "patternProperties", "definitions") and isinstance(value, dict):
            out[key] = {k: to_jsonschema(v) for k, v in value.items()}
        elif key == "nullable":
            continue
        else:
            out[key] = to_jsonschema(value)
    if schema.get("x-kubernetes-int-or-string") is True:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def schema_problems(schema: dict[str, Any]) -> list[tuple[DocPath, str]]:
    """Problems with the schema itself (bad types, a schema draft 4 refuses)."""
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    problems: list[tuple[DocPath, str]] = []
    _check_types(schema, (), problems)
    try:
        jsonschema.Draft4Validator.check_schema(to_jsonschema(schema))
    except jsonschema.SchemaError as err:
        path = tuple(p for p in err.absolute_path if isinstance(p, str | int))
        problems.append((path, f"invalid openAPIV3Schema: {err.message}"))
    return problems


def _check_types(schema: Any, path: DocPath, problems: list[tuple[DocPath, str]]) -> None:
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind is not None and kind not in _TYPES:
        problems.append(((*path, "type"), f"unknown type {kind!r} in openAPIV3Schema"))
    for key in ("properties", "patternProperties"):
        children = schema.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                _check_types(child, (*path, key, name), problems)
    for key in ("items", "additionalProperties", "not"):
        child = schema.get(key)
        if isinstance(child, dict):
            _check_types(child, (*path, key), problems)
    for key in ("allOf", "anyOf", "oneOf"):
        children = schema.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                _check_types(child, (*path, key, index), problems)


def parameter_problems(schema: dict[str, Any] | None, parameters: Any) -> list[tuple[DocPath, str]]:
    """Where ``parameters`` break ``schema`` (paths relative to ``spec.parameters``)."""
    if schema is None:
        return []
    import jsonschema  # type: ignore[import-untyped,unused-ignore]

    validator = jsonschema.Draft4Validator(to_jsonschema(schema))
    problems: list[tuple[DocPath, str]] = []
    errors = sorted(validator.iter_errors(parameters), key=lambda e: list(map(str, e.path)))
    for err in errors:
        path = tuple(p for p in err.absolute_path if isinstance(p, str | int))
        problems.append((path, f"invalid parameter: {err.message}"))
    return problems
