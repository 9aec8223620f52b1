"""Safe loading of YAML and JSON documents, with the line of every node.

What makes it safe:
- the size is checked before reading (default limit 20 MB);
- binary and non-UTF-8 input is refused with the offending offset;
- duplicate mapping keys are errors, not silently overwritten;
- alias expansion is measured before anything is built, so an alias bomb ("billion laughs") is
  refused in milliseconds instead of filling memory; recursive aliases are refused too;
- scalars follow the YAML 1.2 core schema (``on``/``yes``/``no`` stay strings, no sexagesimals);
- unknown tags (``!Ref``, ``!!python/...``) are refused: nothing is ever instantiated from a tag.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import yaml
import yaml.reader

from seccli.core.errors import InputError
from seccli.core.location import DocPath, Location, format_doc_path

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ALIAS_EXPANSION = 100_000
DEFAULT_MAX_DEPTH = 256

Format = Literal["yaml", "json"]

_TAG_STR = "tag:yaml.org,2002:str"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_SEQ = "tag:yaml.org,2002:seq"
_TAG_MAP = "tag:yaml.org,2002:map"


@dataclass(frozen=True, slots=True)
class LoadLimits:
    """Bounds applied while reading and building a document."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_alias_expansion: int = DEFAULT_MAX_ALIAS_EXPANSION
    max_depth: int = DEFAULT_MAX_DEPTH


