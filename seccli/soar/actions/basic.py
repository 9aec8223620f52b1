"""Actions that need nothing outside the engine: log, wait, set a variable, ask for approval."""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from seccli.soar.interface import Action, ActionArgs, ActionContext, ActionFailed, SoarConfig


class LogArgs(ActionArgs):
    message: str
    """The text to record in the step's output."""


class LogAction(Action[LogArgs]):
    name = "log"
    summary = "record a message in the run"
    args_model = LogArgs
    changes_state = False

    def describe(self, args: LogArgs, config: SoarConfig) -> str:
        return f"log {args.message!r}"

    def execute(self, args: LogArgs, ctx: ActionContext) -> dict[str, Any]:
        return {"message": args.message}


class WaitArgs(ActionArgs):
    seconds: float = Field(ge=0, le=3600)
    """How long to wait (bounded by the step's time-out)."""


class WaitAction(Action[WaitArgs]):
    name = "wait"
    summary = "wait a number of seconds"
    args_model = WaitArgs
    changes_state = False

    def describe(self, args: WaitArgs, config: SoarConfig) -> str:
        return f"wait {args.seconds:g}s"

    def execute(self, args: WaitArgs, ctx: ActionContext) -> dict[str, Any]:
        allowed = ctx.remaining(args.seconds)
        time.sleep(allowed)
        if allowed < args.seconds:
            raise ActionFailed(
                f"the step's time-out ends the {args.seconds:g}s wait", kind="timeout"
            )
        return {"waited": args.seconds}


class SetVariableArgs(ActionArgs):
    name: str = Field(pattern=r"^[a-z_][a-zA-Z0-9_]{0,62}$")
    """The variable to set."""
    value: Any = None
    """Its new value (templates allowed)."""


class SetVariableAction(Action[SetVariableArgs]):
    name = "variable.set"
    summary = "set a playbook variable"
    args_model = SetVariableArgs
    changes_state = False

    def describe(self, args: SetVariableArgs, config: SoarConfig) -> str:
        return f"set ${args.name} = {args.value!r}"

    def execute(self, args: SetVariableArgs, ctx: ActionContext) -> dict[str, Any]:
        return {"name": args.name, "value": args.value}


class ApprovalArgs(ActionArgs):
    ttl_seconds: int = Field(ge=1, le=30 * 86400)
    """How long the request stays open; expired, the step fails (never auto-approved)."""
    reason: str
    """What the approver is asked to approve."""
    team: str | None = None
    """The team expected to decide (an org team id)."""


class ApprovalAction(Action[ApprovalArgs]):
    """Stops the run in ``waiting-approval``; the engine handles it, never ``execute``."""

    name = "approval"
    summary = "stop until a person approves or rejects (expires after its TTL)"
    args_model = ApprovalArgs

    def describe(self, args: ApprovalArgs, config: SoarConfig) -> str:
        who = f" by team {args.team}" if args.team else ""
        return f"wait for approval{who} (expires after {args.ttl_seconds}s): {args.reason}"

    def execute(self, args: ApprovalArgs, ctx: ActionContext) -> dict[str, Any]:
        raise AssertionError("approvals are decided by a person, not executed")

    def check(self, args: ApprovalArgs, config: SoarConfig) -> list[str]:
        if (
            args.team
            and config.org is not None
            and args.team not in {team.id for team in config.org.teams}
        ):
            return [f"team {args.team!r} is not in the org model"]
        return []
