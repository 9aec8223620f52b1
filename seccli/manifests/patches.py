"""Kustomize patches: strategic merge (the part whose semantics are certain) and JSON 6902.

A strategic-merge patch merges mappings, deletes keys set to null, and treats lists by the
Kubernetes patch strategy of their field. Only fields whose strategy is known here are accepted:
every list of a NetworkPolicy (replaced), and in pod specs the containers, volumes, ports, env
and mounts (merged by key) and command/args (replaced). Any other list, and every ``$patch`` /
``$retainKeys``-style directive, is refused (exit 2) instead of guessed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

from seccli.core.errors import InputError

_POD_SPEC_AT = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
# Lists inside a pod spec: merge key, or None for "replace".
_POD_LISTS: dict[tuple[str, ...], str | None] = {
    ("volumes",): "name",
    ("imagePullSecrets",): "name",
    ("hostAliases",): "ip",
    **{(c,): "name" for c in _CONTAINER_LISTS},
    **{(c, "ports"): "containerPort" for c in _CONTAINER_LISTS},
    **{(c, "env"): "name" for c in _CONTAINER_LISTS},
    **{(c, "volumeMounts"): "mountPath" for c in _CONTAINER_LISTS},
    **{(c, "volumeDevices"): "devicePath" for c in _CONTAINER_LISTS},
    **{(c, "command"): None for c in _CONTAINER_LISTS},
    **{(c, "args"): None for c in _CONTAINER_LISTS},
}


def strategic_merge(target: dict[str, Any], patch: dict[str, Any], where: str) -> dict[str, Any]:
    """``target`` with the strategic-merge ``patch`` applied (``target`` is not modified)."""
    kind = str(target.get("kind", ""))
    body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
    meta = body.get("metadata")
    if isinstance(meta, dict):
        body["metadata"] = {k: v for k, v in meta.items() if k not in ("name", "namespace")}
    result = copy.deepcopy(target)
    _merge_map(result, body, kind, (), where)
    return result


def _merge_map(
    target: dict[str, Any], patch: dict[str, Any], kind: str, path: tuple[str, ...], where: str
) -> None:
    for key, value in patch.items():
        if not isinstance(key, str):
            raise InputError(f"{where}: patch keys must be strings (at {_dotted(path)})")
        here = (*path, key)
        if key.startswith("$") or key.startswith("$setElementOrder/"):
            raise InputError(
                f"{where}: strategic-merge directive {key!r} at {_dotted(here)} is not supported",
                hint="write the patch as a JSON 6902 patch (a list of operations)",
            )
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_map(target[key], value, kind, here, where)
        elif isinstance(value, list):
            target[key] = _merge_list(target.get(key), value, kind, here, where)
        else:
            target[key] = _fresh(value, kind, here, where)


def _merge_list(
    current: Any, patch: list[Any], kind: str, path: tuple[str, ...], where: str
) -> list[Any]:
    known, key = _list_strategy(kind, path)
    if not known:
        raise InputError(
            f"{where}: a strategic-merge patch of the list {_dotted(path)} in a {kind} is not "
            "supported (its merge strategy is not known to seccli)",
            hint="write the patch as a JSON 6902 patch (a list of operations)",
        )
    if key is None or not isinstance(current, list):
        return [_fresh(item, kind, path, where) for item in patch]
    # Kustomize's order: the patch's items first (merged with their originals), then the
    # original items the patch does not name, in their order.
    merged: list[Any] = []
    named: set[int] = set()
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise InputError(f"{where}: each item of {_dotted(path)} needs its merge key {key!r}")
        if any(str(k).startswith("$") for k in item):
            raise InputError(
                f"{where}: strategic-merge directives in {_dotted(path)} are not supported"
            )
        index = next(
            (
                i
                for i, m in enumerate(current)
                if isinstance(m, dict) and m.get(key) == item[key] and i not in named
            ),
            None,
        )
        if index is None:
            merged.append(_fresh(item, kind, path, where))
        else:
            named.add(index)
            _merge_map(current[index], item, kind, path, where)
            merged.append(current[index])
    merged.extend(m for i, m in enumerate(current) if i not in named)
    return merged


def _list_strategy(kind: str, path: tuple[str, ...]) -> tuple[bool, str | None]:
    """(known, merge key or None for replace) for the list at ``path`` in a ``kind``."""
    if kind == "NetworkPolicy":
        return True, None
    prefix = _POD_SPEC_AT.get(kind)
    if prefix is not None and path[: len(prefix)] == prefix:
        relative = path[len(prefix) :]
        if relative in _POD_LISTS:
            return True, _POD_LISTS[relative]
    return False, None


def _fresh(value: Any, kind: str, path: tuple[str, ...], where: str) -> Any:
    """A new value from a patch: copied, with nulls and directives refused inside it."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and key.startswith("$"):
                raise InputError(f"{where}: strategic-merge directive {key!r} is not supported")
            if item is not None:
                out[key] = _fresh(item, kind, (*path, str(key)), where)
        return out
    if isinstance(value, list):
        return [_fresh(item, kind, path, where) for item in value]
    return value


