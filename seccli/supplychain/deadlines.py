"""Deadlines for whole HTTP exchanges, which socket time-outs alone cannot give.

A socket time-out bounds each wait for bytes, so a server that sends one byte a second never
trips it: headers and bodies can be trickled for hours. Here a deadline covers the whole
exchange (connect, headers and body): a timer cuts the connection's socket when it passes,
which ends any blocked read at once. ``RegistryClient`` opens one ``exchange`` per request
attempt; its connection pools (``WatchedPoolManager``) attach their connection to it.

Also here: ``overall_deadline``, a per-thread deadline that bounds every exchange started
inside it (the gate gives each image one).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


class Exchange:
    """One HTTP exchange with a deadline (``time.monotonic()`` seconds)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._lock = threading.Lock()
        self._connection: _Watched | None = None
        self._timer: threading.Timer | None = None

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.deadline - time.monotonic())

    def attach(self, connection: _Watched) -> None:
        """Watch ``connection``: cut it when the deadline passes (at once if it has)."""
        with self._lock:
            self._connection = connection
            if self.fired or self.remaining() <= 0:
                self.fired = True
                connection.cut()
            elif self._timer is None:
                self._timer = threading.Timer(self.remaining(), self._fire)
                self._timer.daemon = True
                self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._connection is not None:
                self._connection.cut()

    def close(self) -> None:
        """Stop watching (the exchange is over)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._connection = None


@contextmanager
def exchange(deadline: float) -> Iterator[Exchange]:
    """Run one HTTP exchange of this thread under ``deadline``."""
    current = Exchange(deadline)
    _local.exchange = current
    try:
        yield current
    finally:
        _local.exchange = None
        current.close()


def _current() -> Exchange | None:
    found: Exchange | None = getattr(_local, "exchange", None)
    return found


@contextmanager
def overall_deadline(seconds: float | None) -> Iterator[None]:
    """Bound every exchange this thread starts inside by ``seconds`` from now (``None``: no
    bound). Nested deadlines keep the earlier one."""
    previous: float | None = getattr(_local, "overall", None)
    if seconds is not None:
        at = time.monotonic() + seconds
        _local.overall = at if previous is None else min(previous, at)
    try:
        yield
    finally:
        _local.overall = previous


def overall_remaining() -> float | None:
    """Seconds left of this thread's overall deadline, or ``None`` when there is none."""
    at: float | None = getattr(_local, "overall", None)
    return None if at is None else at - time.monotonic()


class _Watched(HTTPConnection):
    """Connection behaviour: join the thread's current exchange when connecting and on every
    request, and remember the raw socket so that a TLS handshake can be cut too."""

    _raw_sock: socket.socket | None = None

    def cut(self) -> None:
        """Shut the socket down; a blocked read (or handshake) returns at once."""
        for sock in (self.sock, self._raw_sock):
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _join_exchange(self) -> None:
        current = _current()
        if current is not None:
            current.attach(self)

    def _new_conn(self) -> socket.socket:
        self._raw_sock = super()._new_conn()
        return self._raw_sock

    def connect(self) -> None:
        self._join_exchange()
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._join_exchange()
        super().request(*args, **kwargs)


class WatchedHTTPConnection(_Watched):
    """A plain HTTP connection cut at its exchange's deadline."""


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    """An HTTPS connection cut at its exchange's deadline (handshake included: ``_Watched``
    comes first, so its methods wrap HTTPSConnection's)."""


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class WatchedPoolManager(PoolManager):
    """A ``PoolManager`` whose connections honour exchange deadlines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
