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

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import yaml
import yaml.reader
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from seccli.core.errors import InputError
from seccli.core.location import DocPath, Location, format_doc_path

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ALIAS_EXPANSION = 100_000
DEFAULT_MAX_DEPTH = 256

Format = Literal["yaml", "json"]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


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


class _CoreResolver(BaseResolver):
    """Implicit scalar typing of the YAML 1.2 core schema (plus ``<<`` merge keys)."""


_CoreResolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_CoreResolver.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_CoreResolver.add_implicit_resolver(
    _NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_CoreResolver.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])

_ParserBase: Any
try:
    from yaml._yaml import CParser as _ParserBase
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _PyParser(Reader, Scanner, Parser, Composer):
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

    _ParserBase = _PyParser


class _Composer(_ParserBase, _CoreResolver):  # type: ignore[misc]
    """Parses and composes a node graph (no construction) with core-schema resolution."""

    def __init__(self, stream: str) -> None:
        _ParserBase.__init__(self, stream)
        _CoreResolver.__init__(self)


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
    index = 0
    composer: Any = None
    try:
        composer = _Composer(text)
        while composer.check_node():
            node = composer.get_node()
            if node is None:
                continue
            builder = _Builder(source, limits)
            builder.measure(node)
            data = builder.build(node, ())
            if data is None and isinstance(node, ScalarNode) and node.tag == _NULL:
                index += 1
                continue
            start = node.start_mark.line + 1
            builder.lines[()] = start
            yield Document(source, index, data, start, builder.lines)
            index += 1
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
        dispose = getattr(composer, "dispose", None) if composer is not None else None
        if dispose is not None:
            dispose()


class _Builder:
    """Turns a composed node graph into plain Python values, recording lines and bounds."""

    def __init__(self, source: str, limits: LoadLimits) -> None:
        self.source = source
        self.limits = limits
        self.lines: dict[DocPath, int] = {}

    def _fail(self, node: Node, message: str) -> InputError:
        mark = node.start_mark
        return InputError(f"{self.source}:{mark.line + 1}:{mark.column + 1}: {message}")

    def measure(self, root: Node) -> None:
        """Count the nodes the document expands to, refusing bombs and cycles before building."""
        sizes: dict[int, int] = {}
        active: set[int] = set()
        distinct = 0

        def size(node: Node, depth: int) -> int:
            nonlocal distinct
            key = id(node)
            known = sizes.get(key)
            if known is not None:
                return known
            if key in active:
                raise self._fail(node, "recursive alias: a node contains itself")
            if depth > self.limits.max_depth:
                raise self._fail(node, f"nesting deeper than {self.limits.max_depth} levels")
            distinct += 1
            total = 1
            if isinstance(node, SequenceNode):
                active.add(key)
                for child in node.value:
                    total += size(child, depth + 1)
                active.discard(key)
            elif isinstance(node, MappingNode):
                active.add(key)
                for key_node, value_node in node.value:
                    total += size(key_node, depth + 1) + size(value_node, depth + 1)
                active.discard(key)
            sizes[key] = total
            return total

        expanded = size(root, 0)
        if expanded - distinct > self.limits.max_alias_expansion:
            raise self._fail(
                root,
                f"aliases expand {distinct:,} nodes to {expanded:,}, over the limit of "
                f"{self.limits.max_alias_expansion:,} extra nodes (possible alias bomb)",
            )

    def build(self, node: Node, path: DocPath) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise self._fail(node, f"unsupported tag {node.tag!r}")
            items: list[Any] = []
            for position, child in enumerate(node.value):
                child_path = (*path, position)
                self.lines[child_path] = child.start_mark.line + 1
                items.append(self.build(child, child_path))
            return items
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise self._fail(node, "unsupported node")  # pragma: no cover

    def _mapping(self, node: MappingNode, path: DocPath) -> dict[Any, Any]:
        if node.tag != _MAP:
            raise self._fail(node, f"unsupported tag {node.tag!r}")
        result: dict[Any, Any] = {}
        own_lines: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                merged.update(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self._fail(key_node, "mapping keys must be plain scalars")
            key = self._scalar(key_node)
            line = key_node.start_mark.line + 1
            if key in own_lines:
                raise self._fail(
                    key_node,
                    f"duplicate key {key!r} (first defined on line {own_lines[key]})",
                )
            own_lines[key] = line
            child_path = (*path, key)
            self.lines[child_path] = line
            result[key] = self.build(value_node, child_path)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(self, value_node: Node, path: DocPath) -> dict[Any, Any]:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        merged: dict[Any, Any] = {}
        for source in sources:
            if not isinstance(source, MappingNode):
                raise self._fail(source, "a merge key (<<) needs a mapping or list of mappings")
            for key, value in self._mapping(source, path).items():
                merged.setdefault(key, value)
        return merged

    def _scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() == "true"
        if tag == _INT:
            try:
                if value.startswith("0o"):
                    return int(value[2:], 8)
                if value.startswith("0x"):
                    return int(value[2:], 16)
                return int(value, 10)
            except ValueError:
                raise self._fail(node, f"not an integer: {value!r}") from None
        if tag == _FLOAT:
            lowered = value.lower().lstrip("+")
            if lowered in {".inf", "-.inf"}:
                return -math.inf if lowered.startswith("-") else math.inf
            if lowered == ".nan":
                return math.nan
            try:
                return float(value)
            except ValueError:
                raise self._fail(node, f"not a number: {value!r}") from None
        raise self._fail(node, f"unsupported tag {tag!r}")
