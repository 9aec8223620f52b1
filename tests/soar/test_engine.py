"""Engine semantics: retries over lists, time-outs, parallel branches, approvals, failures."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from seccli.core.errors import InputError
from seccli.soar.interface import Endpoint, SoarConfig
from seccli.soar.loader import PlaybookLibrary
from seccli.soar.records import RunState
from tests.soar.conftest import EngineFactory, fixed_clock
from tests.soar.helpers import chain, http_step, write_playbook
from tests.soar.recording_server import RecordingServer


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "playbooks"


def _load(folder: Path, config: SoarConfig, name: str) -> tuple[Any, PlaybookLibrary]:
    library = PlaybookLibrary((folder,), config)
    playbook, _, _ = library.validated(name)
    return playbook, library


def test_retry_over_a_list_reruns_only_failed_items(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "items",
        {
            "each": {
                "type": "action",
                "action": "http.request",
                "forEach": "$names",
                "args": {"endpoint": "edge", "path": "/items/${$item}"},
                "retry": {"maxAttempts": 4, "backoffSeconds": 0},
                "onSuccess": "done",
            },
            "done": {"type": "end"},
        },
        inputs=[{"name": "names", "type": "list"}],
    )
    server.answers["/edge/items/b"] = [(500, 0), (502, 0), (200, 0)]
    server.answers["/edge/items/d"] = [(500, 0), (200, 0)]
    playbook, library = _load(folder, config, "items")
    result = make_engine(lib=library).start(playbook, {"names": ["a", "b", "c", "d"]})
    assert result.state == RunState.COMPLETED
    counts = {p: server.count(f"/edge/items/{p}") for p in "abcd"}
    assert counts == {"a": 1, "b": 3, "c": 1, "d": 2}
    attempts = {s["step"]: s["attempt"] for s in result.steps}
    assert attempts == {"each[0]": 1, "each[1]": 3, "each[2]": 1, "each[3]": 2}


def test_retry_stops_when_retry_on_does_not_hold(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "only503",
        {
            "call": http_step(
                "/x",
                retry={"maxAttempts": 5, "backoffSeconds": 0, "retryOn": "$error.status == 503"},
                onSuccess="done",
                onFailure="fallback",
            ),
            "fallback": {"type": "action", "action": "log", "args": {"message": "gave up"}},
            "done": {"type": "end"},
        },
    )
    server.answers["/edge/x"] = [(500, 0)]
    playbook, library = _load(folder, config, "only503")
    result = make_engine(lib=library).start(playbook, {})
    assert server.count("/edge/x") == 1  # 500 is not retryable here
    assert [s["step"] for s in result.steps] == ["call", "fallback"]
    assert result.state == RunState.COMPLETED


def test_retry_exhausted_takes_failure_path(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "exhaust",
        {
            "call": http_step(
                "/x", retry={"maxAttempts": 3, "backoffSeconds": 0}, onFailure="fallback"
            ),
            "fallback": {"type": "action", "action": "log", "args": {"message": "gave up"}},
        },
    )
    server.answers["/edge/x"] = [(500, 0)]
    playbook, library = _load(folder, config, "exhaust")
    result = make_engine(lib=library).start(playbook, {})
    assert server.count("/edge/x") == 3
    assert result.state == RunState.COMPLETED
    assert result.steps[-1]["step"] == "fallback"


def test_no_retry_unless_asked(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder, "once", {"call": http_step("/x", onFailure="end"), "end": {"type": "end"}}
    )
    server.answers["/edge/x"] = [(500, 0)]
    playbook, library = _load(folder, config, "once")
    make_engine(lib=library).start(playbook, {})
    assert server.count("/edge/x") == 1


def test_parallel_branches_run_concurrently(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "par",
        {
            "fork": {"type": "parallel", "nextSteps": ["a", "b", "c"], "onCompletion": "after"},
            "a": http_step("/a"),
            "b": http_step("/b"),
            "c": http_step("/c"),
            "after": http_step("/after"),
        },
    )
    for path in ("/edge/a", "/edge/b", "/edge/c"):
        server.answers[path] = [(200, 0.6)]
    playbook, library = _load(folder, config, "par")
    began = time.monotonic()
    result = make_engine(lib=library).start(playbook, {})
    elapsed = time.monotonic() - began
    assert result.state == RunState.COMPLETED
    assert elapsed < 1.5, elapsed  # three 0.6 s branches, not 1.8 s in a row
    assert server.paths()[-1] == "/edge/after"  # the join waits for every branch
    keys = {s["step"] for s in result.steps}
    assert {"fork/0/a", "fork/1/b", "fork/2/c", "after"} <= keys


def test_parallel_branch_failure_without_path_fails_the_run(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "parfail",
        {
            "fork": {"type": "parallel", "nextSteps": ["a", "b"], "onCompletion": "after"},
            "a": http_step("/a"),
            "b": http_step("/b"),
            "after": http_step("/after"),
        },
    )
    server.answers["/edge/b"] = [(500, 0)]
    playbook, library = _load(folder, config, "parfail")
    result = make_engine(lib=library).start(playbook, {})
    assert result.state == RunState.FAILED
    assert result.failure and result.failure["step"] == "fork/1/b"
    assert server.count("/edge/after") == 0
    assert server.count("/edge/a") == 1  # the other branch still ran to its end


def test_step_timeout_is_a_failure(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "slow",
        {
            "call": http_step("/hang", timeoutSeconds=0.3, onFailure="fallback"),
            "fallback": {"type": "action", "action": "log", "args": {"message": "timed out"}},
        },
    )
    server.answers["/edge/hang"] = [(200, 3.0)]
    playbook, library = _load(folder, config, "slow")
    began = time.monotonic()
    result = make_engine(lib=library).start(playbook, {})
    assert time.monotonic() - began < 2.0
    call = result.steps[0]
    assert call["state"] == "failed"
    assert "no answer" in call["error"] or "timed out" in call["error"]
    assert result.steps[-1]["step"] == "fallback"


def test_wait_step_timeout(folder: Path, config: SoarConfig, make_engine: EngineFactory) -> None:
    write_playbook(
        folder,
        "waits",
        {
            "pause": {
                "type": "action",
                "action": "wait",
                "args": {"seconds": 5},
                "timeoutSeconds": 0.2,
                "onFailure": "after",
            },
            "after": {"type": "action", "action": "log", "args": {"message": "x"}},
        },
    )
    playbook, library = _load(folder, config, "waits")
    began = time.monotonic()
    result = make_engine(lib=library).start(playbook, {})
    assert time.monotonic() - began < 1.0
    assert [(s["step"], s["state"]) for s in result.steps] == [
        ("pause", "failed"),
        ("after", "completed"),
    ]


def test_server_down_without_failure_path_is_exit_3(
    folder: Path, config: SoarConfig, make_engine: EngineFactory
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config.endpoints = {**config.endpoints, "edge": Endpoint(f"http://127.0.0.1:{port}")}
    write_playbook(
        folder, "down", {"call": http_step("/x", onSuccess="end"), "end": {"type": "end"}}
    )
    playbook, library = _load(folder, config, "down")
    result = make_engine(lib=library).start(playbook, {})
    assert result.state == RunState.FAILED
    assert result.exit_code == 3
    assert result.failure and result.failure["kind"] == "unreachable"


def test_non_2xx_redirect_is_a_failure_and_not_followed(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder, "redir", {"call": http_step("/r", onSuccess="end"), "end": {"type": "end"}}
    )
    server.answers["/edge/r"] = [(302, 0)]
    playbook, library = _load(folder, config, "redir")
    result = make_engine(lib=library).start(playbook, {})
    assert result.state == RunState.FAILED
    assert server.count("/edge/r") == 1


def _approval_playbook(folder: Path, ttl: int = 60) -> None:
    write_playbook(
        folder,
        "gated",
        {
            "ask": {
                "type": "action",
                "action": "approval",
                "args": {"ttlSeconds": ttl, "reason": "contain the workload"},
                "onSuccess": "act",
                "onFailure": "declined",
            },
            "act": http_step("/act", onSuccess="done"),
            "declined": http_step("/declined", onSuccess="done"),
            "done": {"type": "end"},
        },
    )


def test_approval_waits_then_approved_continues(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    _approval_playbook(folder)
    playbook, library = _load(folder, config, "gated")
    clock = fixed_clock()
    engine = make_engine(clock=clock, lib=library)
    result = engine.start(playbook, {})
    assert result.state == RunState.WAITING
    assert result.exit_code == 0
    assert result.to_json()["waiting"][0]["step"] == "ask"
    again = engine.resume(result.run_id)  # nothing is ever auto-approved
    assert again.state == RunState.WAITING
    assert server.paths() == []
    engine.records.decide(result.run_id, "ask", "approved", "alice", "looks right")
    done = engine.resume(result.run_id)
    assert done.state == RunState.COMPLETED
    assert server.paths() == ["/edge/act"]
    ask = next(s for s in done.steps if s["step"] == "ask")
    assert ask["output"] == {"decision": "approved", "approver": "alice"}


def test_rejection_takes_the_failure_path(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    _approval_playbook(folder)
    playbook, library = _load(folder, config, "gated")
    engine = make_engine(clock=fixed_clock(), lib=library)
    result = engine.start(playbook, {})
    engine.records.decide(result.run_id, "ask", "rejected", "bob", "not now")
    done = engine.resume(result.run_id)
    assert done.state == RunState.COMPLETED
    assert server.paths() == ["/edge/declined"]


def test_expired_approval_takes_the_failure_path(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    _approval_playbook(folder, ttl=30)
    playbook, library = _load(folder, config, "gated")
    clock = fixed_clock()
    engine = make_engine(clock=clock, lib=library)
    result = engine.start(playbook, {})
    clock.advance(timedelta(seconds=29))
    assert engine.resume(result.run_id).state == RunState.WAITING
    clock.advance(timedelta(seconds=2))
    with pytest.raises(InputError, match="expired"):
        engine.records.decide(result.run_id, "ask", "approved", "alice", "late")
    done = engine.resume(result.run_id)
    assert done.state == RunState.COMPLETED
    assert server.paths() == ["/edge/declined"]
    ask = next(s for s in done.steps if s["step"] == "ask")
    assert ask["state"] == "failed" and ask["output"]["decision"] == "expired"


def test_a_decision_is_final(folder: Path, config: SoarConfig, make_engine: EngineFactory) -> None:
    _approval_playbook(folder)
    playbook, library = _load(folder, config, "gated")
    engine = make_engine(clock=fixed_clock(), lib=library)
    result = engine.start(playbook, {})
    engine.records.decide(result.run_id, "ask", "rejected", "bob", "no")
    with pytest.raises(InputError, match="already rejected"):
        engine.records.decide(result.run_id, "ask", "approved", "mallory", "yes")
    with pytest.raises(InputError, match="no approval request"):
        engine.records.decide(result.run_id, "act", "approved", "mallory", "yes")


def test_completed_run_is_not_executed_again(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(folder, "three", chain(["/1", "/2", "/3"]))
    playbook, library = _load(folder, config, "three")
    engine = make_engine(lib=library)
    result = engine.start(playbook, {})
    assert engine.resume(result.run_id).state == RunState.COMPLETED
    assert server.paths() == ["/edge/1", "/edge/2", "/edge/3"]


def test_resume_after_failure_repeats_no_completed_step(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    """A run interrupted inside step 2 (record 'started') resumes at step 2 only."""
    write_playbook(folder, "three", chain(["/1", "/2", "/3"]))
    playbook, library = _load(folder, config, "three")
    engine = make_engine(lib=library)
    import seccli.soar.engine as engine_module

    class Crash(BaseException):
        pass

    def crash(point: str, key: str) -> None:
        if point == "started" and key == "s2":
            raise Crash()

    original = engine_module._reached
    engine_module._reached = crash
    try:
        with pytest.raises(Crash):
            engine.start(playbook, {})
    finally:
        engine_module._reached = original
    (row,) = engine.records.runs()
    assert row.state == RunState.RUNNING
    done = engine.resume(row.id)
    assert done.state == RunState.COMPLETED
    assert server.paths() == ["/edge/1", "/edge/2", "/edge/3"]


def test_playbook_action_runs_the_called_playbook(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "child",
        {"hit": http_step("/child/${$who}", onSuccess="end"), "end": {"type": "end"}},
        inputs=[{"name": "who"}],
    )
    write_playbook(
        folder,
        "parent",
        {
            "call": {
                "type": "playbook-action",
                "playbook": "child",
                "inputs": {"who": "${$target}"},
                "onSuccess": "after",
            },
            "after": http_step("/after"),
        },
        inputs=[{"name": "target"}],
    )
    playbook, library = _load(folder, config, "parent")
    result = make_engine(lib=library).start(playbook, {"target": "svc"})
    assert result.state == RunState.COMPLETED
    assert server.paths() == ["/edge/child/svc", "/edge/after"]
    assert "call/hit" in {s["step"] for s in result.steps}


def test_switch_takes_matching_case_and_default(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "sw",
        {
            "pick": {
                "type": "switch-condition",
                "switch": "$level",
                "cases": {"high": "h", "low": "l", "default": "d"},
            },
            "h": http_step("/h"),
            "l": http_step("/l"),
            "d": http_step("/d"),
        },
        inputs=[{"name": "level"}],
    )
    playbook, library = _load(folder, config, "sw")
    for level in ("high", "low", "other"):
        make_engine(lib=library).start(playbook, {"level": level})
    assert server.paths() == ["/edge/h", "/edge/l", "/edge/d"]


def test_while_limit_fails_the_step(
    folder: Path, config: SoarConfig, make_engine: EngineFactory, server: RecordingServer
) -> None:
    write_playbook(
        folder,
        "forever",
        {
            "loop": {
                "type": "while-condition",
                "condition": "true",
                "onTrue": "body",
                "maxIterations": 3,
            },
            "body": http_step("/b"),
        },
    )
    playbook, library = _load(folder, config, "forever")
    result = make_engine(lib=library).start(playbook, {})
    assert result.state == RunState.FAILED
    assert server.count("/edge/b") == 3
    assert result.failure and result.failure["kind"] == "loop-limit"


def test_retry_backoff_pauses_grow_by_the_factor_once_per_round(
    folder: Path, config: SoarConfig, store: Any, server: RecordingServer
) -> None:
    """The pause before attempt n is backoffSeconds * backoffFactor**(n-2), taken once per
    round however many items failed (the engine's sleep is recorded, not slept)."""
    from seccli.core.clock import SystemClock
    from seccli.soar.engine import Engine
    from seccli.soar.records import RunRecords

    write_playbook(
        folder,
        "backoff",
        {
            "each": {
                "type": "action",
                "action": "http.request",
                "forEach": "$names",
                "args": {"endpoint": "edge", "path": "/b/${$item}"},
                "retry": {"maxAttempts": 4, "backoffSeconds": 0.5, "backoffFactor": 3},
                "onSuccess": "done",
            },
            "done": {"type": "end"},
        },
        inputs=[{"name": "names", "type": "list"}],
    )
    server.answers["/edge/b/x"] = [(500, 0), (500, 0), (500, 0), (200, 0)]
    server.answers["/edge/b/y"] = [(503, 0), (200, 0)]
    playbook, library = _load(folder, config, "backoff")
    pauses: list[float] = []
    clock = SystemClock()
    records = RunRecords(store.path, clock)
    try:
        engine = Engine(
            records, store, config, clock, "tester", library.resolve, sleep=pauses.append
        )
        result = engine.start(playbook, {"names": ["x", "y"]})
    finally:
        records.close()
    assert result.state == RunState.COMPLETED
    assert pauses == [0.5, 1.5, 4.5]
    assert server.count("/edge/b/x") == 4 and server.count("/edge/b/y") == 2


def test_gate_step_branches_on_the_gate_verdict(
    folder: Path,
    tmp_path: Path,
    config: SoarConfig,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A seccli.gate step runs the real `seccli policy test`: admitted → onSuccess, denied →
    onFailure with the verdict in the step's output."""
    monkeypatch.chdir(tmp_path)  # the gate records its run in ./.seccli
    monkeypatch.delenv("SECCLI_STORE", raising=False)
    good = tmp_path / "good.yaml"
    good.write_text(
        """apiVersion: v1
kind: Pod
metadata:
  name: good
  namespace: payments
  labels: {app.kubernetes.io/name: good}
spec:
  serviceAccountName: good
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: registry.example.com/app@sha256:DIGEST
      resources: {limits: {cpu: 100m, memory: 64Mi}, requests: {cpu: 50m, memory: 32Mi}}
      readinessProbe: {httpGet: {path: /, port: 8080}}
      livenessProbe: {httpGet: {path: /, port: 8080}}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        privileged: false
        capabilities: {drop: [ALL]}
"""
    )
    good.write_text(good.read_text().replace("DIGEST", "0" * 64))
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("privileged: false", "privileged: true"))
    write_playbook(
        folder,
        "gated-on-policy",
        {
            "check": {
                "type": "action",
                "action": "seccli.gate",
                "args": {"gate": "policy-test", "arguments": ["${$manifest}"]},
                "onSuccess": "admitted",
                "onFailure": "denied",
            },
            "admitted": {"type": "action", "action": "log", "args": {"message": "ok"}},
            "denied": {"type": "action", "action": "log", "args": {"message": "blocked"}},
        },
        inputs=[{"name": "manifest"}],
    )
    playbook, library = _load(folder, config, "gated-on-policy")
    passed = make_engine(lib=library).start(playbook, {"manifest": str(good)})
    denied = make_engine(lib=library).start(playbook, {"manifest": str(bad)})
    assert [s["step"] for s in passed.steps] == ["check", "admitted"]
    assert passed.steps[0]["output"]["verdict"] == "pass"
    assert [s["step"] for s in denied.steps] == ["check", "denied"]
    assert denied.steps[0]["state"] == "failed"
    assert denied.steps[0]["output"] == {
        "gate": "policy-test",
        "exitCode": 1,
        "verdict": "violations",
    }
