"""Argument templates: ``${expr}`` inside argument values (see ``seccli.soar.model``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from seccli.soar.expr import ExpressionError, Node, Scope, evaluate, parse

_TEMPLATE = re.compile(r"\$\{([^{}]*)\}")


def expressions(value: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path inside ``value``, expression text) of every template in ``value``."""
    if isinstance(value, str):
        for match in _TEMPLATE.finditer(value):
            yield (), match.group(1)
    elif isinstance(value, dict):
        for key, item in value.items():
            for path, text in expressions(item):
                yield (key, *path), text
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for path, text in expressions(item):
                yield (index, *path), text


def is_whole(value: Any) -> bool:
    """True when ``value`` is one template and nothing else (it takes the value's type)."""
    return isinstance(value, str) and _TEMPLATE.fullmatch(value) is not None


def has_template(value: Any) -> bool:
    """True when ``value`` contains a template anywhere."""
    return next(expressions(value), None) is not None


def render(value: Any, scope: Scope) -> Any:
    """``value`` with every template replaced (``ExpressionError`` when one fails)."""
    if isinstance(value, str):
        whole = _TEMPLATE.fullmatch(value)
        if whole is not None:
            return evaluate(_parsed(whole.group(1)), scope)
        return _TEMPLATE.sub(lambda m: _text(evaluate(_parsed(m.group(1)), scope)), value)
    if isinstance(value, dict):
        return {key: render(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, scope) for item in value]
    return value


def _parsed(text: str) -> Node:
    return parse(text.strip())


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float | list | dict):
        return json.dumps(value, sort_keys=True)
    raise ExpressionError(f"cannot put a {type(value).__name__} into text")
