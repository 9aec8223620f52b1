"""The Playbook document (``apiVersion: seccli.io/v1``, ``kind: Playbook``).

Steps are a mapping from a step name to a step of one of the CACAO 2.0 kinds: ``action``,
``if-condition``, ``switch-condition``, ``while-condition``, ``parallel``, ``playbook-action``
and ``end`` (the start is the playbook's ``start`` field).

Flow: ``onSuccess``/``onFailure``/``onCompletion`` lead on from an action or playbook-action;
``onTrue``/``onFalse`` from an if-condition, ``cases`` from a switch-condition. A
while-condition runs the branch at ``onTrue`` while its condition holds, then goes to
``onCompletion``; a parallel step runs the branches in ``nextSteps`` concurrently, then goes to
``onCompletion``. A branch ends at an ``end`` step or a step with nowhere to go; at the top
level that ends the run.

Argument values may use templates: a string that is exactly ``${expr}`` becomes the value of
``expr``; ``${expr}`` inside longer text is replaced by the value's text.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from seccli.core.userdoc import DocumentModel, UserDocument

PLAYBOOK_API_VERSION = "seccli.io/v1"
STEP_NAME = r"^[a-z][a-z0-9-]{0,62}$"
VARIABLE_NAME = r"^[a-z_][a-zA-Z0-9_]{0,62}$"

InputType = Literal["string", "integer", "number", "boolean", "list", "mapping"]


class PlaybookMetadata(DocumentModel):
    """Name and description of a playbook."""

    name: str = Field(pattern=STEP_NAME)
    """The playbook's name (lowercase, digits and dashes); its file is ``NAME.yaml``."""
    description: str = ""
    """What the playbook responds to."""
    labels: list[str] = Field(default_factory=list)
    """Free labels (exported as CACAO labels)."""
    playbook_types: list[str] = Field(default_factory=lambda: ["remediation"])
    """CACAO playbook types (e.g. remediation, notification, investigation)."""


class InputSpec(DocumentModel):
    """An input the incident supplies."""

    name: str = Field(pattern=VARIABLE_NAME)
    """The name expressions use as ``$name``."""
    type: InputType = "string"
    """The JSON type the incident's value must have."""
    required: bool = True
    """A required input missing from the incident is an input error (nothing runs)."""
    default: Any = None
    """The value of an optional input the incident leaves out."""
    description: str = ""


class VariableSpec(DocumentModel):
    """A playbook variable with its initial value."""

    type: InputType = "string"
    value: Any = None
    """The initial value (a template over inputs is allowed)."""
    description: str = ""


class RetryPolicy(DocumentModel):
    """Retrying a failed action (opt-in); over a list only the failed items run again."""

    max_attempts: int = Field(default=3, ge=1, le=20)
    """Attempts in all, the first included."""
    backoff_seconds: float = Field(default=0.5, ge=0, le=300)
    """Pause before the second attempt."""
    backoff_factor: float = Field(default=2.0, ge=1, le=10)
    """Each further pause is the previous one times this."""
    retry_on: str | None = None
    """Retry only when this expression over ``$error`` (kind, status, message) holds."""


class _Step(DocumentModel):
    description: str = ""
    """What the step does, for readers and dry runs."""


class _Continuing(_Step):
    on_success: str | None = None
    """The step after a success."""
    on_failure: str | None = None
    """The step after a failure (without one a failure fails the run)."""
    on_completion: str | None = None
    """The step after either outcome (when no ``onSuccess``/``onFailure`` is given)."""


class ActionStep(_Continuing):
    """Run one action from the action table."""

    type: Literal["action"]
    action: str
    """The action's name (see ``seccli playbook actions``)."""
    args: dict[str, Any] = Field(default_factory=dict)
    """The action's arguments (templates allowed)."""
    for_each: str | None = None
    """An expression giving a list: the action runs once per item (``$item``)."""
    retry: RetryPolicy | None = None
    """Retries (none unless given)."""
    timeout_seconds: float | None = Field(default=None, gt=0, le=86400)
    """Time limit of one attempt; reaching it is a failure."""
    set_variables: dict[str, str] = Field(default_factory=dict)
    """Variables set from expressions after a success (``steps.NAME.output`` is available)."""


class IfStep(_Step):
    """Go to ``onTrue`` or ``onFalse`` by a condition."""

    type: Literal["if-condition"]
    condition: str
    on_true: str
    on_false: str | None = None
    """Without one a false condition ends the branch."""


class SwitchStep(_Step):
    """Go to the case equal to the value of ``switch`` (else ``default``)."""

    type: Literal["switch-condition"]
    switch: str
    cases: dict[str, str]
    """Case value (as text) → step; the key ``default`` is taken when no case matches."""


class WhileStep(_Step):
    """Run the branch at ``onTrue`` while the condition holds, then ``onCompletion``."""

    type: Literal["while-condition"]
    condition: str
    on_true: str
    on_completion: str | None = None
    max_iterations: int = Field(default=100, ge=1, le=10000)
    """Reaching this many iterations fails the step (a loop never runs away)."""


class ParallelStep(_Step):
    """Run the branches concurrently; when all have ended, go to ``onCompletion``."""

    type: Literal["parallel"]
    next_steps: list[str] = Field(min_length=2)
    on_completion: str | None = None


class PlaybookActionStep(_Continuing):
    """Run another playbook with the given inputs."""

    type: Literal["playbook-action"]
    playbook: str = Field(pattern=STEP_NAME)
    """The called playbook's name (looked up beside this one)."""
    inputs: dict[str, Any] = Field(default_factory=dict)
    """The called playbook's inputs (templates allowed)."""


class EndStep(_Step):
    """End the branch (at the top level: the run)."""

    type: Literal["end"]


Step = Annotated[
    ActionStep | IfStep | SwitchStep | WhileStep | ParallelStep | PlaybookActionStep | EndStep,
    Field(discriminator="type"),
]


class Playbook(UserDocument):
    """A response playbook: inputs, variables and a graph of steps."""

    api_version: Literal["seccli.io/v1"]
    kind: Literal["Playbook"]
    metadata: PlaybookMetadata
    inputs: list[InputSpec] = Field(default_factory=list)
    """What the incident supplies."""
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    """Variables with initial values; actions may set them."""
    start: str
    """The first step."""
    steps: dict[str, Step]
    """Step name → step."""

    def targets(self, name: str) -> list[tuple[str, str]]:
        """(label, target) of every transition out of step ``name``."""
        step = self.steps[name]
        return step_targets(step)


def step_targets(step: Any) -> list[tuple[str, str]]:
    """(label, target) of every transition out of ``step``."""
    found: list[tuple[str, str]] = []
    for label in ("on_success", "on_failure", "on_completion", "on_true", "on_false"):
        target = getattr(step, label, None)
        if isinstance(target, str):
            found.append((label, target))
    if isinstance(step, SwitchStep):
        found.extend((f"cases.{key}", target) for key, target in step.cases.items())
    if isinstance(step, ParallelStep):
        found.extend((f"next_steps[{i}]", target) for i, target in enumerate(step.next_steps))
    return found


def playbook_schema() -> dict[str, Any]:
    """The published JSON Schema of a Playbook document."""
    from seccli.core.userdoc import document_schema

    return document_schema(Playbook, "playbook")
