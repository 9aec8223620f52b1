"""What ``assess`` returns: one result per step, the pack and the overall exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class StepStatus(StrEnum):
    """How a step of the assessment ended (one spelling each)."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_ASSESSED = "not assessed"
    ERROR = "error"


#: The steps, in the order they run: id → what the summary calls it.
STEPS: dict[str, str] = {
    "estate": "estate validated",
    "org": "org validated",
    "generate": "Zero-Trust tree generated",
    "prove": "NetworkPolicies proved",
    "policy": "policy library on the tree",
    "images": "images verified",
    "vault": "Vault secrets audited",
    "scan": "repository scanned",
    "pack": "evidence pack built and verified",
}


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step: its status, a one-line detail, the exit code it would have had alone."""

    step: str
    status: StepStatus
    detail: str
    exit_code: int
    seconds: float = 0.0

    @property
    def title(self) -> str:
        """What the summary calls the step."""
        return STEPS[self.step]

    def to_json(self) -> dict[str, Any]:
        """The step as JSON."""
        return {
            "step": self.step,
            "title": self.title,
            "status": self.status.value,
            "detail": self.detail,
            "exitCode": self.exit_code,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class AssessResult:
    """A finished assessment."""

    estate: Path
    work: Path
    steps: list[StepResult] = field(default_factory=list)
    pack: Path | None = None
    public_key: Path | None = None
    key_id: str | None = None
    pack_overall: dict[str, str] = field(default_factory=dict)
    pack_summary: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """3 if a step failed to run (a dependency or bug), else 2 for bad input, else 1 if a
        gate failed, else 0. Steps not assessed do not count either way."""
        codes = {step.exit_code for step in self.steps if step.status is not StepStatus.PASSED}
        for code in (3, 2, 1):
            if code in codes:
                return code
        return 3 if any(c not in (0, 1, 2) for c in codes) else 0

    @property
    def verdict(self) -> str:
        """``passed``, ``failed`` or ``error``."""
        return {0: "passed", 1: "failed"}.get(self.exit_code, "error")

    def to_json(self) -> dict[str, Any]:
        """The assessment as JSON."""
        return {
            "estate": str(self.estate),
            "work": str(self.work),
            "verdict": self.verdict,
            "exitCode": self.exit_code,
            "steps": [step.to_json() for step in self.steps],
            "pack": {
                "path": str(self.pack) if self.pack else None,
                "publicKey": str(self.public_key) if self.public_key else None,
                "keyId": self.key_id,
                "overall": self.pack_overall,
                "summary": self.pack_summary,
            },
        }
