"""The one base of every document users write, and the one way to load such a document.

``DocumentModel`` is the configuration every part of a user document shares (frozen, unknown
fields forbidden, camelCase spellings); ``UserDocument`` adds the ``apiVersion``/``kind``
header. ``validate_user_document`` validates a parsed ``Document`` against a model accepting
exactly the spellings its JSON Schema publishes (the camelCase aliases), and reports every
problem with file, document path and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import ComputedFieldInfo, FieldInfo

from seccli.core.documents import Document, LoadLimits, load_document
from seccli.core.errors import DocumentInvalid, InputError, Problem
from seccli.core.location import Location
from seccli.core.validation import problems_from_pydantic

API_VERSION = "seccli.dev/v1alpha1"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def field_title(name: str, _info: FieldInfo | ComputedFieldInfo) -> str:
    """A schema title from the Python field name: ``identity_regex`` → ``Identity regex``."""
    return name.replace("_", " ").strip().capitalize()


class DocumentModel(BaseModel):
    """A part of a user document: frozen, no unknown fields, camelCase in YAML.

    Python code builds models by field name; documents are validated by alias only (see
    ``validate_user_document``), so a document accepts the spellings the schema shows.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
        field_title_generator=field_title,
    )


class UserDocument(DocumentModel):
    """A whole user document; subclasses narrow ``api_version`` and ``kind`` to literals."""

    api_version: str
    kind: str


ModelT = TypeVar("ModelT", bound=BaseModel)


def document_kind(model: type[BaseModel]) -> str | None:
    """The ``kind`` a model requires, when it declares one as a single literal."""
    field = model.model_fields.get("kind")
    if field is None:
        return None
    args: tuple[object, ...] = getattr(field.annotation, "__args__", ())
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return None


def validate_user_document(
    document: Document, model: type[ModelT], *, what: str | None = None, hint: str | None = None
) -> ModelT:
    """Validate ``document`` as ``model``; ``DocumentInvalid`` lists every problem.

    ``what`` names the document in messages (``an org``; default ``a KIND document``);
    ``hint`` is attached to the errors (where to read about the format).
    """
    expected = document_kind(model) or model.__name__
    if not isinstance(document.data, dict):
        raise InputError(
            f"{document.source}:{document.start_line}: {what or 'the document'} must be a "
            f"mapping (a {expected} document is a mapping with apiVersion and kind; found "
            f"{_json_type(document.data)})",
            hint=hint,
        )
    kind = document.data.get("kind")
    if kind is not None and document_kind(model) is not None and kind != expected:
        where = Location(document.source, document.line_of(("kind",)), None, None)
        raise DocumentInvalid(
            [Problem(where, f"expected kind {expected}, found {kind!r}")], hint=hint
        )
    try:
        return model.model_validate(document.data, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise DocumentInvalid(problems_from_pydantic(exc, document), hint=hint) from None


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "an empty document"
    return f"a {type(value).__name__}"


def load_user_document(
    path: Path, model: type[ModelT], limits: LoadLimits | None = None, *, what: str | None = None
) -> tuple[ModelT, Document]:
    """Read ``path`` with the safe loader and validate it as ``model``."""
    document = load_document(path, limits)
    return validate_user_document(document, model, what=what), document


def document_schema(model: type[BaseModel], schema_id: str) -> dict[str, object]:
    """The published JSON Schema of ``model`` (camelCase spellings, 2020-12 dialect)."""
    schema: dict[str, object] = model.model_json_schema(by_alias=True)
    schema["$schema"] = JSON_SCHEMA_DIALECT
    schema["$id"] = f"https://seccli.dev/schemas/{schema_id}.json"
    return schema
