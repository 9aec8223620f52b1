"""The one findings model every scanner, gate and audit reports into."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from seccli.core.hashing import sha256_json
from seccli.core.location import ControlRef, Location
from seccli.core.severity import Severity

_SPACE = re.compile(r"\s+")


def normalise_snippet(snippet: str) -> str:
    """Collapse all white space so reformatting does not change a fingerprint."""
    return _SPACE.sub(" ", snippet).strip()


def fingerprint(tool: str, rule_id: str, file: str, basis: str) -> str:
    """A stable finding id: tool, rule, file and a line-independent basis (e.g. the snippet).

    Lines are deliberately left out so the fingerprint survives code moving up or down.
    """
    return sha256_json([tool, rule_id, file, normalise_snippet(basis)])[:32]


class Finding(BaseModel):
    """One problem found by a tool or gate, with where it is, how bad, and who owns it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Stable fingerprint; survives line shifts and reformatting.")
    rule_id: str
    title: str
    message: str
    severity: Severity
    location: Location
    tool: str
    tags: tuple[str, ...] = ()
    controls: tuple[ControlRef, ...] = ()
    owner: str | None = None
    help_url: str | None = None

    @classmethod
    def create(
        cls,
        *,
        tool: str,
        rule_id: str,
        title: str,
        message: str,
        severity: Severity,
        location: Location,
        basis: str | None = None,
        tags: Iterable[str] = (),
        controls: Iterable[ControlRef] = (),
        owner: str | None = None,
        help_url: str | None = None,
    ) -> Finding:
        """Build a finding and compute its fingerprint.

        ``basis`` is what identifies the finding inside its file independently of line numbers
        (a code snippet, a document path); by default the document path, else the message.
        """
        chosen = basis if basis is not None else (location.path or message)
        return cls(
            id=fingerprint(tool, rule_id, location.file, chosen),
            rule_id=rule_id,
            title=title,
            message=message,
            severity=severity,
            location=location,
            tool=tool,
            tags=tuple(sorted(set(tags))),
            controls=tuple(sorted(set(controls))),
            owner=owner,
            help_url=help_url,
        )

    def at_least(self, threshold: Severity) -> bool:
        """True when this finding is as severe as ``threshold`` or worse."""
        return self.severity >= threshold
