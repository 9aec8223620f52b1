"""Loading an estate file: safe parsing, schema validation, cross-references; all errors at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from seccli.core.documents import Document, LoadLimits, load_document
from seccli.core.errors import DocumentInvalid, InputError, Problem
from seccli.estate.model import Estate
from seccli.estate.references import check_references

_MAX_SHOWN_INPUT = 60


@dataclass(frozen=True, slots=True)
class LoadedEstate:
    """A validated estate and the document it came from (for line numbers)."""

    estate: Estate
    document: Document


def load_estate(path: Path, limits: LoadLimits | None = None) -> LoadedEstate:
    """Load and validate the estate at ``path``; ``DocumentInvalid`` lists every problem."""
    document = load_document(path, limits)
    return validate_estate_document(document)


def validate_estate_document(document: Document) -> LoadedEstate:
    """Validate an already parsed document as an estate."""
    if not isinstance(document.data, dict):
        raise InputError(
            f"{document.source}:{document.start_line}: an estate must be a mapping with "
            "apiVersion, kind and the estate's sections"
        )
    kind = document.data.get("kind")
    if kind is not None and kind != "Estate":
        raise InputError(
            f"{document.source}:{document.line_of(('kind',))}: expected kind Estate, found {kind!r}"
        )
    try:
        estate = Estate.model_validate(document.data)
    except ValidationError as exc:
        raise DocumentInvalid(_problems_from_pydantic(exc, document)) from None
    problems = [
        Problem(document.locate(path), message) for path, message in check_references(estate)
    ]
    if problems:
        raise DocumentInvalid(problems)
    return LoadedEstate(estate, document)


def _problems_from_pydantic(exc: ValidationError, document: Document) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        path = tuple(part for part in error["loc"] if isinstance(part, str | int))
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing":
            message = f"missing required field {path[-1]!r}" if path else message
        elif error["type"] == "extra_forbidden":
            message = f"unknown field {path[-1]!r}" if path else message
        elif "input" in error and not isinstance(error["input"], dict | list):
            message += f" (got {_short(error['input'])})"
        problems.append(Problem(document.locate(path), message))
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN_INPUT else text[: _MAX_SHOWN_INPUT - 3] + "..."
