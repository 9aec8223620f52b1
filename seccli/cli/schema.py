"""``seccli schema KIND``: print the JSON Schema of a user document (kinds from the table)."""

from __future__ import annotations

import json

import typer

from seccli.document_kinds import DOCUMENT_KINDS, kind_named

_KIND_HELP = "Document kind, one of: " + "; ".join(
    f"{row.name} ({row.description})" for row in DOCUMENT_KINDS
)


def _known_kind(value: str) -> str:
    names = [row.name for row in DOCUMENT_KINDS]
    if value not in names:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(names)}")
    return value


def schema_command(
    kind: str = typer.Argument(..., help=_KIND_HELP, metavar="KIND", callback=_known_kind),
) -> None:
    """Print the JSON Schema of a document kind."""
    typer.echo(json.dumps(kind_named(kind).schema(), indent=2, sort_keys=True))
