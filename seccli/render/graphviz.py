"""Graphviz: DOT text rendered to SVG (or PNG) by the ``dot`` program, when it is installed."""

from __future__ import annotations

import shutil
import subprocess

from seccli.core.errors import DependencyError


def dot_quote(text: str) -> str:
    """A DOT string literal; a line break in ``text`` becomes a centred line break."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\n").replace("\n", "\\n") + '"'


def graphviz_available() -> bool:
    """Whether the ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def render_dot(dot_text: str, fmt: str = "svg", timeout: float = 120.0) -> bytes:
    """Render DOT with Graphviz to ``fmt`` (svg, png); ``DependencyError`` if it is missing,
    fails or takes longer than ``timeout`` seconds."""
    program = shutil.which("dot")
    if program is None:
        raise DependencyError(
            "Graphviz is not installed (no `dot` on PATH)",
            hint="install graphviz, or use --format dot",
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(f"Graphviz failed: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[0][:300] if message else str(done.returncode)
        raise DependencyError(f"Graphviz failed: {detail}")
    return done.stdout
