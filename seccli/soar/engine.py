"""Running a playbook: dry runs that show every branch, and durable executions.

An execution walks the graph from the start. Each step is keyed by its path (``name``,
``name#2`` on a second visit, ``loop@1/body`` inside a while iteration, ``par/0/name`` inside a
parallel branch, ``name[3]`` for a list item, ``call/name`` inside a called playbook); its
record is written before it runs and after. A resumed run walks the same graph again and takes
the recorded outcome and output of every finished step instead of running it, so nothing
completed runs twice; a step that was started but not finished runs again (with the same
idempotency key).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from pydantic import ValidationError

from seccli.core.clock import Clock, utc_iso
from seccli.core.errors import DependencyError, ExitCode, InputError
from seccli.core.hashing import sha256_json
from seccli.soar.actions import ACTIONS, APPROVAL, SET_VARIABLE
from seccli.soar.expr import ExpressionError, Scope, evaluate_text, truthy
from seccli.soar.interface import ActionContext, ActionFailed, SoarConfig
from seccli.soar.model import (
    ActionStep,
    EndStep,
    IfStep,
    ParallelStep,
    Playbook,
    PlaybookActionStep,
    SwitchStep,
    WhileStep,
    step_targets,
)
from seccli.soar.records import RunRecords, RunState, scrub
from seccli.soar.templates import render
from seccli.store.interface import Store

SUCCESS = "success"
FAILURE = "failure"


def _reached(point: str, step_key: str) -> None:
    """A seam for crash tests: called at each step boundary; does nothing."""


class Paused(Exception):  # noqa: N818 - control flow: the run waits for a person
    """A branch reached an approval nobody has decided yet."""


class UnhandledFailure(Exception):  # noqa: N818 - control flow out of the walk
    """A step failed and has no failure path."""

    def __init__(self, step_key: str, error: ActionFailed) -> None:
        super().__init__(f"step {step_key}: {error.message}")
        self.step_key = step_key
        self.error = error


@dataclass
class RunResult:
    """How a run stands after ``run`` or ``resume`` returned."""

    run_id: str
    playbook: str
    state: str
    steps: list[dict[str, Any]]
    waiting: list[dict[str, Any]] = field(default_factory=list)
    failure: dict[str, Any] | None = None
    variables: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 completed or waiting; 1 an unhandled gate verdict; 3 another unhandled failure."""
        if self.state in (RunState.COMPLETED, RunState.WAITING):
            return 0
        kind = (self.failure or {}).get("kind")
        return int(ExitCode.VIOLATIONS if kind == "violations" else ExitCode.DEPENDENCY)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form (``seccli.io/v1`` PlaybookRun)."""
        return {
            "apiVersion": "seccli.io/v1",
            "kind": "PlaybookRun",
            "run": self.run_id,
            "playbook": self.playbook,
            "state": self.state,
            "steps": self.steps,
            "waiting": self.waiting,
            "failure": self.failure,
            "variables": scrub(self.variables),
        }


def bind_inputs(playbook: Playbook, incident: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The inputs of a run from an incident's fields (``InputError`` naming what is wrong)."""
    from seccli.core.errors import Problem, raise_if_problems
    from seccli.core.location import Location

    kinds: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "integer": (int,),
        "number": (int, float),
        "boolean": (bool,),
        "list": (list,),
        "mapping": (dict,),
    }
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for spec in playbook.inputs:
        if spec.name not in incident:
            if spec.required:
                problems.append(
                    Problem(Location(source, None, None, spec.name), "missing required input")
                )
            values[spec.name] = spec.default
            continue
        value = incident[spec.name]
        wrong_bool = isinstance(value, bool) and spec.type in ("integer", "number")
        if not isinstance(value, kinds[spec.type]) or wrong_bool:
            problems.append(
                Problem(
                    Location(source, None, None, spec.name),
                    f"expected a {spec.type}, got {type(value).__name__}",
                )
            )
        values[spec.name] = value
    raise_if_problems(problems, hint="the incident must supply the playbook's inputs")
    return values


