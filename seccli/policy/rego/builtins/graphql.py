"""GraphQL builtins on graphql-core (imported on first use).

``graphql.is_valid``, ``graphql.schema_is_valid``, ``graphql.parse_and_verify``,
``graphql.parse``, ``graphql.parse_query`` and ``graphql.parse_schema`` as in OPA.  The ASTs
returned are graphql-core's (``kind``/``loc``-free node dictionaries), not the Go gqlparser
structures OPA returns: verdicts agree, AST field names differ.
"""

from __future__ import annotations

from typing import Any

from seccli.policy.rego.budget import MAX_STRING, refuse_size
from seccli.policy.rego.builtins.base import builtin, fail, string, table, type_err
from seccli.policy.rego.errors import BuiltinError
from seccli.policy.rego.values import UNDEF


def _text(v: Any, pos: int) -> str:
    if isinstance(v, dict):
        raise fail("schema and query AST objects are not supported: give the text")
    if not isinstance(v, str):
        raise type_err(pos, "one of {object, string}", v)
    s = string(v, pos)
    refuse_size(len(s), MAX_STRING, "GraphQL characters")
    return s


def _ast(node: Any) -> Any:
    from graphql.language import ast as gql

    if isinstance(node, gql.Node):
        out: dict[str, Any] = {"kind": node.kind}
        for key in node.keys:
            if key == "loc":
                continue
            out[key] = _ast(getattr(node, key))
        return out
    if isinstance(node, (list, tuple)):
        return [_ast(x) for x in node]
    if node is None or isinstance(node, (str, bool, int, float)):
        return node
    return str(node)


def _parse_doc(text: str) -> Any:
    import graphql

    try:
        return graphql.parse(text, no_location=True)
    except graphql.GraphQLError as err:
        raise fail(f"GraphQL parse error: {err.message}") from None


def _schema(text: str) -> Any:
    import graphql

    doc = _parse_doc(text)
    try:
        return doc, graphql.build_ast_schema(doc)
    except (graphql.GraphQLError, TypeError) as err:
        raise fail(f"GraphQL schema error: {err}") from None


def _verify(query: Any, schema: Any) -> tuple[Any, Any]:
    import graphql

    sdoc, built = _schema(_text(schema, 2))
    qdoc = _parse_doc(_text(query, 1))
    errors = graphql.validate(built, qdoc)
    if errors:
        raise fail(f"GraphQL validation error: {errors[0].message}")
    return qdoc, sdoc


def _is_valid(query: Any, schema: Any) -> bool:
    try:
        _verify(query, schema)
    except BuiltinError:
        return False
    return True


def _schema_is_valid(schema: Any) -> bool:
    try:
        _schema(_text(schema, 1))
    except BuiltinError:
        return False
    return True


def _parse_and_verify(query: Any, schema: Any) -> list[Any]:
    try:
        qdoc, sdoc = _verify(query, schema)
    except BuiltinError:
        return [False, {}, {}]
    return [True, _ast(qdoc), _ast(sdoc)]


def _parse(query: Any, schema: Any) -> Any:
    qdoc, sdoc = _verify(query, schema)
    return [_ast(qdoc), _ast(sdoc)]


def _parse_query(query: Any) -> Any:
    return _ast(_parse_doc(_text(query, 1)))


def _parse_schema(schema: Any) -> Any:
    doc, _built = _schema(_text(schema, 1))
    return _ast(doc) if doc is not None else UNDEF


TABLE = table(
    builtin("graphql.is_valid", _is_valid, 2),
    builtin("graphql.schema_is_valid", _schema_is_valid, 1),
    builtin("graphql.parse_and_verify", _parse_and_verify, 2),
    builtin("graphql.parse", _parse, 2),
    builtin("graphql.parse_query", _parse_query, 1),
    builtin("graphql.parse_schema", _parse_schema, 1),
)
