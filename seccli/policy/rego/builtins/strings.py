"""String builtins, including ``sprintf`` with Go ``fmt`` verb semantics."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from seccli.policy.rego.budget import (
    LOOP_MASK,
    MAX_ELEMENTS,
    MAX_STRING,
    bounded_to_string,
    check_deadline,
    refuse_size,
)
from seccli.policy.rego.builtins.base import (
    array,
    builtin,
    fail,
    integer,
    num,
    string,
    table,
    type_err,
)
from seccli.policy.rego.values import format_number, is_number


def _concat(sep: Any, items: Any) -> str:
    string(sep, 1)
    if not isinstance(items, (list, tuple, frozenset)):
        raise type_err(2, "one of {array, set}", items)
    seq = sorted(items) if isinstance(items, frozenset) else items
    size = len(sep) * max(len(seq) - 1, 0)
    for x in seq:
        if type(x) is not str:
            raise type_err(2, "one of {array, set} of strings", items)
        size += len(x)
    refuse_size(size, MAX_STRING, "result characters")
    return sep.join(seq)  # type: ignore[no-any-return]


def _contains(s: Any, sub: Any) -> bool:
    return string(sub, 2) in string(s, 1)


def _startswith(s: Any, p: Any) -> bool:
    return string(s, 1).startswith(string(p, 2))


def _endswith(s: Any, p: Any) -> bool:
    return string(s, 1).endswith(string(p, 2))


def _lower(s: Any) -> str:
    return string(s, 1).lower()


def _upper(s: Any) -> str:
    return string(s, 1).upper()


def _split(s: Any, sep: Any) -> list[str]:
    x = string(s, 1)
    d = string(sep, 2)
    if len(x) >= MAX_ELEMENTS:  # at most len(x) + 1 parts: count only for long strings
        refuse_size(len(x) if d == "" else x.count(d) + 1, MAX_ELEMENTS, "result elements")
    if d == "":
        return list(x)
    return x.split(d)


def _replace(s: Any, old: Any, new: Any) -> str:
    x, o, n = string(s, 1), string(old, 2), string(new, 3)
    if o == "":
        # Go's strings.ReplaceAll inserts at every rune boundary
        refuse_size(len(x) + (len(x) + 1) * len(n), MAX_STRING, "result characters")
        return n + n.join(x) + n if x else n
    if len(n) > len(o):
        refuse_size(len(x) + x.count(o) * (len(n) - len(o)), MAX_STRING, "result characters")
    return x.replace(o, n)


def _replace_n(patterns: Any, s: Any) -> str:
    if not isinstance(patterns, dict):
        raise type_err(1, "object", patterns)
    x = string(s, 2)
    pairs = []
    for k in sorted(patterns.keys()):
        if type(k) is not str or type(patterns[k]) is not str:
            raise type_err(1, "object of strings", patterns)
        pairs.append((k, patterns[k]))
    if not pairs:
        return x
    # Go's strings.NewReplacer: leftmost match, earlier pairs win at the same position
    out = []
    i = 0
    size = 0
    steps = 0
    while i < len(x):
        steps += 1
        if not steps & LOOP_MASK:
            check_deadline()
        for old, new in pairs:
            if old and x.startswith(old, i):
                size += len(new)
                if size > MAX_STRING:
                    refuse_size(size, MAX_STRING, "result characters")
                out.append(new)
                i += len(old)
                break
        else:
            out.append(x[i])
            size += 1
            i += 1
    refuse_size(size, MAX_STRING, "result characters")
    return "".join(out)


def _trim(s: Any, cut: Any) -> str:
    return string(s, 1).strip(string(cut, 2))


def _trim_left(s: Any, cut: Any) -> str:
    return string(s, 1).lstrip(string(cut, 2))


def _trim_right(s: Any, cut: Any) -> str:
    return string(s, 1).rstrip(string(cut, 2))


def _trim_prefix(s: Any, p: Any) -> str:
    x, pre = string(s, 1), string(p, 2)
    return x[len(pre) :] if pre and x.startswith(pre) else x


def _trim_suffix(s: Any, p: Any) -> str:
    x, suf = string(s, 1), string(p, 2)
    return x[: -len(suf)] if suf and x.endswith(suf) else x


_GO_SPACE = (
    " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _trim_space(s: Any) -> str:
    return string(s, 1).strip(_GO_SPACE)


def _indexof(s: Any, sub: Any) -> int:
    x, p = string(s, 1), string(sub, 2)
    if p == "":
        return -1
    return x.find(p)


def _indexof_n(s: Any, sub: Any) -> list[int]:
    x, p = string(s, 1), string(sub, 2)
    out = []
    if p == "":
        return list(range(len(x) + 1)) if False else []
    i = x.find(p)
    while i >= 0:
        out.append(i)
        if len(out) > MAX_ELEMENTS:
            refuse_size(len(out), MAX_ELEMENTS, "result elements")
        if not len(out) & LOOP_MASK:
            check_deadline()
        i = x.find(p, i + 1)
    return out


def _substring(s: Any, start: Any, length: Any) -> Any:
    x = string(s, 1)
    i = integer(start, 2)
    n = integer(length, 3)
    if i < 0:
        raise fail("negative offset")
    if i >= len(x):
        return ""
    if n < 0:
        return x[i:]
    return x[i : i + n]


def _reverse(s: Any) -> str:
    return string(s, 1)[::-1]


def _count(s: Any, sub: Any) -> int:
    x, p = string(s, 1), string(sub, 2)
    if p == "":
        return len(x) + 1
    return x.count(p)


def _strs(v: Any, pos: int) -> list[str]:
    if type(v) is str:
        return [v]
    if isinstance(v, (list, tuple, frozenset)):
        out = []
        for x in v:
            if type(x) is not str:
                raise type_err(pos, "one of {string, array, set} of strings", v)
            out.append(x)
        return out
    raise type_err(pos, "one of {string, array, set}", v)


def _any_prefix(s: Any, p: Any) -> bool:
    ss, ps = _strs(s, 1), _strs(p, 2)
    return any(x.startswith(y) for x in ss for y in ps)


def _any_suffix(s: Any, p: Any) -> bool:
    ss, ps = _strs(s, 1), _strs(p, 2)
    return any(x.endswith(y) for x in ss for y in ps)


def _format_int(n: Any, base: Any) -> str:
    x = num(n, 1)
    bs = integer(base, 2)
    v = int(x // 1) if isinstance(x, float) else x
    if isinstance(x, float):
        v = int(x) if x >= 0 else -int(-x)
    neg = v < 0
    v = abs(v)
    if bs == 2:
        r = format(v, "b")
    elif bs == 8:
        r = format(v, "o")
    elif bs == 10:
        r = str(v)
    elif bs == 16:
        r = format(v, "x")
    else:
        raise fail("operand 2 must be one of {2, 8, 10, 16}")
    return "-" + r if neg else r


# -- sprintf -------------------------------------------------------------------------------
_VERB = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d+)?)?([a-zA-Z%])")


def _go_value(v: Any) -> str:
    if type(v) is str:
        return v
    return bounded_to_string(v)


def _pad(s: str, flags: str, width: int | None) -> str:
    if width is None or len(s) >= width:
        return s
    if "-" in flags:
        return s + " " * (width - len(s))
    if "0" in flags and s and (s[0].isdigit() or s[0] in "+-"):
        sign = s[0] if s[0] in "+-" else ""
        body = s[1:] if sign else s
        return sign + "0" * (width - len(s)) + body
    return " " * (width - len(s)) + s


def _go_float(x: float, verb: str, prec: int | None) -> str:
    if verb in "fF":
        return f"{x:.{6 if prec is None else prec}f}"
    if verb in "eE":
        r = f"{x:.{6 if prec is None else prec}e}"
        return r.upper() if verb == "E" else r
    # %g: shortest representation
    if prec is None:
        r = repr(float(x))
        if "e" in r:
            mant, exp = r.split("e")
            e = int(exp)
            r = f"{mant}e{'+' if e >= 0 else '-'}{abs(e):02d}"
        elif r.endswith(".0"):
            r = r[:-2]
        if abs(x) >= 1e21:
            m = f"{x:e}"
            mant, exp = m.split("e")
            mant = mant.rstrip("0").rstrip(".")
            e = int(exp)
            r = f"{mant}e+{abs(e):02d}"
        return r
    return f"{x:.{prec}g}"


def _go_shortest_g(x: float) -> str:
    """Go's %v for a float64 (strconv 'g', shortest): exponent form when exp < -4 or >= 6."""
    from decimal import Decimal

    r = repr(x)
    if r in ("inf", "-inf", "nan"):
        return {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}[r]
    d = Decimal(r)
    exp = d.adjusted()
    if -4 <= exp < 6:
        return format(d, "f")
    digits = "".join(str(n) for n in d.as_tuple().digits).rstrip("0") or "0"
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if x < 0 else ""
    return f"{sign}{body}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"


