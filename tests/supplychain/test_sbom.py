"""SBOM builder choice, validation and diff (licences included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seccli.core.errors import InputError
from seccli.supplychain.sbom import diff_sboms, plan_for_path, validate_sbom


def bom(*components: dict[str, object]) -> dict[str, object]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "components": list(components),
    }


def test_builder_is_chosen_from_the_project(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="found nothing to describe"):
        plan_for_path(tmp_path)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    assert plan_for_path(tmp_path).builder == "environment"
    # A pyproject.toml alone is read (PEP 621), no longer refused.
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\nversion='1'\n")
    plan = plan_for_path(tmp_path)
    assert plan.builder == "lockfiles" and plan.files == (str(tmp_path / "pyproject.toml"),)
    (tmp_path / "requirements.txt").write_text("a==1\n")
    assert plan_for_path(tmp_path).files == (str(tmp_path / "requirements.txt"),)
    (tmp_path / "poetry.lock").write_text("")
    assert plan_for_path(tmp_path).files == (str(tmp_path / "poetry.lock"),)
    (tmp_path / "Pipfile.lock").write_text("{}")
    argv = plan_for_path(tmp_path / "Pipfile.lock").argv("python")
    assert argv[:4] == ["python", "-m", "cyclonedx_py", "pipenv"]
    assert "--output-reproducible" in argv and argv[argv.index("--sv") + 1] == "1.6"


def test_validation_refuses_non_cyclonedx_and_invalid_documents() -> None:
    validate_sbom(json.dumps(bom({"type": "library", "name": "a", "version": "1"})), "ok.json")
    with pytest.raises(InputError, match="not a CycloneDX SBOM"):
        validate_sbom('{"spdxVersion": "SPDX-2.3"}', "spdx.json")
    with pytest.raises(InputError, match="not valid CycloneDX 1.6"):
        validate_sbom(json.dumps(bom({"type": "no-such-type", "name": "a"})), "bad.json")
    with pytest.raises(InputError, match="unsupported CycloneDX specVersion"):
        validate_sbom('{"bomFormat": "CycloneDX", "specVersion": "0.9"}', "old.json")


def test_diff_versions_licences_groups_and_nesting() -> None:
    old = bom(
        {
            "type": "library",
            "name": "requests",
            "version": "2.31.0",
            "licenses": [{"license": {"id": "Apache-2.0"}}],
        },
        {"type": "library", "name": "left_pad", "version": "1.0"},
        {"type": "library", "group": "org.acme", "name": "core", "version": "1"},
    )
    new = bom(
        {
            "type": "library",
            "name": "requests",
            "version": "2.31.0",
            "licenses": [{"expression": "MIT OR Apache-2.0"}],
        },
        {"type": "library", "name": "left-pad", "version": "1.0"},
        {
            "type": "library",
            "group": "org.acme",
            "name": "core",
            "version": "2",
            "components": [{"type": "library", "name": "vendored", "version": "0.1"}],
        },
    )
    diff = diff_sboms(old, new)
    assert [entry.name for entry in diff.added] == ["vendored"]
    assert diff.removed == ()
    changes = {c.name: c for c in diff.changed}
    assert set(changes) == {"org.acme/core", "requests"}
    assert changes["requests"].old_licenses == ("Apache-2.0",)
    assert changes["requests"].new_licenses == ("MIT OR Apache-2.0",)
    assert changes["org.acme/core"].new_version == "2"
    assert diff_sboms(old, old).empty
