"""Engine backends through the PolicyEngine interface: native, opa binary, OPA server."""

from __future__ import annotations

import shutil
import threading

import pytest

from seccli.core.errors import DependencyError, InputError
from seccli.policy.engines import ENGINES, NativeEngine, get_engine
from seccli.policy.interface import PolicyEngine, PreparedPolicy
from seccli.policy.rego import RegoError, compile, to_json
from tests.policy.fake_opa import fake_opa

SRC = """package k8s
import rego.v1

violation contains {"msg": msg} if {
  c := input.review.object.spec.containers[_]
  c.securityContext.privileged
  msg := sprintf("privileged: %v", [c.name])
}
"""
BAD = {
    "review": {
        "object": {"spec": {"containers": [{"name": "a", "securityContext": {"privileged": True}}]}}
    }
}
GOOD = {"review": {"object": {"spec": {"containers": [{"name": "a"}]}}}}


def test_engine_table_and_native_default() -> None:
    assert set(ENGINES) == {"native", "opa", "opa-server"}
    engine = get_engine("native")
    assert isinstance(engine, PolicyEngine)
    policy = engine.prepare({"k.rego": SRC})
    assert isinstance(policy, PreparedPolicy)
    assert to_json(policy.eval("data.k8s.violation", BAD).value) == [{"msg": "privileged: a"}]
    assert to_json(policy.eval("k8s/violation", GOOD).value) == []
    policy.close()


def test_unknown_engine_is_an_input_error() -> None:
    with pytest.raises(InputError):
        get_engine("wasm")


def test_opa_binary_engine_when_absent_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DependencyError):
        get_engine("opa")


@pytest.mark.skipif(shutil.which("opa") is None, reason="the opa binary is not on PATH")
def test_opa_binary_engine_agrees_with_native() -> None:  # pragma: no cover - needs opa
    opa = get_engine("opa").prepare({"k.rego": SRC})
    try:
        assert to_json(opa.eval("data.k8s.violation", BAD).value) == [{"msg": "privileged: a"}]
    finally:
        opa.close()


def test_opa_server_engine_round_trip() -> None:
    with fake_opa() as (url, state):
        engine = get_engine("opa-server", opa_url=url)
        policy = engine.prepare({"k.rego": SRC}, {"cfg": {"x": 1}})
        assert len(state.policies) == 1
        res = policy.eval("data.k8s.violation", BAD)
        assert res.defined and to_json(res.value) == [{"msg": "privileged: a"}]
        assert policy.eval("x := data.cfg.x").bindings == [{"x": 1}]
        policy.close()
        assert state.policies == {}
        assert any(r.startswith("POST /v1/query") for r in state.requests)


def test_opa_server_engine_reports_parse_errors_and_outages() -> None:
    with fake_opa() as (url, _state):
        engine = get_engine("opa-server", opa_url=url)
        with pytest.raises((RegoError, DependencyError)):
            engine.prepare({"k.rego": "package k\np := ["})
    # the server is gone now: a gate must fail closed
    with pytest.raises(DependencyError):
        engine.prepare({"k.rego": SRC})


def test_opa_server_needs_a_url() -> None:
    with pytest.raises(InputError):
        get_engine("opa-server")
    with pytest.raises(InputError):
        get_engine("opa-server", opa_url="ftp://x")


def test_one_policy_evaluated_from_many_threads() -> None:
    policy = NativeEngine().prepare({"k.rego": SRC})
    inputs = [BAD if i % 2 else GOOD for i in range(200)]
    expected = [len(policy.eval("data.k8s.violation", x).value) for x in inputs]
    results: dict[int, list[int]] = {}

    def work(t: int) -> None:
        results[t] = [len(policy.eval("data.k8s.violation", x).value) for x in inputs]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(r == expected for r in results.values())
    assert sum(expected) == 100


def test_queries_compile_once_and_are_shared_between_threads() -> None:
    policy = compile({"k.rego": SRC})
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(50):
                assert policy.eval(f"x := {i} + 1").bindings == [{"x": i + 1}]
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


FAKE_OPA = r'''#!{python}
"""A stand-in for `opa eval --format json --bundle DIR [--stdin-input] QUERY` (native engine)."""
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from seccli.policy.rego import RegoError, compile, to_json

args = sys.argv[1:]
assert args[0] == "eval", args
bundle = Path(args[args.index("--bundle") + 1])
query = args[-1]
mods = {{p.name: p.read_text() for p in sorted(bundle.glob("*.rego"))}}
data = json.loads((bundle / "data.json").read_text())
inp = json.loads(sys.stdin.read()) if "--stdin-input" in args else None
try:
    pol = compile(mods, data, v0="--v0-compatible" in args)
    res = pol.eval(query, inp, strict_builtin_errors="--strict-builtin-errors" in args)
except RegoError as err:
    loc = {{"file": err.file, "row": err.line, "col": err.column}}
    print(json.dumps({{"errors": [{{"code": err.code, "message": err.detail, "location": loc}}]}}))
    sys.exit(1)
print(json.dumps({{"result": [{{"bindings": to_json(b)}} for b in res.bindings]}}))
'''


def test_opa_binary_engine_plumbing_with_a_stand_in(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys as _sys
    from pathlib import Path

    from seccli.policy.engines import OpaBinaryEngine

    root = str(Path(__file__).resolve().parents[2])
    fake = tmp_path / "opa"
    fake.write_text(FAKE_OPA.format(python=_sys.executable, root=root), encoding="utf-8")
    fake.chmod(0o755)
    engine = OpaBinaryEngine(str(fake))
    policy = engine.prepare({"k.rego": SRC}, {"cfg": {"x": 1}})
    try:
        assert to_json(policy.eval("data.k8s.violation", BAD).value) == [{"msg": "privileged: a"}]
        assert policy.eval("data.k8s.violation", GOOD).value == []
        assert policy.eval("x := data.cfg.x").bindings == [{"x": 1}]
    finally:
        policy.close()
    bad = engine.prepare({"k.rego": "package k\nimport rego.v1\np := count(1)\n"})
    with pytest.raises(RegoError) as exc:
        bad.eval("data.k.p")
    assert exc.value.code == "rego_type_error"
    bad.close()