class _Walk:
    """The mutable state of one (resumed) execution."""

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables
        self.outcomes: dict[str, str] = {}
        self.outputs: dict[str, Any] = {}
        self.visits: dict[str, int] = {}
        self.lock = threading.RLock()
        self.waiting: list[dict[str, Any]] = []

    def scope(self, extra: Mapping[str, Any] | None = None) -> Scope:
        with self.lock:
            variables = dict(self.variables)
            if extra:
                variables.update(extra)
            return Scope(variables, dict(self.outcomes), dict(self.outputs))


class Engine:
    """Executes playbooks with durable step records and the audit chain."""

    def __init__(
        self,
        records: RunRecords,
        store: Store,
        config: SoarConfig,
        clock: Clock,
        actor: str,
        resolve: Callable[[str], Playbook | None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.records = records
        self.store = store
        self.config = config
        self.clock = clock
        self.actor = actor
        self.resolve = resolve
        self.sleep = sleep
        self._playbooks: dict[str, Playbook] = {}

    # -- entry points ---------------------------------------------------------------------

    def start(self, playbook: Playbook, inputs: dict[str, Any]) -> RunResult:
        """Record a new run of ``playbook`` and execute it."""
        run_id = uuid.uuid4().hex
        definition = {"playbooks": _definitions(playbook, self.resolve)}
        self.records.create_run(run_id, playbook.metadata.name, self.actor, definition, inputs)
        return self._execute(run_id, playbook, inputs, definition)

    def resume(self, run_id: str) -> RunResult:
        """Continue a run: finished steps are taken from their records, never run again."""
        row = self.records.run(run_id)
        if row.state in (RunState.COMPLETED, RunState.FAILED):
            return self._result(run_id, row.playbook, row.state, _Walk({}), row.result)
        self.records.flush_audit(self.store, self.actor, run_id)  # left by a killed process
        definitions = row.definition.get("playbooks") or {}
        if row.playbook not in definitions:
            raise InputError(f"run {run_id}: its playbook definition is missing from the store")
        playbook = Playbook.model_validate(definitions[row.playbook])
        return self._execute(run_id, playbook, row.inputs, row.definition)

    def decide(self, run_id: str, step_key: str, decision: str, reason: str) -> None:
        """Record the engine's actor approving or rejecting a waiting step, in the audit chain."""
        from seccli.store.interface import AuditRecord

        if not reason.strip():
            raise InputError("--reason must not be empty")
        approval = self.records.decide(run_id, step_key, decision, self.actor, reason)
        self.store.append_audit(
            AuditRecord(
                actor=self.actor,
                action="playbook.approval",
                subject=step_key,
                payload={"run": run_id, **approval.to_json()},
            )
        )

    # -- execution ------------------------------------------------------------------------

    def _execute(
        self, run_id: str, playbook: Playbook, inputs: dict[str, Any], definition: dict[str, Any]
    ) -> RunResult:
        self._playbooks = {
            name: Playbook.model_validate(data)
            for name, data in (definition.get("playbooks") or {}).items()
        }
        walk = _Walk(dict(inputs))
        result: dict[str, Any] = {}
        try:
            self._init_variables(playbook, walk, run_id)
            self._branch(run_id, playbook, playbook.start, "", walk)
            state = RunState.WAITING if walk.waiting else RunState.COMPLETED
        except Paused:
            state = RunState.WAITING
        except UnhandledFailure as failure:
            state = RunState.FAILED
            result["failure"] = {
                "step": failure.step_key,
                "kind": failure.error.kind,
                "message": failure.error.message,
            }
        result["waiting"] = walk.waiting
        self.records.set_state(run_id, state, result)
        self.records.flush_audit(self.store, self.actor, run_id)
        return self._result(run_id, playbook.metadata.name, state, walk, result)

    def _result(
        self, run_id: str, name: str, state: str, walk: _Walk, result: dict[str, Any]
    ) -> RunResult:
        return RunResult(
            run_id=run_id,
            playbook=name,
            state=state,
            steps=[record.to_json() for record in self.records.steps(run_id)],
            waiting=list(result.get("waiting") or []),
            failure=result.get("failure"),
            variables=dict(walk.variables),
        )

    def _init_variables(self, playbook: Playbook, walk: _Walk, run_id: str) -> None:
        for name, spec in playbook.variables.items():
            try:
                walk.variables[name] = render(spec.value, walk.scope())
            except ExpressionError as exc:
                raise UnhandledFailure(
                    f"variables.{name}", ActionFailed(str(exc), kind="expression")
                ) from None

    def _key(self, walk: _Walk, prefix: str, name: str) -> str:
        base = prefix + name
        with walk.lock:
            visit = walk.visits.get(base, 0) + 1
            walk.visits[base] = visit
        return base if visit == 1 else f"{base}#{visit}"

    def _branch(
        self, run_id: str, playbook: Playbook, first: str, prefix: str, walk: _Walk
    ) -> None:
        """Run steps from ``first`` until the branch ends."""
        name: str | None = first
        while name is not None:
            step = playbook.steps[name]
            key = self._key(walk, prefix, name)
            if isinstance(step, EndStep):
                return
            if isinstance(step, ActionStep):
                name = self._action_step(run_id, playbook, name, step, key, walk)
            elif isinstance(step, IfStep):
                value = self._decide(
                    run_id,
                    key,
                    walk,
                    partial(_if_value, step.condition, walk),
                )
                name = step.on_true if value else step.on_false
            elif isinstance(step, SwitchStep):
                value = self._decide(
                    run_id,
                    key,
                    walk,
                    partial(_switch_value, step.switch, walk),
                )
                name = step.cases.get(str(value), step.cases.get("default"))
            elif isinstance(step, WhileStep):
                self._loop(run_id, playbook, step, key, walk)
                name = step.on_completion
            elif isinstance(step, ParallelStep):
                self._parallel(run_id, playbook, step, key, walk)
                name = step.on_completion
            elif isinstance(step, PlaybookActionStep):
                name = self._call(run_id, playbook, name, step, key, walk)
            else:  # pragma: no cover - the model has no other kinds
                raise AssertionError(type(step).__name__)

    def _decide(self, run_id: str, key: str, walk: _Walk, compute: Callable[[], Any]) -> Any:
        """A condition's value: recorded once, then taken from the record."""
        record = self.records.step(run_id, key)
        if record is not None and record.state == "completed":
            return (record.output or {}).get("value")
        try:
            value = compute()
        except ExpressionError as exc:
            raise UnhandledFailure(key, ActionFailed(str(exc), kind="expression")) from None
        self.records.begin_step(run_id, key, sha256_json({"value": None}), 1)
        self.records.end_step(run_id, key, "completed", SUCCESS, {"value": value})
        return value

    def _loop(
        self, run_id: str, playbook: Playbook, step: WhileStep, key: str, walk: _Walk
    ) -> None:
        for iteration in range(1, step.max_iterations + 1):
            holds = self._decide(
                run_id,
                f"{key}@{iteration}",
                walk,
                lambda: truthy(evaluate_text(step.condition, walk.scope())),
            )
            if not holds:
                return
            self._branch(run_id, playbook, step.on_true, f"{key}@{iteration}/", walk)
        raise UnhandledFailure(
            key, ActionFailed(f"loop ran {step.max_iterations} times", kind="loop-limit")
        )

    def _parallel(
        self, run_id: str, playbook: Playbook, step: ParallelStep, key: str, walk: _Walk
    ) -> None:
        with ThreadPoolExecutor(max_workers=len(step.next_steps)) as pool:
            futures = [
                pool.submit(self._branch, run_id, playbook, first, f"{key}/{index}/", walk)
                for index, first in enumerate(step.next_steps)
            ]
        errors = [f.exception() for f in futures]
        failures = [e for e in errors if isinstance(e, UnhandledFailure)]
        if failures:
            raise failures[0]
        others = [e for e in errors if e is not None and not isinstance(e, Paused)]
        if others:
            raise others[0]
        if any(isinstance(e, Paused) for e in errors):
            raise Paused()

    def _call(
        self,
        run_id: str,
        playbook: Playbook,
        name: str,
        step: PlaybookActionStep,
        key: str,
        walk: _Walk,
    ) -> str | None:
        child = self._playbooks.get(step.playbook)
        if child is None:
            raise UnhandledFailure(key, ActionFailed(f"playbook {step.playbook} not recorded"))
        try:
            inputs = {
                spec.name: spec.default for spec in child.inputs if spec.name not in step.inputs
            }
            inputs.update(render(step.inputs, walk.scope()))
        except ExpressionError as exc:
            raise UnhandledFailure(key, ActionFailed(str(exc), kind="expression")) from None
        inner = _Walk(inputs)
        outcome, output = SUCCESS, {}
        try:
            self._init_variables(child, inner, run_id)
            self._branch(run_id, child, child.start, f"{key}/", inner)
            output = scrub(inner.variables)
        except UnhandledFailure as failure:
            outcome, output = FAILURE, {"failedStep": failure.step_key}
        finally:
            walk.waiting.extend(inner.waiting)
        with walk.lock:
            walk.outcomes[name] = outcome
            walk.outputs[name] = output
        return _next(step, outcome, key, ActionFailed("called playbook failed"))

    # -- actions --------------------------------------------------------------------------

    def _action_step(
        self, run_id: str, playbook: Playbook, name: str, step: ActionStep, key: str, walk: _Walk
    ) -> str | None:
        action = ACTIONS[step.action]
        try:
            items: list[Any] | None = None
            if step.for_each is not None:
                listed = evaluate_text(step.for_each, walk.scope())
                if not isinstance(listed, list):
                    raise ExpressionError("forEach must give a list")
                items = listed
        except ExpressionError as exc:
            raise UnhandledFailure(key, ActionFailed(str(exc), kind="expression")) from None
        if step.action == APPROVAL:
            outcome, output, error = self._approval(run_id, step, key, walk)
        elif items is None:
            outcome, output, error = self._with_retries(run_id, step, action, [(key, None)], walk)
        else:
            keys = [(f"{key}[{index}]", item) for index, item in enumerate(items)]
            outcome, output, error = self._with_retries(run_id, step, action, keys, walk)
        if outcome == "waiting":
            raise Paused()
        with walk.lock:
            walk.outcomes[name] = outcome
            walk.outputs[name] = output
        if outcome == SUCCESS:
            self._set_variables(step, name, output, walk, key)
        return _next(step, outcome, key, error)

    def _set_variables(
        self, step: ActionStep, name: str, output: Any, walk: _Walk, key: str
    ) -> None:
        try:
            if step.action == SET_VARIABLE and isinstance(output, dict):
                with walk.lock:
                    walk.variables[str(output["name"])] = output.get("value")
            for variable, text in step.set_variables.items():
                value = evaluate_text(text, walk.scope())
                with walk.lock:
                    walk.variables[variable] = value
        except ExpressionError as exc:
            raise UnhandledFailure(key, ActionFailed(str(exc), kind="expression")) from None

    def _with_retries(
        self,
        run_id: str,
        step: ActionStep,
        action: Any,
        keys: list[tuple[str, Any]],
        walk: _Walk,
    ) -> tuple[str, Any, ActionFailed | None]:
        """Run every item; retry only the failed ones (completed items are never rerun)."""
        retry = step.retry
        attempts = retry.max_attempts if retry else 1
        outputs: dict[str, Any] = {}
        errors: dict[str, ActionFailed] = {}
        pending = list(keys)
        pause = retry.backoff_seconds if retry else 0.0
        for attempt in range(1, attempts + 1):
            failed: list[tuple[str, Any]] = []
            for item_key, item in pending:
                output, error = self._attempt(run_id, step, action, item_key, item, attempt, walk)
                outputs[item_key] = output
                if error is None:
                    errors.pop(item_key, None)
                else:
                    errors[item_key] = error
                    failed.append((item_key, item))
            if not failed or attempt == attempts:
                break
            if (
                retry
                and retry.retry_on
                and not all(
                    self._retryable(retry.retry_on, errors[k], item, walk) for k, item in failed
                )
            ):
                break
            self.records.flush_audit(self.store, self.actor, run_id)
            self.sleep(pause)
            pause *= retry.backoff_factor if retry else 1
            pending = failed
        if len(keys) == 1 and keys[0][1] is None and step.for_each is None:
            only = keys[0][0]
            return (FAILURE if errors else SUCCESS), outputs.get(only), errors.get(only)
        listed = [outputs.get(k) for k, _ in keys]
        first_error = next(iter(errors.values()), None)
        summary = {"items": listed, "failed": sorted(errors)}
        return (FAILURE if errors else SUCCESS), summary, first_error

    def _retryable(self, condition: str, error: ActionFailed, item: Any, walk: _Walk) -> bool:
        try:
            return truthy(
                evaluate_text(condition, walk.scope({"error": error.as_error(), "item": item}))
            )
        except ExpressionError:
            return False

    def _attempt(
        self,
        run_id: str,
        step: ActionStep,
        action: Any,
        key: str,
        item: Any,
        attempt: int,
        walk: _Walk,
    ) -> tuple[Any, ActionFailed | None]:
        record = self.records.step(run_id, key)
        if record is not None and record.state == "completed":
            return record.output, None
        if record is not None and record.state == "failed" and record.attempt >= attempt:
            return record.output, ActionFailed(record.error or "failed", kind="recorded")
        if record is not None and record.state == "started":
            attempt = max(attempt, record.attempt + 1)
        extra = {"item": item} if step.for_each is not None else None
        try:
            rendered = render(step.args, walk.scope(extra))
            args = action.args_model.model_validate(rendered, by_alias=True, by_name=False)
        except ExpressionError as exc:
            unusable = ActionFailed(f"arguments: {exc}", kind="expression")
            self.records.begin_step(run_id, key, sha256_json(None), attempt)
            self.records.end_step(run_id, key, "failed", FAILURE, None, unusable.message)
            return None, unusable
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            refused = ActionFailed(f"arguments: {where}: {first['msg']}", kind="arguments")
            self.records.begin_step(run_id, key, sha256_json(None), attempt)
            self.records.end_step(run_id, key, "failed", FAILURE, None, refused.message)
            return None, refused
        digest = sha256_json(scrub(rendered))
        self.records.begin_step(run_id, key, digest, attempt)
        _reached("started", key)
        deadline = time.monotonic() + step.timeout_seconds if step.timeout_seconds else None
        ctx = ActionContext(run_id, key, self.clock, self.config, deadline)
        output, error = _run_action(action, args, ctx, step.timeout_seconds)
        _reached("executed", key)
        if error is None:
            self.records.end_step(run_id, key, "completed", SUCCESS, output)
        else:
            output = scrub(error.output)
            self.records.end_step(run_id, key, "failed", FAILURE, output, error.message)
        _reached("recorded", key)
        return scrub(output), error

    def _approval(
        self, run_id: str, step: ActionStep, key: str, walk: _Walk
    ) -> tuple[str, Any, ActionFailed | None]:
        record = self.records.step(run_id, key)
        if record is not None and record.state in ("completed", "failed"):
            error = None if record.state == "completed" else ActionFailed(record.error or "")
            return record.outcome or FAILURE, record.output, error
        approval = self.records.approval(run_id, key)
        if approval is None:
            try:
                rendered = render(step.args, walk.scope())
                args = ACTIONS[APPROVAL].args_model.model_validate(
                    rendered, by_alias=True, by_name=False
                )
            except (ExpressionError, ValidationError) as exc:
                raise UnhandledFailure(key, ActionFailed(f"arguments: {exc}")) from None
            now = self.clock.now()
            expires = utc_iso(now + timedelta(seconds=int(cast(Any, args).ttl_seconds)))
            self.records.begin_step(run_id, key, sha256_json(scrub(rendered)), 1)
            self.records.request_approval(run_id, key, expires, cast(Any, args).reason)
            self.records.end_step(run_id, key, "waiting", "waiting", {"expiresAt": expires})
            approval = self.records.approval(run_id, key)
            assert approval is not None
        if approval.decision is None:
            if _parse(approval.expires_at) > self.clock.now():
                walk.waiting.append(approval.to_json())
                return "waiting", None, None
            error = ActionFailed(f"approval expired at {approval.expires_at}", kind="expired")
            expired = {"decision": "expired", "expiresAt": approval.expires_at}
            self.records.end_step(run_id, key, "failed", FAILURE, expired, error.message)
            return FAILURE, expired, error
        output: dict[str, Any] = {"decision": approval.decision, "approver": approval.approver}
        if approval.decision == "approved":
            self.records.end_step(run_id, key, "completed", SUCCESS, output)
            return SUCCESS, output, None
        error = ActionFailed(f"rejected by {approval.approver}", kind="rejected")
        self.records.end_step(run_id, key, "failed", FAILURE, output, error.message)
        return FAILURE, output, error


def _run_action(
    action: Any, args: Any, ctx: ActionContext, timeout: float | None
) -> tuple[Any, ActionFailed | None]:
    """Run ``action``; a time-out, an ``ActionFailed`` or a bug each become a failure."""
    if timeout is None:
        return _guarded(action, args, ctx)
    box: list[tuple[Any, ActionFailed | None]] = []
    worker = threading.Thread(target=lambda: box.append(_guarded(action, args, ctx)), daemon=True)
    worker.start()
    worker.join(timeout)
    if not box:
        return None, ActionFailed(f"timed out after {timeout:g}s", kind="timeout")
    return box[0]


def _guarded(action: Any, args: Any, ctx: ActionContext) -> tuple[Any, ActionFailed | None]:
    try:
        return scrub(action.execute(args, ctx)), None
    except ActionFailed as exc:
        return None, exc
    except DependencyError as exc:
        return None, ActionFailed(scrub(exc.message), kind="unreachable")
    except Exception as exc:  # an action's bug is a step failure, never a traceback
        return None, ActionFailed(f"{action.name} failed: {type(exc).__name__}", kind="error")


def _next(step: Any, outcome: str, key: str, error: ActionFailed | None) -> str | None:
    if outcome == SUCCESS:
        target: str | None = step.on_success or step.on_completion
        return target
    target = step.on_failure or step.on_completion
    if target is None:
        raise UnhandledFailure(key, error or ActionFailed("failed"))
    return target


def _case_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _definitions(
    playbook: Playbook, resolve: Callable[[str], Playbook | None]
) -> dict[str, dict[str, Any]]:
    """The playbook and every playbook it calls, as stored with the run."""
    found: dict[str, dict[str, Any]] = {}
    todo = [playbook]
    while todo:
        current = todo.pop()
        if current.metadata.name in found:
            continue
        found[current.metadata.name] = current.model_dump(mode="json", by_alias=True)
        for step in current.steps.values():
            if isinstance(step, PlaybookActionStep):
                called = resolve(step.playbook)
                if called is None:
                    raise InputError(f"playbook {step.playbook!r} not found")
                todo.append(called)
    return found


# -- dry runs ------------------------------------------------------------------------------


def dry_run(
    playbook: Playbook,
    inputs: dict[str, Any],
    config: SoarConfig,
    resolve: Callable[[str], Playbook | None],
    prefix: str = "",
) -> list[dict[str, Any]]:
    """Every reachable step, what it would do, and every branch it could take; runs nothing."""
    variables = dict(inputs)
    for name, spec in playbook.variables.items():
        try:
            variables[name] = render(spec.value, Scope(variables, {}, {}))
        except ExpressionError:
            variables[name] = spec.value
    scope = Scope(variables, {}, {})
    plan: list[dict[str, Any]] = []
    seen: set[str] = set()
    todo = [playbook.start]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        step = playbook.steps[name]
        entry: dict[str, Any] = {
            "step": prefix + name,
            "type": step.type,
            "does": _describe(step, scope, config),
            "branches": [
                {"when": _when(label), "next": prefix + target}
                for label, target in step_targets(step)
            ],
        }
        guess = _evaluated(step, scope)
        if guess is not None:
            entry["withTheseInputs"] = guess
        plan.append(entry)
        if isinstance(step, PlaybookActionStep):
            called = resolve(step.playbook)
            if called is not None:
                try:
                    child_inputs = render(step.inputs, scope)
                except ExpressionError:
                    child_inputs = dict(step.inputs)
                plan.extend(dry_run(called, child_inputs, config, resolve, f"{prefix}{name}/"))
        todo.extend(target for _, target in step_targets(step))
    return plan


def _describe(step: Any, scope: Scope, config: SoarConfig) -> str:
    if isinstance(step, ActionStep):
        action = ACTIONS[step.action]
        extra = {"item": "<each item>"} if step.for_each else {}
        try:
            args = render(step.args, Scope({**scope.variables, **extra}, _PendingOutcomes(), {}))
            described = action.describe(
                action.args_model.model_validate(args, by_alias=True, by_name=False), config
            )
        except (ExpressionError, ValidationError):
            described = f"{step.action} with {scrub(step.args)} (resolved when it runs)"
        if step.for_each:
            described = f"for each item of {step.for_each}: {described}"
        if step.retry:
            described += f" (up to {step.retry.max_attempts} attempts)"
        return described
    if isinstance(step, IfStep):
        return f"if {step.condition}"
    if isinstance(step, SwitchStep):
        return f"switch on {step.switch}"
    if isinstance(step, WhileStep):
        return f"while {step.condition} (at most {step.max_iterations} times)"
    if isinstance(step, ParallelStep):
        return f"run {len(step.next_steps)} branches concurrently"
    if isinstance(step, PlaybookActionStep):
        return f"run playbook {step.playbook}"
    return "end"


class _PendingOutcomes(dict[str, str]):
    """Outcomes in a dry run: known only when the run gets there."""

    def get(self, key: str, default: Any = None) -> Any:
        return f"<outcome of {key}>"


def _evaluated(step: Any, scope: Scope) -> Any:
    try:
        if isinstance(step, IfStep):
            return {"condition": truthy(evaluate_text(step.condition, scope))}
        if isinstance(step, SwitchStep):
            return {"case": _case_key(evaluate_text(step.switch, scope))}
    except ExpressionError:
        return None
    return None


def _when(label: str) -> str:
    return {
        "on_success": "success",
        "on_failure": "failure",
        "on_completion": "completion",
        "on_true": "true",
        "on_false": "false",
    }.get(label, label)


def _if_value(condition: str, walk: _Walk) -> Any:
    return truthy(evaluate_text(condition, walk.scope()))


def _switch_value(expression: str, walk: _Walk) -> Any:
    return _case_key(evaluate_text(expression, walk.scope()))
