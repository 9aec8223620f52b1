"""The bench scripts: they share bench/_timing.py, and its helpers measure what they say."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def _timing() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_timing", BENCH / "_timing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_there_are_bench_scripts() -> None:
    assert len(SCRIPTS) >= 11, [p.name for p in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_each_script_times_with_the_shared_helper(script: Path) -> None:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "_timing" in modules, f"{script.name} does not use bench/_timing.py"
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    # the helper's names are not defined again in a script
    assert not functions & {"best_of", "median_of", "timed", "timed_call", "verdict"}


def test_a_script_runs_from_another_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "drill.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--runs" in done.stdout


def test_timed_measures_the_block() -> None:
    timing = _timing()
    with timing.timed() as measured:
        time.sleep(0.02)
    assert 0.015 <= measured.wall < 1.0
    assert measured.cpu < measured.wall  # sleeping costs no CPU


def test_timed_call_returns_the_result_and_its_time() -> None:
    timing = _timing()
    result, measured = timing.timed_call(lambda: sum(range(1000)))
    assert result == 499500 and measured.wall >= 0


def test_best_and_median_of_repeated_calls() -> None:
    timing = _timing()
    pauses = iter([0.03, 0.001, 0.01])
    best = timing.best_of(lambda: time.sleep(next(pauses)), 3)
    assert best.wall < 0.01
    pauses = iter([0.03, 0.001, 0.01])
    middle = timing.median_of(lambda: time.sleep(next(pauses)), 3)
    assert 0.008 <= middle.wall < 0.03
    with pytest.raises(ValueError, match="at least 1"):
        timing.best_of(lambda: None, 0)


def test_stopwatch_keeps_running() -> None:
    timing = _timing()
    watch = timing.Stopwatch()
    first = watch.elapsed().wall
    time.sleep(0.01)
    assert watch.elapsed().wall >= first + 0.009


def test_verdict_and_report(capsys: pytest.CaptureFixture[str]) -> None:
    timing = _timing()
    assert timing.verdict(1.0, 2.0) == "met"
    assert timing.verdict(3.0, 2.0) == "MISSED"
    assert timing.verdict(3.0, 2.0, at_least=True) == "met"
    line = timing.report("load", 3.0, goal=2.0)
    assert line == "load: 3.000 s  (goal <= 2 s: MISSED, ratio 1.50)"
    assert capsys.readouterr().out == line + "\n"
