"""Deterministic YAML output: sorted keys, block style, explicit document starts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc]
    """Safe dumper writing multi-line strings as literal blocks."""


def _str(dumper: Any, value: str) -> Any:
    style = (
        "|"
        if "\n" in value and not any(line != line.rstrip() for line in value.split("\n"))
        else None
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_documents(objects: Iterable[Any]) -> str:
    """Serialise objects as a multi-document YAML stream (``---`` before each)."""
    return yaml.dump_all(
        list(objects),
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        explicit_start=True,
        allow_unicode=True,
        width=4096,
    )


def dump_document(obj: Any) -> str:
    """Serialise one object as YAML (no document marker)."""
    return yaml.dump(
        obj,
        Dumper=_Dumper,
        sort_keys=True,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
    )
