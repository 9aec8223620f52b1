"""``seccli schema KIND``: print the JSON Schema of a user document."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import typer


class SchemaKind(StrEnum):
    """Documents with a published schema."""

    ESTATE = "estate"
    ORG = "org"
    TRUST_POLICY = "trust-policy"
    PLAYBOOK = "playbook"


def _estate_schema() -> dict[str, Any]:
    from seccli.estate.model import Estate

    schema = Estate.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://seccli.dev/schemas/estate.json"
    return schema


def _org_schema() -> dict[str, Any]:
    from seccli.org.model import SecurityOrg

    schema = SecurityOrg.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://seccli.dev/schemas/org.json"
    return schema


def _trust_policy_schema() -> dict[str, Any]:
    from seccli.supplychain.policy import trust_policy_schema

    return trust_policy_schema()


def _playbook_schema() -> dict[str, Any]:
    from seccli.soar.model import playbook_schema

    return playbook_schema()


# Plain table of schema producers, one per document kind.
SCHEMAS: dict[SchemaKind, Callable[[], dict[str, Any]]] = {
    SchemaKind.ESTATE: _estate_schema,
    SchemaKind.ORG: _org_schema,
    SchemaKind.TRUST_POLICY: _trust_policy_schema,
    SchemaKind.PLAYBOOK: _playbook_schema,
}


def schema_command(
    kind: SchemaKind = typer.Argument(..., help="Document kind."),
) -> None:
    """Print the JSON Schema of a document kind."""
    typer.echo(json.dumps(SCHEMAS[kind](), indent=2, sort_keys=True))
