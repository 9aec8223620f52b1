"""The user-document base: alias-only validation, kind checks, located problems."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from seccli.core.errors import DocumentInvalid, InputError
from seccli.core.userdoc import (
    DocumentModel,
    UserDocument,
    document_kind,
    document_schema,
    load_user_document,
)


class Part(DocumentModel):
    max_age_days: int = Field(description="Days before rotation is due.", ge=1)


class Sample(UserDocument):
    api_version: Literal["seccli.dev/v1alpha1"]
    kind: Literal["Sample"]
    part: Part


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.yaml"
    path.write_text(text)
    return path


def test_camel_case_is_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "apiVersion: seccli.dev/v1alpha1\nkind: Sample\npart:\n  maxAgeDays: 3\n"
    )
    model, _ = load_user_document(path, Sample)
    assert model.part.max_age_days == 3


def test_snake_case_spellings_the_schema_does_not_show_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "apiVersion: seccli.dev/v1alpha1\nkind: Sample\npart:\n  max_age_days: 3\n"
    )
    with pytest.raises(DocumentInvalid) as info:
        load_user_document(path, Sample)
    messages = [str(p) for p in info.value.problems]
    assert any("max_age_days" in m and ":4" in m for m in messages), messages
    schema = document_schema(Sample, "sample")
    assert "maxAgeDays" in str(schema) and "max_age_days" not in str(schema)


def test_wrong_kind_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected kind Sample"):
        load_user_document(_write(tmp_path, "apiVersion: x\nkind: Other\n"), Sample)
    with pytest.raises(InputError, match="must be a mapping"):
        load_user_document(_write(tmp_path, "- 1\n"), Sample)


def test_bad_values_name_what_was_given(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "apiVersion: seccli.dev/v1alpha1\nkind: Sample\npart:\n  maxAgeDays: 0\n"
    )
    with pytest.raises(DocumentInvalid) as info:
        load_user_document(path, Sample)
    assert "(got 0)" in str(info.value.problems[0])


def test_document_kind_and_descriptions() -> None:
    assert document_kind(Sample) == "Sample"
    assert document_kind(Part) is None
    schema = document_schema(Sample, "sample")
    assert schema["$id"] == "https://seccli.dev/schemas/sample.json"
    assert "Days before rotation" in str(schema)
