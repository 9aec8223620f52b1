"""Tables written to a pipe or a file are not cut at Rich's 80-column default."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from seccli.cli import output


def test_a_pipe_gets_the_wide_width_and_columns_still_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert output.stdout_console().width == output.PIPE_WIDTH
    monkeypatch.setenv("COLUMNS", "97")
    assert output.stdout_console().width == 97


def test_a_piped_table_keeps_long_rows_whole() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "seccli", "evidence", "controls", "--framework", "iso27001"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) > 80  # rows are not folded into 80 columns
    assert all(len(line) <= output.PIPE_WIDTH for line in lines)