@lru_cache(maxsize=512)
def _parse_format(f: str) -> tuple[Any, ...]:
    """A format string as literal text and (flags, width, precision, verb) specs."""
    parts: list[Any] = []
    pos = 0
    for m in _VERB.finditer(f):
        if m.start() > pos:
            parts.append(f[pos : m.start()])
        pos = m.end()
        flags, width_s, prec_s, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            parts.append("%")
            continue
        width = _bounded(width_s) if width_s and width_s != "*" else None
        if prec_s and prec_s != "*":
            prec: int | None = _bounded(prec_s)
        else:
            prec = 0 if "." in m.group(0) and prec_s is None else None
        parts.append((flags, width, prec, verb))
    if pos < len(f):
        parts.append(f[pos:])
    return tuple(parts)


#: Widths and precisions of a ``sprintf`` verb (Go's fmt does not honour more than 1e6 either).
MAX_WIDTH = 1_000_000


def _bounded(digits: str) -> int:
    refuse_size(len(digits), 7, "digits of a width or precision")
    n = int(digits)
    refuse_size(n, MAX_WIDTH, "width or precision")
    return n


def _sprintf(fmt: Any, args: Any) -> str:
    f = string(fmt, 1)
    vals = array(args, 2)
    out: list[str] = []
    ai = 0
    n = len(vals)
    for part in _parse_format(f):
        if type(part) is str:
            out.append(part)
            continue
        flags, width, prec, verb = part
        if ai >= n:
            out.append(f"%!{verb}(MISSING)")
            continue
        v = vals[ai]
        ai += 1
        if verb == "v" and not flags and width is None and type(v) is str:
            out.append(v)
            continue
        out.append(_pad(_format_one(v, verb, flags, prec), flags, width))
    if ai < n:
        extra = ", ".join(f"{_go_type(v)}={_go_value(v)}" for v in vals[ai:])
        out.append(f"%!(EXTRA {extra})")
    if len(out) > 4:  # each part is bounded already; many of them could add up
        refuse_size(sum(map(len, out)), MAX_STRING, "result characters")
    return "".join(out)


