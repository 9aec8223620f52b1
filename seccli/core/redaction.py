"""Keeping secret values out of output: a ``Secret`` wrapper and a redacting logging filter."""

from __future__ import annotations

import logging
import threading
from typing import Any

from seccli.core.redacted import REDACTED as REDACTED  # re-exported: the marker's usual home
from seccli.core.urls import redact_urls

_MIN_SECRET_LENGTH = 4


class Redactor:
    """Replaces every registered secret value in text with ``***REDACTED***``."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def register(self, value: str) -> None:
        """Remember ``value`` so that it is redacted wherever it appears.

        Values shorter than four characters are not registered: redacting them would mangle
        ordinary text while protecting nothing.
        """
        if len(value) >= _MIN_SECRET_LENGTH:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        """Return ``text`` with every registered value replaced (longest values first)."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._values


DEFAULT_REDACTOR = Redactor()


class Secret:
    """A secret value whose ``str`` and ``repr`` never show it; call ``reveal()`` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str, *, redactor: Redactor | None = DEFAULT_REDACTOR) -> None:
        self._value = value
        if redactor is not None:
            redactor.register(value)

    def reveal(self) -> str:
        """The secret value itself. Pass it only to the place that needs it."""
        return self._value

    def __str__(self) -> str:
        return REDACTED

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __format__(self, spec: str) -> str:
        return REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        raise TypeError("Secret values cannot be pickled")


class RedactingFilter(logging.Filter):
    """A logging filter that redacts registered secret values, and credentials in URLs, from
    messages and arguments."""

    def __init__(self, redactor: Redactor = DEFAULT_REDACTOR) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact_urls(self._redactor.redact(message))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact_urls(
                self._redactor.redact(logging.Formatter().formatException(record.exc_info))
            )
            record.exc_info = None
        return True
