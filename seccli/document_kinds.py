"""The table of document kinds users write: one row per kind, driving loading and ``seccli schema``.

Each row names the CLI spelling (``seccli schema trust-policy``), the model by import path
(imported only when needed, so reading the table costs nothing at start-up), and a one-line
description. Adding a kind is adding a row: the model must derive from
``seccli.core.userdoc.UserDocument`` and declare ``kind`` as a single literal.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seccli.core.errors import InputError

if TYPE_CHECKING:  # the models and pydantic are imported only when a row is used
    from seccli.core.documents import Document, LoadLimits
    from seccli.core.userdoc import UserDocument


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """One kind of user document."""

    name: str
    """The CLI spelling (``seccli schema NAME``) and the schema's file name."""
    model_path: str
    """``package.module:ClassName`` of the document's model."""
    description: str
    """What the document describes (shown in ``seccli schema --help``)."""

    def model(self) -> type[UserDocument]:
        """The document's model class (imported on first use)."""
        module_name, _, class_name = self.model_path.partition(":")
        model: type[UserDocument] = getattr(importlib.import_module(module_name), class_name)
        return model

    @property
    def kind(self) -> str:
        """The ``kind:`` value documents of this kind carry."""
        from seccli.core.userdoc import document_kind

        kind = document_kind(self.model())
        if kind is None:  # pragma: no cover - a test checks every row
            raise TypeError(f"{self.model_path} does not declare kind as a single literal")
        return kind

    def schema(self) -> dict[str, object]:
        """The published JSON Schema of this kind."""
        from seccli.core.userdoc import document_schema

        return document_schema(self.model(), self.name)


DOCUMENT_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind(
        "estate",
        "seccli.estate.model:Estate",
        "namespaces, subdomains, services, intents, images, secrets, SLOs",
    ),
    DocumentKind(
        "org",
        "seccli.org.model:SecurityOrg",
        "the security organisation: teams, squads, on-call, routing, RACI",
    ),
    DocumentKind(
        "trust-policy",
        "seccli.supplychain.policy:TrustPolicyDocument",
        "who may sign which images, and what must be attested",
    ),
    DocumentKind(
        "suppressions",
        "seccli.scan.suppressions:SuppressionsFile",
        "accepted scan risks with a justification, an approver and an expiry",
    ),
    DocumentKind(
        "playbook",
        "seccli.soar.model:Playbook",
        "a SOAR playbook (CACAO 2.0 step kinds)",
    ),
    DocumentKind(
        "drill",
        "seccli.drill.model:DrillScenario",
        "a tabletop drill: injects, phases, expectations, decision points",
    ),
    DocumentKind(
        "drill-responders",
        "seccli.drill.model:DrillResponders",
        "responders' response-time distributions per team, for drills",
    ),
)


def kind_named(name: str) -> DocumentKind:
    """The row whose CLI spelling is ``name``."""
    for row in DOCUMENT_KINDS:
        if row.name == name:
            return row
    known = ", ".join(row.name for row in DOCUMENT_KINDS)
    raise InputError(f"unknown document kind {name!r} (known: {known})")


def kind_of_document(document: Document) -> DocumentKind:
    """The row whose ``kind:`` the parsed ``document`` declares."""
    declared = document.data.get("kind") if isinstance(document.data, dict) else None
    for row in DOCUMENT_KINDS:
        if declared is not None and row.kind == declared:
            return row
    known = ", ".join(row.kind for row in DOCUMENT_KINDS)
    raise InputError(
        f"{document.source}:{document.line_of(('kind',))}: unknown document kind "
        f"{declared!r} (known: {known})"
    )


def load_any_document(
    path: Path, limits: LoadLimits | None = None
) -> tuple[UserDocument, DocumentKind]:
    """Read ``path`` and validate it as the kind it declares (schema checks only)."""
    from seccli.core.documents import load_document
    from seccli.core.userdoc import validate_user_document

    document = load_document(path, limits)
    row = kind_of_document(document)
    return validate_user_document(document, row.model()), row
