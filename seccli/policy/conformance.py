"""Runs Rego conformance cases in OPA's YAML test-case format against a policy engine.

Two dialects of the format are understood:

* OPA's (used by rego-cpp): ``want_result`` is a list of binding maps, errors are
  ``want_error_code``/``want_error``, ``strict_error`` turns on strict builtin errors,
  ``want_defined``, ``want_output``, ``input_term``, ``sort_bindings``.
* regorus's: ``want_result`` is the query's value (or its bindings when the query binds
  variables; ``many!`` for several results, ``set!``/``object!`` for sets and objects with
  non-string keys), ``error`` for an expected error, ``no_result``, ``strict`` (default true),
  ``skip``.

As in OPA's test-data layout, a case file under a directory named ``v0`` is parsed as Rego v0,
any other as v1; a skip list can name further path prefixes to parse as v0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccli.core.documents import load_documents
from seccli.core.errors import DependencyError, InputError
from seccli.policy.interface import PolicyEngine, PreparedPolicy
from seccli.policy.rego import RegoError, compile
from seccli.policy.rego.values import (
    UNDEF,
    RegoSet,
    eq,
    freeze,
    to_json,
)

PASS = "pass"
FAIL = "fail"
SKIP = "skip"

_OPA_KEYS = {
    "want_error_code",
    "strict_error",
    "input_term",
    "want_defined",
    "want_output",
    "data_path",
    "input_path",
}
_REGORUS_KEYS = {"error", "no_result", "skip", "strict", "want_prints"}


SPECIFIC = "implementation-specific"
SKIP_KINDS = (SPECIFIC, "unsupported", "limitation")


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case (``kind`` says why a skipped case is skipped)."""

    id: str
    status: str
    detail: str = ""
    kind: str = ""


@dataclass
class SkipList:
    """Cases (or whole files) not run, each with its reason, and v0 path prefixes."""

    cases: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    v0_paths: list[str] = field(default_factory=list)
    v0_keyword_paths: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> SkipList:
        """Read a skip list YAML file."""
        doc = _load_yaml(path) or {}
        if not isinstance(doc, dict):
            raise InputError(f"{path}: a skip list is a mapping with 'skips' and 'v0_paths'")
        out = cls()
        items = doc.get("skips", []) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise InputError(f"{path}: 'skips' must be a list of mappings")
        for item in items:
            reason = str(item.get("reason", "")).strip()
            if not reason:
                raise InputError(f"{path}: every skip needs a reason ({item})")
            kind = str(item.get("kind", SPECIFIC))
            if kind not in SKIP_KINDS:
                raise InputError(f"{path}: unknown skip kind {kind!r} ({item})")
            out.kinds[reason] = kind
            if "case" in item:
                out.cases[str(item["case"])] = reason
            elif "file" in item:
                out.files[str(item["file"])] = reason
            elif "key" in item:
                out.keys[str(item["key"])] = reason
        out.v0_paths = [str(p) for p in doc.get("v0_paths", []) or []]
        return out

    def reason_for(self, rel: str, note: str, case: dict[str, Any]) -> str | None:
        """The reason ``rel::note`` is skipped, or None when it runs."""
        for tail in _tails(rel):
            if f"{tail}::{note}" in self.cases:
                return self.cases[f"{tail}::{note}"]
            for prefix, reason in self.files.items():
                if tail == prefix or tail.startswith(prefix.rstrip("/") + "/"):
                    return reason
        for key, reason in self.keys.items():
            if key in case:
                return reason
        return None


def _load_yaml(path: Path) -> Any:
    """The one document of a suite or skip-list file (None when empty), via the safe loader."""
    docs = load_documents(path)
    if len(docs) > 1:
        raise InputError(f"{path}:{docs[1].start_line}: expected one document, found {len(docs)}")
    return docs[0].data if docs else None


