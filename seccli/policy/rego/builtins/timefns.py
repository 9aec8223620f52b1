"""Time builtins (nanoseconds since the epoch, Go layouts and durations)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

from seccli.policy.rego.builtins.base import builtin, fail, integer, num, string, table, type_err

_UTC = dt.UTC
_DUR = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {
    "ns": 1,
    "us": 1000,
    "µs": 1000,
    "μs": 1000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX_NS = 2**63 - 1


def _now(ctx: Any) -> int:
    if ctx.now_ns is None:
        ctx.now_ns = time.time_ns()
    return int(ctx.now_ns)


def parse_duration(s: str) -> int:
    """Go's time.ParseDuration, in nanoseconds."""
    orig = s
    if s in ("0", "+0", "-0"):
        return 0
    if not s:
        raise fail(f'time: invalid duration "{orig}"')
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if not s:
        raise fail(f'time: invalid duration "{orig}"')
    total = 0
    pos = 0
    from fractions import Fraction

    acc = Fraction(0)
    while pos < len(s):
        m = re.match(r"([0-9]*)(\.[0-9]*)?", s[pos:])
        numtxt = m.group(0) if m else ""
        if not numtxt or numtxt == ".":
            raise fail(f'time: invalid duration "{orig}"')
        pos += len(numtxt)
        um = re.match(r"[^0-9.]+", s[pos:])
        if not um:
            raise fail(f'time: missing unit in duration "{orig}"')
        unit = um.group(0)
        if unit not in _UNITS:
            raise fail(f'time: unknown unit "{unit}" in duration "{orig}"')
        pos += len(unit)
        acc += Fraction(numtxt if not numtxt.endswith(".") else numtxt[:-1] or "0") * _UNITS[unit]
    total = int(acc)
    if total > _MAX_NS:
        raise fail(f'time: invalid duration "{orig}"')
    return -total if neg else total


def _parse_duration_ns(s: Any) -> int:
    return parse_duration(string(s, 1))


