"""``seccli drill``: tabletop incident-response drills on a simulated clock.

Scenarios live in ``playbooks/drills/`` (``--scenarios``); the org model and estate are the
usual ones (``SECCLI_ORG``, ``SECCLI_ESTATE``). Every drill and simulation is recorded in the
store and the audit log. The drill package is imported inside each command.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import OutputFormat, format_option, print_json

app = typer.Typer(help="Tabletop drills: run, simulate (Monte Carlo), schedule, history.")

RUN_FORMATS = format_option(
    OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.MARKDOWN, OutputFormat.HTML
)
SCHEDULE_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.ICS)
LIST_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)
SCENARIOS = typer.Option(
    None, "--scenarios", envvar="SECCLI_DRILLS", help="Scenario folder (default playbooks/drills/)."
)
PLAYBOOKS = typer.Option(
    None, "--playbooks", envvar="SECCLI_PLAYBOOKS", help="Playbook folder (default playbooks/)."
)
RESPONDERS = typer.Option(
    None, "--responders", help="A DrillResponders file overriding the scenario's teams."
)
OUTPUT = typer.Option(None, "-o", "--output", help="Write the output to FILE instead of stdout.")
SEED = typer.Option(0, "--seed", min=0, help="Random seed (same seed, same drill).")


def _folder(given: Path | None, default: Path) -> Path:
    if given is not None:
        return given
    from seccli.core.resources import default_input

    return default_input(default)


def _org() -> Any:
    from seccli.cli.org import default_org_path
    from seccli.core.errors import InputError
    from seccli.org.loader import load_org

    path = default_org_path()
    if not path.exists():
        raise InputError(f"{path}: no org model (drills page its on-call)", hint="set SECCLI_ORG")
    return load_org(path).org


def _estate() -> Any:
    from seccli.estate.loader import load_estate

    path = default_estate_path()
    return load_estate(path).estate if path.exists() else None


def _prepare(
    scenario: str, scenarios: Path | None, playbooks: Path | None, responders: Path | None
) -> Any:
    from seccli.drill.service import prepare

    return prepare(
        scenario,
        _folder(scenarios, Path("playbooks/drills")),
        _folder(playbooks, Path("playbooks")),
        _org(),
        _estate(),
        responders,
    )


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    from seccli.core.atomic import atomic_write_text

    atomic_write_text(output, text if text.endswith("\n") else text + "\n")


def _json_text(payload: dict[str, Any]) -> str:
    from seccli.cli.output import JSON_SCHEMA_VERSION

    document = {"schemaVersion": JSON_SCHEMA_VERSION, **payload}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@app.command("run")
def run_command(
    ctx: typer.Context,
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="A scenario name or file."),
    seed: int = SEED,
    output_format: OutputFormat = RUN_FORMATS,
    output: Path | None = OUTPUT,
    interactive: bool = typer.Option(
        False, "--interactive", help="A facilitated tabletop session in this terminal."
    ),
    session: Path | None = typer.Option(
        None, "--session", help="Interactive session file (resumed when it exists)."
    ),
    scenarios: Path | None = SCENARIOS,
    playbooks: Path | None = PLAYBOOKS,
    responders: Path | None = RESPONDERS,
) -> None:
    """Run a drill: automated (seeded, reproducible) or --interactive with a facilitator."""
    from seccli.drill.service import run_result, run_summary
    from seccli.store.runs import recorded_run

    prepared = _prepare(scenario, scenarios, playbooks, responders)
    name = prepared.loaded.scenario.metadata.name
    if interactive:
        from seccli.drill.interactive import run_session

        where = session or Path(".seccli") / "drills" / f"{name}.session.jsonl"

        def ask(prompt: str) -> str:
            typer.echo(prompt, nl=False, err=True)
            return input()

        # the dialogue goes to the terminal (stderr); the result to stdout or -o
        result = run_session(
            prepared.plan, where, seed, ask=ask, say=lambda text: typer.echo(text, err=True)
        )
        mode = "interactive"
    else:
        result = run_result(prepared, seed)
        mode = "automated"
    text = _render_run(result, prepared, output_format)
    state = app_state(ctx)
    store = state.open_store()
    with store, recorded_run(store, "drill run", current_actor(), name) as run:
        summary = run_summary(result, mode)
        run.finish(0, summary=summary, audit=summary)
    _emit(text, output)


def _render_run(result: dict[str, Any], prepared: Any, fmt: OutputFormat) -> str:
    from seccli.drill.report import html_report, markdown_report

    if fmt is OutputFormat.JSON:
        return _json_text({"drill": result})
    if fmt is OutputFormat.MARKDOWN:
        return markdown_report(result, prepared.owners)
    if fmt is OutputFormat.HTML:
        return html_report(result, prepared.owners)
    lines = [f"drill {result['scenario']} (seed {result['seed']}): {result['title']}"]
    lines.extend(
        f"  {slo['metric'].upper():<5} "
        f"{'never' if slo['minutes'] is None else str(slo['minutes']) + ' min':>14}  "
        f"target {slo['targetMinutes']} min  {'met' if slo['met'] else 'NOT MET'}"
        for slo in result["slos"]
    )
    lines.extend(
        f"  {exp['id']:<28} {exp['status']:<15} "
        f"{'-' if exp['tookMinutes'] is None else str(exp['tookMinutes']) + ' min':>14}"
        f"  ({exp['team']})"
        for exp in result["expectations"]
    )
    if result["bottleneck"]:
        b = result["bottleneck"]
        lines.append(f"  bottleneck: {b['phase']} ({b['team']}), {b['minutes']} min")
    lines.append(f"  escalations: {result['escalations']}")
    return "\n".join(lines) + "\n"


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    scenario: str = typer.Argument(..., metavar="SCENARIO", help="A scenario name or file."),
    runs: int = typer.Option(10000, "--runs", min=1, max=1_000_000, help="How many runs."),
    seed: int = SEED,
    output_format: OutputFormat = RUN_FORMATS,
    output: Path | None = OUTPUT,
    scenarios: Path | None = SCENARIOS,
    playbooks: Path | None = PLAYBOOKS,
    responders: Path | None = RESPONDERS,
) -> None:
    """Monte Carlo: the probability of meeting each SLO, percentiles, what breaks it."""
    from seccli.drill.report import html_report, markdown_report
    from seccli.drill.service import run_result, simulation, simulation_summary
    from seccli.store.runs import recorded_run

    prepared = _prepare(scenario, scenarios, playbooks, responders)
    summary = simulation(prepared, runs, seed)
    if output_format is OutputFormat.JSON:
        text = _json_text({"simulation": summary})
    elif output_format in (OutputFormat.MARKDOWN, OutputFormat.HTML):
        example = run_result(prepared, seed)
        render = markdown_report if output_format is OutputFormat.MARKDOWN else html_report
        text = render(example, prepared.owners, summary)
    else:
        text = _simulation_table(summary)
    state = app_state(ctx)
    name = prepared.loaded.scenario.metadata.name
    with (
        state.open_store() as store,
        recorded_run(store, "drill simulate", current_actor(), name) as run,
    ):
        stored = simulation_summary(summary)
        run.finish(0, summary=stored, audit=stored)
    _emit(text, output)


def _simulation_table(summary: dict[str, Any]) -> str:
    lines = [f"{summary['scenario']}: {summary['runs']} runs (seed {summary['seed']})"]
    for slo in summary["slos"]:
        pct = summary["percentiles"].get(slo["metric"], {})
        shown = "  ".join(f"{k} {v if v is not None else 'never'}" for k, v in pct.items())
        lines.append(
            f"  P({slo['metric'].upper()} <= {slo['targetMinutes']} min) = "
            f"{slo['probability']:.4f}   {shown}"
        )
    lines.extend(f"  P({e['id']} met) = {e['probability']:.4f}" for e in summary["expectations"])
    lines.append(f"  escalation rate: {summary['escalationRate']:.4f}")
    lines.extend(
        f"  breaks an SLO: {b['phase']} ({b['team']}) in {b['runs']} runs"
        for b in summary["breakers"]
    )
    return "\n".join(lines) + "\n"


def _drill_runs(ctx: typer.Context) -> list[Any]:
    from seccli.drill.service import DRILL_COMMANDS

    state = app_state(ctx)
    if not state.resolved_store_path().exists():
        return []
    with state.open_store(create=False) as store:
        return [r for r in store.runs(limit=100_000) if r.command in DRILL_COMMANDS]


@app.command("history")
def history_command(ctx: typer.Context, output_format: OutputFormat = LIST_FORMATS) -> None:
    """Past drills and simulations with their scores (newest first)."""
    rows = [
        {
            "run": r.id,
            "at": r.started_at,
            "actor": r.actor,
            "status": r.status,
            **{k: r.summary.get(k) for k in ("scenario", "mode", "seed", "reportDigest")},
            "metrics": r.summary.get("metrics") or r.summary.get("probabilities"),
        }
        for r in _drill_runs(ctx)
    ]
    if output_format is OutputFormat.JSON:
        print_json({"drills": rows})
        return
    if not rows:
        typer.echo("no drills recorded")
    for row in rows:
        metrics = ", ".join(f"{k}={v}" for k, v in sorted((row["metrics"] or {}).items()))
        typer.echo(
            f"{row['at']}  {row['scenario']:<24} {row['mode']:<12} seed {row['seed']}  {metrics}"
        )


@app.command("schedule")
def schedule_command(
    ctx: typer.Context,
    months: int = typer.Option(12, "--months", min=1, max=120, help="How many months."),
    start: str | None = typer.Option(
        None, "--from", metavar="YYYY-MM", help="First month (default: next month)."
    ),
    output_format: OutputFormat = SCHEDULE_FORMATS,
    output: Path | None = OUTPUT,
    scenarios: Path | None = SCENARIOS,
    playbooks: Path | None = PLAYBOOKS,
) -> None:
    """Monthly drills: the scenario not run for the longest, a facilitator from IR/DFIR."""
    from seccli.core.errors import InputError
    from seccli.drill.schedule import ics_calendar, plan_schedule

    folder = _folder(scenarios, Path("playbooks/drills"))
    titles: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        prepared = _prepare(str(path), scenarios, playbooks, None)
        titles[prepared.loaded.scenario.metadata.name] = prepared.loaded.scenario.metadata.title
    if not titles:
        raise InputError(f"{folder}: no drill scenarios")
    last: dict[str, str] = {}
    for record in _drill_runs(ctx):
        name = record.summary.get("scenario")
        if record.command == "drill run" and isinstance(name, str):
            last[name] = max(last.get(name, ""), record.started_at)
    now = datetime.now(UTC)
    if start is None:
        first = date(now.year + now.month // 12, now.month % 12 + 1, 1)
    else:
        try:
            first = datetime.strptime(start, "%Y-%m").date()
        except ValueError:
            raise InputError(f"--from {start!r}: expected YYYY-MM") from None
    slots = plan_schedule(titles, last, _org(), first, months)
    if output_format is OutputFormat.ICS:
        _emit(ics_calendar(slots, now), output)
    elif output_format is OutputFormat.JSON:
        _emit(_json_text({"schedule": [s.to_json() for s in slots]}), output)
    else:
        _emit(
            "".join(
                f"{s.day.isoformat()}  {s.scenario:<24} facilitator {s.facilitator:<14} "
                f"last run {s.last_run or 'never'}\n"
                for s in slots
            ),
            output,
        )
