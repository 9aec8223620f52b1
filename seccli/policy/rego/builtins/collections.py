"""Arrays, sets and objects: concat/slice/reverse, union/intersection, object.*, json.filter,
json.remove, json.patch and walk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seccli.policy.rego.budget import (
    LOOP_MASK,
    MAX_ELEMENTS,
    MAX_STRING,
    check_deadline,
    logical_size,
    refuse_size,
)
from seccli.policy.rego.builtins.base import (
    array,
    builtin,
    fail,
    integer,
    obj,
    rset,
    table,
    type_err,
)
from seccli.policy.rego.errors import BuiltinError
from seccli.policy.rego.runtime import index, sorted_items
from seccli.policy.rego.values import UNDEF, RegoSet, eq, freeze


def _concat(a: Any, c: Any) -> Any:
    x, y = array(a, 1), array(c, 2)
    refuse_size(len(x) + len(y), MAX_ELEMENTS, "result elements")
    return [*x, *y]


def _slice(a: Any, s: Any, e: Any) -> Any:
    arr = array(a, 1)
    i = max(integer(s, 2), 0)
    j = min(integer(e, 3), len(arr))
    if i >= j:
        return []
    return list(arr[i:j])


def _reverse(a: Any) -> Any:
    return list(reversed(array(a, 1)))


def _intersection(s: Any) -> Any:
    sets = rset(s, 1)
    out: frozenset[Any] | None = None
    for x in sets:
        if not isinstance(x, frozenset):
            raise type_err(1, "set of sets", s)
        out = x if out is None else out & x
    return RegoSet(out or ())


def _union(s: Any) -> Any:
    sets = rset(s, 1)
    out: set[Any] = set()
    for x in sets:
        if not isinstance(x, frozenset):
            raise type_err(1, "set of sets", s)
        out |= x
        refuse_size(len(out), MAX_ELEMENTS, "result elements")
    return RegoSet(out)


def _obj_get(o: Any, key: Any, default: Any) -> Any:
    obj(o, 1)
    if isinstance(key, (list, tuple)):
        cur = o
        for k in key:
            cur = index(cur, k)
            if cur is UNDEF:
                return default
        return cur
    v = index(o, key)
    return default if v is UNDEF else v


def _obj_keys(o: Any) -> Any:
    return RegoSet(obj(o, 1).keys())


def _keyset(keys: Any, pos: int) -> set[Any]:
    if isinstance(keys, (list, tuple, frozenset)):
        return {freeze(k) for k in keys}
    if isinstance(keys, dict):
        return {freeze(k) for k in keys}
    raise type_err(pos, "one of {array, object, set}", keys)


def _obj_remove(o: Any, keys: Any) -> Any:
    obj(o, 1)
    drop = _keyset(keys, 2)
    return {k: v for k, v in o.items() if k not in drop}


def _obj_filter(o: Any, keys: Any) -> Any:
    obj(o, 1)
    keep = _keyset(keys, 2)
    return {k: v for k, v in o.items() if k in keep}


def _merge(a: Any, c: Any) -> Any:
    if isinstance(a, dict) and isinstance(c, dict):
        out = dict(a)
        for k, v in c.items():
            out[k] = _merge(out[k], v) if k in out else v
        return out
    return c


def _obj_union(a: Any, c: Any) -> Any:
    return _merge(obj(a, 1), obj(c, 2))


def _obj_union_n(objs: Any) -> Any:
    out: Any = {}
    for o in array(objs, 1):
        if not isinstance(o, dict):
            raise type_err(1, "array of objects", objs)
        out = _merge(out, o)
    return out


def _subset(sup: Any, sub: Any) -> bool:
    if isinstance(sup, dict) and isinstance(sub, dict):
        return all(not (k not in sup or not _subset(sup[k], v)) for k, v in sub.items())
    if isinstance(sup, frozenset) and isinstance(sub, frozenset):
        return sub <= sup
    if isinstance(sup, (list, tuple)) and isinstance(sub, (list, tuple)):
        n = len(sub)
        if n == 0:
            return True
        return any(all(eq(sup[i + j], sub[j]) for j in range(n)) for i in range(len(sup) - n + 1))
    if isinstance(sup, (list, tuple)) and isinstance(sub, frozenset):
        return all(any(eq(x, y) for y in sup) for x in sub)
    return eq(sup, sub)


def _obj_subset(sup: Any, sub: Any) -> bool:
    if not isinstance(sup, (dict, list, tuple, frozenset)):
        raise type_err(1, "one of {object, array, set}", sup)
    if not isinstance(sub, (dict, list, tuple, frozenset)):
        raise type_err(2, "one of {object, array, set}", sub)
    same = (
        (isinstance(sup, dict) and isinstance(sub, dict))
        or (isinstance(sup, frozenset) and isinstance(sub, frozenset))
        or (isinstance(sup, (list, tuple)) and isinstance(sub, (list, tuple, frozenset)))
    )
    if not same:
        raise fail("both arguments object.subset must be of the same type or array and set")
    return _subset(sup, sub)


def _paths(paths: Any, pos: int) -> list[list[Any]]:
    if isinstance(paths, dict):
        raise type_err(pos, "one of {array, set}", paths)
    if not isinstance(paths, (list, tuple, frozenset)):
        raise type_err(pos, "one of {array, set}", paths)
    out: list[list[Any]] = []
    for p in paths:
        if isinstance(p, str):
            parts = list(p.strip("/").split("/")) if p.strip("/") else []
            out.append([x.replace("~1", "/").replace("~0", "~") for x in parts])
        elif isinstance(p, (list, tuple)):
            out.append(list(p))
        else:
            raise type_err(pos, "one of {array, set} of strings or arrays", paths)
    return out


def _json_filter(o: Any, paths: Any) -> Any:
    obj(o, 1)
    ps = _paths(paths, 2)
    tree: dict[Any, Any] = {}
    for p in ps:
        cur = tree
        for k in p:
            cur = cur.setdefault(freeze(k) if not isinstance(k, str) else k, {})
        cur[None] = True
    return _filter(o, tree)


def _filter(v: Any, tree: dict[Any, Any]) -> Any:
    if None in tree:
        return v
    if isinstance(v, dict):
        out = {}
        for k, sub in tree.items():
            if k in v:
                r = _filter(v[k], sub)
                if r is not UNDEF:
                    out[k] = r
        return out
    if isinstance(v, (list, tuple)):
        out_l = []
        for i, x in enumerate(v):
            sub = tree.get(str(i))  # array positions match string path segments only
            if sub is not None:
                r = _filter(x, sub)
                if r is not UNDEF:
                    out_l.append(r)
        return out_l
    if isinstance(v, frozenset):
        out_s = []
        for x in v:
            sub = tree.get(x, tree.get(str(x)) if not isinstance(x, str) else None)
            if sub is not None:
                r = _filter(x, sub)
                if r is not UNDEF:
                    out_s.append(freeze(r))
        return RegoSet(out_s)
    return UNDEF


def _json_remove(o: Any, paths: Any) -> Any:
    obj(o, 1)
    ps = _paths(paths, 2)
    return _remove(o, ps)


def _remove(v: Any, ps: list[list[Any]]) -> Any:
    if any(len(p) == 0 for p in ps):
        return UNDEF
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            sub = [p[1:] for p in ps if p and (p[0] == k or str(p[0]) == str(k))]
            if not sub:
                out[k] = x
                continue
            r = _remove(x, sub)
            if r is not UNDEF:
                out[k] = r
        return out
    if isinstance(v, (list, tuple)):
        out_l = []
        for i, x in enumerate(v):
            sub = [p[1:] for p in ps if p and str(p[0]) == str(i)]
            if not sub:
                out_l.append(x)
                continue
            r = _remove(x, sub)
            if r is not UNDEF:
                out_l.append(r)
        return out_l
    return v


def _walk(v: Any) -> Iterator[Any]:
    stack: list[tuple[list[Any], Any]] = [([], v)]
    while stack:
        path, cur = stack.pop()
        yield [path, cur]
        if isinstance(cur, dict):
            stack.extend(([*path, k], x) for k, x in reversed(sorted_items(cur)))
        elif isinstance(cur, (list, tuple)):
            stack.extend(([*path, i], cur[i]) for i in range(len(cur) - 1, -1, -1))
        elif isinstance(cur, frozenset):
            stack.extend(([*path, x], x) for x in cur)


def _json_patch(o: Any, patches: Any) -> Any:
    """RFC 6902 patch; a patch that cannot apply makes the result undefined (as in OPA)."""
    array(patches, 2)
    logical_size(o, MAX_STRING)  # the document is copied in full (shared parts included)
    logical_size(patches, MAX_STRING)
    try:
        return _json_patch_apply(o, patches)
    except (BuiltinError, ValueError, TypeError, IndexError, KeyError, OverflowError):
        return UNDEF


def _json_patch_apply(o: Any, patches: Any) -> Any:
    import copy

    doc = copy.deepcopy(_thaw(o))
    for p in array(patches, 2):
        if not isinstance(p, dict):
            raise type_err(2, "array of objects", patches)
        op = p.get("op")
        if op in ("add", "replace", "test") and "value" not in p:
            raise fail("missing value")
        path = _ptr(p.get("path"))
        if op == "add":
            doc = _patch_add(doc, path, _thaw(p.get("value")))
        elif op == "remove":
            doc = _patch_remove(doc, path)
            if not path:
                doc = _REMOVED
        elif op == "replace":
            doc = _patch_remove(doc, path)
            doc = _patch_add(doc, path, _thaw(p.get("value")))
        elif op in ("move", "copy"):
            frm = _ptr(p.get("from"))
            val = _patch_get(doc, frm)
            if op == "move":
                doc = _patch_remove(doc, frm)
            doc = _patch_add(doc, path, copy.deepcopy(val))
        elif op == "test":
            if not eq(_patch_get(doc, path), p.get("value")):
                raise fail("test operation failed")
        else:
            raise fail(f"invalid patch operation {op!r}")
    if doc is _REMOVED:
        return UNDEF
    return _refreeze(doc)


_REMOVED = object()


def _thaw(v: Any) -> Any:
    if isinstance(v, frozenset):
        return {"__set__": [_thaw(x) for x in v]}
    if isinstance(v, dict):
        return {k: _thaw(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_thaw(x) for x in v]
    return v


def _refreeze(v: Any) -> Any:
    if isinstance(v, dict):
        if list(v.keys()) == ["__set__"] and isinstance(v["__set__"], list):
            return RegoSet(freeze(_refreeze(x)) for x in v["__set__"])
        return {k: _refreeze(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_refreeze(x) for x in v]
    return v


def _ptr(p: Any) -> list[str]:
    if isinstance(p, (list, tuple)):
        return [str(x) for x in p]
    if not isinstance(p, str):
        raise fail("invalid patch path")
    if p == "":
        return []
    if not p.startswith("/"):
        raise fail("invalid patch path")
    return [x.replace("~1", "/").replace("~0", "~") for x in p[1:].split("/")]


def _patch_get(doc: Any, path: list[str]) -> Any:
    cur = doc
    for k in path:
        if isinstance(cur, dict) and "__set__" in cur and len(cur) == 1:
            for x in cur["__set__"]:
                if str(x) == k or x == k:
                    cur = x
                    break
            else:
                raise fail("path not found")
        elif isinstance(cur, dict):
            if k not in cur:
                raise fail("path not found")
            cur = cur[k]
        elif isinstance(cur, list):
            if not k.isdigit() or (len(k) > 1 and k[0] == "0") or int(k) >= len(cur):
                raise fail("path not found")
            cur = cur[int(k)]
        else:
            raise fail("path not found")
    return cur


def _patch_add(doc: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    parent = _patch_get(doc, path[:-1])
    last = path[-1]
    if isinstance(parent, dict) and "__set__" in parent and len(parent) == 1:
        if value not in parent["__set__"]:
            parent["__set__"].append(value)
    elif isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            if not last.isdigit() or (len(last) > 1 and last[0] == "0"):
                raise fail("invalid array index")
            i = int(last)
            if i < 0 or i > len(parent):
                raise fail("index out of range")
            parent.insert(i, value)
    else:
        raise fail("path not found")
    return doc


def _patch_remove(doc: Any, path: list[str]) -> Any:
    if not path:
        return None
    parent = _patch_get(doc, path[:-1])
    last = path[-1]
    if isinstance(parent, dict) and "__set__" in parent and len(parent) == 1:
        items = parent["__set__"]
        for i, x in enumerate(items):
            if str(x) == last or x == last:
                items.pop(i)
                return doc
        raise fail("path not found")
    if isinstance(parent, dict):
        if last not in parent:
            raise fail("path not found")
        del parent[last]
    elif isinstance(parent, list):
        if not last.isdigit() or (len(last) > 1 and last[0] == "0") or int(last) >= len(parent):
            raise fail("path not found")
        parent.pop(int(last))
    else:
        raise fail("path not found")
    return doc


def _array_flatten(a: Any) -> Any:
    """One level: array elements are spliced in, anything else (nested arrays too) kept."""
    out: list[Any] = []
    for x in array(a, 1):
        if isinstance(x, (list, tuple)):
            out.extend(x)
        else:
            out.append(x)
        if len(out) > MAX_ELEMENTS:
            refuse_size(len(out), MAX_ELEMENTS, "result elements")
        check_deadline()
    return out


def _neighbours(graph: dict[Any, Any], node: Any) -> list[Any]:
    edges = index(graph, node)
    if edges is UNDEF or edges is None:
        return []
    if isinstance(edges, (list, tuple, frozenset)):
        return list(edges)
    raise type_err(1, "object of arrays or sets", graph)


def _reachable(graph: Any, initial: Any) -> Any:
    obj(graph, 1)
    if not isinstance(initial, (list, tuple, frozenset)):
        raise type_err(2, "one of {array, set}", initial)
    seen: set[Any] = set()
    stack = [freeze(x) for x in initial]
    steps = 0
    while stack:
        steps += 1
        if not steps & LOOP_MASK:
            check_deadline()
        if len(stack) > MAX_ELEMENTS:
            refuse_size(len(stack), MAX_ELEMENTS, "nodes to visit")
        node = stack.pop()
        if node in seen or index(graph, node) is UNDEF:
            continue
        seen.add(node)
        stack.extend(freeze(x) for x in _neighbours(graph, node))
    return RegoSet(seen)


#: Steps ``graph.reachable_paths`` takes (each costs the length of its path).
MAX_PATH_STEPS = 100_000


def _reachable_paths(graph: Any, initial: Any) -> Any:
    obj(graph, 1)
    if not isinstance(initial, (list, tuple, frozenset)):
        raise type_err(2, "one of {array, set}", initial)
    paths: set[Any] = set()

    visits = [0]

    def walk(node: Any, path: list[Any]) -> None:
        # the number of paths can grow exponentially with the graph: count the work
        visits[0] += 1
        if not visits[0] & 0xFF:
            check_deadline()
        if visits[0] > MAX_PATH_STEPS:
            refuse_size(visits[0], MAX_PATH_STEPS, "path steps")
        nexts = [n for n in _neighbours(graph, node) if freeze(n) not in {freeze(p) for p in path}]
        nexts = [n for n in nexts if index(graph, n) is not UNDEF]
        if not nexts:
            paths.add(freeze(path))
            return
        for n in nexts:
            walk(n, [*path, n])

    for start in initial:
        if index(graph, start) is not UNDEF:
            walk(start, [start])
    return RegoSet(paths)


TABLE = table(
    builtin("array.concat", _concat, 2),
    builtin("array.slice", _slice, 3),
    builtin("array.reverse", _reverse, 1),
    builtin("array.flatten", _array_flatten, 1),
    builtin("intersection", _intersection, 1),
    builtin("union", _union, 1),
    builtin("object.get", _obj_get, 3),
    builtin("object.keys", _obj_keys, 1),
    builtin("object.remove", _obj_remove, 2),
    builtin("object.filter", _obj_filter, 2),
    builtin("object.union", _obj_union, 2),
    builtin("object.union_n", _obj_union_n, 1),
    builtin("object.subset", _obj_subset, 2),
    builtin("json.filter", _json_filter, 2),
    builtin("json.remove", _json_remove, 2),
    builtin("json.patch", _json_patch, 2),
    builtin("walk", _walk, 1, relation=True),
    builtin("graph.reachable", _reachable, 2),
    builtin("graph.reachable_paths", _reachable_paths, 2),
)
