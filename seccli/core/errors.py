"""The error hierarchy and the stable exit codes.

Every error a user can cause is a ``SeccliError`` with a one-line message, an optional hint and
an exit code; the CLI prints those without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

from seccli.core.location import Location


class ExitCode(IntEnum):
    """Exit codes a CI can rely on."""

    OK = 0
    VIOLATIONS = 1
    INPUT = 2
    DEPENDENCY = 3


class SeccliError(Exception):
    """Root of every seccli error: a user-facing message, a hint and an exit code."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        location: Location | None = None,
        exit_code: ExitCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        if self.location is not None:
            return f"{self.location}: {self.message}"
        return self.message

    def lines(self) -> list[str]:
        """The lines to show a user, one problem per line."""
        return [str(self)]


class InputError(SeccliError):
    """The user's input is malformed or inconsistent (exit 2)."""

    exit_code = ExitCode.INPUT


class DependencyError(SeccliError):
    """A tool, server or library seccli depends on failed (exit 3; for a gate, a denial)."""

    exit_code = ExitCode.DEPENDENCY


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a document, with where it is."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class DocumentInvalid(InputError):
    """A document has one or more problems; all of them are reported at once."""

    def __init__(self, problems: Sequence[Problem], *, hint: str | None = None) -> None:
        ordered = sorted(problems, key=_problem_order)
        first = ordered[0] if ordered else None
        count = len(ordered)
        summary = f"{count} problem{'s' if count != 1 else ''} found"
        super().__init__(summary, hint=hint, location=first.location if first else None)
        self.problems: tuple[Problem, ...] = tuple(ordered)

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        return f"{self.message}: " + "; ".join(str(p) for p in self.problems)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


def _problem_order(problem: Problem) -> tuple[str, int, str, str]:
    loc = problem.location
    return (loc.file, loc.line or 0, loc.path or "", problem.message)


def raise_if_problems(problems: Iterable[Problem], *, hint: str | None = None) -> None:
    """Raise ``DocumentInvalid`` when ``problems`` is not empty."""
    collected = list(problems)
    if collected:
        raise DocumentInvalid(collected, hint=hint)
