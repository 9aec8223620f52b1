"""The reusable GitHub Action and the pre-commit hook call the real command with real options."""

from __future__ import annotations

from pathlib import Path

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


def test_pre_commit_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "seccli-scan" and hook["entry"] == "seccli scan"
    assert hook["pass_filenames"] is False
    assert {arg for arg in hook["args"] if arg.startswith("--")} <= _options()
