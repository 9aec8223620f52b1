"""CACAO 2.0 interchange: export a playbook as CACAO JSON, import CACAO JSON as a playbook.

Identifiers are UUIDv4 (``<type>--<uuid>``), kept stable in a lock file beside the playbook
(``NAME.ids.json``: the playbook id, its timestamps, the start step and one id per step).
What CACAO has no field for (the action and its arguments, retries, inputs...) travels in a
seccli extension (``step_extensions`` / ``playbook_extensions``), so export → import → export
gives the same bytes. Exports validate against the official OASIS CACAO 2.0 JSON schemas, shipped
as package data in ``seccli/soar/cacao_schemas/`` (the files ``playbook.json`` reaches through
``$ref``); imports are checked against them and then, because the schemas accept dangling
references, by the same graph checks as every playbook.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from seccli.core.atomic import atomic_write_bytes
from seccli.core.documents import Document, load_document
from seccli.core.errors import DependencyError, DocumentInvalid, InputError, Problem
from seccli.core.userdoc import validate_user_document
from seccli.soar.interface import SoarConfig
from seccli.soar.model import (
    ActionStep,
    IfStep,
    ParallelStep,
    Playbook,
    PlaybookActionStep,
    SwitchStep,
    WhileStep,
)

EXTENSION = "extension-definition--5f7c3c1e-8a3b-4d2e-9c61-2b9f0c6d7a41"
IDENTITY = "identity--0d2c1f6e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
AGENT = "organization--7a1e9c3d-2b4f-4e6a-9d8c-1f0e2d3c4b5a"
EPOCH = "2026-01-01T00:00:00.000Z"
_STEP_TYPES = {
    "action": "action",
    "if-condition": "if-condition",
    "switch-condition": "switch-condition",
    "while-condition": "while-condition",
    "parallel": "parallel",
    "playbook-action": "playbook-action",
    "end": "end",
}


SCHEMA_FOLDER = "cacao_schemas"


def _schema_files() -> list[tuple[str, bytes]]:
    """(relative path, bytes) of every shipped CACAO schema, sorted by path."""
    root = resources.files("seccli.soar").joinpath(SCHEMA_FOLDER)
    found: list[tuple[str, bytes]] = []
    pending: list[tuple[str, Traversable]] = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                pending.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".json"):
                found.append((prefix + entry.name, entry.read_bytes()))
    if not any(name == "playbook.json" for name, _ in found):
        raise DependencyError(f"the CACAO 2.0 schemas are missing from seccli/soar/{SCHEMA_FOLDER}")
    return sorted(found)


@cache
def _validator() -> Any:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resources_by_id = []
    root: Any = None
    for name, raw in _schema_files():
        contents = json.loads(raw)
        resources_by_id.append(
            (contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7))
        )
        if name == "playbook.json":
            root = contents
    registry: Any = Registry().with_resources(resources_by_id)
    cls = jsonschema.validators.validator_for(root)
    return cls(root, registry=registry)


def schema_problems(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) of every CACAO schema violation of ``data``."""
    found = [
        (tuple(error.absolute_path), error.message[:300])
        for error in _validator().iter_errors(data)
    ]
    return sorted(found, key=lambda e: (list(map(str, e[0])), e[1]))


def lock_path(playbook_file: Path) -> Path:
    """The id lock file beside a playbook file."""
    return playbook_file.with_name(playbook_file.stem + ".ids.json")


def _new_id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


@dataclass
class Lock:
    """The stable identifiers of one playbook."""

    playbook: str
    created: str
    modified: str
    start: str
    steps: dict[str, str]

    def to_bytes(self) -> bytes:
        data = {
            "playbook": self.playbook,
            "created": self.created,
            "modified": self.modified,
            "start": self.start,
            "steps": dict(sorted(self.steps.items())),
        }
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def read_lock(path: Path) -> Lock | None:
    """The lock at ``path`` (None when there is none)."""
    if not path.exists():
        return None
    data = load_document(path).data
    try:
        return Lock(
            playbook=str(data["playbook"]),
            created=str(data["created"]),
            modified=str(data["modified"]),
            start=str(data["start"]),
            steps={str(k): str(v) for k, v in dict(data["steps"]).items()},
        )
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{path}: not a playbook id lock") from None


