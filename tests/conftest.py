"""Every test runs with the warm scan worker off and a private runtime directory.

A test that wants a worker turns it on explicitly; none may touch the user's own workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _no_stray_scan_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECCLI_SCAN_WORKER", "off")
        patch.setenv("SECCLI_RUNTIME_DIR", str(runtime))
        patch.setenv("SECCLI_SCAN_WORKER_IDLE", "120")  # a worker a crashed test leaves goes soon
        yield runtime
        if any(runtime.glob("*.sock")):
            from seccli.scan.worker_client import stop_workers

            stop_workers(runtime)
