"""The period an evidence pack covers: a quarter (``2026-Q4``), a month, a year or two instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from seccli.core.errors import InputError

_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval [start, end) in UTC with a label."""

    label: str
    start: datetime
    end: datetime

    def contains(self, timestamp: str) -> bool:
        """True when the ISO 8601 ``timestamp`` falls inside the period."""
        moment = parse_instant(timestamp, "timestamp")
        return self.start <= moment < self.end

    def to_json(self) -> dict[str, str]:
        """The period as JSON: label and ISO 8601 bounds."""
        return {"label": self.label, "from": iso(self.start), "to": iso(self.end)}


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` and whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_instant(text: str, what: str) -> datetime:
    """An ISO 8601 date or date-time (UTC assumed when no offset is given)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what}: {text!r} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def named_period(text: str) -> Period:
    """``2026-Q4``, ``2026-11`` or ``2026`` as a period (exit 2 for anything else)."""
    value = text.strip()
    if match := _QUARTER.fullmatch(value):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * (quarter - 1) + 1
        return Period(value, _month_start(year, first), _month_start(year, first + 3))
    if (match := _MONTH.fullmatch(value)) and 1 <= int(match[2]) <= 12:
        year, month = int(match[1]), int(match[2])
        return Period(value, _month_start(year, month), _month_start(year, month + 1))
    if _YEAR.fullmatch(value):
        year = int(value)
        return Period(value, _month_start(year, 1), _month_start(year + 1, 1))
    raise InputError(
        f"--period: {text!r} is not a period", hint="use YYYY-Qn (2026-Q4), YYYY-MM or YYYY"
    )


def resolve_period(period: str | None, start: str | None, end: str | None, now: datetime) -> Period:
    """The period from ``--period`` or ``--from``/``--to``; the quarter of ``now`` by default."""
    if period is not None and (start is not None or end is not None):
        raise InputError("give either --period or --from/--to, not both")
    if period is not None:
        return named_period(period)
    if start is not None or end is not None:
        begin = parse_instant(start, "--from") if start else datetime(1970, 1, 1, tzinfo=UTC)
        finish = parse_instant(end, "--to") if end else now + timedelta(seconds=1)
        if finish <= begin:
            raise InputError("--to must be after --from")
        return Period(f"{iso(begin)}/{iso(finish)}", begin, finish)
    quarter = (now.month - 1) // 3 + 1
    return named_period(f"{now.year}-Q{quarter}")
