"""Run ``seccli`` inside the test process, with the result shaped like ``subprocess.run``'s.

A real process costs about half a second of interpreter start and imports per call; tests that
only need the command's exit code and output (not a separate process: no SIGKILL, no terminal,
no fresh hash seed) use this instead. The environment, working folder, standard input and
output are swapped for the duration of the call and restored afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path


@contextlib.contextmanager
def _swapped_environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_seccli(
    args: list[str], *, cwd: Path, env: Mapping[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``seccli ARGS`` in this process with exactly ``env`` as its environment, run in ``cwd``."""
    from seccli.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    previous_cwd, previous_stdin = Path.cwd(), sys.stdin
    with _swapped_environment(env):
        os.chdir(cwd)
        sys.stdin = io.StringIO(stdin or "")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main(list(args))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.stdin = previous_stdin
            os.chdir(previous_cwd)
    return subprocess.CompletedProcess(["seccli", *args], code, out.getvalue(), err.getvalue())
