"""Rendering Helm charts with ``helm template`` (when ``--helm`` is given and helm is on PATH).

A chart is a folder holding ``Chart.yaml``. It is rendered with its default values, offline
(no repository access: ``helm template`` only reads the chart and its ``charts/``), and the
output is judged as the objects the chart would install; ``# Source:`` comments name the
template each object came from.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from seccli.core.errors import DependencyError, InputError

CHART_FILE = "Chart.yaml"
_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)


def is_chart(folder: Path) -> bool:
    """Whether ``folder`` is a Helm chart (holds ``Chart.yaml``)."""
    return (folder / CHART_FILE).is_file()


def helm_available() -> bool:
    """Whether the ``helm`` program is on PATH."""
    return shutil.which("helm") is not None


def render_chart(folder: Path, timeout: float = 120.0) -> str:
    """The manifests ``helm template`` renders from the chart in ``folder``.

    ``DependencyError`` (exit 3) when helm is missing, fails to start or times out;
    ``InputError`` (exit 2) when helm refuses the chart.
    """
    program = shutil.which("helm")
    if program is None:
        raise DependencyError(
            "--helm: helm is not installed (no `helm` on PATH)",
            hint="install helm, or leave out --helm (templates are then skipped)",
        )
    try:
        done = subprocess.run(
            [program, "template", "seccli-render", str(folder)],
            capture_output=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise DependencyError(f"{folder}: helm template took longer than {timeout:g}s") from None
    except OSError as exc:
        raise DependencyError(f"{folder}: cannot run helm: {exc.strerror}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{folder}: helm template failed: {lines[0][:300] if lines else ''}")
    return done.stdout.decode("utf-8", "replace")
