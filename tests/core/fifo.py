"""A FIFO reader for tests: its end is open before the writer comes, so no open races."""

from __future__ import annotations

import os
import select
import threading
import time
from pathlib import Path


class FifoReader:
    """Open ``path`` for reading now (non-blocking) and collect what writers send."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._chunks: list[bytes] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            ready, _, _ = select.select([self._fd], [], [], 0.05)
            if not ready:
                if self._done.is_set():
                    return
                continue
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                continue
            if chunk:
                self._chunks.append(chunk)
            elif self._done.is_set():
                return  # end of file after the writer finished: everything was read
            else:
                time.sleep(0.01)  # no writer yet

    def finish(self) -> bytes:
        """Call after the writer returned: everything it wrote."""
        self._done.set()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()
        os.close(self._fd)
        return b"".join(self._chunks)
