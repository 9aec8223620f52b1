"""Tokeniser for Rego source text.

Produces a list of :class:`Token` with line/column and whether a newline precedes the token
(Rego separates body expressions by newlines as well as semicolons).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from seccli.policy.rego.budget import MAX_INT_DIGITS
from seccli.policy.rego.errors import RegoParseError

IDENT = "ident"
STRING = "string"
NUMBER = "number"
OP = "op"
EOF = "eof"
TEMPLATE = "template"

_OPS3: tuple[str, ...] = ()
_OPS2 = (":=", "==", "!=", "<=", ">=")
_OPS1 = "{}[]().,;:=<>+-*/%&|"


@dataclass(slots=True)
class Token:
    """One lexical token."""

    kind: str
    text: str
    value: object
    line: int
    col: int
    nl: bool  # a newline precedes this token
    ws: bool  # whitespace (or a comment) precedes this token


_DIGITS = frozenset("0123456789")


def _is_ident_start(c: str) -> bool:
    return c.isascii() and (c.isalpha() or c == "_")


def _is_ident_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


def _template(
    src: str, q: int, file: str, line: int, col: int
) -> tuple[list[tuple[str, Any]], int]:
    """Split a template string starting at quote index ``q`` into ("text", str) and
    ("expr", (source, line, col)) parts; returns the parts and the closing quote index."""
    quote = src[q]
    raw = quote == "`"
    parts: list[tuple[str, Any]] = []
    buf: list[str] = []
    i = q + 1
    n = len(src)
    while i < n:
        c = src[i]
        if c == quote:
            break
        if c == "\\" and not raw:
            if i + 1 < n and src[i + 1] in "{}":
                buf.append(src[i + 1])
                i += 2
                continue
            j = i + 2
            if i + 1 < n and src[i + 1] == "u":
                j = i + 6
            try:
                buf.append(json.loads('"' + src[i:j] + '"'))
            except ValueError:
                raise RegoParseError(
                    "invalid escape in template string", file=file, line=line, column=col
                ) from None
            i = j
            continue
        if c == "\n" and not raw:
            raise RegoParseError("non-terminated template string", file=file, line=line, column=col)
        if c == "{":
            depth = 1
            j = i + 1
            in_str: str | None = None
            while j < n and depth:
                d = src[j]
                if in_str:
                    if d == "\\" and in_str == '"':
                        j += 2
                        continue
                    if d == in_str:
                        in_str = None
                elif d in '"`':
                    in_str = d
                elif d == "{":
                    depth += 1
                elif d == "}":
                    depth -= 1
                j += 1
            if depth:
                raise RegoParseError(
                    "unbalanced braces in template string", file=file, line=line, column=col
                )
            if buf:
                parts.append(("text", "".join(buf)))
                buf = []
            parts.append(("expr", src[i + 1 : j - 1]))
            i = j
            continue
        buf.append(c)
        i += 1
    if i >= n:
        raise RegoParseError("non-terminated template string", file=file, line=line, column=col)
    if buf:
        parts.append(("text", "".join(buf)))
    return parts, i


def tokenize(src: str, file: str = "<module>") -> list[Token]:
    """Split ``src`` into tokens; raises :class:`RegoParseError` with a location."""
    toks: list[Token] = []
    i = 0
    n = len(src)
    line = 1
    line_start = 0
    nl = True
    ws = True
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            line_start = i + 1
            nl = True
            ws = True
            i += 1
            continue
        if c in " \t\r\f\v\ufeff":
            ws = True
            i += 1
            continue
        if c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j
            ws = True
            continue
        col = i - line_start + 1
        if _is_ident_start(c):
            j = i + 1
            while j < n and _is_ident_char(src[j]):
                j += 1
            text = src[i:j]
            toks.append(Token(IDENT, text, text, line, col, nl, ws))
            i = j
        elif c in _DIGITS or (c == "." and i + 1 < n and src[i + 1] in _DIGITS):
            j = i
            while j < n and src[j] in _DIGITS:
                j += 1
            is_float = False
            if j < n and src[j] == "." and j + 1 < n and src[j + 1] in _DIGITS:
                is_float = True
                j += 1
                while j < n and src[j] in _DIGITS:
                    j += 1
            if j < n and src[j] in "eE":
                k = j + 1
                if k < n and src[k] in "+-":
                    k += 1
                if k < n and src[k] in _DIGITS:
                    is_float = True
                    j = k
                    while j < n and src[j] in _DIGITS:
                        j += 1
            if (
                j < n
                and (_is_ident_char(src[j]) or src[j] == ".")
                and not (src[j] == "." and not (j + 1 < n and src[j + 1] in _DIGITS))
            ):
                raise RegoParseError(
                    f"invalid number literal {src[i : j + 1]!r}",
                    file=file,
                    line=line,
                    column=col,
                )
            text = src[i:j]
            if text.startswith("0") and len(text) > 1 and text[1] in _DIGITS and not is_float:
                raise RegoParseError(
                    f"invalid number literal {text!r}", file=file, line=line, column=col
                )
            if not is_float and len(text) > MAX_INT_DIGITS:
                raise RegoParseError(
                    f"number literal too large ({len(text)} digits; at most {MAX_INT_DIGITS})",
                    file=file,
                    line=line,
                    column=col,
                )
            value: object
            value = float(text) if is_float else int(text)
            toks.append(Token(NUMBER, text, value, line, col, nl, ws))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                if src[j] == "\\":
                    j += 1
                if j < n and src[j] == "\n":
                    raise RegoParseError("non-terminated string", file=file, line=line, column=col)
                j += 1
            if j >= n:
                raise RegoParseError("non-terminated string", file=file, line=line, column=col)
            text = src[i : j + 1]
            try:
                value = json.loads(text)
            except ValueError:
                raise RegoParseError(
                    f"invalid string literal {text}", file=file, line=line, column=col
                ) from None
            toks.append(Token(STRING, text, value, line, col, nl, ws))
            i = j + 1
        elif c == "$" and i + 1 < n and src[i + 1] in '"`':
            parts, j = _template(src, i + 1, file, line, col)
            text = src[i : j + 1]
            toks.append(Token(TEMPLATE, text, parts, line, col, nl, ws))
            for k in range(i, j):
                if src[k] == "\n":
                    line += 1
                    line_start = k + 1
            i = j + 1
        elif c == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise RegoParseError("non-terminated raw string", file=file, line=line, column=col)
            text = src[i : j + 1]
            toks.append(Token(STRING, text, src[i + 1 : j], line, col, nl, ws))
            for k in range(i, j):
                if src[k] == "\n":
                    line += 1
                    line_start = k + 1
            i = j + 1
        else:
            two = src[i : i + 2]
            if two in _OPS2:
                toks.append(Token(OP, two, two, line, col, nl, ws))
                i += 2
            elif c in _OPS1:
                toks.append(Token(OP, c, c, line, col, nl, ws))
                i += 1
            else:
                raise RegoParseError(f"illegal token {c!r}", file=file, line=line, column=col)
        nl = False
        ws = False
    toks.append(Token(EOF, "", None, line, i - line_start + 1, True, True))
    return toks
