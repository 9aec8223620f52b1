"""Reading drill scenarios and responders files through the one safe loader, fully checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seccli.core.documents import Document, load_document
from seccli.core.errors import InputError, Problem, raise_if_problems
from seccli.core.userdoc import validate_user_document
from seccli.drill.model import DrillResponders, DrillScenario
from seccli.drill.validate import check_responders, org_teams, scenario_problems
from seccli.org.model import SecurityOrg

HINT = "see `seccli schema drill` and playbooks/drills/ for examples"


@dataclass(frozen=True)
class LoadedScenario:
    scenario: DrillScenario
    document: Document
    path: Path


def scenario_path(name_or_file: str, folder: Path) -> Path:
    """A scenario file, or ``folder/NAME.yaml``."""
    given = Path(name_or_file)
    if given.suffix in (".yaml", ".yml", ".json") or given.exists():
        return given
    candidate = folder / f"{name_or_file}.yaml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise InputError(f"no drill scenario {name_or_file!r} in {folder}", hint=f"known: {known}")
    return candidate


def load_scenario(
    path: Path, org: SecurityOrg | None, playbook_exists: Callable[[str], bool]
) -> LoadedScenario:
    """Read and check a scenario; ``DocumentInvalid`` (exit 2) lists every problem."""
    document = load_document(path)
    scenario = validate_user_document(document, DrillScenario, what="a drill scenario", hint=HINT)
    problems = scenario_problems(scenario, document, org, playbook_exists)
    if scenario.incident is not None and not (path.parent / scenario.incident).is_file():
        problems.append(Problem(document.locate(["incident"]), "no such incident file"))
    raise_if_problems(problems, hint=HINT)
    return LoadedScenario(scenario, document, path)


def load_responders(path: Path, org: SecurityOrg | None) -> DrillResponders:
    """Read and check a responders file (negative or non-numeric times are exit 2)."""
    document = load_document(path)
    responders = validate_user_document(document, DrillResponders, what="a responders file")
    problems: list[Problem] = []
    known = org_teams(org)
    check_responders(
        lambda p, reason: problems.append(Problem(document.locate(p), reason)),
        ["teams"],
        responders.teams,
        known,
    )
    raise_if_problems(problems, hint=HINT)
    return responders
