"""Loading an estate file: safe parsing, schema validation, cross-references; all errors at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seccli.core.documents import Document, LoadLimits, load_document
from seccli.core.errors import DocumentInvalid, Problem
from seccli.core.userdoc import validate_user_document
from seccli.estate.model import Estate
from seccli.estate.references import check_references


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
    estate = validate_user_document(document, Estate, what="an estate")
    problems = [
        Problem(document.locate(path), message) for path, message in check_references(estate)
    ]
    if problems:
        raise DocumentInvalid(problems)
    return LoadedEstate(estate, document)
