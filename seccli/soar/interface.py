"""What every playbook action implements, and what it is given when it runs.

An action is a small class with a typed argument model (pydantic, camelCase in YAML), a
one-line dry-run description and an ``execute`` method returning a JSON-able output. A failure
is an ``ActionFailed`` (a step failure: the playbook's ``onFailure`` path), never any other
exception; outputs never hold a ``Secret``.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from seccli.core.clock import Clock
from seccli.core.redaction import Secret
from seccli.core.userdoc import DocumentModel

if TYPE_CHECKING:
    from seccli.estate.model import Estate
    from seccli.org.model import SecurityOrg
    from seccli.secrets.client import VaultApi


class ActionArgs(DocumentModel):
    """Base of every action's arguments."""


ArgsT = TypeVar("ArgsT", bound=ActionArgs)


class ActionFailed(Exception):  # noqa: N818 - a step outcome, handled by the engine
    """An action did not do what it should; ``message`` never contains a secret."""

    def __init__(
        self, message: str, *, kind: str = "error", status: int | None = None, output: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.output = output

    def as_error(self) -> dict[str, Any]:
        """The ``$error`` a retry condition sees."""
        return {"kind": self.kind, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class Endpoint:
    """A configured URL an HTTP action may call, and its credential (if any)."""

    url: str
    token: Secret | None = None


@dataclass
class SoarConfig:
    """Configuration of actions (the CLI builds it from options and the environment)."""

    workdir: Path = Path(".seccli") / "soar"
    """Where forensics snapshots and ticket files go."""
    gitops: Path | None = None
    """The GitOps tree quarantine and image-block actions write into (default workdir/gitops)."""
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    estate: Estate | None = None
    org: SecurityOrg | None = None
    vault: Callable[[], VaultApi] | None = None
    """Connects to Vault (None: vault actions fail with 'not configured')."""
    seccli_command: tuple[str, ...] = ()
    """How to run seccli itself for gate actions (default: this Python, ``-m seccli``)."""
    recent_findings: Callable[[], list[dict[str, Any]]] | None = None
    http_timeout: float = 10.0

    def gitops_root(self) -> Path:
        """The GitOps tree to write into."""
        return self.gitops or self.workdir / "gitops"


@dataclass
class ActionContext:
    """What an action is given: identity of the step, clock, configuration and time left."""

    run_id: str
    step_key: str
    clock: Clock
    config: SoarConfig
    deadline: float | None = None
    """``time.monotonic()`` by which the attempt must end (None: no limit)."""

    @property
    def idempotency_key(self) -> str:
        """Stable across retries and resumes of this step: ``RUN/STEP``."""
        return f"{self.run_id}/{self.step_key}"

    def remaining(self, default: float) -> float:
        """Seconds left for this attempt, at most ``default``."""
        if self.deadline is None:
            return default
        return max(0.001, min(default, self.deadline - time.monotonic()))


class Action(ABC, Generic[ArgsT]):
    """One action of the table."""

    name: ClassVar[str]
    summary: ClassVar[str]
    args_model: ClassVar[type[ActionArgs]]
    changes_state: ClassVar[bool] = True
    """False for actions that only read or log (they run in dry runs? never: nothing runs)."""

    @abstractmethod
    def describe(self, args: ArgsT, config: SoarConfig) -> str:
        """What ``execute`` would do, in one line (dry runs)."""

    @abstractmethod
    def execute(self, args: ArgsT, ctx: ActionContext) -> dict[str, Any]:
        """Do it; the JSON-able output (``ActionFailed`` on failure)."""

    def check(self, args: ArgsT, config: SoarConfig) -> list[str]:
        """Problems with literal arguments against the estate and org (validation)."""
        return []
