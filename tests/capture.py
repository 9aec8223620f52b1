"""Run ``seccli`` in the test process through its console entry point, output captured by pytest.

``main`` always ends with ``SystemExit`` carrying the exit code; ``run_main`` returns that code
with what the command wrote to stdout and stderr.
"""

from __future__ import annotations

import pytest

from seccli.cli.app import main


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``seccli ARGS``."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    code = exited.value.code
    assert code is None or isinstance(code, int), f"seccli exited with {code!r}, not a code"
    return code or 0, out, err
