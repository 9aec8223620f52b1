"""Checks of a playbook beyond its schema, every problem at once with file, path and line.

- every transition target exists, every step is reachable from ``start``, no cycle (loops are
  while-conditions, whose body ends instead of jumping back);
- parallel branches share no step and do not run into the step after the join;
- every expression parses; variables and step outputs are defined on every path before use;
- actions exist and their arguments type-check (literal values fully, templates by their
  expressions), literal estate/org references exist;
- called playbooks exist, get their required inputs, and do not call back into themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from seccli.core.documents import Document
from seccli.core.errors import Problem
from seccli.core.location import Location
from seccli.soar.expr import ExpressionError, StepRef, Var, parse, references
from seccli.soar.interface import SoarConfig
from seccli.soar.model import (
    ActionStep,
    IfStep,
    ParallelStep,
    Playbook,
    PlaybookActionStep,
    SwitchStep,
    WhileStep,
    step_targets,
)
from seccli.soar.templates import expressions, has_template, is_whole

Resolver = Callable[[str], Playbook | None]
DocPath = tuple[str | int, ...]


@dataclass
class _Checker:
    playbook: Playbook
    document: Document
    config: SoarConfig
    resolve: Resolver | None
    problems: list[Problem]

    def add(self, path: DocPath, message: str) -> None:
        self.problems.append(Problem(self.document.locate(path), message))

    # -- graph ---------------------------------------------------------------------------

    def check_graph(self) -> list[str]:
        """Targets, reachability and cycles; the reachable steps in topological order."""
        steps = self.playbook.steps
        if self.playbook.start not in steps:
            self.add(("start",), f"start step {self.playbook.start!r} does not exist")
            return []
        for name, step in steps.items():
            for label, target in step_targets(step):
                if target not in steps:
                    self.add(
                        ("steps", name, *_label_path(label)), f"step {target!r} does not exist"
                    )
        order: list[str] = []
        state: dict[str, int] = {}  # 1 on the stack, 2 done
        reported: set[tuple[str, str]] = set()

        def visit(name: str) -> None:
            stack: list[tuple[str, Iterable[tuple[str, str]]]] = [(name, iter(self._edges(name)))]
            state[name] = 1
            while stack:
                current, edges = stack[-1]
                advanced = False
                for label, target in edges:
                    if state.get(target) == 1:
                        if (current, target) not in reported:
                            reported.add((current, target))
                            self.add(
                                ("steps", current, *_label_path(label)),
                                f"cycle: {target!r} leads back here (loop with a "
                                "while-condition instead)",
                            )
                    elif target not in state:
                        state[target] = 1
                        stack.append((target, iter(self._edges(target))))
                        advanced = True
                        break
                if not advanced:
                    stack.pop()
                    state[current] = 2
                    order.append(current)

        visit(self.playbook.start)
        for name in steps:
            if name not in state:
                self.add(("steps", name), f"step {name!r} is not reachable from the start")
        order.reverse()
        return order

    def _edges(self, name: str) -> list[tuple[str, str]]:
        step = self.playbook.steps.get(name)
        if step is None:
            return []
        return [(label, t) for label, t in step_targets(step) if t in self.playbook.steps]

    def branch_steps(self, first: str, stop: str | None = None) -> set[str]:
        """Steps reachable from ``first`` (not past ``stop``)."""
        seen: set[str] = set()
        todo = [first]
        while todo:
            name = todo.pop()
            if name in seen or name == stop or name not in self.playbook.steps:
                continue
            seen.add(name)
            todo.extend(t for _, t in self._edges(name))
        return seen

    def check_branches(self) -> None:
        for name, step in self.playbook.steps.items():
            if isinstance(step, ParallelStep):
                owners: dict[str, int] = {}
                for index, first in enumerate(step.next_steps):
                    for member in self.branch_steps(first):
                        if member in owners and owners[member] != index:
                            self.add(
                                ("steps", name, "nextSteps", index),
                                f"branches {owners[member]} and {index} both run step "
                                f"{member!r} (parallel branches must not share steps)",
                            )
                        owners.setdefault(member, index)
                if step.on_completion in owners:
                    self.add(
                        ("steps", name, "onCompletion"),
                        f"a branch runs into {step.on_completion!r}, the step after the join",
                    )
            if (
                isinstance(step, WhileStep)
                and step.on_completion
                and step.on_completion in self.branch_steps(step.on_true)
            ):
                self.add(
                    ("steps", name, "onCompletion"),
                    f"the loop body runs into {step.on_completion!r}, the step after the loop",
                )

    # -- expressions and definitions ------------------------------------------------------

    def check_definitions(self, order: Sequence[str]) -> None:
        """Variables and step outputs defined on every path before they are used."""
        base = {i.name for i in self.playbook.inputs} | set(self.playbook.variables)
        for var_name, spec in self.playbook.variables.items():
            self._uses(("variables", var_name, "value"), spec.value, base, set())
        preds: dict[str, list[str]] = {name: [] for name in order}
        for name in order:
            for _, target in self._edges(name):
                if target in preds:
                    preds[target].append(name)
        out: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for name in order:
            seen = [p for p in preds[name] if p in out]  # back edges (cycles) are reported
            if name == self.playbook.start or not seen:
                variables, done = frozenset(base), frozenset[str]()
            else:
                variables = frozenset.intersection(*(out[p][0] for p in seen))
                done = frozenset.intersection(*(out[p][1] for p in seen))
            step = self.playbook.steps[name]
            self._check_step_uses(name, step, set(variables), set(done))
            sets = set(getattr(step, "set_variables", {}) or {})
            if isinstance(step, ActionStep) and step.action == "variable.set":
                set_name: Any = step.args.get("name")
                if isinstance(set_name, str):
                    sets.add(set_name)
            out[name] = (variables | sets, done | {name})

    def _check_step_uses(self, name: str, step: Any, variables: set[str], done: set[str]) -> None:
        where: DocPath = ("steps", name)
        if isinstance(step, IfStep | WhileStep):
            self._expression((*where, "condition"), step.condition, variables, done)
        elif isinstance(step, SwitchStep):
            self._expression((*where, "switch"), step.switch, variables, done)
        elif isinstance(step, ActionStep):
            inner = set(variables)
            if step.for_each is not None:
                self._expression((*where, "forEach"), step.for_each, variables, done)
                inner.add("item")
            self._uses((*where, "args"), step.args, inner, done)
            if step.retry and step.retry.retry_on:
                self._expression(
                    (*where, "retry", "retryOn"), step.retry.retry_on, inner | {"error"}, done
                )
            for var_name, text in step.set_variables.items():
                self._expression((*where, "setVariables", var_name), text, variables, done | {name})
        elif isinstance(step, PlaybookActionStep):
            self._uses((*where, "inputs"), step.inputs, variables, done)

    def _uses(self, path: DocPath, value: Any, variables: set[str], done: set[str]) -> None:
        for inner, text in expressions(value):
            self._expression((*path, *inner), text.strip(), variables, done)

    def _expression(self, path: DocPath, text: str, variables: set[str], done: set[str]) -> None:
        try:
            node = parse(text)
        except ExpressionError as exc:
            self.add(path, f"expression {text!r}: {exc}")
            return
        for ref in references(node):
            if isinstance(ref, Var) and ref.name not in variables:
                self.add(path, f"${ref.name} is not defined on every path before this step")
            elif isinstance(ref, StepRef):
                if ref.step not in self.playbook.steps:
                    self.add(path, f"steps.{ref.step}: no such step")
                elif ref.field == "output" and ref.step not in done:
                    self.add(
                        path,
                        f"steps.{ref.step}.output: step {ref.step!r} has not run on every "
                        "path before this one",
                    )

    # -- actions and called playbooks -----------------------------------------------------

    def check_actions(self) -> None:
        from seccli.soar.actions import ACTIONS

        for name, step in self.playbook.steps.items():
            if not isinstance(step, ActionStep):
                continue
            where: DocPath = ("steps", name)
            action = ACTIONS.get(step.action)
            if action is None:
                known = ", ".join(sorted(ACTIONS))
                self.add((*where, "action"), f"unknown action {step.action!r} (known: {known})")
                continue
            problems = check_arguments(action.args_model, step.args)
            for key, message in problems:
                self.add((*where, "args", *key), message)
            if not problems and not has_template(step.args):
                args = action.args_model.model_validate(step.args, by_alias=True, by_name=False)
                for message in action.check(args, self.config):
                    self.add((*where, "args"), message)
            elif not problems:
                literal = {k: v for k, v in step.args.items() if not has_template(v)}
                try:
                    args = action.args_model.model_construct(
                        **_by_field(action.args_model, literal)
                    )
                    for message in action.check(args, self.config):
                        self.add((*where, "args"), message)
                except (AttributeError, TypeError):
                    pass  # a check needing a templated argument runs at execution

    def check_calls(self, stack: tuple[str, ...]) -> None:
        for name, step in self.playbook.steps.items():
            if not isinstance(step, PlaybookActionStep):
                continue
            where: DocPath = ("steps", name, "playbook")
            if step.playbook in stack:
                chain = " → ".join((*stack, step.playbook))
                self.add(where, f"playbooks call each other in a cycle: {chain}")
                continue
            called = self.resolve(step.playbook) if self.resolve else None
            if called is None:
                self.add(where, f"playbook {step.playbook!r} not found")
                continue
            wanted = {i.name: i for i in called.inputs}
            for given in step.inputs:
                if given not in wanted:
                    self.add(
                        ("steps", name, "inputs", given), f"{step.playbook} has no input {given!r}"
                    )
            for input_name, spec in wanted.items():
                if spec.required and input_name not in step.inputs:
                    self.add(
                        ("steps", name, "inputs"),
                        f"required input {input_name!r} of {step.playbook} is not given",
                    )
            nested: list[Problem] = []
            _calls_of(called, stack + (step.playbook,), self.resolve, nested)
            for problem in nested:
                self.add(where, f"in {step.playbook}: {problem.message}")


def _calls_of(
    playbook: Playbook, stack: tuple[str, ...], resolve: Resolver | None, out: list[Problem]
) -> None:
    """Cycle checks through the called playbooks (their own problems are theirs)."""
    for step in playbook.steps.values():
        if isinstance(step, PlaybookActionStep):
            if step.playbook in stack:
                out.append(
                    Problem(_NOWHERE, "calls back into " + " → ".join((*stack, step.playbook)))
                )
            elif resolve is not None and (called := resolve(step.playbook)) is not None:
                _calls_of(called, stack + (step.playbook,), resolve, out)


_NOWHERE = Location("", None, None, None)


def _label_path(label: str) -> DocPath:
    if label.startswith("cases."):
        return ("cases", label.removeprefix("cases."))
    if label.startswith("next_steps["):
        return ("nextSteps", int(label[len("next_steps[") : -1]))
    camel = {
        "on_success": "onSuccess",
        "on_failure": "onFailure",
        "on_completion": "onCompletion",
        "on_true": "onTrue",
        "on_false": "onFalse",
    }
    return (camel.get(label, label),)


def _by_field(model: type[BaseModel], args: dict[str, Any]) -> dict[str, Any]:
    fields = _fields(model)
    return {fields[k][0]: v for k, v in args.items() if k in fields}


@cache
def _fields(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Alias → (field name, TypeAdapter of the field's type with its constraints)."""
    found: dict[str, tuple[str, Any]] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        found[info.alias or name] = (name, TypeAdapter(annotation))
    return found


