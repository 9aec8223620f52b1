"""Safe loading of YAML and JSON documents, with the line of every node.

What makes it safe:
- only regular files are read (FIFOs, devices, sockets and folders are refused before and after
  opening, which is done non-blocking); standard input is read with the same size limit;
- the size is checked before reading (default limit 20 MB);
- binary and non-UTF-8 input is refused with the offending offset;
- duplicate mapping keys are errors, not silently overwritten;
- alias expansion is measured before anything is built, so an alias bomb ("billion laughs") is
  refused in milliseconds instead of filling memory; recursive aliases are refused too;
- scalars follow the YAML 1.2 core schema (``on``/``yes``/``no`` stay strings, no sexagesimals);
- unknown tags (``!Ref``, ``!!python/...``) are refused: nothing is ever instantiated from a tag;
- integers of more than 4,300 digits, non-finite numbers (``.nan``, ``.inf``, ``1e999``,
  JSON's ``NaN``/``Infinity``), NUL characters and lone surrogates are refused with their line;
- nesting is bounded (256 levels) in both syntaxes; JSON is parsed by a strict parser of its
  own (RFC 8259, no recursion) that records the line of every node.

Every document a user gives seccli is read here (``load_documents``, ``load_input_documents``,
``read_source``/``read_file_bytes`` for text and bytes); ``tests/test_no_raw_loaders.py`` keeps
raw ``json.loads``/``yaml.safe_load`` calls out of the rest of the package.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import stat
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
# Python's own limit for converting decimal strings to int (sys.get_int_max_str_digits()).
MAX_INT_DIGITS = 4300
_MAX_INT_BITS = int(MAX_INT_DIGITS * 3.3219280948873626)  # log2(10) bits per decimal digit

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


class _ScalarError(Exception):
    """A scalar that has a number's shape but no value seccli accepts (the caller adds where)."""


def _plain_scalar(value: str) -> Any:
    """Type a plain (unquoted, untagged) scalar by the YAML 1.2 core schema.

    Two deliberate limits on top of the schema: integers have at most ``MAX_INT_DIGITS``
    digits, and non-finite numbers (``.inf``, ``.nan``, ``1e999``) are refused, since JSON
    cannot carry them and a NaN compares false with everything (a policy could never deny it).
    """
    if value in _NULL_WORDS:
        return None
    boolean = _BOOL_WORDS.get(value)
    if boolean is not None:
        return boolean
    if value[0] not in _NUMERIC_START:
        return value
    if _INT.match(value):
        return checked_int(value, 10)
    if _INT_OCT.match(value):
        return checked_int(value[2:], 8)
    if _INT_HEX.match(value):
        return checked_int(value[2:], 16)
    if _FLOAT.match(value):
        return checked_float(value)
    if value.lower() in _FLOAT_SPECIAL:
        raise _ScalarError(f"non-finite number {value!r} is not supported")
    return value


def checked_int(digits: str, base: int = 10) -> int:
    """``int(digits, base)`` for at most ``MAX_INT_DIGITS`` decimal digits, else ``_ScalarError``.

    Python refuses to convert longer decimal strings (a ``ValueError``); longer hexadecimal or
    octal ones would convert but fail wherever the number is printed.
    """
    body = digits.lstrip("+-").lstrip("0")
    # A base-b digit carries log10(b) decimal digits: at most 1 (octal), 1.21 (hex).
    estimate = len(body) if base <= 10 else (len(body) * 121 + 99) // 100
    if estimate > MAX_INT_DIGITS:
        value = None
    else:
        value = int(digits, base)
        if value.bit_length() > _MAX_INT_BITS:
            value = None
    if value is None:
        raise _ScalarError(f"integer has more than {MAX_INT_DIGITS:,} digits")
    return value


def checked_float(text: str) -> float:
    """``float(text)`` for finite results only, else ``_ScalarError``."""
    value = float(text)
    if not math.isfinite(value):
        raise _ScalarError(f"number {_shorten(text)} is out of range (it overflows to infinity)")
    return value


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def read_source(path: Path, limits: LoadLimits | None = None) -> str:
    """Read a text file safely: regular files only, size limit first, then binary and UTF-8."""
    limits = limits or LoadLimits()
    return decode_source(read_file_bytes(path, limits.max_bytes), str(path), limits)


