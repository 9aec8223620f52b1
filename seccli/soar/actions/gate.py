"""Run one of seccli's own gates and report its verdict (the step fails unless it passed)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Literal

from pydantic import Field

from seccli.soar.interface import Action, ActionArgs, ActionContext, ActionFailed, SoarConfig

GATES: dict[str, tuple[str, ...]] = {
    "scan": ("scan",),
    "policy-test": ("policy", "test"),
    "images-verify": ("images", "verify"),
    "netpol-prove": ("netpol", "prove"),
}
VERDICTS = {0: "pass", 1: "violations", 2: "input-error"}


class GateArgs(ActionArgs):
    gate: Literal["scan", "policy-test", "images-verify", "netpol-prove"]
    arguments: list[str] = Field(default_factory=list, max_length=50)
    """Arguments after the gate's command (paths, options)."""
    timeout_seconds: float = Field(default=600, gt=0, le=7200)


class GateAction(Action[GateArgs]):
    name = "seccli.gate"
    summary = "run a seccli gate (scan, policy test, images verify, netpol prove)"
    args_model = GateArgs
    changes_state = False

    def describe(self, args: GateArgs, config: SoarConfig) -> str:
        words = " ".join((*GATES[args.gate], *args.arguments))
        return f"run `seccli {words}` and branch on its verdict"

    def execute(self, args: GateArgs, ctx: ActionContext) -> dict[str, Any]:
        command = ctx.config.seccli_command or (sys.executable, "-m", "seccli")
        argv = [*command, *GATES[args.gate], *args.arguments]
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                timeout=ctx.remaining(args.timeout_seconds),
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise ActionFailed(f"gate {args.gate} timed out", kind="timeout") from None
        except OSError as exc:
            raise ActionFailed(f"cannot run seccli: {exc.strerror}", kind="error") from None
        verdict = VERDICTS.get(done.returncode, "error")
        output = {"gate": args.gate, "exitCode": done.returncode, "verdict": verdict}
        if verdict != "pass":
            raise ActionFailed(
                f"gate {args.gate}: {verdict} (exit {done.returncode})",
                kind="violations" if verdict == "violations" else "error",
                output=output,
            )
        return output
