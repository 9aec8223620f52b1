"""The optional rotation fields on ``SecretRef``: generator, verify, retire."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from seccli.core.errors import DocumentInvalid, InputError
from seccli.estate.loader import load_estate
from seccli.estate.model import SecretGenerator, SecretRef
from seccli.secrets.generators import generate_password, generate_token
from tests.secrets.conftest import EXAMPLE_ESTATE


def test_defaults_keep_existing_behaviour() -> None:
    ref = SecretRef.model_validate({"path": "kv/a/b"})
    assert ref.generator is None and ref.verify is None and ref.retire == "delete"


def test_generator_and_verify_parse_in_camel_case() -> None:
    ref = SecretRef.model_validate(
        {
            "path": "kv/a/b",
            "generator": {"kind": "token", "key": "api_key", "length": 32, "prefix": "ct_"},
            "verify": {"kind": "http", "url": "https://x.example/ping", "expectStatus": [204]},
            "retire": "destroy",
        }
    )
    assert ref.generator is not None and ref.generator.kind == "token"
    assert ref.verify is not None and ref.verify.expect_status == (204,)
    assert ref.retire == "destroy"


@pytest.mark.parametrize(
    "bad",
    [
        {"generator": {"kind": "magic"}},
        {"generator": {"length": 4}},
        {"verify": {"kind": "ping"}},
        {"retire": "shred"},
        {"generator": {"unknown": 1}},
        {"generator": {"kind": "command"}},
        {"verify": {"kind": "http"}},
        {"verify": {"kind": "http", "url": "ftp://x.example/"}},
        {"verify": {"kind": "command"}},
    ],
)
def test_invalid_specs_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SecretRef.model_validate({"path": "kv/a/b", **bad})


def test_password_policy_is_met() -> None:
    spec = SecretGenerator(length=20, min_lower=3, min_upper=3, min_digits=3, min_symbols=3)
    for _ in range(20):
        value = generate_password(spec).reveal()
        assert len(value) == 20
        assert sum(c.islower() for c in value) >= 3
        assert sum(c.isupper() for c in value) >= 3
        assert sum(c.isdigit() for c in value) >= 3
        assert sum(c in spec.symbols for c in value) >= 3
    assert generate_password(spec) != generate_password(spec)


def test_impossible_password_policy_is_an_input_error() -> None:
    with pytest.raises(InputError, match="length"):
        generate_password(SecretGenerator(length=12, min_lower=10, min_upper=10))


def test_token_has_prefix_and_entropy() -> None:
    token = generate_token(SecretGenerator(kind="token", length=32, prefix="ct_live_"))
    assert token.reveal().startswith("ct_live_") and len(token.reveal()) > 40
    assert str(token) == "***REDACTED***"


def test_loader_reports_a_bad_verify_with_file_and_line(tmp_path: Path) -> None:
    text = EXAMPLE_ESTATE.read_text().replace(
        "  - path: kv/holding/payments-api\n",
        "  - path: kv/holding/payments-api\n    verify: {kind: http}\n",
        1,
    )
    assert "verify: {kind: http}" in text
    target = tmp_path / "estate.yaml"
    target.write_text(text)
    with pytest.raises(DocumentInvalid) as info:
        load_estate(target)
    [problem] = info.value.problems
    assert "needs an http(s) url" in problem.message
    assert problem.location.line is not None and problem.location.file == str(target)
