"""Sets of (protocol, port) as sorted, merged port intervals per protocol."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PROTOCOLS = ("TCP", "UDP", "SCTP")
MIN_PORT = 1
MAX_PORT = 65535

Interval = tuple[int, int]


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


@dataclass(frozen=True, slots=True)
class PortSet:
    """An immutable set of ports per protocol; ``ranges`` maps protocol to merged intervals."""

    ranges: tuple[tuple[str, tuple[Interval, ...]], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, Iterable[Interval]]) -> PortSet:
        """Build from {protocol: intervals}, normalising order and overlaps."""
        items = []
        for proto in sorted(mapping):
            merged = _merge(mapping[proto])
            if merged:
                items.append((proto, merged))
        return cls(tuple(items))

    @classmethod
    def empty(cls) -> PortSet:
        """No port at all."""
        return cls(())

    @classmethod
    def all(cls) -> PortSet:
        """Every port of every protocol."""
        return cls.of({proto: [(MIN_PORT, MAX_PORT)] for proto in PROTOCOLS})

    @classmethod
    def single(cls, protocol: str, port: int, end_port: int | None = None) -> PortSet:
        """One port (or one range up to ``end_port``) of ``protocol``."""
        return cls.of({protocol: [(port, end_port if end_port is not None else port)]})

    @classmethod
    def whole(cls, protocol: str) -> PortSet:
        """Every port of ``protocol``."""
        return cls.of({protocol: [(MIN_PORT, MAX_PORT)]})

    def as_dict(self) -> dict[str, tuple[Interval, ...]]:
        """{protocol: intervals}."""
        return dict(self.ranges)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def union(self, other: PortSet) -> PortSet:
        """Ports in either set."""
        if not other.ranges:
            return self
        if not self.ranges:
            return other
        combined: dict[str, list[Interval]] = {}
        for proto, intervals in (*self.ranges, *other.ranges):
            combined.setdefault(proto, []).extend(intervals)
        return PortSet.of(combined)

    def intersection(self, other: PortSet) -> PortSet:
        """Ports in both sets."""
        if self.ranges == other.ranges:
            return self
        mine = self.as_dict()
        result: dict[str, list[Interval]] = {}
        for proto, theirs in other.ranges:
            ours = mine.get(proto)
            if not ours:
                continue
            out: list[Interval] = []
            i = j = 0
            while i < len(ours) and j < len(theirs):
                lo = max(ours[i][0], theirs[j][0])
                hi = min(ours[i][1], theirs[j][1])
                if lo <= hi:
                    out.append((lo, hi))
                if ours[i][1] < theirs[j][1]:
                    i += 1
                else:
                    j += 1
            if out:
                result[proto] = out
        return PortSet.of(result)

    def difference(self, other: PortSet) -> PortSet:
        """Ports in this set and not in ``other``."""
        theirs = other.as_dict()
        result: dict[str, list[Interval]] = {}
        for proto, ours in self.ranges:
            holes = theirs.get(proto, ())
            out: list[Interval] = []
            for lo, hi in ours:
                start = lo
                for hlo, hhi in holes:
                    if hhi < start or hlo > hi:
                        continue
                    if hlo > start:
                        out.append((start, hlo - 1))
                    start = max(start, hhi + 1)
                    if start > hi:
                        break
                if start <= hi:
                    out.append((start, hi))
            if out:
                result[proto] = out
        return PortSet.of(result)

    def contains(self, protocol: str, port: int) -> bool:
        """Whether ``protocol``/``port`` is in the set."""
        return any(
            lo <= port <= hi for proto, ivs in self.ranges if proto == protocol for lo, hi in ivs
        )

    def labels(self) -> list[str]:
        """Human-readable items: ``TCP/8080``, ``UDP/53``, ``TCP/1000-2000``, ``TCP/*``."""
        out: list[str] = []
        for proto, intervals in self.ranges:
            for lo, hi in intervals:
                if (lo, hi) == (MIN_PORT, MAX_PORT):
                    out.append(f"{proto}/*")
                elif lo == hi:
                    out.append(f"{proto}/{lo}")
                else:
                    out.append(f"{proto}/{lo}-{hi}")
        return out

    def __str__(self) -> str:
        return ", ".join(self.labels()) or "-"

    def to_json(self) -> dict[str, list[str]]:
        """{protocol: ["8080", "1000-2000"]} for JSON output."""
        return {
            proto: [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals]
            for proto, intervals in self.ranges
        }