def ensure_lock(playbook: Playbook, file: Path) -> Lock:
    """The lock of ``playbook``, completed with new ids (and written) where it lacks any."""
    path = lock_path(file)
    lock = read_lock(path)
    changed = lock is None
    if lock is None:
        lock = Lock(_new_id("playbook"), EPOCH, EPOCH, _new_id("start"), {})
    for name, step in playbook.steps.items():
        kind = _STEP_TYPES[step.type]
        current = lock.steps.get(name)
        if current is None or not current.startswith(kind + "--"):
            lock.steps[name] = _new_id(kind)
            changed = True
    for name in list(lock.steps):
        if name not in playbook.steps:
            del lock.steps[name]
            changed = True
    if changed:
        atomic_write_bytes(path, lock.to_bytes())
    return lock


def to_cacao(playbook: Playbook, lock: Lock, called_ids: dict[str, str]) -> dict[str, Any]:
    """The CACAO 2.0 document of ``playbook``."""
    ids = lock.steps
    workflow: dict[str, Any] = {
        lock.start: {"type": "start", "name": "start", "on_completion": ids[playbook.start]}
    }
    for name, step in playbook.steps.items():
        workflow[ids[name]] = _step(name, step, ids, called_ids)
    meta = playbook.metadata
    document: dict[str, Any] = {
        "type": "playbook",
        "spec_version": "cacao-2.0",
        "id": lock.playbook,
        "name": meta.name,
        "created_by": IDENTITY,
        "created": lock.created,
        "modified": lock.modified,
        "workflow_start": lock.start,
        "workflow": workflow,
        "agent_definitions": {AGENT: {"type": "organization", "name": "seccli"}},
        "extension_definitions": {
            EXTENSION: {
                "type": "extension-definition",
                "name": "seccli playbook",
                "created_by": IDENTITY,
                "schema": "https://seccli.dev/schemas/playbook.json",
                "version": "1",
            }
        },
        "playbook_extensions": {
            EXTENSION: {
                "inputs": [i.model_dump(mode="json", by_alias=True) for i in playbook.inputs],
                "variables": {
                    k: v.model_dump(mode="json", by_alias=True)
                    for k, v in playbook.variables.items()
                },
            }
        },
    }
    if meta.description:
        document["description"] = meta.description
    if meta.playbook_types:
        document["playbook_types"] = list(meta.playbook_types)
    if meta.labels:
        document["labels"] = list(meta.labels)
    variables = {
        f"__{i.name}__": {"type": _cacao_type(i.type), "external": True} for i in playbook.inputs
    }
    if variables:
        document["playbook_variables"] = variables
    return document


def _cacao_type(kind: str) -> str:
    return {
        "integer": "integer",
        "number": "float",
        "boolean": "bool",
        "mapping": "dictionary",
    }.get(kind, "string")