def _go_type(v: Any) -> str:
    if type(v) is str:
        return "string"
    if type(v) is bool:
        return "bool"
    if type(v) is int:
        return "int"
    if type(v) is float:
        return "float64"
    return "ast.Value"


def _format_one(v: Any, verb: str, flags: str, prec: int | None) -> str:
    if verb in ("v", "s"):
        if isinstance(v, float) and not v.is_integer():
            return _go_shortest_g(v)
        if is_number(v):
            return format_number(v)
        s = _go_value(v)
        if prec is not None and type(v) is str:
            s = s[:prec]
        return s
    if verb == "q":
        if type(v) is str:
            import json

            return json.dumps(v, ensure_ascii=False)
        return f"%!q({_go_type(v)}={_go_value(v)})"
    if verb == "t":
        if type(v) is bool:
            return "true" if v else "false"
        return f"%!t({_go_type(v)}={_go_value(v)})"
    if verb in "dboxXc":
        if type(v) is int or (type(v) is float and v.is_integer() and False):
            n = int(v)
            sign = "-" if n < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
            a = abs(n)
            if verb == "d":
                r = str(a)
            elif verb == "b":
                r = format(a, "b")
            elif verb == "o":
                r = ("0" if "#" in flags else "") + format(a, "o")
            elif verb == "x":
                r = ("0x" if "#" in flags else "") + format(a, "x")
            elif verb == "X":
                r = ("0X" if "#" in flags else "") + format(a, "X")
            else:
                return chr(a)
            return sign + r
        if type(v) is str and verb in "xX":
            r = v.encode().hex()
            return r.upper() if verb == "X" else r
        if type(v) is float:
            return f"%!{verb}(float64={format_number(v)})"
        return f"%!{verb}({_go_type(v)}={_go_value(v)})"
    if verb in "feEgGF":
        if is_number(v):
            r = _go_float(float(v), verb.lower() if verb in "gG" else verb, prec)
            if "+" in flags and not r.startswith("-"):
                r = "+" + r
            return r
        return f"%!{verb}({_go_type(v)}={_go_value(v)})"
    return f"%!{verb}({_go_type(v)}={_go_value(v)})"


TABLE = table(
    builtin("concat", _concat, 2),
    builtin("contains", _contains, 2),
    builtin("startswith", _startswith, 2),
    builtin("endswith", _endswith, 2),
    builtin("lower", _lower, 1),
    builtin("upper", _upper, 1),
    builtin("split", _split, 2),
    builtin("replace", _replace, 3),
    builtin("strings.replace_n", _replace_n, 2),
    builtin("trim", _trim, 2),
    builtin("trim_left", _trim_left, 2),
    builtin("trim_right", _trim_right, 2),
    builtin("trim_prefix", _trim_prefix, 2),
    builtin("trim_suffix", _trim_suffix, 2),
    builtin("trim_space", _trim_space, 1),
    builtin("indexof", _indexof, 2),
    builtin("indexof_n", _indexof_n, 2),
    builtin("substring", _substring, 3),
    builtin("strings.reverse", _reverse, 1),
    builtin("strings.count", _count, 2),
    builtin("strings.any_prefix_match", _any_prefix, 2),
    builtin("strings.any_suffix_match", _any_suffix, 2),
    builtin("format_int", _format_int, 2),
    builtin("sprintf", _sprintf, 2),
)
