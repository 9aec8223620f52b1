"""Severity: info < low < medium < high < critical, parsed from any tool's words."""

from __future__ import annotations

from enum import StrEnum

_WORDS: dict[str, str] = {
    "info": "info",
    "informational": "info",
    "information": "info",
    "none": "info",
    "note": "info",
    "unknown": "info",
    "negligible": "info",
    "low": "low",
    "minor": "low",
    "medium": "medium",
    "moderate": "medium",
    "warning": "medium",
    "warn": "medium",
    "high": "high",
    "error": "high",
    "major": "high",
    "important": "high",
    "critical": "critical",
    "blocker": "critical",
    "severe": "critical",
    "fatal": "critical",
}

_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_SARIF_LEVEL = {
    "info": "note",
    "low": "note",
    "medium": "warning",
    "high": "error",
    "critical": "error",
}


class Severity(StrEnum):
    """How bad a finding is. Ordered: ``Severity.LOW < Severity.HIGH``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return _RANK[self.value]

    # str already defines ordering, so every comparison is spelled out to order by rank.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __hash__(self) -> int:
        return hash(self.value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Severity):
            return self.value == other.value
        if isinstance(other, str):
            return self.value == other
        return NotImplemented

    @property
    def sarif_level(self) -> str:
        """The SARIF ``level`` for this severity."""
        return _SARIF_LEVEL[self.value]

    @classmethod
    def parse(cls, word: str | float | int | None) -> Severity:
        """Parse a tool's severity word (``WARNING``, ``moderate``...) or a CVSS score.

        Raises ``ValueError`` for words no tool uses.
        """
        if word is None:
            return cls.INFO
        if isinstance(word, bool):
            raise ValueError(f"not a severity: {word!r}")
        if isinstance(word, int | float):
            return cls._from_cvss(float(word))
        text = word.strip().lower()
        if text in _WORDS:
            return cls(_WORDS[text])
        try:
            return cls._from_cvss(float(text))
        except ValueError:
            pass
        known = ", ".join(sorted(_WORDS))
        raise ValueError(f"unknown severity {word!r} (known: {known}, or a CVSS score 0-10)")

    @classmethod
    def _from_cvss(cls, score: float) -> Severity:
        if not 0.0 <= score <= 10.0:
            raise ValueError(f"CVSS score out of range 0-10: {score}")
        if score == 0.0:
            return cls.INFO
        if score < 4.0:
            return cls.LOW
        if score < 7.0:
            return cls.MEDIUM
        if score < 9.0:
            return cls.HIGH
        return cls.CRITICAL
