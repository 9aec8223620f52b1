"""The ``DrillScenario`` and ``DrillResponders`` documents: injects, phases, expectations,
decision points and responders' response-time distributions (all times in minutes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictFloat, StrictInt

from seccli.core.userdoc import DocumentModel, UserDocument, document_schema

Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Minutes = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1_000_000)]
"""A time in minutes: a number (strings refused), never negative."""

METRICS = ("detect", "acknowledge", "contain", "recover")
"""Phases whose end times give MTTD, MTTA, MTTC and MTTR."""


def _positive_when_set(value: float | int | None) -> float | int | None:
    if value is not None and value <= 0:
        raise ValueError("must be greater than 0")
    return value


class Distribution(DocumentModel):
    """A response time: ``fixed`` (minutes), ``exponential`` (mean), ``uniform`` (min..max),
    ``triangular`` (min, mode, max) or ``lognormal`` (median, sigma)."""

    distribution: Literal["fixed", "exponential", "uniform", "triangular", "lognormal"]
    minutes: Minutes | None = None
    """For ``fixed``."""
    mean_minutes: Annotated[Minutes | None, AfterValidator(_positive_when_set)] = None
    """For ``exponential``."""
    min_minutes: Minutes | None = None
    """For ``uniform`` and ``triangular``."""
    mode_minutes: Minutes | None = None
    """For ``triangular``."""
    max_minutes: Minutes | None = None
    """For ``uniform`` and ``triangular``."""
    median_minutes: Annotated[Minutes | None, AfterValidator(_positive_when_set)] = None
    """For ``lognormal``."""
    sigma: Annotated[StrictFloat | StrictInt, Field(ge=0, le=5)] | None = None
    """For ``lognormal``: the standard deviation of the log."""

    def required(self) -> tuple[str, ...]:
        """The parameters this distribution needs (field names)."""
        return {
            "fixed": ("minutes",),
            "exponential": ("mean_minutes",),
            "uniform": ("min_minutes", "max_minutes"),
            "triangular": ("min_minutes", "mode_minutes", "max_minutes"),
            "lognormal": ("median_minutes", "sigma"),
        }[self.distribution]


class TeamResponse(DocumentModel):
    """How a team responds: time to acknowledge a page, chance of answering, phase times."""

    acknowledge: Distribution | None = None
    """Time from being paged to acknowledging."""
    answer_probability: Annotated[StrictFloat | StrictInt, Field(ge=0, le=1)] = 1
    """Chance that a paged member of this team answers at all."""
    phases: dict[Ident, Distribution] = Field(default_factory=dict)
    """Work time of a phase (by phase id) when this team does it; overrides the phase's own."""


class Inject(DocumentModel):
    """Something that happens at an offset from the start."""

    id: Ident
    at_minutes: Minutes
    kind: Literal["alert", "call", "failure", "no-answer", "info", "pause"]
    """``alert`` starts detection; ``no-answer`` makes a paging level not answer;
    ``pause`` stops the exercise for ``pauseMinutes`` (excluded from every score)."""
    text: str
    level: Annotated[int, Field(ge=1, le=10)] | None = None
    """For ``no-answer``: the escalation level that does not answer (1: the primary)."""
    pause_minutes: Minutes | None = None
    """For ``pause``."""


class Phase(DocumentModel):
    """One step of the response, done by a team after other phases (or injects) end."""

    id: Ident
    kind: Literal["work", "page"] = "work"
    """``page``: the on-call of the scenario's subdomain is paged (org model, escalation
    policy); the phase ends when someone acknowledges."""
    team: Ident | None = None
    """Who does the work (a ``page`` phase: the team whose answer times are used)."""
    after: tuple[Ident, ...] = ()
    """Phases or injects that must end first (none: the start)."""
    duration: Distribution | None = None
    """Work time (``work`` phases)."""
    playbook: str | None = None
    """The playbook responders are expected to run in this phase (simulated)."""
    metric: Literal["detect", "acknowledge", "contain", "recover"] | None = None
    """Which score this phase's end gives (default: the phase id when it is one)."""


class Expectation(DocumentModel):
    """A phase that must end within a target time, measured from an inject, phase or start."""

    id: Ident
    phase: Ident
    within_minutes: Minutes
    team: Ident
    """Who must meet it."""
    since: Ident | Literal["start"] = "start"
    """Measured from the end of this phase or inject (default: the start)."""


class DecisionRule(DocumentModel):
    """Choose ``choose`` when the variable has the value."""

    variable: str
    equals: str | int | float | bool
    choose: Ident


class DecisionOption(DocumentModel):
    id: Ident
    label: str
    skips: tuple[Ident, ...] = ()
    """Phases that are not needed when this option is taken."""
    adds_minutes: Minutes = 0
    """Time the decision itself costs before the phases after it start."""


class Decision(DocumentModel):
    """A decision point reached when a phase ends; automated runs follow the rules."""

    id: Ident
    after: Ident
    """The phase whose end reaches this decision."""
    question: str
    options: tuple[DecisionOption, ...] = Field(min_length=2)
    rules: tuple[DecisionRule, ...] = ()
    default: Ident


class Slo(DocumentModel):
    """Targets in minutes (defaults: the organisation's MTTA 5 and MTTR 30)."""

    mtta_minutes: Minutes = 5
    mttr_minutes: Minutes = 30
    mttd_minutes: Minutes | None = None
    mttc_minutes: Minutes | None = None


class ScenarioMeta(DocumentModel):
    name: Ident
    title: str
    description: str = ""


class DrillScenario(UserDocument):
    """A tabletop exercise: injects on a timeline, the response's phases, expectations."""

    api_version: Literal["seccli.dev/v1alpha1"]
    kind: Literal["DrillScenario"]
    metadata: ScenarioMeta
    incident_type: Ident
    """The incident type (the name of the shipped playbook it exercises)."""
    subdomain: str
    """The estate subdomain hit: its squad's on-call is paged."""
    start: datetime
    """Simulated start (UTC)."""
    duration_minutes: Minutes
    """The exercise ends here; anything later is missed."""
    playbooks: tuple[str, ...] = ()
    incident: str | None = None
    """An incident file (relative to the scenario) giving the playbooks' inputs."""
    variables: dict[str, str | int | float | bool] = Field(default_factory=dict)
    slo: Slo | None = None
    """Overrides the estate's SLOs."""
    responders: dict[Ident, TeamResponse] = Field(default_factory=dict)
    """Per-team response-time distributions (a responders file may override them)."""
    injects: tuple[Inject, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)
    expectations: tuple[Expectation, ...] = ()
    decisions: tuple[Decision, ...] = ()


class DrillResponders(UserDocument):
    """Per-team response-time distributions kept apart from the scenarios."""

    api_version: Literal["seccli.dev/v1alpha1"]
    kind: Literal["DrillResponders"]
    teams: dict[Ident, TeamResponse]


def drill_schema() -> dict[str, object]:
    """The published JSON Schema of a drill scenario."""
    return document_schema(DrillScenario, "drill")
