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


def _merge(addrs: Any) -> Any:
    if not isinstance(addrs, (list, tuple, frozenset)):
        raise type_err(1, "one of {array, set}", addrs)
    v4: list[Net] = []
    v6: list[Net] = []
    refuse_size(len(addrs), MAX_ELEMENTS, "addresses")
    for a in addrs:
        n = _net(a, 1)
        (v4 if n.version == 4 else v6).append(n)
    out = [str(n) for n in ipaddress.collapse_addresses(v4)]  # type: ignore[type-var]
    out += [str(n) for n in ipaddress.collapse_addresses(v6)]  # type: ignore[type-var]
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
