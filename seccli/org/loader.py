"""Loading an org file: safe parsing, schema validation and cross-checks; all errors at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from seccli.core.documents import Document, LoadLimits, load_document
from seccli.core.errors import DocumentInvalid, InputError, Problem
from seccli.core.validation import problems_from_pydantic
from seccli.org.model import KIND, SecurityOrg
from seccli.org.validate import validate_org


@dataclass(frozen=True, slots=True)
class LoadedOrg:
    """A validated org and the document it came from (for line numbers)."""

    org: SecurityOrg
    document: Document


def load_org(
    path: Path, subdomains: Iterable[str] | None = None, limits: LoadLimits | None = None
) -> LoadedOrg:
    """Load and validate the org at ``path``; ``DocumentInvalid`` lists every problem.

    ``subdomains`` are the estate's subdomain names (each needs a squad); None skips that check.
    """
    return validate_org_document(load_document(path, limits), subdomains)


def parse_org(document: Document) -> SecurityOrg:
    """Schema-validate a parsed document as a ``SecurityOrg`` (no cross-checks)."""
    if not isinstance(document.data, dict):
        raise InputError(
            f"{document.source}:{document.start_line}: an org must be a mapping with "
            "apiVersion, kind, teams and the other sections"
        )
    kind = document.data.get("kind")
    if kind is not None and kind != KIND:
        raise InputError(
            f"{document.source}:{document.line_of(('kind',))}: expected kind {KIND}, found {kind!r}"
        )
    try:
        return SecurityOrg.model_validate(document.data)
    except ValidationError as exc:
        raise DocumentInvalid(problems_from_pydantic(exc, document)) from None


def validate_org_document(document: Document, subdomains: Iterable[str] | None = None) -> LoadedOrg:
    """Schema-validate and cross-check an already parsed document."""
    org = parse_org(document)
    problems = [
        Problem(document.locate(path), message) for path, message in validate_org(org, subdomains)
    ]
    if problems:
        raise DocumentInvalid(problems)
    return LoadedOrg(org, document)


def estate_subdomains(estate: Path, limits: LoadLimits | None = None) -> list[str]:
    """The subdomain names of the estate at ``estate`` (each needs a squad)."""
    from seccli.estate.loader import load_estate

    return [subdomain.name for subdomain in load_estate(estate, limits).estate.subdomains]


def load_org_for_estate(path: Path, estate: Path, limits: LoadLimits | None = None) -> LoadedOrg:
    """Load the org at ``path``, checked against the subdomains of the estate at ``estate``."""
    return load_org(path, estate_subdomains(estate, limits), limits)
