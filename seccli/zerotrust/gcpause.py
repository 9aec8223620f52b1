"""Pausing Python's cyclic garbage collector during bulk work.

Generating, parsing and analysing thousands of policies allocates millions of small objects
that are all still alive: each automatic collection then scans them again, which more than
doubles the cost and makes it grow faster than the input. Those structures hold no reference
cycles, so reference counting frees them; the collector is resumed afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable automatic collection inside the block (nested use is fine)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def without_gc(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``func`` with the collector paused."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused_gc():
            return func(*args, **kwargs)

    return wrapper
