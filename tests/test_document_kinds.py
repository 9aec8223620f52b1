"""The table of document kinds: every row loads, publishes a schema, and both agree on spellings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from seccli.core.errors import DocumentInvalid, InputError
from seccli.core.userdoc import DocumentModel, UserDocument, field_title
from seccli.document_kinds import DOCUMENT_KINDS, kind_named, load_any_document
from seccli.estate.loader import load_estate
from seccli.scan.suppressions import load_suppressions
from seccli.supplychain.policy import load_trust_policy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "estate": ROOT / "examples/claytom/estate.yaml",
    "org": ROOT / "examples/claytom/org.yaml",
    "trust-policy": ROOT / "examples/claytom/trust-policy.yaml",
    "playbook": ROOT / "playbooks/leaked-secret.yaml",
}
SUPPRESSIONS = """apiVersion: seccli.dev/v1alpha1
kind: Suppressions
suppressions:
  - rule: CKV_K8S_16
    path: "k8s/*"
    justification: legacy workload being retired next sprint
    approver: bob@example.com
    expires: 2026-01-01
"""


def seccli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seccli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "SECCLI_ACTOR": "tester"},
        timeout=60,
    )


def _models(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> Iterator[type]:
    """``model`` and every model reachable through its field annotations."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    yield model
    for field in model.model_fields.values():
        stack: list[object] = [field.annotation]
        while stack:
            item = stack.pop()
            if isinstance(item, type) and issubclass(item, BaseModel):
                yield from _models(item, seen)
            stack.extend(typing.get_args(item))


ALL_MODELS = sorted(
    {m for row in DOCUMENT_KINDS for m in _models(row.model())}, key=lambda m: m.__qualname__
)


def test_rows_are_unique_user_documents_with_a_literal_kind() -> None:
    names = [row.name for row in DOCUMENT_KINDS]
    kinds = [row.kind for row in DOCUMENT_KINDS]
    assert len(set(names)) == len(names) and len(set(kinds)) == len(kinds)
    assert {"estate", "org", "trust-policy", "suppressions", "playbook"} <= set(names)
    for row in DOCUMENT_KINDS:
        assert issubclass(row.model(), UserDocument), row.name
        assert row.description and row.description[0].islower(), row.name


def test_every_reachable_model_is_on_the_one_base() -> None:
    assert ALL_MODELS
    for model in ALL_MODELS:
        assert issubclass(model, DocumentModel), model
        assert model.model_config.get("extra") == "forbid", model
        assert model.model_config.get("frozen") is True, model


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__qualname__)
def test_schema_spellings_are_exactly_the_accepted_ones(model: type[BaseModel]) -> None:
    schema = model.model_json_schema(by_alias=True)
    published = set(schema.get("properties", {}))
    aliases = {field.alias or name for name, field in model.model_fields.items()}
    assert published == aliases
    for name, field in model.model_fields.items():
        alias = field.alias or name
        errors = _errors(model, {alias: object()})
        assert ("extra_forbidden", (alias,)) not in errors, (model, alias)
        if alias != name:
            # The Python name is not a spelling the schema shows, so a document may not use it.
            assert ("extra_forbidden", (name,)) in _errors(model, {name: object()}), (model, name)
        title = schema["properties"][alias].get("title")
        assert title in (None, field_title(name, field)), (model, alias, title)


def _errors(model: type[BaseModel], data: dict[str, object]) -> set[tuple[str, tuple[object, ...]]]:
    try:
        model.model_validate(data, by_alias=True, by_name=False)
    except ValidationError as exc:
        return {(str(e["type"]), tuple(e["loc"])) for e in exc.errors()}
    return set()


@pytest.mark.parametrize("name", ["trust-policy", "suppressions"])
def test_every_field_has_a_description(name: str) -> None:
    for model in _models(kind_named(name).model()):
        schema = model.model_json_schema(by_alias=True)
        for alias, prop in schema["properties"].items():
            # A field whose description equals its model's docstring shows it on the $ref'd def.
            ref = prop.get("$ref", "").removeprefix("#/$defs/")
            described = prop.get("description") or schema.get("$defs", {}).get(ref, {}).get(
                "description"
            )
            assert described, (model, alias)


