"""The drill's simulated clock: exercise time that the engine advances, with pauses.

Exercise time is minutes since the start, pauses excluded; it is what every score measures.
Clock time (``now``) is the simulated UTC instant, pauses included: a 30-minute pause moves
every later instant by 30 minutes and changes no score. Nothing sleeps.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta


class DrillClock:
    """A ``seccli.core.clock.Clock`` the drill engine moves; never reads the wall clock."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a drill starts at a timezone-aware instant")
        self.start = start.astimezone(UTC)
        self.minutes = 0.0
        self._pause_at: list[float] = []
        self._paused_before: list[float] = [0.0]

    def pause(self, at_minutes: float, minutes: float) -> None:
        """A pause of ``minutes`` at exercise time ``at_minutes`` (in order)."""
        if self._pause_at and at_minutes < self._pause_at[-1]:
            raise ValueError("pauses must be added in order")
        self._pause_at.append(at_minutes)
        self._paused_before.append(self._paused_before[-1] + minutes)

    @property
    def paused_minutes(self) -> float:
        """All pauses so far, in minutes."""
        return self._paused_before[-1]

    def advance_to(self, minutes: float) -> None:
        """Move exercise time forward (never back)."""
        if minutes > self.minutes:
            self.minutes = minutes

    def wall_minutes(self, minutes: float) -> float:
        """Clock minutes since the start of exercise time ``minutes`` (pauses before it added)."""
        return minutes + self._paused_before[bisect_right(self._pause_at, minutes)]

    def at(self, minutes: float) -> datetime:
        """The simulated instant of exercise time ``minutes``."""
        return self.start + timedelta(minutes=self.wall_minutes(minutes))

    def now(self) -> datetime:
        return self.at(self.minutes)
