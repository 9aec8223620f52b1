"""Deterministic, fast YAML output for JSON-like data (dicts, lists, str, int, bool, None).

Block style with sorted keys, as PyYAML's ``safe_dump(sort_keys=True)`` would lay it out, but
written directly: generating thousands of policies spends its time here. Small leaf
collections (selectors, port entries: one line of at most ``FLOW_WIDTH`` characters) are
written as JSON flow collections, which YAML reads as the same values. Strings are plain
only when no YAML 1.1 or 1.2 reader could take them for anything else (a number, a boolean,
null, an indicator); otherwise they are double-quoted with JSON escapes (valid YAML). Multi-line
strings without trailing spaces are literal blocks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./:@*-]*$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL)$"
)
FLOW_WIDTH = 80
# Not in a literal block: controls, tabs, YAML's other line breaks (NEL, LS, PS), BOM and
# non-characters.
_BLOCK_SAFE = re.compile(
    r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f\t\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*$"
)


_KEYS: dict[str, str] = {}


def _key(key: str) -> str:
    text = _KEYS.get(key)
    if text is None:
        text = _scalar(key)
        if len(_KEYS) < 10_000:
            _KEYS[key] = text
    return text


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, str):
        if _PLAIN.match(value) and not value.endswith(":") and not _RESERVED.match(value):
            return value
        return _encode_str(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _block_lines(text: str) -> list[str] | None:
    """Lines of a literal block for ``text``, or None when it cannot be one."""
    if "\n" not in text or not _BLOCK_SAFE.match(text) or text.startswith((" ", "\n")):
        return None
    body = text[:-1] if text.endswith("\n") else text
    if body.endswith("\n"):
        return None  # several trailing newlines: quote instead
    lines = body.split("\n")
    if any(line != line.rstrip() for line in lines):
        return None
    return lines


_ascii_json: Any = getattr(json.encoder, "encode_basestring_ascii", None) or (
    lambda text: json.dumps(text, ensure_ascii=True)
)
# A surrogate-pair escape not itself preceded by an escaped backslash.
_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _astral(match: re.Match[str]) -> str:
    high, low = int(match.group(2), 16), int(match.group(3), 16)
    return f"{match.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


def _encode_str(text: str) -> str:
    """A double-quoted scalar: JSON escapes, except characters beyond U+FFFF, which JSON
    writes as surrogate pairs and YAML reads as two invalid characters: ``\\UXXXXXXXX``."""
    quoted = str(_ascii_json(text))
    return _PAIR.sub(_astral, quoted) if "\\ud" in quoted else quoted


def _annotate(value: Any, flows: dict[int, str]) -> str | None:
    """JSON text of ``value`` if it fits on one flow line; records every container that does.

    One post-order pass, so each node is visited once whatever its depth.
    """
    if isinstance(value, str):
        return None if "\n" in value else str(_encode_str(value))
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, dict):
        parts: list[str] | None = []
        total = 2
        for key in sorted(value):
            child = value[key]
            kind = type(child)
            if kind is str:
                text = None if "\n" in child else _encode_str(child)
            elif kind is int:
                text = str(child)
            else:
                text = _annotate(child, flows)
            if parts is None or text is None or not isinstance(key, str):
                parts = None
                continue
            part = f"{_encode_str(key)}: {text}"
            total += len(part) + 2
            parts = parts if total <= FLOW_WIDTH else None
            if parts is not None:
                parts.append(part)
        if parts is None or not value:
            return None if parts is None else "{}"
        flow = "{" + ", ".join(parts) + "}"
    elif isinstance(value, list):
        items: list[str] | None = []
        total = 2
        for item in value:
            kind = type(item)
            if kind is str:
                text = None if "\n" in item else _encode_str(item)
            elif kind is int:
                text = str(item)
            else:
                text = _annotate(item, flows)
            if items is None or text is None:
                items = None
                continue
            total += len(text) + 2
            items = items if total <= FLOW_WIDTH else None
            if items is not None:
                items.append(text)
        if items is None or not value:
            return None if items is None else "[]"
        flow = "[" + ", ".join(items) + "]"
    else:
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    flows[id(value)] = flow
    return flow


def _value(
    lead: str,
    value: Any,
    indent: int,
    out: list[str],
    flows: dict[int, str],
    allow_flow: bool = True,
) -> None:
    """Write ``value`` after ``lead`` (``"key:"`` or ``"-"``) at ``indent``."""
    if allow_flow and isinstance(value, dict | list) and value:
        flow = flows.get(id(value))
        if flow is not None:
            out.append(f"{lead} {flow}")
            return
    if isinstance(value, dict) and value:
        if lead.endswith("-"):
            _mapping(value, indent + 2, out, flows, lead + " ")
        else:
            out.append(lead)
            _mapping(value, indent + 2, out, flows)
        return
    if isinstance(value, list) and value:
        out.append(lead)
        _sequence(value, indent if not lead.endswith("-") else indent + 2, out, flows)
        return
    if isinstance(value, dict):
        out.append(f"{lead} {{}}")
        return
    if isinstance(value, list):
        out.append(f"{lead} []")
        return
    if isinstance(value, str):
        lines = _block_lines(value)
        if lines is not None:
            out.append(f"{lead} {'|' if value.endswith(chr(10)) else '|-'}")
            pad = " " * (indent + 2)
            out.extend(pad + line if line else "" for line in lines)
            return
    out.append(f"{lead} {_scalar(value)}")


def _mapping(
    data: dict[str, Any],
    indent: int,
    out: list[str],
    flows: dict[int, str],
    first: str | None = None,
) -> None:
    pad = " " * indent
    for position, key in enumerate(sorted(data)):
        lead = first if (position == 0 and first is not None) else pad
        _value(f"{lead}{_key(key)}:", data[key], indent, out, flows)


def _sequence(items: list[Any], indent: int, out: list[str], flows: dict[int, str]) -> None:
    pad = " " * indent
    # Items of one list look alike: flow only if every collection among them fits.
    uniform = all(id(item) in flows for item in items if isinstance(item, dict | list) and item)
    for item in items:
        _value(f"{pad}-", item, indent, out, flows, uniform)


def dump_document(obj: Any) -> str:
    """One value as YAML (no document marker)."""
    out: list[str] = []
    flows: dict[int, str] = {}
    _annotate(obj, flows)
    if isinstance(obj, dict) and obj:
        _mapping(obj, 0, out, flows)
    elif isinstance(obj, list) and obj:
        _sequence(obj, 0, out, flows)
    else:
        out.append(
            "[]" if isinstance(obj, list) else "{}" if isinstance(obj, dict) else _scalar(obj)
        )
    return "\n".join(out) + "\n"


def dump_documents(objects: Iterable[Any]) -> str:
    """Values as a multi-document YAML stream (``---`` before each)."""
    return "".join("---\n" + dump_document(obj) for obj in objects)
