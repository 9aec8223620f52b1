"""Drill capabilities the CLI calls: prepare a scenario, run it, simulate it, summarise runs.

Results are data; the CLI renders them and records them (``recorded_run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seccli.core.hashing import canonical_json, sha256_hex
from seccli.drill.engine import Plan, compile_plan, owners, run_drill
from seccli.drill.loader import LoadedScenario, load_responders, load_scenario, scenario_path
from seccli.drill.model import DrillScenario, Slo
from seccli.drill.simulate import simulate
from seccli.estate.model import Estate
from seccli.org.model import SecurityOrg

DRILL_COMMANDS = ("drill run", "drill simulate")


@dataclass(frozen=True)
class Prepared:
    loaded: LoadedScenario
    plan: Plan
    owners: dict[str, str]


def prepare(
    name_or_file: str,
    scenarios: Path,
    playbooks: Path,
    org: SecurityOrg,
    estate: Estate | None,
    responders: Path | None = None,
) -> Prepared:
    """Load and check a scenario (and responders), compile it, and simulate its playbooks."""
    from seccli.soar.interface import SoarConfig
    from seccli.soar.loader import PlaybookLibrary

    config = SoarConfig(estate=estate, org=org)
    library = PlaybookLibrary((playbooks,), config)
    loaded = load_scenario(
        scenario_path(name_or_file, scenarios), org, lambda n: library.path_of(n) is not None
    )
    extra = load_responders(responders, org) if responders is not None else None
    plan = compile_plan(loaded.scenario, org, extra, _estate_slo(estate, loaded.scenario))
    plan.playbooks = _simulated_playbooks(loaded, library, config)
    return Prepared(loaded, plan, dict(owners(org)))


def _estate_slo(estate: Estate | None, scenario: DrillScenario) -> Slo | None:
    """MTTA/MTTR targets the estate sets for the scenario's subdomain, else as its defaults."""
    if estate is None:
        return None
    subdomain = next((s for s in estate.subdomains if s.name == scenario.subdomain), None)
    own = subdomain.slo if subdomain is not None else None
    default = estate.defaults.slo
    mtta = next((v for v in (own and own.mtta_minutes, default.mtta_minutes) if v), None)
    mttr = next((v for v in (own and own.mttr_minutes, default.mttr_minutes) if v), None)
    if mtta is None and mttr is None:
        return None
    return Slo(mtta_minutes=mtta or 5, mttr_minutes=mttr or 30)


def _simulated_playbooks(loaded: LoadedScenario, library: Any, config: Any) -> list[dict[str, Any]]:
    """Each expected playbook dry-run on the scenario's incident: what it would do."""
    from seccli.soar.engine import bind_inputs, dry_run
    from seccli.soar.loader import load_incident

    scenario = loaded.scenario
    fields: dict[str, Any] = {}
    source = str(loaded.path)
    if scenario.incident is not None:
        fields, source = load_incident(loaded.path.parent / scenario.incident)
    wanted: list[tuple[str, str | None]] = [(name, None) for name in scenario.playbooks]
    wanted += [(p.playbook, p.id) for p in scenario.phases if p.playbook is not None]
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name, phase in wanted:
        if name in seen:
            continue
        seen.add(name)
        playbook, _, _ = library.validated(name)
        inputs = bind_inputs(playbook, fields, source)
        steps = dry_run(playbook, inputs, config, library.resolve)
        out.append(
            {
                "playbook": name,
                "phase": phase,
                "simulated": [{"step": s["step"], "does": s["does"]} for s in steps],
            }
        )
    return out


def run_result(prepared: Prepared, seed: int) -> dict[str, Any]:
    """One automated run's JSON data."""
    return run_drill(prepared.plan, seed)


def report_digest(data: Any) -> str:
    """SHA-256 of the canonical JSON of a result (what the store and audit log keep)."""
    return "sha256:" + sha256_hex(canonical_json(data))


def run_summary(result: dict[str, Any], mode: str) -> dict[str, Any]:
    """What the store keeps of a drill: scenario, seed, scores, digest."""
    return {
        "scenario": result["scenario"],
        "mode": mode,
        "seed": result["seed"],
        "metrics": result["metrics"],
        "slosMet": {s["metric"]: s["met"] for s in result["slos"]},
        "expectations": {e["id"]: e["status"] for e in result["expectations"]},
        "escalations": result["escalations"],
        "reportDigest": report_digest(result),
    }


def simulation(prepared: Prepared, runs: int, seed: int) -> dict[str, Any]:
    """The Monte Carlo summary, plus the first run's detail for the report."""
    summary = simulate(prepared.plan, runs, seed)
    return summary


def simulation_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """What the store keeps of a simulation."""
    return {
        "scenario": summary["scenario"],
        "mode": "simulate",
        "seed": summary["seed"],
        "runs": summary["runs"],
        "probabilities": {s["metric"]: s["probability"] for s in summary["slos"]},
        "reportDigest": report_digest(summary),
    }
