"""A fast reader for the YAML dialect ``yamlout`` writes, with the line of every node.

Reading thousands of generated policies through a general YAML parser dominates ``prove``;
this reader accepts only the narrow block style ``yamlout`` emits (``key: value``, ``- item``,
plain scalars that cannot be retyped, JSON-quoted strings, literal blocks, ``{}``/``[]``) and
returns ``None`` for anything else (comments, flow collections, anchors, tags, single quotes,
duplicate keys, tabs, line breaks other than LF, characters YAML refuses, surrogate escapes,
over-long integers...), so the caller falls back to the safe general loader
(``seccli.core.documents``), which gives the same values and the exact errors. Values are the
ones the YAML 1.2 core schema gives. Identical flow collections within one file are returned
as one shared object: treat the values as read-only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from seccli.core.documents import Document
from seccli.core.location import DocPath

# Characters the fast reader leaves to the safe loader: line breaks other than LF (CR, NEL,
# LS, PS: YAML breaks lines there, str.split does not), and everything YAML does not allow
# raw (C0/C1 controls, DEL, surrogates, U+FFFE/U+FFFF), which the safe loader refuses.
_OUTSIDE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# \uD800-\uDFFF escapes: JSON pairs them into one character, YAML refuses them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_INT_DIGITS = 4000
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./:@*-]*$")
_INT = re.compile(r"^-?[0-9]+$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"null", "Null", "NULL"})


class _NotDialect(Exception):
    """The text uses YAML outside the dialect: let the general loader read it."""


_CACHE: dict[str, Any] = {}


def _scalar(text: str) -> Any:
    cached = _CACHE.get(text, _CACHE)
    if cached is not _CACHE:
        return cached
    if text.startswith(("{", "[")):
        raise _NotDialect  # flow collections are read by _Reader.flow
    value = _scalar_uncached(text)
    if len(_CACHE) < 100_000:
        _CACHE[text] = value
    return value


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(items)
    if len(result) != len(items):
        raise _NotDialect  # duplicate key: the general loader reports it
    return result


def _flow(text: str) -> Any:
    """A flow collection written as JSON."""
    if text.count("[") + text.count("{") > _MAX_FLOW_OPENINGS:
        raise _NotDialect  # possibly deeper than the loader allows: let it judge
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError):  # the general loader reports depth and big numbers
        raise _NotDialect from None
    if not isinstance(value, dict | list):
        raise _NotDialect
    return value


_MAX_FLOW_OPENINGS = 200  # below the general loader's depth limit (256)


def _no_float(text: str) -> Any:
    raise _NotDialect


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=_no_float)


def _scalar_uncached(text: str) -> Any:
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise _NotDialect
        try:
            value = json.loads(text)
        except ValueError:
            raise _NotDialect from None
        if not isinstance(value, str):
            raise _NotDialect
        return value
    if _INT.match(text):
        if len(text) > _MAX_INT_DIGITS:
            raise _NotDialect  # the safe loader reports the limit
        return int(text)
    if _PLAIN.match(text) and not text.endswith(":"):
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text in _NULL:
            return None
        return text
    raise _NotDialect


_KEYS: dict[str, str] = {}


def _key(text: str) -> str:
    known = _KEYS.get(text)
    if known is not None:
        return known
    if text.startswith(("{", "[")):
        raise _NotDialect
    value = _scalar(text)
    if not isinstance(value, str) or text in _RESERVED_KEYS:
        raise _NotDialect
    if len(_KEYS) < 10_000:
        _KEYS[text] = value
    return value


def _split_key(body: str) -> tuple[str, str | None]:
    """``key: rest`` → (key text, rest); ``key:`` → (key text, None)."""
    position = body.find(": ")
    if position > 0:
        return body[:position], body[position + 2 :]
    if body.endswith(":") and len(body) > 1:
        return body[:-1], None
    raise _NotDialect


def _is_pair(item: str) -> bool:
    return item.find(": ") > 0 or (item.endswith(":") and len(item) > 1)


_RESERVED_KEYS = _TRUE | _FALSE | _NULL


class _Reader:
    def __init__(self, lines: list[str], max_depth: int) -> None:
        self.lines = lines
        self.indents = [len(line) - len(line.lstrip(" ")) for line in lines]
        self.count = len(lines)
        self.max_depth = max_depth
        self.index = 0
        self.marks: dict[DocPath, int] = {}
        self.flows: dict[str, Any] = {}

    def indent_of(self, position: int) -> int:
        if not self.lines[position]:
            raise _NotDialect
        return self.indents[position]

    def more(self, indent: int) -> bool:
        index = self.index
        if index >= self.count or self.indents[index] != indent:
            return False
        if indent == 0:
            line = self.lines[index]
            return line != "" and not line.startswith("---")
        return True

    def node(self, indent: int, path: DocPath) -> Any:
        if len(path) > self.max_depth:
            raise _NotDialect
        line = self.lines[self.index]
        body = line[indent:]
        if body == "-" or body.startswith("- "):
            return self.sequence(indent, path)
        return self.mapping(indent, path)

    def flow(self, text: str) -> Any:
        """A flow collection; identical texts within a file share one (read-only) value."""
        value = self.flows.get(text)
        if value is None:
            value = _flow(text)
            self.flows[text] = value
        return value

    def value_after(self, rest: str | None, indent: int, path: DocPath, *, is_key: bool) -> Any:
        """The value of ``key:`` or ``-`` whose remainder is ``rest``; children at ``indent``."""
        if rest is not None:
            if rest in ("|", "|-"):
                return self.block(indent, rest == "|")
            if rest.startswith(("{", "[")):
                return self.flow(rest)
            return _scalar(rest)
        if self.index >= len(self.lines):
            return None
        line = self.lines[self.index]
        if line == "" or line.startswith("---"):
            return None
        child = self.indent_of(self.index)
        body = line[child:]
        if child == indent:
            return self.node(child, path)
        if is_key and child == indent - 2 and (body == "-" or body.startswith("- ")):
            return self.sequence(child, path)  # "key:" then "- item" at the key's indent
        return None

    def block(self, indent: int, keep_newline: bool) -> str:
        collected: list[str] = []
        width: int | None = None
        while self.index < len(self.lines):
            line = self.lines[self.index]
            if line == "":
                collected.append("")
                self.index += 1
                continue
            spaces = len(line) - len(line.lstrip(" "))
            if width is None:
                if spaces < indent or line.startswith("---"):
                    break
                width = spaces
            if spaces < width or "\t" in line[:width]:
                break
            collected.append(line[width:])
            self.index += 1
        while collected and collected[-1] == "":
            collected.pop()
            self.index -= 1  # leave trailing blank lines to the caller
        if not collected:
            raise _NotDialect
        text = "\n".join(collected)
        return text + "\n" if keep_newline else text

    def mapping(self, indent: int, path: DocPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while self.more(indent):
            key_text, rest = _split_key(self.lines[self.index][indent:])
            key = _key(key_text)
            if key in result:
                raise _NotDialect
            child = (*path, key)
            self.marks[child] = self.index + 1
            self.index += 1
            result[key] = self.value_after(rest, indent + 2, child, is_key=True)
        return result

    def sequence(self, indent: int, path: DocPath) -> list[Any]:
        result: list[Any] = []
        while self.more(indent):
            line = self.lines[self.index]
            body = line[indent:]
            if not (body == "-" or body.startswith("- ")):
                break  # a key of the mapping holding this sequence at the same indent
            child = (*path, len(result))
            self.marks[child] = self.index + 1
            item = body[2:] if body.startswith("- ") else None
            if item is not None and not item.startswith(("{", "[")) and _is_pair(item):
                # "- key: value": a mapping whose first key shares the dash's line.
                self.lines[self.index] = " " * (indent + 2) + item
                self.indents[self.index] = indent + 2
                result.append(self.mapping(indent + 2, child))
                continue
            self.index += 1
            if item is None and self.index < self.count and self.lines[self.index]:
                # A bare "-": the item's node starts on the next line (as the safe loader says).
                self.marks[child] = self.index + 1
            result.append(self.value_after(item, indent + 2, child, is_key=False))
        return result


def read_dialect(text: str, source: str, max_depth: int = 256) -> list[Document] | None:
    """Documents of ``text`` if it is entirely in the dialect, else None."""
    if not text.startswith("---\n") or not text.endswith("\n") or "\t" in text or " \n" in text:
        return None
    if _OUTSIDE.search(text) or _SURROGATE_ESCAPE.search(text):
        return None
    lines = text[:-1].split("\n")
    reader = _Reader(lines, max_depth)
    documents: list[Document] = []
    index = 0
    try:
        while reader.index < len(lines):
            if lines[reader.index] != "---":
                raise _NotDialect
            reader.index += 1
            reader.marks = {}
            if reader.index >= len(lines) or lines[reader.index].startswith("---"):
                raise _NotDialect  # empty document: leave it to the general loader
            start = reader.index + 1
            first = lines[reader.index]
            if first in ("{}", "[]"):
                data: Any = {} if first == "{}" else []
                reader.index += 1
            else:
                if reader.indent_of(reader.index) != 0:
                    raise _NotDialect
                data = reader.node(0, ())
            if not isinstance(data, dict | list):
                raise _NotDialect
            marks = reader.marks
            marks[()] = start
            documents.append(Document(source, index, data, start, marks))
            index += 1
    except (_NotDialect, IndexError, RecursionError, ValueError):
        return None
    return documents
