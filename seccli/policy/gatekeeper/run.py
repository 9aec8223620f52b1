"""``policy test``: review many objects against a library, on one or more processes.

Workers are forked after the constraints are compiled and the objects loaded, so nothing but
index ranges goes to them and only violations come back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seccli.policy.gatekeeper.constraint import Constraint
from seccli.policy.gatekeeper.gate import Evaluator, ItemResult, Timing, Violation
from seccli.policy.gatekeeper.review import ReviewItem

#: Below this many objects one process is faster than starting workers.
PARALLEL_THRESHOLD = 1000
_CHUNK = 250

_STATE: dict[str, Any] = {}


@dataclass
class TestReport:
    """Results per object, and where the time went."""

    results: list[ItemResult]
    seconds: float
    eval_seconds: float
    evaluations: int
    workers: int

    @property
    def violations(self) -> list[tuple[ReviewItem, Violation]]:
        """Every (object, violation) pair."""
        return [(r.item, v) for r in self.results for v in r.violations]

    @property
    def denied(self) -> bool:
        """True when any violation denies (deny action or an error)."""
        return any(v.denies for r in self.results for v in r.violations)

    @property
    def errored(self) -> bool:
        """True when some object could not be judged (an evaluation error or abort)."""
        return any(v.error for r in self.results for v in r.violations)


def _review_range(bounds: tuple[int, int]) -> tuple[int, list[tuple[Violation, ...]], float, int]:
    evaluator: Evaluator = _STATE["evaluator"]
    items: Sequence[ReviewItem] = _STATE["items"]
    before = evaluator.timing.eval_seconds
    count = evaluator.timing.evaluations
    out = [tuple(evaluator.review(items[i])) for i in range(*bounds)]
    return (
        bounds[0],
        out,
        evaluator.timing.eval_seconds - before,
        evaluator.timing.evaluations - count,
    )


def run_tests(
    constraints: Sequence[Constraint],
    items: Sequence[ReviewItem],
    inventory: Sequence[Mapping[str, Any]] = (),
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> TestReport:
    """Review every item against every matching constraint.

    ``workers`` > 1 forks that many processes when there are at least
    ``PARALLEL_THRESHOLD`` items; ``progress(n)`` is called as ``n`` more items are done.
    """
    started = time.perf_counter()
    evaluator = Evaluator(constraints, inventory)
    chunks = [(i, min(i + _CHUNK, len(items))) for i in range(0, len(items), _CHUNK)]
    per_item: list[tuple[Violation, ...]] = [()] * len(items)
    timing = Timing()
    used = 1
    if workers > 1 and len(items) >= PARALLEL_THRESHOLD:
        import multiprocessing

        used = workers
        _STATE["evaluator"] = evaluator
        _STATE["items"] = items
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as pool:
                for start, out, seconds, evaluations in pool.imap_unordered(_review_range, chunks):
                    per_item[start : start + len(out)] = out
                    timing.eval_seconds += seconds
                    timing.evaluations += evaluations
                    if progress is not None:
                        progress(len(out))
        finally:
            _STATE.clear()
    else:
        for start, end in chunks:
            for index in range(start, end):
                per_item[index] = tuple(evaluator.review(items[index]))
            if progress is not None:
                progress(end - start)
        timing = evaluator.timing
    results = [ItemResult(item, per_item[i]) for i, item in enumerate(items)]
    return TestReport(
        results=results,
        seconds=time.perf_counter() - started,
        eval_seconds=timing.eval_seconds,
        evaluations=timing.evaluations,
        workers=used,
    )