def read_file_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is an ``InputError``.

    The path is checked with ``stat`` before it is opened, and the open descriptor again with
    ``fstat`` (opened non-blocking, so a FIFO swapped in between cannot block either): FIFOs,
    devices (``/dev/zero``), sockets and folders are refused instead of read forever.
    """
    name = str(path)
    try:
        before = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{name}: file not found") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot read: {_reason(exc)}") from None
    _require_regular(before, name, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {_reason(exc)}") from None
    try:
        _require_regular(os.fstat(fd), name, max_bytes)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {_reason(exc)}") from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > max_bytes:  # the file grew after it was measured
        raise _too_big(name, max_bytes)
    return raw


def read_stream(stream: IO[bytes], name: str, limits: LoadLimits | None = None) -> str:
    """Read a byte stream (e.g. stdin) with the same limits as files."""
    limits = limits or LoadLimits()
    return decode_source(read_stream_bytes(stream, name, limits.max_bytes), name, limits)


def read_stream_bytes(stream: IO[bytes], name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """At most ``max_bytes`` of a byte stream; a longer stream is an ``InputError``."""
    try:
        raw = stream.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {_reason(exc)}") from None
    if len(raw) > max_bytes:
        raise _too_big(name, max_bytes)
    return raw


def read_input(
    argument: Path | str, stdin: IO[bytes] | None, limits: LoadLimits | None = None
) -> tuple[str, str]:
    """``(text, name)`` of a file argument, where ``-`` means ``stdin`` (when one is given)."""
    if str(argument) == "-" and stdin is not None:
        return read_stream(stdin, "<stdin>", limits), "<stdin>"
    return read_source(Path(argument), limits), str(argument)


def load_input_documents(
    argument: Path | str,
    stdin: IO[bytes] | None = None,
    limits: LoadLimits | None = None,
    *,
    fmt: Format | None = None,
) -> list[Document]:
    """Every document of a file argument (``-`` = ``stdin``), through the safe loader."""
    text, name = read_input(argument, stdin, limits)
    return parse_documents(text, name, fmt=fmt or detect_format(name), limits=limits)


_FILE_KINDS = (
    (stat.S_ISDIR, "is a folder, not a file"),
    (stat.S_ISFIFO, "is a FIFO (named pipe), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def _require_regular(info: os.stat_result, name: str, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        what = next((text for test, text in _FILE_KINDS if test(info.st_mode)), "is not a file")
        raise InputError(
            f"{name}: {what}",
            hint="pass a regular file (or '-' to read standard input where it is accepted)",
        )
    if info.st_size > max_bytes:
        raise InputError(
            f"{name}: file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit",
            hint="raise the limit with --max-input-size if this file is legitimate",
        )


def _too_big(name: str, max_bytes: int) -> InputError:
    return InputError(
        f"{name}: input is over the {max_bytes:,}-byte limit",
        hint="raise the limit with --max-input-size if this input is legitimate",
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def decode_source(raw: bytes, name: str, limits: LoadLimits | None = None) -> str:
    """Decode bytes as UTF-8 text, refusing oversize, binary and other encodings clearly."""
    limits = limits or LoadLimits()
    if len(raw) > limits.max_bytes:
        raise _too_big(name, limits.max_bytes)
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
    return only_document(load_documents(path, limits), str(path))


def load_input_document(
    argument: Path | str, stdin: IO[bytes] | None = None, limits: LoadLimits | None = None
) -> Document:
    """The one document of a file argument (``-`` = ``stdin``), through the safe loader."""
    name = "<stdin>" if str(argument) == "-" and stdin is not None else str(argument)
    return only_document(load_input_documents(argument, stdin, limits), name)


def only_document(docs: list[Document], name: str) -> Document:
    """The single document of ``docs``; none or several is an ``InputError``."""
    if not docs:
        raise InputError(f"{name}:1: the file holds no document")
    if len(docs) > 1:
        raise InputError(f"{name}:{docs[1].start_line}: expected one document, found {len(docs)}")
    return docs[0]


def parse_json_bytes(raw: bytes, source: str, limits: LoadLimits | None = None) -> Any:
    """The value of one JSON text given as bytes (a signed payload, a server's answer), with
    the loader's rules; an ``InputError`` otherwise. Callers bound how much they receive."""
    limits = limits or LoadLimits()
    (document,) = parse_documents(decode_source(raw, source, limits), source, fmt="json")
    return document.data


def load_toml(path: Path, limits: LoadLimits | None = None) -> Document:
    """A TOML file (``pyproject.toml``, ``uv.lock``, ``poetry.lock``) as one document.

    Read as every file is (regular file, size, UTF-8); TOML itself forbids duplicate keys.
    Node lines are not tracked: errors give the line TOML reports, else the file.
    """
    import tomllib

    limits = limits or LoadLimits()
    text = read_source(path, limits)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
        message = str(exc).split(" (at line")[0]
        raise InputError(f"{where}: not valid TOML: {message}") from None
    if not _depth_within(data, limits.max_depth):
        raise InputError(f"{path}: nested deeper than {limits.max_depth} levels")
    return Document(str(path), 0, data, 1)


def parse_documents(
    text: str, source: str, *, fmt: Format = "yaml", limits: LoadLimits | None = None
) -> list[Document]:
    """Parse text into documents, raising ``InputError`` with file, line and column."""
    limits = limits or LoadLimits()
    if fmt == "json":
        return [_parse_json(text, source, limits)]
    return list(_parse_yaml(text, source, limits))


def _parse_json(text: str, source: str, limits: LoadLimits) -> Document:
    """The C decoder with the loader's rules as hooks; the strict parser for lines and errors.

    Anything the fast pass does not accept, or cannot rule on cheaply (escaped NULs or
    surrogates), is parsed again by ``_JsonParser``, which gives the precise error with line and
    column. Lines are computed by that parser too, but only when first asked for.
    """
    if not _JSON_NEEDS_STRICT.search(text):
        try:
            data = _FAST_JSON.decode(text)
        except (ValueError, RecursionError, _ScalarError, _DuplicateJsonKey):
            pass
        else:
            if _depth_within(data, limits.max_depth):
                return Document(source, 0, data, 1, _LazyJsonLines(text, source, limits))
    return _JsonParser(text, source, limits).parse()


class _DuplicateJsonKey(Exception):
    """Raised by the fast pass; the strict parser reports where."""


def _unique_pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(items)
    if len(out) != len(items):
        raise _DuplicateJsonKey
    return out


def _no_constant(word: str) -> Any:
    raise _ScalarError(f"{word} is not valid JSON")


_FAST_JSON = json.JSONDecoder(
    object_pairs_hook=_unique_pairs,
    parse_int=checked_int,
    parse_float=checked_float,
    parse_constant=_no_constant,
)
# Escapes the fast pass cannot rule on: \u0000 (NUL) and \uD800-\uDFFF (maybe lone surrogates).
_JSON_NEEDS_STRICT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def _depth_within(data: Any, max_depth: int) -> bool:
    """Whether no collection in ``data`` is nested deeper than ``max_depth`` (no recursion)."""
    if not isinstance(data, dict | list):
        return True
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > max_depth:
            return False
        children = value.values() if isinstance(value, dict) else value
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


class _LazyJsonLines(dict[DocPath, int]):
    """The line of every node of a JSON document, computed on first use."""

    def __init__(self, text: str, source: str, limits: LoadLimits) -> None:
        super().__init__()
        self._pending: tuple[str, str, LoadLimits] | None = (text, source, limits)

    def _fill(self) -> None:
        if self._pending is not None:
            text, source, limits = self._pending
            self._pending = None
            super().update(_JsonParser(text, source, limits).parse().lines)

    def get(self, key: DocPath, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)

    def __getitem__(self, key: DocPath) -> int:
        self._fill()
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __iter__(self) -> Iterator[DocPath]:
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def items(self) -> Any:
        self._fill()
        return super().items()

    def keys(self) -> Any:
        self._fill()
        return super().keys()

    def values(self) -> Any:
        self._fill()
        return super().values()


_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# The standard library's C string scanner (undeclared in its stubs): (value, end) for a string.
_scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
_JSON_WORDS: tuple[tuple[str, Any], ...] = (("true", True), ("false", False), ("null", None))
_JSON_CLOSE = {"{": "}", "[": "]"}


class _JsonFrame:
    __slots__ = ("value", "path", "is_map", "key", "seen")

    def __init__(self, value: Any, path: DocPath, is_map: bool) -> None:
        self.value = value
        self.path = path
        self.is_map = is_map
        self.key: str = ""
        self.seen: dict[str, int] = {}


class _JsonParser:
    """A strict JSON (RFC 8259) parser that records the line of every node.

    It builds with an explicit stack (no recursion), so depth is a limit, not a crash; and it
    applies the loader's rules: duplicate keys, oversized integers, non-finite numbers
    (``NaN``, ``Infinity``, ``1e999``), NUL characters and lone surrogates are errors.
    """

    def __init__(self, text: str, source: str, limits: LoadLimits) -> None:
        self.text = text
        self.source = source
        self.limits = limits
        self.lines: dict[DocPath, int] = {}
        self._line = 1
        self._line_pos = 0

    def line_at(self, pos: int) -> int:
        """The 1-based line of ``pos`` (positions are asked for in increasing order)."""
        if pos > self._line_pos:
            self._line += self.text.count("\n", self._line_pos, pos)
            self._line_pos = pos
        return self._line

    def fail(self, pos: int, message: str) -> InputError:
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return InputError(f"{self.source}:{line}:{column}: invalid JSON: {message}")

    def skip(self, pos: int) -> int:
        match = _JSON_WS.match(self.text, pos)
        return match.end() if match else pos

    def parse(self) -> Document:
        text = self.text
        stack: list[_JsonFrame] = []
        pos = self.skip(0)
        if pos >= len(text):
            raise self.fail(pos, "no value (the input is empty)")
        while True:
            # A value starts at ``pos``.
            char = text[pos : pos + 1]
            path = self._child_path(stack)
            self.lines[path] = self.line_at(pos)
            value: Any
            if char in _JSON_CLOSE:
                if len(stack) >= self.limits.max_depth:
                    raise self.fail(pos, f"nesting deeper than {self.limits.max_depth} levels")
                frame = _JsonFrame({} if char == "{" else [], path, char == "{")
                pos = self.skip(pos + 1)
                if text.startswith(_JSON_CLOSE[char], pos):
                    value, pos = frame.value, pos + 1
                else:
                    stack.append(frame)
                    if frame.is_map:
                        pos = self._key(frame, pos)
                    continue
            else:
                value, pos = self._scalar(pos)
            # Attach the finished value; close every collection that ends here.
            while True:
                if not stack:
                    end = self.skip(pos)
                    if end < len(text):
                        raise self.fail(end, "extra data after the document")
                    return Document(self.source, 0, value, 1, self.lines)
                frame = stack[-1]
                if frame.is_map:
                    frame.value[frame.key] = value
                else:
                    frame.value.append(value)
                pos = self.skip(pos)
                char = text[pos : pos + 1]
                if char == ",":
                    pos = self.skip(pos + 1)
                    if frame.is_map:
                        pos = self._key(frame, pos)
                    break
                if char == ("}" if frame.is_map else "]"):
                    stack.pop()
                    value, pos = frame.value, pos + 1
                    continue
                expected = "'}'" if frame.is_map else "']'"
                raise self.fail(pos, f"expected ',' or {expected}")

    def _child_path(self, stack: list[_JsonFrame]) -> DocPath:
        if not stack:
            return ()
        parent = stack[-1]
        return (*parent.path, parent.key if parent.is_map else len(parent.value))

    def _key(self, frame: _JsonFrame, pos: int) -> int:
        """Read ``"key":`` at ``pos`` into ``frame``; return where its value starts."""
        if not self.text.startswith('"', pos):
            raise self.fail(pos, "expected a key in double quotes")
        line = self.line_at(pos)
        key, end = self._string(pos)
        first = frame.seen.get(key)
        if first is not None:
            column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
            raise InputError(
                f"{self.source}:{line}:{column}: duplicate key {key!r} "
                f"(first defined on line {first})"
            )
        frame.seen[key] = line
        frame.key = key
        end = self.skip(end)
        if not self.text.startswith(":", end):
            raise self.fail(end, "expected ':' after the key")
        return self.skip(end + 1)

    def _string(self, pos: int) -> tuple[str, int]:
        try:
            value, end = _scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.pos, exc.msg) from None
        if "\x00" in value:
            raise self.fail(pos, "NUL character in a string")
        if "\\u" in self.text[pos:end]:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise self.fail(pos, "lone surrogate escape in a string (not Unicode)") from None
        return value, end

    def _scalar(self, pos: int) -> tuple[Any, int]:
        text = self.text
        char = text[pos : pos + 1]
        if char == '"':
            return self._string(pos)
        match = _JSON_NUMBER.match(text, pos)
        if match and match.end() > pos:
            literal = match.group()
            try:
                if match.group(1) is None and "e" not in literal and "E" not in literal:
                    return checked_int(literal), match.end()
                return checked_float(literal), match.end()
            except _ScalarError as exc:
                raise self.fail(pos, str(exc)) from None
        for word, value in _JSON_WORDS:
            if text.startswith(word, pos):
                return value, pos + len(word)
        for word in ("NaN", "Infinity", "-Infinity"):
            if text.startswith(word, pos):
                raise self.fail(pos, f"{word} is not valid JSON")
        if not char:
            raise self.fail(pos, "unexpected end of input, expected a value")
        raise self.fail(pos, f"expected a value, found {char!r}")


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
        if "\x00" in event.value:
            raise self._fail(event.start_mark, "NUL character in a string")
        try:
            return self._typed_scalar(event)
        except _ScalarError as exc:
            raise self._fail(event.start_mark, str(exc)) from None

    def _typed_scalar(self, event: Any) -> Any:
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
