"""Where something is: a file, a line and column, and a path inside a structured document."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DocPath = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_doc_path(path: Sequence[str | int]) -> str:
    """Render a document path as ``services[3].intents[0].port``.

    Keys that are not plain identifiers are quoted: ``labels["app.kubernetes.io/name"]``.
    """
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}" if out else part)
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file: 1-based line and column, plus the path inside the document."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.path:
            text += f": {self.path}"
        return text


@dataclass(frozen=True, slots=True, order=True)
class ControlRef:
    """A reference to a control of a compliance framework, e.g. ``ISO27001:2022 A.8.24``."""

    framework: str
    control_id: str

    def __str__(self) -> str:
        return f"{self.framework} {self.control_id}"
