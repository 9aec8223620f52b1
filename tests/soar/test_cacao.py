"""CACAO 2.0: exports validate against the official schemas, ids are stable, round trips are
byte-identical, imports run the schema and graph checks."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from seccli.core.errors import DocumentInvalid
from seccli.soar.cacao import export_playbook, import_playbook, lock_path, schema_problems
from seccli.soar.interface import SoarConfig
from seccli.soar.loader import PlaybookLibrary
from tests.soar.conftest import PLAYBOOKS, SHIPPED

UUID4 = re.compile(
    r"^[a-z][a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    folder = tmp_path / "playbooks"
    shutil.copytree(PLAYBOOKS, folder)
    return folder


def _export(folder: Path, name: str) -> bytes:
    library = PlaybookLibrary((folder,), SoarConfig())
    playbook, _, path = library.validated(name)
    return export_playbook(playbook, path)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_playbook_exports_schema_valid_cacao(name: str, copied: Path) -> None:
    data = json.loads(_export(copied, name))
    assert schema_problems(data) == []
    assert data["spec_version"] == "cacao-2.0"
    for step_id, step in data["workflow"].items():
        assert UUID4.match(step_id), step_id
        assert step_id.startswith(step["type"] + "--")
    # the shipped lock files already hold every id: exporting changes nothing on disk
    assert (
        lock_path(copied / f"{name}.yaml").read_bytes()
        == lock_path(PLAYBOOKS / f"{name}.yaml").read_bytes()
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_export_import_export_is_byte_identical(name: str, copied: Path, tmp_path: Path) -> None:
    first = _export(copied, name)
    exported = tmp_path / f"{name}.json"
    exported.write_bytes(first)
    library = PlaybookLibrary((copied,), SoarConfig())
    imported = import_playbook(exported, library.resolve)
    again = tmp_path / "again"
    again.mkdir()
    for other in (p for p in copied.glob("*") if p.is_file()):
        shutil.copy(other, again / other.name)
    (again / f"{name}.yaml").write_text(imported.yaml)
    lock_path(again / f"{name}.yaml").write_bytes(imported.lock)
    assert _export(again, name) == first


def test_ids_are_stable_and_new_steps_get_new_ids(copied: Path) -> None:
    first = json.loads(_export(copied, "crypto-miner"))
    second = json.loads(_export(copied, "crypto-miner"))
    assert first == second
    text = (copied / "crypto-miner.yaml").read_text()
    text = text.replace(
        "    onCompletion: done\n  done:",
        "    onCompletion: extra\n  extra:\n"
        "    type: action\n    action: log\n    args:\n      message: x\n"
        "    onCompletion: done\n  done:",
    )
    (copied / "crypto-miner.yaml").write_text(text)
    third = json.loads(_export(copied, "crypto-miner"))
    old = {s["name"]: i for i, s in first["workflow"].items()}
    new = {s["name"]: i for i, s in third["workflow"].items()}
    assert {k: new[k] for k in old} == old
    assert UUID4.match(new["extra"])


def test_export_without_lock_creates_one(tmp_path: Path) -> None:
    folder = tmp_path / "pb"
    folder.mkdir()
    shutil.copy(PLAYBOOKS / "ddos-edge.yaml", folder)
    assert not lock_path(folder / "ddos-edge.yaml").exists()
    first = _export(folder, "ddos-edge")
    assert lock_path(folder / "ddos-edge.yaml").exists()
    assert _export(folder, "ddos-edge") == first


def _cacao(copied: Path, name: str = "crypto-miner") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_export(copied, name))
    return data


def _import_problems(tmp_path: Path, data: Any, copied: Path) -> list[str]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(DocumentInvalid) as caught:
        import_playbook(path, PlaybookLibrary((copied,), SoarConfig()).resolve)
    return [str(p) for p in caught.value.problems]


def test_import_rejects_schema_violations(tmp_path: Path, copied: Path) -> None:
    data = _cacao(copied)
    data["spec_version"] = "cacao-1.0"
    del data["created"]
    problems = _import_problems(tmp_path, data, copied)
    assert any("spec_version" in p for p in problems)
    assert any("'created' is a required property" in p for p in problems)
    assert all(p.startswith(str(tmp_path / "in.json") + ":") for p in problems)


def test_import_rejects_dangling_references_the_schema_accepts(
    tmp_path: Path, copied: Path
) -> None:
    data = _cacao(copied)
    step = next(s for s in data["workflow"].values() if s.get("name") == "scale")
    step["on_completion"] = "action--3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    assert schema_problems(data) == []  # the published schemas let this through
    problems = _import_problems(tmp_path, data, copied)
    assert any("does not exist" in p for p in problems), problems


def test_import_rejects_cycles_and_unreachable_steps(tmp_path: Path, copied: Path) -> None:
    data = _cacao(copied)
    ids = {s.get("name"): i for i, s in data["workflow"].items()}
    data["workflow"][ids["cordon"]]["on_completion"] = ids["quarantine"]
    problems = _import_problems(tmp_path, data, copied)
    assert any("cycle" in p for p in problems), problems
    assert any("not reachable" in p for p in problems), problems  # evidence, page


SCHEMAS = Path(__file__).resolve().parents[2] / "seccli" / "soar" / "cacao_schemas"
OFFICIAL = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "cacao" / "schemas"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for key, value in node.items() if key != "$ref" for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_shipped_schemas_are_closed_under_ref() -> None:
    """Every $ref of the shipped schemas resolves to a shipped file, and every file is needed."""
    from urllib.parse import urljoin

    by_id = {}
    for path in SCHEMAS.rglob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        by_id[contents["$id"]] = contents
    root = json.loads((SCHEMAS / "playbook.json").read_text(encoding="utf-8"))["$id"]
    reached, pending, dangling = set(), [root], []
    while pending:
        current = pending.pop()
        if current in reached:
            continue
        reached.add(current)
        for ref in _refs(by_id[current]):
            target = urljoin(current, ref).split("#")[0]
            if target and target not in by_id:
                dangling.append((current, ref))
            elif target:
                pending.append(target)
    assert not dangling
    assert reached == set(by_id), sorted(set(by_id) - reached)
    assert (SCHEMAS / "LICENSE").read_text().startswith(" " * 33 + "Apache License")


@pytest.mark.skipif(not OFFICIAL.is_dir(), reason="the shared OASIS schema folder is not present")
def test_shipped_schemas_are_unchanged_copies_of_the_official_ones() -> None:
    shipped = sorted(p.relative_to(SCHEMAS) for p in SCHEMAS.rglob("*.json"))
    assert len(shipped) >= 30
    for relative in shipped:
        assert (SCHEMAS / relative).read_bytes() == (OFFICIAL / relative).read_bytes(), relative


def test_the_shipped_validator_reports_missing_required_fields() -> None:
    """The shipped copy is the one in use: a basic violation is found through it."""
    problems = schema_problems({"type": "playbook", "spec_version": "cacao-2.0"})
    assert problems and any("required" in message for _, message in problems)
