"""Regular expressions with Go RE2 semantics (translated to Python ``re``) and glob matching."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from seccli.policy.rego.budget import (
    LOOP_MASK,
    MAX_ELEMENTS,
    MAX_STRING,
    check_deadline,
    refuse_size,
)
from seccli.policy.rego.builtins.base import builtin, fail, integer, string, table, type_err
from seccli.policy.rego.errors import ABORT_LIMIT, BuiltinError, EvaluationAborted

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_UNSUPPORTED = re.compile(r"\(\?[=!<]|\(\?P=|\\[1-9]|\\[pP]")


@lru_cache(maxsize=1024)
def compile_re2(pattern: str) -> Any:
    """Compile a Go/RE2 pattern with the RE2 engine (linear time, Go semantics) when the
    ``google-re2`` binding is installed, else translated to Python ``re``."""
    engine = _re2_module()
    if engine is not None:
        try:
            return engine.compile(pattern, options=_RE2_OPTIONS)
        except Exception as err:  # re2.error carries bytes
            detail = err.args[0] if err.args else err
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            if "too large" in str(detail):  # RE2's memory budget: a limit, not a bad pattern
                raise EvaluationAborted(
                    ABORT_LIMIT, f"regular expression too large to compile ({len(pattern)} chars)"
                ) from None
            raise fail(f"error parsing regexp: {detail}: `{pattern[:200]}`") from None
    return _compile_python(pattern)


_RE2: list[Any] = []
_RE2_OPTIONS: Any = None


def _re2_module() -> Any:
    """The ``re2`` module (google-re2) or None; imported once, lazily."""
    global _RE2_OPTIONS
    if not _RE2:
        try:
            import importlib

            re2 = importlib.import_module("re2")
            opts = re2.Options()
            opts.log_errors = False
            _RE2_OPTIONS = opts
            _RE2.append(re2)
        except ImportError:  # pragma: no cover - depends on the environment
            _RE2.append(None)
    return _RE2[0]


def _compile_python(pattern: str) -> re.Pattern[str]:
    """Fallback: translate RE2-only syntax for Python ``re``; reject Perl-only syntax."""
    if _UNSUPPORTED.search(pattern):
        raise fail(f"error parsing regexp: invalid or unsupported Perl syntax in `{pattern}`")
    p = pattern.replace("\\z", "\\Z")
    for name, cls in _POSIX.items():
        p = p.replace(f"[:{name}:]", cls).replace(f"[:^{name}:]", "")
    # RE2 allows flag groups anywhere; Python only at the start
    m = re.match(r"^((?:\(\?[imsU]+\))+)", p)
    flags = 0
    if m:
        fl = "".join(re.findall(r"[imsU]", m.group(1)))
        if "U" in fl:
            raise fail("error parsing regexp: unsupported flag U")
        flags |= re.I if "i" in fl else 0
        flags |= re.M if "m" in fl else 0
        flags |= re.S if "s" in fl else 0
        p = p[m.end() :]
    try:
        return re.compile(p, flags)
    except re.error as err:
        raise fail(f"error parsing regexp: {err}") from None
    except RecursionError:
        raise fail("error parsing regexp: expression too deep") from None


def _match(pattern: Any, value: Any) -> bool:
    rx = compile_re2(string(pattern, 1))
    text = string(value, 2)
    low = getattr(rx, "_regexp", None)
    if low is not None and _RE2 and _RE2[0] is not None:
        # fast boolean test on the RE2 object (the Python-level search builds match objects)
        try:
            data = text.encode("utf-8")
            re2 = _RE2[0]
            spans = low.Match(re2._Anchor.UNANCHORED, data, 0, len(data))
            return bool(spans[0] != re2._NULL_SPAN)
        except (AttributeError, TypeError):
            pass
    return rx.search(text) is not None


def _is_valid(pattern: Any) -> bool:
    if type(pattern) is not str:
        return False
    try:
        compile_re2(pattern)
    except BuiltinError:
        return False
    return True


def _matches(rx: Any, text: str, limit: int) -> Any:
    """``rx.finditer(text)``, at most ``limit`` matches (``-1``: any number up to
    ``MAX_ELEMENTS``), checking the deadline as it goes."""
    for i, m in enumerate(rx.finditer(text)):
        if i == limit:
            return
        if i >= MAX_ELEMENTS:
            refuse_size(i + 1, MAX_ELEMENTS, "matches")
        if not (i + 1) & LOOP_MASK:
            check_deadline()
        yield m


def _find_n(pattern: Any, value: Any, n: Any) -> list[str]:
    rx = compile_re2(string(pattern, 1))
    k = integer(n, 3)
    return [m.group(0) for m in _matches(rx, string(value, 2), k)]


def _find_all_submatch(pattern: Any, value: Any, n: Any) -> list[list[str]]:
    rx = compile_re2(string(pattern, 1))
    k = integer(n, 3)
    return [
        [m.group(0)] + [g if g is not None else "" for g in m.groups()]
        for m in _matches(rx, string(value, 2), k)
    ]


def _split(pattern: Any, value: Any) -> list[str]:
    rx = compile_re2(string(pattern, 1))
    s = string(value, 2)
    out: list[str] = []
    pos = 0
    for m in _matches(rx, s, -1):
        if m.end() == 0 and m.start() == 0:
            continue
        out.append(s[pos : m.start()])
        pos = m.end()
    out.append(s[pos:])
    return out


def _replace(value: Any, pattern: Any, repl: Any) -> str:
    rx = compile_re2(string(pattern, 2))
    template = string(repl, 3)

    def expand(m: Any) -> str:
        # Go's Regexp.ReplaceAllString: $1, ${1}, $name, ${name}; $$ is a dollar; a missing
        # group expands to the empty string.
        def one(t: re.Match[str]) -> str:
            if t.group(3):
                return "$"
            name = t.group(1) or t.group(2)
            key: int | str = int(name) if name.isdigit() else name
            try:
                g = m.group(key)
            except (IndexError, KeyError, ValueError, TypeError):
                g = None
            return str(g or "")

        return _GO_TEMPLATE.sub(one, template)

    text = string(value, 1)
    out: list[str] = []
    size = pos = 0
    for m in _matches(rx, text, -1):
        piece = expand(m)
        out.append(text[pos : m.start()])
        out.append(piece)
        size += m.start() - pos + len(piece)
        pos = m.end()
        if size > MAX_STRING:
            refuse_size(size, MAX_STRING, "result characters")
    out.append(text[pos:])
    return "".join(out)


_GO_TEMPLATE = re.compile(r"\$(?:\{(\w+)\}|(\w+)|(\$))")


def _template_match(template: Any, value: Any, start: Any, end: Any) -> bool:
    t, v, d1, d2 = string(template, 1), string(value, 2), string(start, 3), string(end, 4)
    parts: list[str] = []
    i = 0
    while i < len(t):
        j = t.find(d1, i)
        if j < 0:
            parts.append(re.escape(t[i:]))
            break
        parts.append(re.escape(t[i:j]))
        k = t.find(d2, j + len(d1))
        if k < 0:
            raise fail("unbalanced delimiters")
        parts.append("(?:" + compile_re2(t[j + len(d1) : k]).pattern + ")")
        i = k + len(d2)
    return compile_re2("".join(parts)).fullmatch(v) is not None


# -- glob ------------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _glob_re(pattern: str, delims: tuple[str, ...]) -> Any:
    """The glob as a regular expression, compiled by RE2 (linear time: a glob such as
    ``*a*a*a*a*b`` must not backtrack over a long name)."""
    nd = "[^" + "".join(re.escape(d) for d in delims) + "]" if delims else "."
    out: list[str] = []
    i = 0
    depth = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise fail("unexpected end of input")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                out.append(".*")
                i += 2
            else:
                out.append(nd + "*")
                i += 1
            continue
        if c == "?":
            out.append(nd)
            i += 1
            continue
        if c == "[":
            j = i + 1
            neg = j < n and pattern[j] == "!"
            if neg:
                j += 1
            items: list[tuple[str, bool]] = []  # (char, escaped)
            while j < n and pattern[j] != "]":
                ch = pattern[j]
                esc = ch == "\\"
                if esc:
                    if j + 1 >= n:
                        raise fail("syntax error in pattern: unexpected end of input")
                    ch = pattern[j + 1]
                    j += 1
                items.append((ch, esc))
                j += 1
            if j >= n or not items:
                raise fail("syntax error in pattern: unexpected end of input")
            cls: list[str] = []
            k = 0
            while k < len(items):
                if k + 2 < len(items) and items[k + 1] == ("-", False):
                    lo, hi = items[k][0], items[k + 2][0]
                    if lo > hi:
                        raise fail("syntax error in pattern: invalid range")
                    cls.append(re.escape(lo) + "-" + re.escape(hi))
                    k += 3
                else:
                    cls.append(re.escape(items[k][0]))
                    k += 1
            out.append("[" + ("^" if neg else "") + "".join(cls) + "]")
            i = j + 1
            continue
        if c == "{":
            depth += 1
            out.append("(?:")
            i += 1
            continue
        if c == "}" and depth > 0:
            depth -= 1
            out.append(")")
            i += 1
            continue
        if c == "," and depth > 0:
            out.append("|")
            i += 1
            continue
        out.append(re.escape(c))
        i += 1
    if depth:
        raise fail("unexpected end of input")
    try:
        return compile_re2("(?s)" + "".join(out))
    except BuiltinError as err:
        raise fail(f"syntax error in pattern: {err}") from None


def _glob_match(pattern: Any, delimiters: Any, match: Any) -> bool:
    p = string(pattern, 1)
    if delimiters is None:
        delims: tuple[str, ...] = ()
    elif isinstance(delimiters, (list, tuple)) and not delimiters:
        delims = (".",)
    elif isinstance(delimiters, (list, tuple)):
        ds = []
        for d in delimiters:
            if type(d) is not str:
                raise type_err(2, "array of strings", delimiters)
            ds.append(d)
        delims = tuple(ds)
    else:
        raise type_err(2, "array", delimiters)
    return _glob_re(p, delims).fullmatch(string(match, 3)) is not None


def _quote_meta(s: Any) -> str:
    x = string(s, 1)
    return "".join("\\" + c if c in "*?\\[]{}" else c for c in x)


TABLE = table(
    builtin("regex.match", _match, 2),
    builtin("re_match", _match, 2),
    builtin("regex.is_valid", _is_valid, 1),
    builtin("regex.find_n", _find_n, 3),
    builtin("regex.find_all_string_submatch_n", _find_all_submatch, 3),
    builtin("regex.split", _split, 2),
    builtin("regex.replace", _replace, 3),
    builtin("regex.template_match", _template_match, 4),
    builtin("glob.match", _glob_match, 3),
    builtin("glob.quote_meta", _quote_meta, 1),
)


# -- regex.globs_match: do two glob-like regular expressions match a common string? -----------
# Supported syntax (as in OPA's glob-intersection): literal characters, `.`, character classes
# `[...]` with ranges, escapes `\x`, and the quantifiers `*`, `+`, `?`.
_ANY = ("any",)


def _globs_error(pattern: str, pos: int, msg: str) -> BuiltinError:
    return fail(f"input:{pattern}, pos:{pos}, {msg}: the input provided is invalid")


def _globs_tokens(pattern: str) -> list[tuple[Any, str]]:
    toks: list[tuple[Any, str]] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        atom: Any
        if c == "\\":
            if i + 1 >= n:
                raise _globs_error(pattern, i, "input ends with a \\\\ (escape) character")
            atom = ("set", frozenset(pattern[i + 1]), False)
            i += 2
        elif c == ".":
            atom = _ANY
            i += 1
        elif c == "[":
            j = i + 1
            neg = j < n and pattern[j] == "^"
            if neg:
                j += 1
            chars: set[str] = set()
            ranges: list[tuple[str, str]] = []
            while j < n and pattern[j] != "]":
                ch = pattern[j]
                if ch == "\\" and j + 1 < n:
                    ch = pattern[j + 1]
                    j += 1
                if j + 2 < n and pattern[j + 1] == "-" and pattern[j + 2] != "]":
                    hi = pattern[j + 2]
                    if hi < ch:
                        raise _globs_error(
                            pattern,
                            j + 3,
                            f"range is out of order: '{hi}' comes before '{ch}' in Unicode",
                        )
                    ranges.append((ch, hi))
                    j += 3
                    continue
                chars.add(ch)
                j += 1
            if j >= n:
                raise _globs_error(pattern, j, "found [ without matching ]")
            atom = ("class", frozenset(chars), tuple(ranges), neg)
            i = j + 1
        elif c == "]":
            raise _globs_error(pattern, i + 1, "set-close ']' with no preceding '['")
        elif c in "*+?":
            raise _globs_error(pattern, i, f"found {c} without a preceding character")
        else:
            atom = ("set", frozenset(c), False)
            i += 1
        quant = ""
        if i < n and pattern[i] in "*+?":
            quant = pattern[i]
            i += 1
        if quant == "+":
            toks.append((atom, ""))
            toks.append((atom, "*"))
        else:
            toks.append((atom, quant))
    return toks


def _atom_has(atom: Any, ch: str) -> bool:
    if atom is _ANY:
        return True
    if atom[0] == "set":
        return bool(ch in atom[1])
    _, chars, ranges, neg = atom
    inside = ch in chars or any(lo <= ch <= hi for lo, hi in ranges)
    return bool(inside != neg)


def _atoms_meet(a: Any, b: Any) -> bool:
    if a is _ANY or b is _ANY:
        return True
    # candidate characters: every explicit char and range end of both atoms, plus a probe
    cands: set[str] = set()
    for at in (a, b):
        if at[0] == "set":
            cands |= at[1]
        else:
            cands |= at[1]
            for lo, hi in at[2]:
                cands.update({lo, hi})
    for at in (a, b):
        if at[0] == "class":
            for lo, hi in at[2]:
                for other in (a, b):
                    if other is not at and other[0] == "class":
                        for lo2, hi2 in other[2]:
                            if max(lo, lo2) <= min(hi, hi2):
                                cands.add(max(lo, lo2))
    cands.add("\x00")
    return any(_atom_has(a, ch) and _atom_has(b, ch) for ch in cands)


def _globs_match(p1: Any, p2: Any) -> bool:
    a = _globs_tokens(string(p1, 1))
    b = _globs_tokens(string(p2, 2))
    refuse_size((len(a) + 1) * (len(b) + 1), MAX_ELEMENTS, "matcher states")
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if not len(seen) & LOOP_MASK:
            check_deadline()
        if i == len(a) and j == len(b):
            return True
        # epsilon moves: skip optional tokens
        if i < len(a) and a[i][1] in ("*", "?"):
            stack.append((i + 1, j))
        if j < len(b) and b[j][1] in ("*", "?"):
            stack.append((i, j + 1))
        if i < len(a) and j < len(b) and _atoms_meet(a[i][0], b[j][0]):
            ni = i if a[i][1] == "*" else i + 1
            nj = j if b[j][1] == "*" else j + 1
            stack.append((ni, nj))
    return False


TABLE["regex.globs_match"] = builtin("regex.globs_match", _globs_match, 2)
