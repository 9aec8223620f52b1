"""Recording a command's run and its audit entry in one place.

Every command that records what it did wraps its work in ``recorded_run``: the start of the
run, the audit entry and the end are written here, the exit code is mapped to a ``RunStatus``,
and any exception (a user error, a failed server, a bug) marks the run as ended, never leaving
it ``running``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from seccli.store.interface import AuditRecord, Store


class RunStatus(StrEnum):
    """How a recorded run ended (one spelling each)."""

    RUNNING = "running"
    OK = "ok"
    VIOLATIONS = "violations"
    INPUT_ERROR = "input-error"
    ERROR = "error"

    @classmethod
    def for_exit_code(cls, code: int) -> RunStatus:
        """The status of a run that ended with exit ``code`` (0, 1, 2, else an error)."""
        return {0: cls.OK, 1: cls.VIOLATIONS, 2: cls.INPUT_ERROR}.get(code, cls.ERROR)


@dataclass
class RunRecorder:
    """What a running command reports before the run is closed.

    Set ``exit_code``, ``summary`` (stored with the run) and ``audit`` (the audit entry's
    payload) as the work produces them; ``subject`` may be refined too.
    """

    run_id: str
    command: str
    actor: str
    subject: str
    action: str | None = None
    exit_code: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    audit: Any = None

    def finish(
        self, exit_code: int, *, summary: dict[str, Any] | None = None, audit: Any = None
    ) -> None:
        """Record the outcome the run will be closed with."""
        self.exit_code = int(exit_code)
        if summary is not None:
            self.summary = summary
        if audit is not None:
            self.audit = audit


def _exit_code_of(exc: BaseException) -> int:
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, KeyboardInterrupt):
        return 130
    return 3


def action_name(command: str) -> str:
    """The audit action of ``command``: ``images verify`` → ``images.verify``."""
    return ".".join(command.split())


@contextmanager
def recorded_run(
    store: Store,
    command: str,
    actor: str,
    subject: str,
    *,
    summary: dict[str, Any] | None = None,
    action: str | None = None,
) -> Iterator[RunRecorder]:
    """Record a run of ``command`` by ``actor`` on ``subject``, with its audit entry.

    On a normal exit the audit entry carries ``recorder.audit`` (plus the exit code and status)
    and the run ends with the status of ``recorder.exit_code``. On an exception the run ends as
    ``input-error`` or ``error`` with the exception's exit code (3 if it has none), an audit
    entry records the failure, and the exception propagates unchanged. ``action`` names the
    audit action when it is not the command's (``sign`` of an image audits ``image.sign``).
    """
    run_id = store.start_run(command, actor, summary)
    recorder = RunRecorder(
        run_id=run_id, command=command, actor=actor, subject=subject, action=action
    )
    try:
        yield recorder
    except BaseException as exc:
        code = _exit_code_of(exc)
        status = RunStatus.for_exit_code(code)
        if status is RunStatus.OK or status is RunStatus.VIOLATIONS:
            status = RunStatus.ERROR  # an exception never ends a run as a clean verdict
        failure = {"error": type(exc).__name__, "exitCode": code, "status": status.value}
        try:
            _append(store, recorder, {**failure, "run": run_id})
        finally:
            store.finish_run(run_id, status.value, code, {**recorder.summary, **failure})
        raise
    status = RunStatus.for_exit_code(recorder.exit_code)
    payload = {
        "run": run_id,
        "exitCode": recorder.exit_code,
        "status": status.value,
        "result": recorder.audit,
    }
    try:
        _append(store, recorder, payload)
    except BaseException as exc:
        code = _exit_code_of(exc)
        store.finish_run(run_id, RunStatus.ERROR.value, code, {"error": type(exc).__name__})
        raise
    store.finish_run(run_id, status.value, recorder.exit_code, recorder.summary)


def _append(store: Store, recorder: RunRecorder, payload: dict[str, Any]) -> None:
    store.append_audit(
        AuditRecord(
            actor=recorder.actor,
            action=recorder.action or action_name(recorder.command),
            subject=recorder.subject,
            payload=payload,
        )
    )
