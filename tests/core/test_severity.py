"""Severity ordering and parsing of every tool's words."""

from __future__ import annotations

import pytest

from seccli.core.severity import Severity


def test_total_order_follows_rank_not_alphabet() -> None:
    ordered = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
    shuffled = [ordered[i] for i in (3, 0, 4, 2, 1)]
    assert sorted(shuffled) == ordered
    assert Severity.HIGH > Severity.LOW  # alphabetically "high" < "low"
    assert Severity.CRITICAL >= Severity.CRITICAL
    assert Severity.INFO <= Severity.LOW
    assert not Severity.MEDIUM < Severity.MEDIUM
    assert max(Severity.LOW, Severity.CRITICAL, Severity.MEDIUM) is Severity.CRITICAL


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("INFO", Severity.INFO),
        ("note", Severity.INFO),
        (None, Severity.INFO),
        ("LOW", Severity.LOW),
        ("minor", Severity.LOW),
        ("MEDIUM", Severity.MEDIUM),
        ("WARNING", Severity.MEDIUM),
        ("moderate", Severity.MEDIUM),
        ("HIGH", Severity.HIGH),
        ("ERROR", Severity.HIGH),
        ("important", Severity.HIGH),
        ("CRITICAL", Severity.CRITICAL),
        ("blocker", Severity.CRITICAL),
        (" High ", Severity.HIGH),
        (0.0, Severity.INFO),
        (3.9, Severity.LOW),
        (4.0, Severity.MEDIUM),
        (7.5, Severity.HIGH),
        (9.8, Severity.CRITICAL),
        ("9.1", Severity.CRITICAL),
    ],
)
def test_parse(word: str | float | None, expected: Severity) -> None:
    assert Severity.parse(word) is expected


@pytest.mark.parametrize("word", ["severe-ish", "", "11", -1, True])
def test_parse_rejects_unknown_words(word: object) -> None:
    with pytest.raises(ValueError):
        Severity.parse(word)  # type: ignore[arg-type]


def test_sarif_levels() -> None:
    assert Severity.CRITICAL.sarif_level == "error"
    assert Severity.MEDIUM.sarif_level == "warning"
    assert Severity.INFO.sarif_level == "note"
