"""Turning pydantic validation errors into ``Problem`` objects with file, path and line."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from seccli.core.documents import Document
from seccli.core.errors import Problem

_MAX_SHOWN_INPUT = 60


def problems_from_pydantic(exc: ValidationError, document: Document) -> list[Problem]:
    """One ``Problem`` per pydantic error, located at the line of the offending node."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = tuple(part for part in error["loc"] if isinstance(part, str | int))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = f"missing required field {path[-1]!r}" if path else message
        elif error["type"] == "extra_forbidden":
            message = f"unknown field {path[-1]!r}" if path else message
        elif "input" in error and not isinstance(error["input"], dict | list):
            message += f" (got {short_repr(error['input'])})"
        problems.append(Problem(document.locate(path), message))
    return problems


def short_repr(value: Any, limit: int = _MAX_SHOWN_INPUT) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