def _step(name: str, step: Any, ids: dict[str, str], called: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": step.type, "name": name}
    if step.description:
        out["description"] = step.description

    def ref(target: str | None) -> str | None:
        return ids.get(target, target) if target else None

    extension: dict[str, Any] = {}
    if isinstance(step, ActionStep):
        out["commands"] = [{"type": "manual", "command": f"seccli action {step.action}"}]
        out["agent"] = AGENT
        if step.timeout_seconds:
            out["timeout"] = max(1, int(step.timeout_seconds * 1000))
        extension = step.model_dump(
            mode="json",
            by_alias=True,
            exclude={"type", "description", "on_success", "on_failure", "on_completion"},
            exclude_defaults=True,
        )
        extension["action"] = step.action
    if isinstance(step, ActionStep | PlaybookActionStep):
        for key in ("on_success", "on_failure", "on_completion"):
            if getattr(step, key):
                out[key] = ref(getattr(step, key))
    if isinstance(step, IfStep):
        out["condition"] = step.condition
        out["on_true"] = ref(step.on_true)
        if step.on_false:
            out["on_false"] = ref(step.on_false)
    if isinstance(step, WhileStep):
        out["condition"] = step.condition
        out["on_true"] = ref(step.on_true)
        if step.on_completion:
            out["on_completion"] = ref(step.on_completion)
        extension = {"maxIterations": step.max_iterations}
    if isinstance(step, SwitchStep):
        out["switch"] = step.switch
        out["cases"] = {key: ref(target) for key, target in step.cases.items()}
    if isinstance(step, ParallelStep):
        out["next_steps"] = [ref(t) for t in step.next_steps]
        if step.on_completion:
            out["on_completion"] = ref(step.on_completion)
    if isinstance(step, PlaybookActionStep):
        out["playbook_id"] = called[step.playbook]
        if step.inputs:
            out["in_args"] = sorted(f"__{k}__" for k in step.inputs)
        extension = {"playbook": step.playbook, "inputs": step.inputs}
    if extension:
        out["step_extensions"] = {EXTENSION: extension}
    return out


def export_playbook(
    playbook: Playbook, file: Path, resolve_file: Callable[[str], Path | None] | None = None
) -> bytes:
    """CACAO 2.0 JSON of the playbook at ``file`` (schema-checked; locks written as needed)."""
    lock = ensure_lock(playbook, file)
    called: dict[str, str] = {}
    for step in playbook.steps.values():
        if isinstance(step, PlaybookActionStep):
            other = (resolve_file or (lambda n: file.with_name(f"{n}.yaml")))(step.playbook)
            if other is None or not other.exists():
                raise InputError(f"playbook {step.playbook!r} not found beside {file}")
            other_lock = read_lock(lock_path(other))
            if other_lock is None:
                called_playbook = validate_user_document(load_document(other), Playbook)
                other_lock = ensure_lock(called_playbook, other)
            called[step.playbook] = other_lock.playbook
    document = to_cacao(playbook, lock, called)
    problems = schema_problems(document)
    if problems:  # a bug of the exporter: never write an invalid document
        path, message = problems[0]
        raise InputError(
            f"export of {playbook.metadata.name} fails the CACAO schema at "
            f"{'/'.join(map(str, path))}: {message}"
        )
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# -- import --------------------------------------------------------------------------------


@dataclass
class Imported:
    """An imported playbook: its YAML text and id lock."""

    playbook: Playbook
    yaml: str
    lock: bytes


def import_playbook(
    file: Path, resolve: Callable[[str], Playbook | None], config: SoarConfig | None = None
) -> Imported:
    """Read a CACAO 2.0 file; schema and graph problems are ``DocumentInvalid`` (exit 2)."""
    from seccli.soar.validate import check_playbook

    document = load_document(file)
    problems = [
        Problem(document.locate(path), f"CACAO schema: {message}")
        for path, message in schema_problems(document.data)
    ]
    if problems:
        raise DocumentInvalid(problems)
    data: dict[str, Any] = document.data
    workflow: dict[str, Any] = data["workflow"]
    names, lines = _names(workflow, document)
    start = workflow.get(data["workflow_start"])
    if not isinstance(start, dict) or start.get("type") != "start":
        raise DocumentInvalid(
            [Problem(document.locate(("workflow_start",)), "workflow_start is not a start step")]
        )
    extension = (data.get("playbook_extensions") or {}).get(EXTENSION) or {}
    steps: dict[str, Any] = {}
    problems = []
    for step_id, step in workflow.items():
        if step.get("type") == "start":
            continue
        try:
            steps[names[step_id]] = _from_cacao(step, names)
        except ValueError as exc:
            problems.append(Problem(document.locate(("workflow", step_id)), str(exc)))
    first = start.get("on_completion") or start.get("on_success")
    body: dict[str, Any] = {
        "apiVersion": "seccli.io/v1",
        "kind": "Playbook",
        "metadata": {
            "name": data["name"],
            "description": data.get("description", ""),
            "labels": list(data.get("labels") or []),
            "playbookTypes": list(data.get("playbook_types") or []),
        },
        "inputs": extension.get("inputs") or _inputs_of(data),
        "variables": extension.get("variables") or {},
        "start": names.get(first, first) if isinstance(first, str) else "",
        "steps": steps,
    }
    lines[("start",)] = document.line_of(("workflow_start",))
    synthetic = Document(str(file), 0, body, document.start_line, lines)
    playbook = validate_user_document(synthetic, Playbook)
    problems.extend(check_playbook(playbook, synthetic, config or SoarConfig(), resolve))
    if problems:
        raise DocumentInvalid(problems)
    lock = Lock(
        playbook=str(data["id"]),
        created=str(data["created"]),
        modified=str(data["modified"]),
        start=str(data["workflow_start"]),
        steps={names[i]: i for i in workflow if workflow[i].get("type") != "start"},
    )
    return Imported(playbook, _yaml(body), lock.to_bytes())


def _names(
    workflow: dict[str, Any], document: Document
) -> tuple[dict[str, str], dict[tuple[str | int, ...], int]]:
    """A step name per CACAO id (its ``name`` when usable and unique), and their lines."""
    import re

    names: dict[str, str] = {}
    used: set[str] = set()
    lines: dict[tuple[str | int, ...], int] = {}
    for index, (step_id, step) in enumerate(workflow.items()):
        wanted = str(step.get("name") or "") if isinstance(step, dict) else ""
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,62}", wanted) or wanted in used:
            wanted = f"{step_id.split('--')[0]}-{index + 1}"
        used.add(wanted)
        names[step_id] = wanted
        lines[("steps", wanted)] = document.line_of(("workflow", step_id))
    return names, lines