@dataclass(frozen=True, slots=True)
class Document:
    """One document of a YAML/JSON stream: its data and the 1-based line of every node."""

    source: str
    index: int
    data: Any
    start_line: int
    lines: dict[DocPath, int] = field(default_factory=dict, repr=False)

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of ``path``, or of its nearest ancestor that exists."""
        key = tuple(path)
        while key:
            line = self.lines.get(key)
            if line is not None:
                return line
            key = key[:-1]
        return self.start_line

    def locate(self, path: Sequence[str | int]) -> Location:
        """A ``Location`` for ``path`` in this document."""
        return Location(self.source, self.line_of(path), None, format_doc_path(path) or None)


_BOOL_WORDS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NULL_WORDS = {"", "~", "null", "Null", "NULL"}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_FLOAT_SPECIAL = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
_NUMERIC_START = frozenset("-+0123456789.")

_EventParser: Any
try:
    from yaml._yaml import CParser as _EventParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _EventParser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


def _plain_scalar(value: str) -> Any:
    """Type a plain (unquoted, untagged) scalar by the YAML 1.2 core schema."""
    if value in _NULL_WORDS:
        return None
    boolean = _BOOL_WORDS.get(value)
    if boolean is not None:
        return boolean
    if value[0] not in _NUMERIC_START:
        return value
    if _INT.match(value):
        return int(value, 10)
    if _INT_OCT.match(value):
        return int(value[2:], 8)
    if _INT_HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    special = _FLOAT_SPECIAL.get(value.lower())
    return special if special is not None else value


def read_source(path: Path, limits: LoadLimits | None = None) -> str:
    """Read a text file safely: size limit first, then binary and UTF-8 checks."""
    limits = limits or LoadLimits()
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    if path.is_dir():
        raise InputError(f"{name}: is a folder, not a file")
    if size > limits.max_bytes:
        raise InputError(
            f"{name}: file is {size:,} bytes, over the {limits.max_bytes:,}-byte limit",
            hint="raise the limit with --max-input-size if this file is legitimate",
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    return decode_source(raw, name, limits)


def read_stream(stream: IO[bytes], name: str, limits: LoadLimits | None = None) -> str:
    """Read a byte stream (e.g. stdin) with the same limits as files."""
    limits = limits or LoadLimits()
    return decode_source(stream.read(limits.max_bytes + 1), name, limits)


def decode_source(raw: bytes, name: str, limits: LoadLimits | None = None) -> str:
    """Decode bytes as UTF-8 text, refusing oversize, binary and other encodings clearly."""
    limits = limits or LoadLimits()
    if len(raw) > limits.max_bytes:
        raise InputError(
            f"{name}: input is over the {limits.max_bytes:,}-byte limit",
            hint="raise the limit with --max-input-size if this input is legitimate",
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: UTF-16 text is not supported", hint="save the file as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise InputError(
            f"{name}:{line}: binary content (NUL byte at offset {nul}); expected YAML or JSON text"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            hint="save the file as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def detect_format(name: str) -> Format:
    """JSON for ``.json`` files, YAML otherwise (YAML also reads most JSON)."""
    return "json" if name.lower().endswith(".json") else "yaml"


def load_documents(
    path: Path, limits: LoadLimits | None = None, *, fmt: Format | None = None
) -> list[Document]:
    """Load every document of a YAML or JSON file. Empty documents are skipped."""
    text = read_source(path, limits)
    return parse_documents(text, str(path), fmt=fmt or detect_format(str(path)), limits=limits)


def load_document(path: Path, limits: LoadLimits | None = None) -> Document:
    """Load a file that must hold exactly one document."""
    docs = load_documents(path, limits)
    if not docs:
        raise InputError(f"{path}:1: the file holds no document")
    if len(docs) > 1:
        raise InputError(f"{path}:{docs[1].start_line}: expected one document, found {len(docs)}")
    return docs[0]


def parse_documents(
    text: str, source: str, *, fmt: Format = "yaml", limits: LoadLimits | None = None
) -> list[Document]:
    """Parse text into documents, raising ``InputError`` with file, line and column."""
    limits = limits or LoadLimits()
    if fmt == "json":
        return [_parse_json(text, source, limits)]
    return list(_parse_yaml(text, source, limits))


def _parse_json(text: str, source: str, limits: LoadLimits) -> Document:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _DuplicateJsonKey(key)
            out[key] = value
        return out

    def no_constants(word: str) -> float:
        raise ValueError(f"{word} is not valid JSON")

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _DuplicateJsonKey as exc:
        # json does not say where; the YAML pass finds the line and raises with it.
        list(_parse_yaml(text, source, limits))
        raise InputError(f"{source}:1: duplicate key {exc.key!r}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{source}:1: invalid JSON: {exc}") from None
    try:
        docs = list(_parse_yaml(text, source, limits))
        lines = docs[0].lines if docs else {}
    except InputError:
        lines = {}
    return Document(source, 0, data, 1, lines)


class _DuplicateJsonKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _parse_yaml(text: str, source: str, limits: LoadLimits) -> Iterator[Document]:
    parser: Any = None
    try:
        parser = _EventParser(text)
        builder = _EventBuilder(parser, source, limits)
        yield from builder.documents()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = exc.problem or exc.context or "malformed YAML"
        context = ""
        if exc.context and exc.problem:
            started = exc.context_mark
            where_started = (
                f" started on line {started.line + 1}"
                if started is not None and mark is not None and started.line != mark.line
                else ""
            )
            context = f" ({exc.context}{where_started})"
        raise InputError(f"{where}: invalid YAML: {problem}{context}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(
            f"{source}:{line}: invalid YAML: character #x{exc.character:04x} is not allowed "
            f"({exc.reason})"
        ) from None
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{source}: invalid YAML: {first_line}") from None
    finally:
        dispose = getattr(parser, "dispose", None) if parser is not None else None
        if dispose is not None:
            dispose()


@dataclass(slots=True)
class _Anchor:
    value: Any
    size: int
    done: bool


class _Frame:
    """A collection being built: its value, path, and (for mappings) the pending key."""

    __slots__ = (
        "value",
        "path",
        "anchor",
        "size",
        "is_map",
        "key",
        "key_line",
        "key_mark",
        "seen",
        "merges",
    )

    def __init__(self, value: Any, path: DocPath, anchor: str | None, is_map: bool) -> None:
        self.value = value
        self.path = path
        self.anchor = anchor
        self.size = 1
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.key_mark: Any = None
        self.seen: dict[Any, int] = {}
        self.merges: list[Any] = []


_NO_KEY = object()
_MERGE_KEY = object()


class _EventBuilder:
    """Builds plain Python values straight from parser events, recording every node's line.

    Alias expansion is budgeted as it happens: each alias costs the node count of what it
    repeats, and the document is refused as soon as the budget is spent (before any copying).
    """

    def __init__(self, parser: Any, source: str, limits: LoadLimits) -> None:
        self.parser = parser
        self.source = source
        self.limits = limits

    def _fail(self, mark: Any, message: str) -> InputError:
        return InputError(f"{self.source}:{mark.line + 1}:{mark.column + 1}: {message}")

    def documents(self) -> Iterator[Document]:
        parser = self.parser
        index = 0
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                document = self._document(index, event)
                if document is not None:
                    yield document
                index += 1

    def _document(self, index: int, start_event: Any) -> Document | None:
        parser = self.parser
        lines: dict[DocPath, int] = {}
        anchors: dict[str, _Anchor] = {}
        stack: list[_Frame] = []
        expanded = 0
        root: Any = None
        root_line = start_event.start_mark.line + 1
        root_is_null_plain = False
        first_node = True
        while True:
            event = parser.get_event()
            if isinstance(event, yaml.DocumentEndEvent):
                break
            value: Any
            size = 1
            line = event.start_mark.line + 1
            if first_node:
                root_line, first_node = line, False
            if isinstance(event, yaml.ScalarEvent):
                value = self._scalar(event)
                if event.anchor is not None:
                    anchors[event.anchor] = _Anchor(value, 1, True)
                if not stack:
                    root_is_null_plain = value is None and event.tag is None
            elif isinstance(event, yaml.AliasEvent):
                anchor = anchors.get(str(event.anchor))
                if anchor is None:
                    raise self._fail(event.start_mark, f"unknown alias *{event.anchor}")
                if not anchor.done:
                    raise self._fail(event.start_mark, "recursive alias: a node contains itself")
                expanded += anchor.size
                if expanded > self.limits.max_alias_expansion:
                    raise self._fail(
                        event.start_mark,
                        f"aliases expand to more than {self.limits.max_alias_expansion:,} "
                        "extra nodes (possible alias bomb)",
                    )
                value = anchor.value if anchor.size == 1 else copy.deepcopy(anchor.value)
                size = anchor.size
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                is_map = isinstance(event, yaml.MappingStartEvent)
                self._check_collection_tag(event, _TAG_MAP if is_map else _TAG_SEQ)
                if stack and stack[-1].is_map and stack[-1].key is _NO_KEY:
                    raise self._fail(event.start_mark, "mapping keys must be plain scalars")
                if len(stack) >= self.limits.max_depth:
                    raise self._fail(
                        event.start_mark, f"nesting deeper than {self.limits.max_depth} levels"
                    )
                path = self._child_path(stack, line, lines)
                frame = _Frame({} if is_map else [], path, event.anchor, is_map)
                if event.anchor is not None:
                    anchors[event.anchor] = _Anchor(frame.value, 0, False)
                stack.append(frame)
                continue
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                frame = stack.pop()
                if frame.merges:
                    for merged in frame.merges:
                        for key, merged_value in merged.items():
                            frame.value.setdefault(key, merged_value)
                value = frame.value
                size = frame.size
                if frame.anchor is not None:
                    anchors[frame.anchor] = _Anchor(value, size, True)
                if not stack:
                    root = value
                    continue
                self._attach(stack[-1], value, size, line, event, lines, is_end=True)
                continue
            else:  # pragma: no cover - stream events are handled by the caller
                continue
            if not stack:
                root = value
                continue
            self._attach(stack[-1], value, size, line, event, lines, is_end=False)
        if root is None and root_is_null_plain:
            return None
        lines[()] = root_line
        return Document(self.source, index, root, root_line, lines)

    def _child_path(self, stack: list[_Frame], line: int, lines: dict[DocPath, int]) -> DocPath:
        if not stack:
            return ()
        parent = stack[-1]
        if parent.is_map:
            if parent.key is _MERGE_KEY:
                return parent.path
            path = (*parent.path, parent.key)
            return path
        path = (*parent.path, len(parent.value))
        lines[path] = line
        return path

    def _attach(
        self,
        parent: _Frame,
        value: Any,
        size: int,
        line: int,
        event: Any,
        lines: dict[DocPath, int],
        *,
        is_end: bool,
    ) -> None:
        parent.size += size
        if not parent.is_map:
            if not is_end:
                lines[(*parent.path, len(parent.value))] = line
            parent.value.append(value)
            return
        if parent.key is _NO_KEY:
            if (
                isinstance(event, yaml.ScalarEvent)
                and event.value == "<<"
                and event.tag is None
                and event.implicit[0]
            ):
                parent.key = _MERGE_KEY
                return
            if isinstance(event, yaml.AliasEvent) and isinstance(value, dict | list):
                raise self._fail(event.start_mark, "mapping keys must be plain scalars")
            first = parent.seen.get(value)
            if first is not None:
                raise self._fail(
                    event.start_mark,
                    f"duplicate key {value!r} (first defined on line {first})",
                )
            parent.seen[value] = line
            parent.key = value
            parent.key_line = line
            lines[(*parent.path, value)] = line
            return
        if parent.key is _MERGE_KEY:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    raise self._fail(
                        event.start_mark, "a merge key (<<) needs a mapping or list of mappings"
                    )
                parent.merges.append(source)
        else:
            parent.value[parent.key] = value
        parent.key = _NO_KEY

    def _check_collection_tag(self, event: Any, standard: str) -> None:
        if event.tag not in (None, "!", standard):
            raise self._fail(event.start_mark, f"unsupported tag {event.tag!r}")

    def _scalar(self, event: Any) -> Any:
        tag, value = event.tag, event.value
        if tag is None or tag == "!":
            if event.implicit[0] and tag is None:
                return _plain_scalar(value)
            return value
        if tag == _TAG_STR:
            return value
        if tag == _TAG_NULL:
            return None
        if tag == _TAG_BOOL and value in _BOOL_WORDS:
            return _BOOL_WORDS[value]
        if tag in (_TAG_INT, _TAG_FLOAT):
            typed = _plain_scalar(value)
            wanted = int if tag == _TAG_INT else float
            if isinstance(typed, bool) or not isinstance(typed, int | float):
                raise self._fail(event.start_mark, f"not a number: {value!r}")
            return wanted(typed)
        raise self._fail(event.start_mark, f"unsupported tag {tag!r}")
