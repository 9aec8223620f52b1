"""Validation beyond the schema: every graph check, definitions, actions, arguments, calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from seccli.core.errors import DocumentInvalid, InputError
from seccli.soar.interface import SoarConfig
from seccli.soar.loader import PlaybookLibrary
from tests.soar.conftest import SHIPPED
from tests.soar.helpers import write_playbook

LOG = {"type": "action", "action": "log", "args": {"message": "x"}}


def _problems(
    tmp_path: Path, steps: dict[str, Any], config: SoarConfig | None = None, **extra: Any
) -> list[str]:
    folder = tmp_path / "pb"
    write_playbook(folder, "t", steps, **extra)
    library = PlaybookLibrary((folder,), config or SoarConfig())
    with pytest.raises(DocumentInvalid) as caught:
        library.validated("t")
    return [str(p) for p in caught.value.problems]


def _one(problems: list[str], needle: str) -> str:
    found = [p for p in problems if needle in p]
    assert found, problems
    return found[0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("onSuccess", "nowhere"),
        ("onFailure", "nowhere"),
        ("onCompletion", "nowhere"),
    ],
)
def test_dangling_transition(tmp_path: Path, field: str, value: str) -> None:
    problems = _problems(tmp_path, {"a": {**LOG, field: value}})
    line = _one(problems, "'nowhere' does not exist")
    assert f"steps.a.{field}" in line
    assert "t.yaml:" in line


def test_dangling_case_branch_and_start(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "sw": {"type": "switch-condition", "switch": "'x'", "cases": {"x": "gone"}},
            "par": {"type": "parallel", "nextSteps": ["sw", "missing"]},
        },
        start="sw",
    )
    _one(problems, "steps.sw.cases.x: step 'gone' does not exist")
    _one(problems, "steps.par.nextSteps[1]: step 'missing' does not exist")
    problems = _problems(tmp_path, {"a": LOG}, start="zzz")
    _one(problems, "start step 'zzz' does not exist")


def test_unreachable_steps(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"a": LOG, "orphan": LOG, "orphan2": {**LOG, "onSuccess": "a"}})
    _one(problems, "step 'orphan' is not reachable")
    _one(problems, "step 'orphan2' is not reachable")


@pytest.mark.parametrize(
    "steps",
    [
        {"a": {**LOG, "onSuccess": "a"}},
        {"a": {**LOG, "onSuccess": "b"}, "b": {**LOG, "onCompletion": "a"}},
        {
            "a": {"type": "if-condition", "condition": "true", "onTrue": "b"},
            "b": {**LOG, "onFailure": "c"},
            "c": {**LOG, "onSuccess": "a"},
        },
    ],
)
def test_cycles_outside_while(tmp_path: Path, steps: dict[str, Any]) -> None:
    _one(_problems(tmp_path, steps), "cycle")


def test_while_is_not_a_cycle(tmp_path: Path) -> None:
    folder = tmp_path / "pb"
    write_playbook(
        folder,
        "t",
        {"w": {"type": "while-condition", "condition": "false", "onTrue": "body"}, "body": LOG},
    )
    PlaybookLibrary((folder,), SoarConfig()).validated("t")


def test_undefined_variables(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "a": {"type": "if-condition", "condition": "$flag", "onTrue": "set", "onFalse": "use"},
            "set": {
                "type": "action",
                "action": "variable.set",
                "args": {"name": "later", "value": 1},
                "onSuccess": "use",
            },
            "use": {"type": "action", "action": "log", "args": {"message": "${$later} ${$nope}"}},
        },
        inputs=[{"name": "flag", "type": "boolean"}],
    )
    _one(problems, "$later is not defined on every path")  # set on one branch only
    _one(problems, "$nope is not defined")


def test_step_output_used_before_the_step(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "a": {
                "type": "action",
                "action": "log",
                "args": {"message": "${steps.b.output.x}"},
                "onSuccess": "b",
            },
            "b": {"type": "action", "action": "log", "args": {"message": "${steps.zz.output}"}},
        },
    )
    _one(problems, "steps.b.output: step 'b' has not run")
    _one(problems, "steps.zz: no such step")


def test_bad_expressions(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "a": {"type": "if-condition", "condition": "1 ==", "onTrue": "b"},
            "b": {
                "type": "action",
                "action": "log",
                "args": {"message": "${__import__('os')}"},
                "onSuccess": "c",
            },
            "c": {"type": "switch-condition", "switch": "$x $y", "cases": {"1": "d"}},
            "d": {"type": "action", "action": "log", "args": {"message": "${nofn(1)}"}},
        },
        inputs=[{"name": "x"}, {"name": "y"}],
    )
    _one(problems, "steps.a.condition: expression '1 =='")
    _one(problems, "steps.b.args.message")
    _one(problems, "steps.c.switch")
    _one(problems, "unknown function 'nofn'")


def test_unknown_action_and_arguments(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "a": {"type": "action", "action": "shell.exec", "args": {}, "onSuccess": "b"},
            "b": {
                "type": "action",
                "action": "wait",
                "args": {"seconds": "soon"},
                "onSuccess": "c",
            },
            "c": {
                "type": "action",
                "action": "http.request",
                "args": {"url": "http://x"},
                "onSuccess": "d",
            },
            "d": {
                "type": "action",
                "action": "approval",
                "args": {"ttlSeconds": 0, "reason": "r"},
                "onSuccess": "e",
            },
            "e": {"type": "action", "action": "wait", "args": {"seconds": "${$n} s"}},
        },
        inputs=[{"name": "n"}],
    )
    _one(problems, "unknown action 'shell.exec'")
    _one(problems, "argument 'seconds'")
    _one(problems, "unknown argument 'url'")
    _one(problems, "missing required argument 'endpoint'")
    _one(problems, "argument 'ttlSeconds'")
    _one(problems, "text with a template for a non-text argument")


def test_literal_references_checked_against_estate_and_org(
    tmp_path: Path, estate: Any, org: Any
) -> None:
    config = SoarConfig(estate=estate, org=org)
    problems = _problems(
        tmp_path,
        {
            "a": {
                "type": "action",
                "action": "kubernetes.quarantine",
                "args": {"namespace": "holding", "workload": "no-such-svc"},
                "onSuccess": "b",
            },
            "b": {
                "type": "action",
                "action": "notify.team",
                "args": {"team": "no-such-team", "message": "m"},
                "onSuccess": "c",
            },
            "c": {
                "type": "action",
                "action": "vault.rotate",
                "args": {"path": "kv/not/declared"},
                "onSuccess": "d",
            },
            "d": {
                "type": "action",
                "action": "oncall.page",
                "args": {"subdomain": "nope", "summary": "s"},
            },
        },
        config=config,
    )
    _one(problems, "service holding/no-such-svc is not in the estate")
    _one(problems, "team 'no-such-team' is not in the org model")
    _one(problems, "secret 'kv/not/declared' is not declared")
    _one(problems, "subdomain 'nope' is not in the estate")


def test_unknown_step_kind_and_malformed_yaml(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"a": {"type": "goto", "target": "b"}})
    assert any("steps.a" in p for p in problems), problems
    bad = tmp_path / "pb" / "broken.yaml"
    bad.write_text("apiVersion: seccli.io/v1\nkind: Playbook\nsteps: [\n")
    with pytest.raises(InputError) as caught:
        PlaybookLibrary((tmp_path / "pb",), SoarConfig()).validated("broken")
    assert "broken.yaml:" in str(caught.value)


def test_called_playbooks(tmp_path: Path) -> None:
    folder = tmp_path / "pb"
    write_playbook(folder, "child", {"a": LOG}, inputs=[{"name": "who"}])
    write_playbook(folder, "loop2", {"c": {"type": "playbook-action", "playbook": "t"}})
    problems = _problems(
        tmp_path,
        {
            "a": {"type": "playbook-action", "playbook": "missing", "onSuccess": "b"},
            "b": {
                "type": "playbook-action",
                "playbook": "child",
                "inputs": {"bogus": 1},
                "onSuccess": "c",
            },
            "c": {"type": "playbook-action", "playbook": "loop2"},
        },
    )
    _one(problems, "playbook 'missing' not found")
    _one(problems, "required input 'who' of child is not given")
    _one(problems, "child has no input 'bogus'")
    _one(problems, "calls back into")


def test_parallel_branches_must_not_share_steps(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "p": {"type": "parallel", "nextSteps": ["a", "b"], "onCompletion": "c"},
            "a": {**LOG, "onSuccess": "shared"},
            "b": {**LOG, "onSuccess": "shared"},
            "shared": {**LOG, "onSuccess": "c"},
            "c": LOG,
        },
    )
    _one(problems, "both run step 'shared'")
    _one(problems, "the step after the join")


def test_every_problem_at_once_with_lines(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {
            "a": {**LOG, "onSuccess": "x1"},
            "b": {"type": "action", "action": "nope"},
            "c": {"type": "if-condition", "condition": "$undefined", "onTrue": "a"},
        },
    )
    assert len(problems) >= 4
    for problem in problems:
        file_part, line, rest = problem.split(":", 2)
        assert file_part.endswith("t.yaml") and int(line) > 0 and rest.strip()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_playbooks_validate(name: str, estate: Any, org: Any) -> None:
    from tests.soar.conftest import PLAYBOOKS

    PlaybookLibrary((PLAYBOOKS,), SoarConfig(estate=estate, org=org)).validated(name)
