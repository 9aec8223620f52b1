"""Timing helpers shared by the bench scripts.

bench/ is not a package: a script run as ``python bench/<name>.py`` has its own folder on
``sys.path``, so ``from _timing import timed`` works from any working directory.

Wall time includes waiting for a core on a shared machine; CPU time (this process only) does
not, so both are kept.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Timing:
    """Seconds of wall-clock and process CPU time of one measured stretch."""

    wall: float = 0.0
    cpu: float = 0.0


class Stopwatch:
    """Started when made; ``elapsed()`` is the time since (for stretches no block can hold)."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> Timing:
        return Timing(time.perf_counter() - self._wall, time.process_time() - self._cpu)


@contextmanager
def timed() -> Iterator[Timing]:
    """Measure the ``with`` block; the yielded Timing is filled in when the block ends."""
    timing = Timing()
    watch = Stopwatch()
    try:
        yield timing
    finally:
        elapsed = watch.elapsed()
        timing.wall, timing.cpu = elapsed.wall, elapsed.cpu


def timed_call(action: Callable[[], T]) -> tuple[T, Timing]:
    """Call ``action`` once; its result and how long it took."""
    with timed() as timing:
        result = action()
    return result, timing


def _runs(action: Callable[[], object], repeat: int) -> list[Timing]:
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1 (got {repeat})")
    return [timed_call(action)[1] for _ in range(repeat)]


def best_of(action: Callable[[], object], repeat: int = 3) -> Timing:
    """Fastest of ``repeat`` calls (wall and CPU minimised separately)."""
    runs = _runs(action, repeat)
    return Timing(min(r.wall for r in runs), min(r.cpu for r in runs))


def median_of(action: Callable[[], object], repeat: int = 5) -> Timing:
    """Median of ``repeat`` calls (wall and CPU separately)."""
    runs = _runs(action, repeat)
    return Timing(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


def verdict(value: float, goal: float, *, at_least: bool = False) -> str:
    """``met`` or ``MISSED``: ``value <= goal`` (or ``>=`` with ``at_least``)."""
    ok = value >= goal if at_least else value <= goal
    return "met" if ok else "MISSED"


def report(name: str, seconds: float, goal: float | None = None, width: int = 0) -> str:
    """Print and return one line ``name: 1.234 s`` with the goal, verdict and ratio if given."""
    line = f"{name + ':':<{width}} {seconds:.3f} s"
    if goal is not None:
        line += f"  (goal <= {goal:g} s: {verdict(seconds, goal)}, ratio {seconds / goal:.2f})"
    print(line)
    return line
