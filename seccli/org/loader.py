"""Loading an org file: safe parsing, schema validation and cross-checks; all errors at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from seccli.core.documents import Document, LoadLimits, load_document
from seccli.core.errors import DocumentInvalid, Problem
from seccli.core.userdoc import validate_user_document
from seccli.org.model import SecurityOrg
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
    return validate_user_document(document, SecurityOrg, what="an org")


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