def _tails(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def is_v0_path(rel: str, prefixes: list[str]) -> bool:
    """True when ``rel`` (or one of its path suffixes) starts with one of ``prefixes``."""
    return any(t.startswith(p) for t in _tails(rel) for p in prefixes)


def discover(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """(root, file) pairs of every YAML case file under ``paths``."""
    out: list[tuple[Path, Path]] = []
    for p in paths:
        if p.is_file():
            out.append((p.parent, p))
        elif p.is_dir():
            out.extend((p, f) for f in sorted([*p.rglob("*.yaml"), *p.rglob("*.yml")]))
        else:
            raise InputError(f"no such file or directory: {p}")
    return out


def run_paths(
    paths: Iterable[Path],
    skips: SkipList | None = None,
    engine: PolicyEngine | None = None,
) -> list[CaseResult]:
    """Run every case under ``paths`` with ``engine`` (native by default)."""
    skips = skips or SkipList()
    results: list[CaseResult] = []
    for root, f in discover(paths):
        doc = _load_yaml(f)
        if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
            continue
        if not all(isinstance(case, dict) for case in doc["cases"]):
            raise InputError(f"{f}: 'cases' must be a list of mappings")
        rel = f"{root.name}/{f.relative_to(root).as_posix()}"
        v0 = "v0" in f.relative_to(root).parts[:-1] or is_v0_path(rel, skips.v0_paths)
        dialect = _dialect(doc["cases"])
        for i, case in enumerate(doc["cases"]):
            note = str(case.get("note", f"case{i}"))
            cid = f"{rel}::{note}"
            reason = skips.reason_for(rel, note, case)
            if reason is None and case.get("skip") is True:
                reason = "skipped by the source suite"
            if reason is not None:
                kind = skips.kinds.get(reason, SPECIFIC)
                results.append(CaseResult(cid, SKIP, reason, kind))
                continue
            results.append(run_case(cid, case, v0=v0, dialect=dialect, engine=engine))
    return results


def _dialect(cases: list[dict[str, Any]]) -> str:
    keys: set[str] = set()
    for c in cases:
        keys |= set(c)
    if keys & _OPA_KEYS:
        return "opa"
    if keys & _REGORUS_KEYS:
        return "regorus"
    wants = [c.get("want_result") for c in cases if "want_result" in c]
    if wants and all(isinstance(w, list) and all(isinstance(x, dict) for x in w) for w in wants):
        return "opa"
    return "regorus"


def run_case(
    cid: str,
    case: dict[str, Any],
    *,
    v0: bool,
    dialect: str,
    engine: PolicyEngine | None = None,
) -> CaseResult:
    """Run one case; never raises for engine failures (they become FAIL)."""
    try:
        return _run_case(cid, case, v0=v0, dialect=dialect, engine=engine)
    except RegoError as err:
        return CaseResult(cid, FAIL, f"unexpected error: {err}")
    except DependencyError:
        raise
    except Exception as err:  # a crash is a failed case, reported with its type
        return CaseResult(cid, FAIL, f"crash: {type(err).__name__}: {err}")


def _run_case(
    cid: str, case: dict[str, Any], *, v0: bool, dialect: str, engine: PolicyEngine | None
) -> CaseResult:
    mods = case.get("modules") or []
    modules = {f"mod{i}.rego": src for i, src in enumerate(mods)}
    data = case.get("data") or {}
    query = str(case.get("query", ""))
    if dialect == "opa":
        strict = bool(case.get("strict_error", False))
        want_error = case.get("want_error_code") or case.get("want_error")
    else:
        strict = bool(case.get("strict", True))
        want_error = case.get("error")
    try:
        if engine is None:
            policy: PreparedPolicy = compile(modules, data, v0=v0, v0_keywords=v0)
        else:
            policy = engine.prepare(modules, data, v0=v0)
        inp: Any = UNDEF
        try:
            if "input" in case:
                inp = case["input"]
            elif "input_term" in case:
                inp = compile({}, {}).eval(f"__x := {case['input_term']}").bindings[0]["__x"]
            res = policy.eval(query, inp, strict_builtin_errors=strict)
        finally:
            policy.close()
    except RegoError as err:
        if want_error is None:
            return CaseResult(cid, FAIL, f"unexpected error: {err.opa_message()}")
        code = case.get("want_error_code")
        if dialect == "opa" and code and err.code != code:
            return CaseResult(cid, FAIL, f"want error code {code}, got {err.opa_message()}")
        msg = case.get("want_error") if dialect == "opa" else None
        if msg and str(msg) not in err.opa_message():
            return CaseResult(cid, FAIL, f"want error containing {msg!r}, got: {err.opa_message()}")
        return CaseResult(cid, PASS)
    if want_error is not None:
        return CaseResult(cid, FAIL, f"want error {want_error!r}, got a result")
    prints = case.get("want_output", case.get("want_prints"))
    if prints is not None:
        want_p = prints if isinstance(prints, str) else "\n".join(str(x) for x in prints)
        got_p = "\n".join(res.prints)
        if want_p.strip("\n") != got_p.strip("\n"):
            return CaseResult(cid, FAIL, f"want output {want_p!r}, got {got_p!r}")
    if dialect == "opa":
        return _check_opa(cid, case, res)
    return _check_regorus(cid, case, res, query)


def _canon(v: Any) -> str:
    return json.dumps(to_json(v), sort_keys=True, default=str)


def _check_opa(cid: str, case: dict[str, Any], res: Any) -> CaseResult:
    if "want_defined" in case:
        if bool(case["want_defined"]) != bool(res.bindings or res.expressions):
            return CaseResult(cid, FAIL, f"want defined={case['want_defined']}")
        return CaseResult(cid, PASS)
    if "want_result" not in case:
        return CaseResult(cid, PASS)
    # OPA's harness compares JSON: results and expectations are both converted first (sets
    # become sorted arrays, non-string object keys become their JSON text)
    want = [to_json(w) for w in case["want_result"] or []]
    got = [{k: to_json(v) for k, v in b.items()} for b in res.bindings]
    if case.get("sort_bindings"):
        want = [_sorted_lists(w) for w in want]
        got = [_sorted_lists(g) for g in got]
    if len(want) != len(got):
        return CaseResult(cid, FAIL, f"want {_show(want)}, got {_show(got)}")
    ws = sorted(want, key=_canon)
    gs = sorted(got, key=_canon)
    if all(eq(a, b) for a, b in zip(ws, gs, strict=True)):
        return CaseResult(cid, PASS)
    return CaseResult(cid, FAIL, f"want {_show(want)}, got {_show(got)}")


def _sorted_lists(row: Any) -> Any:
    """A binding row with each list-valued binding sorted (OPA's ``sort_bindings``)."""
    if not isinstance(row, dict):
        return row
    return {k: sorted(v, key=_canon) if isinstance(v, list) else v for k, v in row.items()}


def expected_value(v: Any) -> Any:
    """Decode regorus's ``set!``/``object!`` markers into Rego values."""
    if isinstance(v, dict):
        if len(v) == 1 and "set!" in v:
            return RegoSet(freeze(expected_value(x)) for x in v["set!"] or [])
        if len(v) == 1 and "object!" in v:
            return {
                freeze(expected_value(it["key"])): expected_value(it["value"])
                for it in v["object!"] or []
            }
        return {freeze(k): expected_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [expected_value(x) for x in v]
    return v


def _check_regorus(cid: str, case: dict[str, Any], res: Any, query: str) -> CaseResult:
    if case.get("no_result"):
        if res.expressions and not (len(res.expressions) == 1 and res.value is UNDEF):
            return CaseResult(cid, FAIL, f"want no result, got {_show(res.value)}")
        return CaseResult(cid, PASS)
    if "want_result" not in case:
        return CaseResult(cid, FAIL, "case has neither want_result nor error")
    want = case["want_result"]
    rows: list[Any] = []
    for b, exprs in zip(res.bindings, res.expressions, strict=False):
        if b:
            rows.append(dict(b))
        else:
            rows.append(exprs[-1] if len(exprs) == 1 else list(exprs))
    if isinstance(want, dict) and len(want) == 1 and "many!" in want:
        exp = [expected_value(x) for x in want["many!"]]
        if len(exp) != len(rows):
            return CaseResult(cid, FAIL, f"want {len(exp)} results, got {len(rows)}")
        es = sorted(exp, key=lambda x: _canon(x))
        gs = sorted(rows, key=lambda x: _canon(x))
        if all(eq(freeze(a), freeze(b)) for a, b in zip(es, gs, strict=True)):
            return CaseResult(cid, PASS)
        return CaseResult(cid, FAIL, f"want {exp!r}, got {rows!r}")
    if not rows:
        return CaseResult(cid, FAIL, f"want {want!r}, got no result")
    exp1 = expected_value(want)
    got1 = rows[0]
    if eq(freeze(exp1), freeze(got1)):
        return CaseResult(cid, PASS)
    return CaseResult(cid, FAIL, f"want {_show(exp1)}, got {_show(got1)}")


def _show(v: Any) -> str:
    if v is UNDEF:
        return "undefined"
    s = json.dumps(to_json(v), sort_keys=True)
    return s if len(s) < 400 else s[:400] + "..."


def summarize(results: list[CaseResult]) -> dict[str, Any]:
    """Totals, the pass rate over the cases that ran, and the pass rate over every case that
    is not implementation-specific (unsupported features and known gaps count as failures)."""
    passed = sum(r.status == PASS for r in results)
    failed = sum(r.status == FAIL for r in results)
    skipped = sum(r.status == SKIP for r in results)
    specific = sum(r.status == SKIP and r.kind in ("", SPECIFIC) for r in results)
    ran = passed + failed
    relevant = len(results) - specific
    return {
        "total": len(results),
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "skipped_implementation_specific": specific,
        "pass_rate": (passed / ran) if ran else 1.0,
        "pass_rate_non_specific": (passed / relevant) if relevant else 1.0,
    }
