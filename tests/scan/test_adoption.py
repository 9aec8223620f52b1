"""The reusable GitHub Action and the pre-commit hook call the real command with real options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from seccli.cli.scan import scan_command

ROOT = Path(__file__).resolve().parents[2]


def _options() -> set[str]:
    import inspect

    names: set[str] = set()
    for parameter in inspect.signature(scan_command).parameters.values():
        info = parameter.default
        for decl in getattr(info, "param_decls", None) or ():
            names.update(part for part in decl.split("/") if part.startswith("--"))
    return names


def test_action_runs_seccli_scan_with_sarif_and_gate() -> None:
    action = yaml.safe_load((ROOT / ".github/actions/seccli-scan/action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    scan = next(step for step in steps if step.get("id") == "scan")
    for option in ("--fail-on", "--format", "--sarif-output", "--baseline", "--no-progress"):
        assert option in scan["run"] and option in _options()
    assert any("upload-sarif" in str(step.get("uses", "")) for step in steps)
    # The last step re-raises the scan's exit code; a missing code fails closed (3).
    assert 'exit "${CODE:-3}"' in steps[-1]["run"]


def _hooks() -> dict[str, dict[str, Any]]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


def _command_options(words: list[str]) -> set[str]:
    """The long options of the real ``seccli <words>`` command (typer's own click)."""
    import typer.main

    from seccli.cli.app import app

    command = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)
        assert isinstance(subcommands, dict), f"{word!r} is not under a command group"
        assert word in subcommands, f"no command seccli ... {word}"
        command = subcommands[word]
    names = {name for parameter in command.params for name in parameter.opts}
    return {name for name in names if name.startswith("--")}


def test_pre_commit_hooks_offered() -> None:
    assert set(_hooks()) == {"seccli-scan", "seccli-policy-test"}


def test_pre_commit_scan_hook_definition() -> None:
    hook = _hooks()["seccli-scan"]
    assert hook["entry"] == "seccli scan"
    assert hook["pass_filenames"] is False
    assert {arg for arg in hook["args"] if arg.startswith("--")} <= _options()


def test_pre_commit_policy_hook_calls_the_real_command() -> None:
    hook = _hooks()["seccli-policy-test"]
    assert hook["entry"] == "seccli policy test"
    assert hook["pass_filenames"] is False
    options = _command_options(["policy", "test"])
    assert {"--estate", "--allow-empty", "--library"} <= options
    assert {arg for arg in hook["args"] if arg.startswith("--")} <= options
    # The options the description suggests are real ones too.
    assert "--estate" in str(hook["description"]) and "--allow-empty" in str(hook["description"])


def test_command_options_rejects_unknown_command() -> None:
    import pytest

    with pytest.raises(AssertionError, match="no command"):
        _command_options(["policy", "no-such-verb"])
