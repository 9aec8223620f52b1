"""The action table: every action a playbook may name, listed explicitly (no registration).

Import this module lazily (it imports the action modules, which import heavy libraries only
inside ``execute``).
"""

from __future__ import annotations

from typing import Any

from seccli.soar.actions.basic import ApprovalAction, LogAction, SetVariableAction, WaitAction
from seccli.soar.actions.forensics import ForensicsAction
from seccli.soar.actions.gate import GateAction
from seccli.soar.actions.http import HttpAction, NotifyAction, PageAction, TicketAction
from seccli.soar.actions.kubernetes import (
    BlockImageAction,
    CordonAction,
    QuarantineAction,
    ScaleToZeroAction,
)
from seccli.soar.actions.vault import RevokeAction, RotateAction
from seccli.soar.interface import Action

ACTIONS: dict[str, Action[Any]] = {
    action.name: action
    for action in (
        LogAction(),
        WaitAction(),
        SetVariableAction(),
        ApprovalAction(),
        HttpAction(),
        NotifyAction(),
        PageAction(),
        TicketAction(),
        QuarantineAction(),
        ScaleToZeroAction(),
        CordonAction(),
        BlockImageAction(),
        RotateAction(),
        RevokeAction(),
        ForensicsAction(),
        GateAction(),
    )
}
"""Action name → implementation."""

APPROVAL = ApprovalAction.name
SET_VARIABLE = SetVariableAction.name
