"""Network builtins: CIDR containment, intersection, merge and expansion."""

from __future__ import annotations

import ipaddress
from typing import Any

from seccli.policy.rego.budget import LOOP_MASK, MAX_ELEMENTS, check_deadline, refuse_size
from seccli.policy.rego.builtins.base import builtin, fail, string, table, type_err
from seccli.policy.rego.values import RegoSet

Net = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Addresses ``net.cidr_expand`` lists (an IPv4 /16).
MAX_EXPAND = 65536


def _net(s: Any, pos: int) -> Net:
    x = string(s, pos)
    try:
        if "/" in x:
            return ipaddress.ip_network(x, strict=False)
        return ipaddress.ip_network(x)
    except ValueError:
        raise fail(f"invalid CIDR address: {x}") from None


def _contains(cidr: Any, other: Any) -> bool:
    a = _net(cidr, 1)
    bb = _net(other, 2)
    if a.version != bb.version:
        return False
    return bb.subnet_of(a)  # type: ignore[arg-type]


def _intersects(x: Any, y: Any) -> bool:
    a = _net(x, 1)
    c = _net(y, 2)
    if a.version != c.version:
        return False
    return a.overlaps(c)


def _merge_operand(a: Any) -> tuple[Net, str | None]:
    """A network to merge, and how to print it when nothing merges with it.

    As OPA (Go's ``net.ParseIP`` first): a bare IPv4 address gets its classful default mask
    (/8, /16, /24) and prints unmasked (``192.0.2.112/24``); a bare IPv6 address is an error.
    """
    x = string(a, 1)
    try:
        ip = ipaddress.ip_address(x)
    except ValueError:
        if "/" not in x:
            raise fail(f"invalid CIDR address: {x}") from None
        return _net(x, 1), None
    if ip.version == 6:
        raise fail("IPv6 invalid: needs prefix length")
    first = int(str(ip).split(".", 1)[0])
    prefix = 8 if first < 0x80 else 16 if first < 0xC0 else 24
    return ipaddress.ip_network(f"{ip}/{prefix}", strict=False), f"{ip}/{prefix}"


def _merge(addrs: Any) -> Any:
    if not isinstance(addrs, (list, tuple, frozenset)):
        raise type_err(1, "one of {array, set}", addrs)
    refuse_size(len(addrs), MAX_ELEMENTS, "addresses")
    out: list[str] = []
    for version in (4, 6):
        spans: list[list[Any]] = []  # [first, last, printed-if-unmerged]
        for a in addrs:
            n, shown = _merge_operand(a)
            if n.version == version:
                first, last = int(n.network_address), int(n.broadcast_address)
                spans.append([first, last, shown or str(n)])
        spans.sort(key=lambda r: (r[0], r[1]))
        merged: list[list[Any]] = []
        for span in spans:
            if merged and span[0] - 1 <= merged[-1][1]:
                top = merged[-1]
                top[1] = max(top[1], span[1])
                top[2] = None
            else:
                merged.append(span)
        cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        for first, last, shown in merged:
            if shown is not None:
                out.append(shown)
            else:
                out.extend(str(n) for n in ipaddress.summarize_address_range(cls(first), cls(last)))
    return RegoSet(out)


def _expand(cidr: Any) -> Any:
    n = _net(cidr, 1)
    refuse_size(n.num_addresses, MAX_EXPAND, f"addresses in {n}")
    out = []
    for i, host in enumerate(n):
        if not i & LOOP_MASK:
            check_deadline()
        out.append(str(host))
    return RegoSet(out)


def _is_valid(cidr: Any) -> bool:
    if type(cidr) is not str or "/" not in cidr:
        return False
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return True


def _contains_matches(cidrs: Any, addrs: Any) -> Any:
    def items(v: Any, pos: int) -> list[tuple[Any, Any]]:
        if type(v) is str:
            return [(v, v)]
        if isinstance(v, (list, tuple)):
            return [(i, x[0] if isinstance(x, (list, tuple)) else x) for i, x in enumerate(v)]
        if isinstance(v, frozenset):
            return [(x, x[0] if isinstance(x, (list, tuple)) else x) for x in v]
        if isinstance(v, dict):
            return [(k, x[0] if isinstance(x, (list, tuple)) else x) for k, x in v.items()]
        raise type_err(pos, "one of {string, array, set, object}", v)

    left, right = items(cidrs, 1), items(addrs, 2)
    refuse_size(len(left) * len(right), MAX_ELEMENTS, "comparisons")
    out = set()
    for i, (ck, c) in enumerate(left):
        cn = _net(c, 1)
        if not i & 0xFF:
            check_deadline()
        for ak, a in right:
            an = _net(a, 2)
            if an.version == cn.version and an.subnet_of(cn):  # type: ignore[arg-type]
                out.add((ck, ak))
    return RegoSet(out)


TABLE = table(
    builtin("net.cidr_contains", _contains, 2),
    builtin("net.cidr_intersects", _intersects, 2),
    builtin("net.cidr_overlap", _contains, 2),
    builtin("net.cidr_merge", _merge, 1),
    builtin("net.cidr_expand", _expand, 1),
    builtin("net.cidr_is_valid", _is_valid, 1),
    builtin("net.cidr_contains_matches", _contains_matches, 2),
)
