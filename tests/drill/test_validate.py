"""Bad scenarios and responders files: exit 2 with file:line and path, nothing run or written."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.drill.conftest import BASE, scenario, seccli, write


def _phases(**changes: Any) -> list[dict[str, Any]]:
    phases = copy.deepcopy(BASE["phases"])
    for index, fields in changes.items():
        phases[int(index[1:])].update(fields)
    return phases


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown-playbook", {"playbooks": ["no-such-playbook"]}, "playbooks[0]: no playbook"),
    ("unknown-phase-playbook", {"phases": _phases(p2={"playbook": "nope"})}, "phases[2].playbook"),
    ("unknown-team", {"phases": _phases(p0={"team": "no-team"})}, "phases[0].team: team 'no-team'"),
    ("unknown-responder-team", {"responders": {"ghosts": {}}}, "responders.ghosts: team"),
    ("unknown-subdomain", {"subdomain": "atlantis"}, "subdomain: subdomain 'atlantis'"),
    (
        "injects-out-of-order",
        {
            "injects": [
                *BASE["injects"],
                {"id": "b", "atMinutes": 5, "kind": "info", "text": "b"},
                {"id": "c", "atMinutes": 4, "kind": "info", "text": "c"},
            ]
        },
        "injects[2].atMinutes: injects out of order",
    ),
    (
        "inject-after-end",
        {
            "injects": [
                *BASE["injects"],
                {"id": "late", "atMinutes": 601, "kind": "info", "text": "x"},
            ]
        },
        "injects[1].atMinutes: after the end",
    ),
    (
        "expectation-undefined-phase",
        {"expectations": [{"id": "e", "phase": "eradicate", "withinMinutes": 5, "team": "soc"}]},
        "expectations[0].phase: no phase 'eradicate'",
    ),
    (
        "expectation-undefined-since",
        {
            "expectations": [
                {
                    "id": "e",
                    "phase": "detect",
                    "withinMinutes": 5,
                    "team": "soc",
                    "since": "nothing",
                }
            ]
        },
        "expectations[0].since",
    ),
    ("dangling-after", {"phases": _phases(p1={"after": ["ghost"]})}, "phases[1].after[0]"),
    ("cycle", {"phases": _phases(p0={"after": ["recover"]})}, "is part of a cycle"),
    (
        "missing-parameter",
        {"phases": _phases(p2={"duration": {"distribution": "uniform", "minMinutes": 1}})},
        "phases[2].duration: a uniform distribution needs maxMinutes",
    ),
    (
        "bounds",
        {
            "phases": _phases(
                p2={"duration": {"distribution": "uniform", "minMinutes": 9, "maxMinutes": 1}}
            )
        },
        "minMinutes is greater than maxMinutes",
    ),
    (
        "negative-time",
        {"phases": _phases(p2={"duration": {"distribution": "fixed", "minutes": -3}})},
        "phases[2].duration.minutes",
    ),
    (
        "string-time",
        {"phases": _phases(p2={"duration": {"distribution": "fixed", "minutes": "10"}})},
        "phases[2].duration.minutes",
    ),
    (
        "no-answer-without-level",
        {
            "injects": [
                *BASE["injects"],
                {"id": "n", "atMinutes": 1, "kind": "no-answer", "text": "x"},
            ]
        },
        "injects[1]: a no-answer inject needs level",
    ),
    (
        "bad-decision",
        {
            "decisions": [
                {
                    "id": "d",
                    "after": "contain",
                    "question": "q",
                    "default": "maybe",
                    "options": [
                        {"id": "a", "label": "a", "skips": ["detect"]},
                        {"id": "b", "label": "b"},
                    ],
                }
            ]
        },
        "decisions[0].default: no option 'maybe'",
    ),
    ("unknown-field", {"injectz": []}, "injectz"),
]


@pytest.mark.parametrize(("case", "changes", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_is_exit_2_with_file_line(
    tmp_path: Path, case: str, changes: dict[str, Any], expected: str
) -> None:
    path = write(tmp_path / f"{case}.yaml", scenario(**changes))
    result = seccli("drill", "run", str(path), "-f", "json", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert f"{path}:" in result.stderr  # file:line
    line = result.stderr.split(f"{path}:", 1)[1].split(":", 1)[0]
    assert line.isdigit() and int(line) >= 1
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "state.db").exists()  # nothing run, nothing recorded


def test_every_problem_at_once(tmp_path: Path) -> None:
    doc = scenario(
        subdomain="atlantis",
        phases=_phases(p0={"team": "nobody"}),
        expectations=[{"id": "e", "phase": "zzz", "withinMinutes": 1, "team": "soc"}],
    )
    result = seccli("drill", "run", str(write(tmp_path / "s.yaml", doc)), cwd=tmp_path)
    assert result.returncode == 2
    for text in ("atlantis", "nobody", "no phase 'zzz'"):
        assert text in result.stderr


@pytest.mark.parametrize(
    ("teams", "expected"),
    [
        ({"soc": {"acknowledge": {"distribution": "fixed", "minutes": -1}}}, "minutes"),
        (
            {"soc": {"acknowledge": {"distribution": "exponential", "meanMinutes": "fast"}}},
            "meanMinutes",
        ),
        ({"soc": {"answerProbability": 1.5}}, "answerProbability"),
        ({"martians": {}}, "teams.martians: team 'martians'"),
        (
            {"soc": {"phases": {"detect": {"distribution": "lognormal", "medianMinutes": 3}}}},
            "needs sigma",
        ),
    ],
)
def test_bad_responders_file_is_exit_2(tmp_path: Path, teams: Any, expected: str) -> None:
    responders = write(
        tmp_path / "responders.yaml",
        {"apiVersion": "seccli.dev/v1alpha1", "kind": "DrillResponders", "teams": teams},
    )
    path = write(tmp_path / "s.yaml", scenario())
    result = seccli("drill", "run", str(path), "--responders", str(responders), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"{responders}:" in result.stderr and expected in result.stderr
    assert not (tmp_path / "state.db").exists()


def test_responders_file_overrides_the_scenario(tmp_path: Path) -> None:
    responders = write(
        tmp_path / "responders.yaml",
        {
            "apiVersion": "seccli.dev/v1alpha1",
            "kind": "DrillResponders",
            "teams": {"squad-profiles": {"acknowledge": {"distribution": "fixed", "minutes": 9}}},
        },
    )
    path = write(tmp_path / "s.yaml", scenario())
    result = seccli(
        "drill", "run", str(path), "--responders", str(responders), "-f", "json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    import json

    assert json.loads(result.stdout)["drill"]["metrics"]["mtta"] == 9.0


def test_unknown_scenario_name_and_schema(tmp_path: Path) -> None:
    missing = seccli("drill", "run", "no-such-drill", cwd=tmp_path)
    assert missing.returncode == 2 and "no drill scenario 'no-such-drill'" in missing.stderr
    schema = seccli("schema", "drill", cwd=tmp_path)
    assert schema.returncode == 0
    import json

    data = json.loads(schema.stdout)
    assert data["$id"].endswith("/drill.json")
    assert {"injects", "phases", "expectations", "decisions"} <= set(data["properties"])
