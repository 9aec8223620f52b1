"""The table of bus implementations and the one place that picks one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from seccli.bus.config import BusConfig
from seccli.bus.interface import Bus


def _local(config: BusConfig, ack_wait: float, max_deliver: int, subjects: Sequence[str]) -> Bus:
    from seccli.bus.local import LocalBus

    return LocalBus(config, ack_wait=ack_wait)


def _nats(config: BusConfig, ack_wait: float, max_deliver: int, subjects: Sequence[str]) -> Bus:
    from seccli.bus.jetstream import NatsBus

    return NatsBus(config, ack_wait=ack_wait, max_deliver=max_deliver, subjects=subjects)


#: Bus kinds and how to build them (imports stay lazy: nats-py loads only when used).
BUSES: dict[str, Callable[[BusConfig, float, int, Sequence[str]], Bus]] = {
    "local": _local,
    "nats": _nats,
}


def open_bus(
    config: BusConfig,
    *,
    ack_wait: float = 30.0,
    max_deliver: int = 5,
    subjects: Sequence[str] = (),
) -> Bus:
    """The bus ``config`` selects (not yet connected)."""
    return BUSES[config.kind](config, ack_wait, max_deliver, subjects)