def test_trust_policy_schema_explains_globs_and_has_readable_titles() -> None:
    text = json.dumps(kind_named("trust-policy").schema())
    assert "Identityregex" not in text and "Identity regex" in text
    assert "``**`` across segments" in text


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_table_loads_every_example(name: str) -> None:
    model, row = load_any_document(EXAMPLES[name])
    assert row.name == name and isinstance(model, row.model())


def test_the_table_loads_suppressions(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUPPRESSIONS)
    model, row = load_any_document(path)
    assert row.name == "suppressions" and isinstance(model, row.model())


@pytest.mark.parametrize(
    "text, message",
    [
        ("apiVersion: seccli.dev/v1alpha1\nkind: Pod\n", "unknown document kind 'Pod'"),
        ("apiVersion: seccli.dev/v1alpha1\n", "unknown document kind None"),
        ("- 1\n", "known: Estate"),
    ],
)
def test_unknown_kinds_list_the_known_ones(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_any_document(path)
    with pytest.raises(InputError, match="unknown document kind 'nope'"):
        kind_named("nope")


@pytest.mark.parametrize(
    "old, new",
    [("trustDomain:", "trust_domain:"), ("apiVersion:", "api_version:"), ("metadata:", "meta:")],
)
def test_estate_refuses_python_spellings(tmp_path: Path, old: str, new: str) -> None:
    text = EXAMPLES["estate"].read_text()
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path = tmp_path / "estate.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DocumentInvalid) as info:
        load_estate(path)
    messages = [str(p) for p in info.value.problems]
    assert any(
        m.startswith(f"{path}:{line}:") and f"unknown field '{new[:-1]}'" in m for m in messages
    ), messages


@pytest.mark.parametrize(
    "old, new, got",
    [
        ("cacheTTL: 3600", "cacheTTL: -1", "(got -1)"),
        ("platforms: all", "platforms: some", "(got 'some')"),
    ],
)
def test_trust_policy_errors_name_what_was_given(
    tmp_path: Path, old: str, new: str, got: str
) -> None:
    text = EXAMPLES["trust-policy"].read_text()
    assert old in text
    path = tmp_path / "trust-policy.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DocumentInvalid) as info:
        load_trust_policy(path)
    assert any(got in str(p) for p in info.value.problems), info.value.problems


def test_trust_policy_refuses_python_spellings(tmp_path: Path) -> None:
    path = tmp_path / "trust-policy.yaml"
    path.write_text(
        "apiVersion: seccli.dev/v1alpha1\nkind: TrustPolicy\nspec:\n  cache_ttl: 5\n"
        "  authorities: [{name: a, key: {pem: x}}]\n  images: [{glob: '*', authorities: [a]}]\n"
    )
    with pytest.raises(DocumentInvalid, match="unknown field 'cache_ttl'"):
        load_trust_policy(path)


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("apiVersion:", "api_version:", "unknown field 'api_version'"),
        ("expires: 2026-01-01", "expires: someday", "(got 'someday')"),
        ("kind: Suppressions", "kind: Estate", "expected kind Suppressions, found 'Estate'"),
    ],
)
def test_suppressions_on_the_base(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SUPPRESSIONS.replace(old, new, 1))
    with pytest.raises(DocumentInvalid) as info:
        load_suppressions(path)
    assert any(expected in str(p) for p in info.value.problems), info.value.problems
    assert info.value.hint is not None and "seccli schema suppressions" in info.value.hint


@pytest.mark.parametrize("row", DOCUMENT_KINDS, ids=lambda r: r.name)
def test_schema_command_prints_each_kind(tmp_path: Path, row: typing.Any) -> None:
    result = seccli("schema", row.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$id"] == f"https://seccli.dev/schemas/{row.name}.json"
    assert schema["properties"]["kind"]["const"] == row.kind


def test_schema_command_refuses_an_unknown_kind(tmp_path: Path) -> None:
    result = seccli("schema", "drill-nope", cwd=tmp_path)
    assert result.returncode == 2
    assert "estate" in result.stderr and "trust-policy" in result.stderr