def check_arguments(model: type[BaseModel], args: dict[str, Any]) -> list[tuple[DocPath, str]]:
    """Problems of ``args`` for ``model``: unknown, missing, mistyped (templates by shape)."""
    fields = _fields(model)
    problems: list[tuple[DocPath, str]] = []
    for key, value in args.items():
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            problems.append(((key,), f"unknown argument {key!r} (arguments: {known})"))
            continue
        name, adapter = fields[key]
        if has_template(value):
            bare = model.model_fields[name].annotation
            if isinstance(value, str) and not is_whole(value) and not _accepts_text(bare):
                problems.append(((key,), "text with a template for a non-text argument"))
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            problems.append(((key,), f"argument {key!r}: {first['msg']}"))
    for alias, (name, _) in fields.items():
        info = model.model_fields[name]
        if info.is_required() and alias not in args:
            problems.append(((), f"missing required argument {alias!r}"))
    return problems


def _accepts_text(annotation: Any) -> bool:
    """Whether a field of this type takes text (str, a union with str, or anything)."""
    if annotation is str or annotation is Any:
        return True
    return any(_accepts_text(arg) for arg in getattr(annotation, "__args__", ()))


def check_playbook(
    playbook: Playbook,
    document: Document,
    config: SoarConfig,
    resolve: Resolver | None,
) -> list[Problem]:
    """Every problem of ``playbook`` beyond its schema."""
    checker = _Checker(playbook, document, config, resolve, [])
    order = checker.check_graph()
    checker.check_branches()
    checker.check_definitions(order)
    checker.check_actions()
    checker.check_calls((playbook.metadata.name,))
    return checker.problems