def _to_dt(ns: int, tz: str = "") -> dt.datetime:
    base = dt.datetime(1970, 1, 1, tzinfo=_UTC) + dt.timedelta(microseconds=ns // 1000)
    if tz in ("", "UTC"):
        return base
    if tz == "Local":
        return base.astimezone()
    try:
        from zoneinfo import ZoneInfo

        return base.astimezone(ZoneInfo(tz))
    except Exception:
        raise fail(f"unknown time zone {tz}") from None


def _ns_arg(v: Any, name: str) -> tuple[int, str, Any]:
    if isinstance(v, (list, tuple)):
        if len(v) < 2 or len(v) > 3:
            raise type_err(1, "array of 2 or 3 elements", v)
        ns = integer(v[0], 1)
        tz = string(v[1], 1)
        layout = string(v[2], 1) if len(v) == 3 else None
        return ns, tz, layout
    n = num(v, 1)
    return int(n), "", None


def _date(v: Any) -> list[int]:
    ns, tz, _ = _ns_arg(v, "time.date")
    d = _to_dt(ns, tz)
    return [d.year, d.month, d.day]


def _clock(v: Any) -> list[int]:
    ns, tz, _ = _ns_arg(v, "time.clock")
    d = _to_dt(ns, tz)
    return [d.hour, d.minute, d.second]


def _weekday(v: Any) -> str:
    ns, tz, _ = _ns_arg(v, "time.weekday")
    return _to_dt(ns, tz).strftime("%A")


def _add_date(ns: Any, years: Any, months: Any, days: Any) -> int:
    n = integer(ns, 1)
    y, m, d = integer(years, 2), integer(months, 3), integer(days, 4)
    base = _to_dt(n)
    rem_ns = n % 1000
    # Go normalises overflowing months/days
    month0 = base.month - 1 + m
    year = base.year + y + month0 // 12
    month = month0 % 12 + 1
    day = base.day
    last = calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 31
    extra = 0
    if day > last:
        extra = day - last
        day = last
    try:
        out = base.replace(year=year, month=month, day=day) + dt.timedelta(days=d + extra)
    except (ValueError, OverflowError):
        raise fail("time outside of valid range") from None
    delta = out - dt.datetime(1970, 1, 1, tzinfo=_UTC)
    res = (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000 + rem_ns
    if not -(2**63) <= res <= _MAX_NS:
        raise fail("time outside of valid range")
    return res


def _diff(a: Any, c: Any) -> list[int]:
    n1, tz1, _ = _ns_arg(a, "time.diff")
    n2, tz2, _ = _ns_arg(c, "time.diff")
    t1 = _to_dt(n1, tz1)
    t2 = _to_dt(n2, tz2)
    if t1 > t2:
        t1, t2 = t2, t1
    y = t2.year - t1.year
    mo = t2.month - t1.month
    d = t2.day - t1.day
    h = t2.hour - t1.hour
    mi = t2.minute - t1.minute
    s = t2.second - t1.second
    if s < 0:
        s += 60
        mi -= 1
    if mi < 0:
        mi += 60
        h -= 1
    if h < 0:
        h += 24
        d -= 1
    if d < 0:
        pm = t2.month - 1 or 12
        py = t2.year if t2.month != 1 else t2.year - 1
        d += calendar.monthrange(py, pm)[1]
        mo -= 1
    if mo < 0:
        mo += 12
        y -= 1
    return [y, mo, d, h, mi, s]


# Go layout tokens → strftime-ish renderers
_LAYOUT_TOKENS: list[tuple[str, Callable[[dt.datetime], str]]] = [
    ("2006", lambda d: f"{d.year:04d}"),
    ("January", lambda d: d.strftime("%B")),
    ("Monday", lambda d: d.strftime("%A")),
    ("Jan", lambda d: d.strftime("%b")),
    ("Mon", lambda d: d.strftime("%a")),
    ("MST", lambda d: d.tzname() or "UTC"),
    ("Z07:00", lambda d: "Z" if not d.utcoffset() else _off(d, ":")),
    ("-07:00", lambda d: _off(d, ":")),
    ("-0700", lambda d: _off(d, "")),
    ("01", lambda d: f"{d.month:02d}"),
    ("02", lambda d: f"{d.day:02d}"),
    ("_2", lambda d: f"{d.day:2d}"),
    ("15", lambda d: f"{d.hour:02d}"),
    ("03", lambda d: f"{(d.hour % 12) or 12:02d}"),
    ("04", lambda d: f"{d.minute:02d}"),
    ("05", lambda d: f"{d.second:02d}"),
    ("06", lambda d: f"{d.year % 100:02d}"),
    ("PM", lambda d: "PM" if d.hour >= 12 else "AM"),
    ("pm", lambda d: "pm" if d.hour >= 12 else "am"),
    ("1", lambda d: str(d.month)),
    ("2", lambda d: str(d.day)),
    ("3", lambda d: str((d.hour % 12) or 12)),
    ("4", lambda d: str(d.minute)),
    ("5", lambda d: str(d.second)),
]


def _off(d: dt.datetime, sep: str) -> str:
    off = d.utcoffset() or dt.timedelta(0)
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return f"{sign}{mins // 60:02d}{sep}{mins % 60:02d}"


_NAMED = {
    "ANSIC": "Mon Jan _2 15:04:05 2006",
    "UnixDate": "Mon Jan _2 15:04:05 MST 2006",
    "RubyDate": "Mon Jan 02 15:04:05 -0700 2006",
    "RFC822": "02 Jan 06 15:04 MST",
    "RFC822Z": "02 Jan 06 15:04 -0700",
    "RFC850": "Monday, 02-Jan-06 15:04:05 MST",
    "RFC1123": "Mon, 02 Jan 2006 15:04:05 MST",
    "RFC1123Z": "Mon, 02 Jan 2006 15:04:05 -0700",
    "RFC3339": "2006-01-02T15:04:05Z07:00",
    "RFC3339Nano": "2006-01-02T15:04:05.999999999Z07:00",
    "Kitchen": "3:04PM",
    "Stamp": "Jan _2 15:04:05",
    "StampMilli": "Jan _2 15:04:05.000",
    "StampMicro": "Jan _2 15:04:05.000000",
    "StampNano": "Jan _2 15:04:05.000000000",
    "DateTime": "2006-01-02 15:04:05",
    "DateOnly": "2006-01-02",
    "TimeOnly": "15:04:05",
}


def format_go(d: dt.datetime, ns_frac: int, layout: str) -> str:
    """Render ``d`` with a Go reference layout."""
    layout = _NAMED.get(layout, layout)
    out: list[str] = []
    i = 0
    while i < len(layout):
        m = re.match(r"[.,](0+|9+)", layout[i:])
        if m and i > 0 and layout[i - 1].isdigit():
            digits = len(m.group(1))
            frac = f"{ns_frac:09d}"[:digits]
            if m.group(1)[0] == "9":
                frac = frac.rstrip("0")
                out.append(("." + frac) if frac else "")
            else:
                out.append("." + frac)
            i += len(m.group(0))
            continue
        for tok, fn in _LAYOUT_TOKENS:
            if layout.startswith(tok, i):
                out.append(fn(d))
                i += len(tok)
                break
        else:
            out.append(layout[i])
            i += 1
    return "".join(out)


def _format(v: Any) -> str:
    ns, tz, layout = _ns_arg(v, "time.format")
    d = _to_dt(ns, tz)
    return format_go(d, ns % 1_000_000_000, layout or "RFC3339Nano")


def _parse_rfc3339(s: Any) -> int:
    x = string(s, 1)
    m = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", x
    )
    if not m:
        raise fail(f'parsing time "{x}" as "2006-01-02T15:04:05Z07:00": cannot parse')
    return _ns_from_parts(m, x)


def _ns_from_parts(m: re.Match[str], x: str) -> int:
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    tz = m.group(8)
    try:
        base = dt.datetime(y, mo, d, h, mi, s, tzinfo=_UTC)
    except ValueError as err:
        raise fail(f'parsing time "{x}": {err}') from None
    secs = calendar.timegm(base.timetuple())
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        hh, mm = int(tz[1:3]), int(tz[4:6])
        secs -= sign * (hh * 3600 + mm * 60)
    ns = int((frac[1:] + "000000000")[:9]) if frac else 0
    return _in_int64_range(secs * 1_000_000_000 + ns)


def _in_int64_range(ns: int) -> int:
    """Nanoseconds since the epoch, refused (OPA's error) outside what an int64 holds."""
    if not -(2**63) <= ns <= _MAX_NS:
        raise fail("time outside of valid range")
    return ns


def _parse_ns(layout: Any, value: Any) -> int:
    lay = _NAMED.get(string(layout, 1), string(layout, 1))
    x = string(value, 2)
    # translate the Go layout into a regex with named groups
    rx: list[str] = []
    i = 0
    toks = {
        "2006": r"(?P<Y>\d{4})",
        "January": r"(?P<B>[A-Za-z]+)",
        "Jan": r"(?P<b>[A-Za-z]{3})",
        "Monday": r"[A-Za-z]+",
        "Mon": r"[A-Za-z]{3}",
        "MST": r"(?P<Z>[A-Z]{3,4})",
        "Z07:00": r"(?P<z>Z|[+-]\d{2}:\d{2})",
        "-07:00": r"(?P<z>[+-]\d{2}:\d{2})",
        "-0700": r"(?P<zz>[+-]\d{4})",
        "01": r"(?P<m>\d{2})",
        "02": r"(?P<d>\d{2})",
        "_2": r"\s?(?P<d>\d{1,2})",
        "15": r"(?P<H>\d{2})",
        "03": r"(?P<I>\d{2})",
        "04": r"(?P<M>\d{2})",
        "05": r"(?P<S>\d{2})",
        "06": r"(?P<y>\d{2})",
        "PM": r"(?P<p>AM|PM)",
        "1": r"(?P<m>\d{1,2})",
        "2": r"(?P<d>\d{1,2})",
        "3": r"(?P<I>\d{1,2})",
        "4": r"(?P<M>\d{1,2})",
        "5": r"(?P<S>\d{1,2})",
    }
    order = sorted(toks, key=len, reverse=True)
    while i < len(lay):
        m = re.match(r"\.(0+|9+)", lay[i:])
        if m:
            rx.append(r"(?P<f>\.\d+)?")
            i += len(m.group(0))
            continue
        for tok in order:
            if lay.startswith(tok, i):
                rx.append(toks[tok])
                i += len(tok)
                break
        else:
            rx.append(re.escape(lay[i]))
            i += 1
    if "05" in lay and ".0" not in lay and ".9" not in lay:
        rx.insert(rx.index(toks["05"]) + 1, r"(?P<f>\.\d+)?")
    try:
        mm = re.fullmatch("".join(rx), x)
    except re.error:
        mm = None
    if not mm:
        raise fail(f'parsing time "{x}" as "{lay}": cannot parse')
    g = mm.groupdict()
    year = int(g["Y"]) if g.get("Y") else (2000 + int(g["y"]) if g.get("y") else 0)
    if year == 0:
        year = 1
    if g.get("B") or g.get("b"):
        name = (g.get("B") or g.get("b") or "")[:3].title()
        month = list(calendar.month_abbr).index(name) if name in calendar.month_abbr else 1
    else:
        month = int(g["m"]) if g.get("m") else 1
    day = int(g["d"]) if g.get("d") else 1
    hour = int(g["H"]) if g.get("H") else (int(g["I"]) % 12 if g.get("I") else 0)
    if g.get("p") == "PM":
        hour += 12
    minute = int(g["M"]) if g.get("M") else 0
    sec = int(g["S"]) if g.get("S") else 0
    try:
        base = dt.datetime(year, month, day, hour, minute, sec, tzinfo=_UTC)
    except ValueError as err:
        raise fail(f'parsing time "{x}": {err}') from None
    secs = calendar.timegm(base.timetuple())
    z = g.get("z") or ""
    if z and z != "Z":
        sign = 1 if z[0] == "+" else -1
        secs -= sign * (int(z[1:3]) * 3600 + int(z[4:6]) * 60)
    zz = g.get("zz") or ""
    if zz:
        sign = 1 if zz[0] == "+" else -1
        secs -= sign * (int(zz[1:3]) * 3600 + int(zz[3:5]) * 60)
    frac = g.get("f") or ""
    ns = int((frac[1:] + "000000000")[:9]) if frac else 0
    return _in_int64_range(secs * 1_000_000_000 + ns)


TABLE = table(
    builtin("time.now_ns", _now, 0, needs_ctx=True, pure=False),
    builtin("time.parse_duration_ns", _parse_duration_ns, 1),
    builtin("time.parse_rfc3339_ns", _parse_rfc3339, 1),
    builtin("time.parse_ns", _parse_ns, 2),
    builtin("time.date", _date, 1),
    builtin("time.clock", _clock, 1),
    builtin("time.weekday", _weekday, 1),
    builtin("time.add_date", _add_date, 4),
    builtin("time.diff", _diff, 2),
    builtin("time.format", _format, 1),
)