def _from_cacao(step: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    def ref(target: Any) -> Any:
        return names.get(target, target) if isinstance(target, str) else target

    kind = step["type"]
    extension = (step.get("step_extensions") or {}).get(EXTENSION) or {}
    out: dict[str, Any] = {"type": kind}
    if step.get("description"):
        out["description"] = step["description"]
    if kind == "action":
        if extension:
            out.update(dict(extension))
        else:
            commands = step.get("commands") or []
            text = "; ".join(str(c.get("command") or c.get("type")) for c in commands)
            out["action"] = "log"
            out["args"] = {"message": f"manual: {text}"}
    elif kind == "playbook-action":
        if not extension:
            raise ValueError("a playbook-action without the seccli extension names no playbook")
        out.update(extension)
    elif kind in ("if-condition", "while-condition"):
        out["condition"] = step["condition"]
        out["onTrue"] = ref(step["on_true"])
        if kind == "if-condition" and step.get("on_false"):
            out["onFalse"] = ref(step["on_false"])
        if kind == "while-condition" and extension.get("maxIterations"):
            out["maxIterations"] = extension["maxIterations"]
    elif kind == "switch-condition":
        out["switch"] = step["switch"]
        out["cases"] = {key: ref(t) for key, t in step["cases"].items()}
    elif kind == "parallel":
        out["nextSteps"] = [ref(t) for t in step["next_steps"]]
    for key, camel in (
        ("on_success", "onSuccess"),
        ("on_failure", "onFailure"),
        ("on_completion", "onCompletion"),
    ):
        if step.get(key) and kind != "end" and kind not in ("if-condition", "switch-condition"):
            out[camel] = ref(step[key])
    return out


def _inputs_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    kinds = {"integer": "integer", "float": "number", "bool": "boolean", "dictionary": "mapping"}
    found = []
    for key, spec in sorted((data.get("playbook_variables") or {}).items()):
        if isinstance(spec, dict) and spec.get("external"):
            found.append(
                {"name": key.strip("_"), "type": kinds.get(str(spec.get("type")), "string")}
            )
    return found


def _yaml(body: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False, allow_unicode=True)
