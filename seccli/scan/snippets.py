"""Reading the flagged lines of a file: fingerprint bases and secret redaction."""

from __future__ import annotations

from pathlib import Path

_MAX_SNIPPET_LINES = 40


def read_lines(root: Path, relpath: str, start: int | None, end: int | None) -> str:
    """Lines ``start``..``end`` (1-based, inclusive) of a file under ``root``; "" if unreadable."""
    if start is None or start < 1:
        return ""
    last = max(start, end or start)
    last = min(last, start + _MAX_SNIPPET_LINES - 1)
    try:
        with (root / relpath).open("r", encoding="utf-8", errors="replace") as handle:
            lines = [line for number, line in enumerate(handle, 1) if start <= number <= last]
    except OSError:
        return ""
    return "".join(lines)
