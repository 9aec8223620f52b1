"""Shared helpers for the evidence tests: run the CLI in-process and capture its output."""

from __future__ import annotations

import contextlib
import io

import pytest


def run_cli(args: list[str]) -> tuple[int, str]:
    """Run ``seccli ARGS`` in-process; return (exit code, stdout)."""
    from seccli.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
