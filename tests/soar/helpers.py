"""Writing small playbooks for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def write_playbook(
    folder: Path,
    name: str,
    steps: dict[str, Any],
    *,
    start: str | None = None,
    inputs: list[dict[str, Any]] | None = None,
    variables: dict[str, Any] | None = None,
) -> Path:
    """Write a playbook ``name`` into ``folder``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    body = {
        "apiVersion": "seccli.io/v1",
        "kind": "Playbook",
        "metadata": {"name": name, "description": f"test playbook {name}"},
        "inputs": inputs or [],
        "variables": variables or {},
        "start": start or next(iter(steps)),
        "steps": steps,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def http_step(path: str, **extra: Any) -> dict[str, Any]:
    """An http.request step to the ``edge`` endpoint at ``path``."""
    return {
        "type": "action",
        "action": "http.request",
        "args": {"endpoint": "edge", "path": path, "body": {"p": path}},
        **extra,
    }


def chain(paths: list[str]) -> dict[str, Any]:
    """Sequential http steps s1..sN then an end step."""
    steps: dict[str, Any] = {}
    for index, path in enumerate(paths, 1):
        following = f"s{index + 1}" if index < len(paths) else "done"
        steps[f"s{index}"] = http_step(path, onSuccess=following)
    steps["done"] = {"type": "end"}
    return steps