def _dotted(path: Sequence[str]) -> str:
    return ".".join(path) or "(root)"


# -- JSON 6902 ------------------------------------------------------------------------------

_OPS = ("add", "remove", "replace", "move", "copy", "test")


def json_patch(target: dict[str, Any], operations: Any, where: str) -> dict[str, Any]:
    """``target`` with the RFC 6902 ``operations`` applied (``target`` is not modified)."""
    if not isinstance(operations, list):
        raise InputError(f"{where}: a JSON 6902 patch must be a list of operations")
    document: Any = copy.deepcopy(target)
    for index, op in enumerate(operations):
        here = f"{where}: operation {index}"
        if not isinstance(op, dict) or op.get("op") not in _OPS:
            raise InputError(f"{here}: needs an op, one of {', '.join(_OPS)}")
        unknown = set(op) - {"op", "path", "value", "from"}
        if unknown:
            raise InputError(f"{here}: unknown field {sorted(unknown)[0]!r}")
        name = op["op"]
        path = _pointer(op.get("path"), here)
        if name in ("add", "replace", "test") and "value" not in op:
            raise InputError(f"{here}: {name} needs a value")
        if name == "add":
            document = _add(document, path, copy.deepcopy(op["value"]), here)
        elif name == "remove":
            document = _remove(document, path, here)[0]
        elif name == "replace":
            document = _remove(document, path, here)[0]
            document = _add(document, path, copy.deepcopy(op["value"]), here)
        elif name == "test":
            if _get(document, path, here) != op["value"]:
                raise InputError(f"{here}: test failed at {op.get('path')}")
        else:
            source = _pointer(op.get("from"), here)
            if name == "move":
                if path[: len(source)] == source and path != source:
                    raise InputError(f"{here}: cannot move a value into itself")
                document, value = _remove(document, source, here)
            else:
                value = copy.deepcopy(_get(document, source, here))
            document = _add(document, path, value, here)
    if not isinstance(document, dict):
        raise InputError(f"{where}: the patch must leave an object")
    return document


def _pointer(text: Any, where: str) -> list[str]:
    if not isinstance(text, str) or (text and not text.startswith("/")):
        raise InputError(f"{where}: path must be a JSON pointer such as /spec/podSelector")
    if not text:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/")]


_INDEX = re.compile(r"^(0|[1-9][0-9]{0,8})$")


def _index(container: list[Any], token: str, where: str, *, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not _INDEX.match(token):
        raise InputError(f"{where}: {token!r} is not a list index")
    index = int(token)
    if index > len(container) or (not adding and index == len(container)):
        raise InputError(f"{where}: index {index} is out of range")
    return index


def _parent(document: Any, path: list[str], where: str) -> Any:
    return _get(document, path[:-1], where)


def _get(document: Any, path: list[str], where: str) -> Any:
    node = document
    for token in path:
        if isinstance(node, dict):
            if token not in node:
                raise InputError(f"{where}: path /{'/'.join(path)} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, where, adding=False)]
        else:
            raise InputError(f"{where}: path /{'/'.join(path)} does not exist")
    return node


def _add(document: Any, path: list[str], value: Any, where: str) -> Any:
    if not path:
        return value
    parent = _parent(document, path, where)
    token = path[-1]
    if isinstance(parent, dict):
        parent[token] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, token, where, adding=True), value)
    else:
        raise InputError(f"{where}: cannot add below a scalar at /{'/'.join(path)}")
    return document


def _remove(document: Any, path: list[str], where: str) -> tuple[Any, Any]:
    if not path:
        raise InputError(f"{where}: cannot remove the whole object")
    parent = _parent(document, path, where)
    token = path[-1]
    if isinstance(parent, dict):
        if token not in parent:
            raise InputError(f"{where}: path /{'/'.join(path)} does not exist")
        return document, parent.pop(token)
    if isinstance(parent, list):
        return document, parent.pop(_index(parent, token, where, adding=False))
    raise InputError(f"{where}: path /{'/'.join(path)} does not exist")
