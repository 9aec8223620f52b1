"""Shared helpers of the drill tests: the example org, scenario files written from dicts, and
seccli run in-process or in a real process."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.inprocess import run_seccli

ROOT = Path(__file__).resolve().parents[2]
DRILLS = ROOT / "playbooks" / "drills"
PLAYBOOKS = ROOT / "playbooks"
ORG = ROOT / "examples" / "claytom" / "org.yaml"
SHIPPED = sorted(p.stem for p in DRILLS.glob("*.yaml"))
INCIDENT = str(ROOT / "examples" / "claytom" / "incidents" / "data-exfiltration.json")

# A small scenario whose scores have a closed form: detection takes exactly 2 minutes and the
# squad acknowledges after an exponential time (mean 4 min), always answering. The policy only
# escalates after 15 minutes, so below 15 minutes MTTA is exactly exponential.
BASE: dict[str, Any] = {
    "apiVersion": "seccli.dev/v1alpha1",
    "kind": "DrillScenario",
    "metadata": {"name": "closed-form", "title": "Closed form"},
    "incidentType": "data-exfiltration",
    "subdomain": "profiles",
    "start": "2026-03-02T09:00:00Z",
    "durationMinutes": 600,
    "playbooks": ["data-exfiltration"],
    "incident": INCIDENT,
    "responders": {
        "squad-profiles": {"acknowledge": {"distribution": "exponential", "meanMinutes": 4}}
    },
    "injects": [{"id": "alert", "atMinutes": 0, "kind": "alert", "text": "an alert"}],
    "phases": [
        {
            "id": "detect",
            "team": "soc",
            "after": ["alert"],
            "duration": {"distribution": "fixed", "minutes": 2},
        },
        {"id": "acknowledge", "kind": "page", "team": "squad-profiles", "after": ["detect"]},
        {
            "id": "contain",
            "team": "ir-dfir",
            "after": ["acknowledge"],
            "duration": {"distribution": "fixed", "minutes": 10},
        },
        {
            "id": "recover",
            "team": "api-infrastructure",
            "after": ["contain"],
            "duration": {"distribution": "fixed", "minutes": 5},
        },
    ],
    "expectations": [
        {
            "id": "ack-5",
            "phase": "acknowledge",
            "withinMinutes": 5,
            "team": "squad-profiles",
            "since": "detect",
        }
    ],
}


def scenario(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level fields replaced."""
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _environment(cwd: Path, env: dict[str, str] | None) -> dict[str, str]:
    return {
        **os.environ,
        "SECCLI_ACTOR": "facilitator",
        "SECCLI_ORG": str(ORG),
        "SECCLI_DRILLS": str(DRILLS),
        "SECCLI_PLAYBOOKS": str(PLAYBOOKS),
        "SECCLI_STORE": str(cwd / "state.db"),
        **(env or {}),
    }


def seccli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``seccli ARGS`` run in this process (see tests/inprocess.py), in ``cwd``."""
    return run_seccli(list(args), cwd=cwd, env=_environment(cwd, env), stdin=stdin)


def seccli_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``seccli ARGS`` in a real process (a fresh interpreter, its own hash seed)."""
    return subprocess.run(
        [sys.executable, "-m", "seccli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_environment(cwd, env),
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def org() -> Any:
    from seccli.org.loader import load_org

    return load_org(ORG).org


def load(path: Path, org: Any) -> Any:
    from seccli.drill.service import prepare

    return prepare(str(path), DRILLS, PLAYBOOKS, org, None)
