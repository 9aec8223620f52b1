"""``seccli org``: validate the security org, generate its roster, answer on-call and ownership
questions, report headcount/coverage/load, and plan the holding's replenishment.

The org file defaults to ``SECCLI_ORG`` or ``examples/claytom/org.yaml``; the estate (whose
subdomains every squad check needs) to the usual default estate.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import (
    OutputFormat,
    format_option,
    invalid_document_payload,
    print_json,
    stdout_console,
)
from seccli.core.errors import DocumentInvalid, ExitCode, InputError
from seccli.org.report_kind import ReportKind

if TYPE_CHECKING:
    from seccli.org.loader import LoadedOrg

app = typer.Typer(
    help="The security organisation: roster, squads, on-call, ownership.", no_args_is_help=True
)

EXAMPLE_ORG = Path("examples") / "claytom" / "org.yaml"
MAX_INPUT = 20 * 1024 * 1024

ORG_OPTION = typer.Option(
    None, "--org", help="Org file (default: SECCLI_ORG or the example org).", show_default=False
)
ESTATE_OPTION = typer.Option(
    None, "--estate", help="Estate file (default: the example estate).", show_default=False
)
MAX_INPUT_OPTION = typer.Option(
    MAX_INPUT, "--max-input-size", min=1, help="Largest input file accepted, in bytes."
)
OUT_OPTION = typer.Option(None, "--output", "-o", help="Write to a file instead.")
TABLE_JSON = format_option(OutputFormat.TABLE, OutputFormat.JSON)
ROSTER_FORMATS = format_option(OutputFormat.CSV, OutputFormat.JSON, OutputFormat.TABLE)
HOLDING_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.CSV, OutputFormat.JSON)
REPORT_FORMATS = format_option(
    OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.DOT, OutputFormat.SVG
)


def default_org_path() -> Path:
    """``SECCLI_ORG``, else the example org in the current folder or the one shipped."""
    from seccli.core.resources import default_input

    configured = os.environ.get("SECCLI_ORG")
    if configured:
        return Path(configured)
    return default_input(EXAMPLE_ORG)


def _load(org: Path | None, estate: Path | None, max_bytes: int = MAX_INPUT) -> LoadedOrg:
    from seccli.core.documents import LoadLimits
    from seccli.org.loader import load_org_for_estate

    return load_org_for_estate(
        org or default_org_path(), estate or default_estate_path(), LoadLimits(max_bytes=max_bytes)
    )


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 instant; without an offset it is read as UTC."""
    from datetime import UTC

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{option}: not an ISO 8601 time: {text!r}", hint="e.g. 2026-11-21T03:00:00Z"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _epoch(text: str | None, option: str) -> int | None:
    from seccli.org.oncall import to_epoch

    return None if text is None else to_epoch(parse_instant(text, option))


def _write_or_echo(text: str, out: Path | None) -> None:
    from seccli.core.atomic import atomic_write_text

    if out is not None:
        atomic_write_text(out, text)
    else:
        typer.echo(text, nl=False)


@app.command("validate")
def validate(
    ctx: typer.Context,
    path: Path | None = typer.Argument(
        None, help="Org file (default: the example org).", show_default=False
    ),
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = TABLE_JSON,
    max_input_size: int = MAX_INPUT_OPTION,
) -> None:
    """Validate an org: schema, headcounts, lead chains, squads, allocations, 24x7 on-call,
    and the holding. Every problem at once, with file and line; exit 2 when any."""
    from seccli.core.documents import LoadLimits
    from seccli.org.summary import validate_org_file
    from seccli.store.runs import recorded_run

    org_path = path or default_org_path()
    subject = str(org_path)
    store = app_state(ctx).open_store()
    recording = recorded_run(
        store, "org validate", current_actor(), subject, summary={"file": subject}
    )
    with store, recording as run:
        try:
            result = validate_org_file(
                org_path, estate or default_estate_path(), LoadLimits(max_bytes=max_input_size)
            )
        except DocumentInvalid as exc:
            if output is OutputFormat.JSON:
                print_json(invalid_document_payload(org_path, exc))
                raise typer.Exit(int(ExitCode.INPUT)) from None
            raise
        run.finish(0, summary={"counts": result.counts}, audit=result.audit_payload())
    if output is OutputFormat.JSON:
        print_json(result.as_json())
        return
    console = stdout_console()
    console.print(f"[green]valid[/green] {org_path}: {result.organisation}")
    _print_counts(result.counts)


def _print_counts(counts: dict[str, int]) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in counts.items():
        table.add_row(name, f"{value:,}")
    stdout_console().print(table)


@app.command("roster")
def roster(
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    seed: int | None = typer.Option(None, "--seed", help="Seed (default: the org's roster.seed)."),
    output: OutputFormat = ROSTER_FORMATS,
    out: Path | None = OUT_OPTION,
) -> None:
    """Generate the roster: stable IDs, synthetic names, team, level, region, skills, squads.
    The same seed always gives the same roster, byte for byte."""
    from seccli.org.roster import generate_roster

    generated = generate_roster(_load(org, estate).org, seed)
    if output is OutputFormat.TABLE:
        from rich.table import Table

        table = Table(show_header=True, header_style="bold")
        for column in ("id", "name", "team", "level", "region", "squads"):
            table.add_column(column)
        for p in generated.people:
            table.add_row(
                p.id, p.name, p.team, p.level, p.region, ", ".join(s for s, _ in p.squads)
            )
        stdout_console().print(table)
        return
    text = generated.to_csv() if output is OutputFormat.CSV else generated.to_json()
    _write_or_echo(text, out)
    if out is not None:
        typer.echo(f"wrote {len(generated.people)} people to {out}", err=True)


@app.command("who")
def who(
    subdomain: str = typer.Option(..., "--subdomain", "-s", help="Subdomain, e.g. payments."),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 instant (default: now)."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Who is paged for a subdomain: primary, secondary, and the escalations with times."""
    from seccli.core.clock import SystemClock
    from seccli.org.oncall import OnCallIndex, iso, who_now
    from seccli.org.oncall import who as who_is
    from seccli.org.roster import generate_roster

    loaded = _load(org, estate)
    index = OnCallIndex(loaded.org)
    if at:
        answer = who_is(index, subdomain, parse_instant(at, "--at"))
    else:
        answer = who_now(index, subdomain, SystemClock())
    names = generate_roster(loaded.org).by_id()
    if output is OutputFormat.JSON:
        payload = answer.as_dict()
        for key in ("primary", "secondary"):
            if payload[key] is not None:
                person = payload[key]["person"]
                payload[key]["name"] = names[person].name if person in names else None
        print_json(payload)
        return

    def label(person: str | None) -> str:
        if person is None:
            return "nobody on call"
        return f"{person} ({names[person].name})" if person in names else person

    lines = [
        f"{answer.subdomain}: squad {answer.squad}, policy {answer.policy}, at {iso(answer.at)}",
        f"primary:   {label(answer.primary.person if answer.primary else None)}",
        f"secondary: {label(answer.secondary.person if answer.secondary else None)}",
        "escalations:",
    ]
    lines += [
        f"  loop {step.loop} level {step.level}  {iso(step.at)}  {step.via:<32} "
        f"{step.person or 'nobody on call'}"
        for step in answer.escalations
    ]
    typer.echo("\n".join(lines))


@app.command("oncall")
def oncall(
    start: str = typer.Option(..., "--from", help="ISO 8601 start."),
    end: str = typer.Option(..., "--to", help="ISO 8601 end."),
    subdomain: str | None = typer.Option(None, "--subdomain", "-s", help="Only this subdomain."),
    schedule: str | None = typer.Option(None, "--schedule", help="Only this schedule."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """The on-call timeline between two instants (hand-offs, overrides and gaps)."""
    from seccli.org.oncall import iso
    from seccli.org.timeline import oncall_timelines

    the_org = _load(org, estate).org
    low, high = _epoch(start, "--from") or 0, _epoch(end, "--to") or 0
    result = oncall_timelines(the_org, low, high, subdomain=subdomain, schedule=schedule)
    if output is OutputFormat.JSON:
        print_json(result.as_json())
        return
    lines = [f"on call from {iso(low)} to {iso(high)}"]
    for line in result.schedules:
        lines.append(f"{line.schedule}:")
        lines += [
            f"  {iso(begin)}  {iso(finish)}  {person:<24} {source}"
            for begin, finish, person, source in line.rows()
        ]
    typer.echo("\n".join(lines))


@app.command("report")
def report(
    kind: ReportKind = typer.Argument(..., help="headcount|coverage|load|chart"),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = REPORT_FORMATS,
    out: Path | None = OUT_OPTION,
    start: str | None = typer.Option(None, "--from", help="Load window start (ISO 8601)."),
    end: str | None = typer.Option(None, "--to", help="Load window end (ISO 8601)."),
    squads: bool = typer.Option(False, "--squads", help="Chart: draw the squads too."),
) -> None:
    """Headcount vs plan, coverage per subdomain, on-call load per person, or the org chart
    (dot and svg are for the chart only)."""
    from seccli.org.loader import estate_subdomains
    from seccli.org.reports import org_chart_dot, org_report
    from seccli.org.roster import generate_roster

    the_org = _load(org, estate).org
    if kind is ReportKind.CHART:
        dot = org_chart_dot(the_org, generate_roster(the_org), squads=squads)
        if output is OutputFormat.SVG:
            from seccli.render.graphviz import render_dot

            dot = render_dot(dot).decode("utf-8")
        _write_or_echo(dot, out)
        return
    if output in (OutputFormat.DOT, OutputFormat.SVG):
        raise InputError(f"--format {output.value} is only for the chart report")
    coverage = kind is ReportKind.COVERAGE
    subdomains = estate_subdomains(estate or default_estate_path()) if coverage else []
    payload = org_report(
        kind,
        the_org,
        subdomains,
        start=_epoch(start, "--from"),
        end=_epoch(end, "--to"),
    )
    if output is OutputFormat.JSON:
        document = {"report": kind.value, **payload}
        if out is not None:
            import json

            from seccli.cli.output import JSON_SCHEMA_VERSION

            text = json.dumps(
                {"schemaVersion": JSON_SCHEMA_VERSION, **document},
                indent=2,
                sort_keys=True,
                ensure_ascii=False,
            )
            _write_or_echo(text + "\n", out)
            return
        print_json(document)
        return
    _print_report(kind, payload)


def _print_report(kind: ReportKind, payload: dict[str, Any]) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(show_header=True, header_style="bold")
    if kind is ReportKind.HEADCOUNT:
        for column in ("team", "track", "level", "planned", "actual", "delta"):
            table.add_column(
                column, justify="right" if column in ("planned", "actual", "delta") else "left"
            )
        for row in payload["rows"]:
            table.add_row(
                row["team"],
                row["track"],
                row["level"],
                str(row["planned"]),
                str(row["actual"]),
                f"{row['delta']:+d}",
            )
        console.print(table)
        for track, values in payload["tracks"].items():
            console.print(
                f"{track}: declared {values['declared']}, planned {values['planned']}, "
                f"actual {values['actual']}"
            )
    elif kind is ReportKind.COVERAGE:
        for column in ("subdomain", "squad", "members", "security", "api", "24x7", "gap h"):
            table.add_column(column)
        for row in payload["subdomains"]:
            table.add_row(
                row["subdomain"],
                row["squad"] or "[red]none[/red]",
                str(row["members"]),
                str(row["security"]),
                str(row["api"]),
                "[green]yes[/green]" if row["covered"] else "[red]no[/red]",
                f"{row['gapHours']:g}",
            )
        console.print(table)
    else:
        table.add_column("person")
        table.add_column("hours", justify="right")
        for row in payload["people"]:
            table.add_row(row["person"], f"{row['hours']:g}")
        console.print(table)
        summary = payload["summary"]
        console.print(
            f"{payload['from']} to {payload['to']}: {summary['people']} people, "
            f"{summary['totalHours']:g} h, max {summary['maxHours']:g} h, "
            f"mean {summary['meanHours']:g} h"
        )


@app.command("route")
def route(
    category: str = typer.Option(..., "--category", "-c", help="Finding category, e.g. secrets."),
    namespace: str | None = typer.Option(None, "--namespace", "-n"),
    service: str | None = typer.Option(None, "--service"),
    subdomain: str | None = typer.Option(None, "--subdomain", "-s"),
    file_path: str | None = typer.Option(None, "--path", help="File path of the finding."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Who owns a finding (squad) and who responds to it (team)."""
    from seccli.estate.loader import load_estate
    from seccli.org.loader import load_org
    from seccli.org.routing import FindingLocation, estate_router

    the_estate = load_estate(estate or default_estate_path()).estate
    loaded = load_org(org or default_org_path(), [s.name for s in the_estate.subdomains])
    result = estate_router(loaded.org, the_estate).route(
        FindingLocation(namespace, service, subdomain, file_path), category
    )
    if output is OutputFormat.JSON:
        print_json(result.as_dict())
        return
    console = stdout_console()
    console.print(f"squad: {result.squad or '-'}")
    console.print(f"team:  {result.team}")
    console.print(f"subdomain: {result.subdomain or '-'} ({result.reason})")


@app.command("raci")
def raci(
    family: str | None = typer.Option(None, "--family", help="Only this control family."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Which teams are Responsible, Accountable, Consulted and Informed per control family."""
    from seccli.org.routing import raci_entry, raci_matrix

    the_org = _load(org, estate).org
    matrix = raci_matrix(the_org)
    if family is not None:
        raci_entry(the_org, family)
        matrix = {family: matrix[family]}
    if output is OutputFormat.JSON:
        print_json({"raci": matrix})
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("family", "responsible", "accountable", "consulted", "informed"):
        table.add_column(column)
    for name, row in matrix.items():
        table.add_row(
            name,
            ", ".join(row["responsible"]),
            row["accountable"],
            ", ".join(row["consulted"]),
            ", ".join(row["informed"]),
        )
    stdout_console().print(table)


@app.command("holding")
def holding(
    agent: str | None = typer.Option(None, "--agent", help="Show one agent."),
    seed: int | None = typer.Option(None, "--seed", help="Roster seed (default: the org's)."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = HOLDING_FORMATS,
    out: Path | None = typer.Option(None, "--output", "-o", help="Write csv/json to a file."),
) -> None:
    """The holding's agents: headcount per subsidiary and level, one agent, or a full export."""
    from seccli.org.holding import agent_card, generate_holding, validate_holding

    the_org = _load(org, estate).org
    generated = generate_holding(the_org, seed)
    if agent is not None:
        info = agent_card(generated, agent)
        if output is OutputFormat.JSON:
            print_json(info)
        else:
            typer.echo("\n".join(f"{k}: {v}" for k, v in info.items()))
        return
    if output is not OutputFormat.TABLE:
        text = generated.to_csv() if output is OutputFormat.CSV else generated.to_json()
        _write_or_echo(text, out)
        return
    from rich.table import Table

    problems = validate_holding(the_org, generated)
    levels = [level.id for level in the_org.levels]
    table = Table(show_header=True, header_style="bold")
    table.add_column("subsidiary")
    for level in levels:
        table.add_column(level, justify="right")
    table.add_column("total", justify="right")
    for sub, counts in generated.headcount().items():
        total = sum(counts.values())
        table.add_row(sub, *(str(counts.get(level, 0)) for level in levels), f"{total:,}")
    console = stdout_console()
    console.print(table)
    console.print(
        f"{len(generated):,} agents, {len(generated.cohorts)} training cohorts, "
        + ("valid" if not problems else f"{len(problems)} problems: " + "; ".join(problems[:5]))
    )


@app.command("replenish")
def replenish(
    departures: Path | None = typer.Option(
        None, "--departures", help="File of departed agent IDs, one per line (# comments)."
    ),
    simulate: int | None = typer.Option(
        None, "--simulate", min=0, help="Simulate this many random departures instead."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Roster seed (default: the org's)."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """List who must be added so each subsidiary stays at or above its minimum headcount."""
    from seccli.org.holding import generate_holding, read_departures, simulate_departures
    from seccli.org.holding import replenish as plan_for

    if (departures is None) == (simulate is None):
        raise InputError("give exactly one of --departures FILE or --simulate N")
    the_org = _load(org, estate).org
    holding = generate_holding(the_org, seed)
    if departures is not None:
        gone = read_departures(departures, holding)
    else:
        gone = simulate_departures(holding, simulate or 0, holding.seed)
    plan = plan_for(the_org, holding, gone)
    payload = plan.as_dict()
    if output is OutputFormat.JSON:
        print_json(payload)
        return
    from rich.table import Table

    console = stdout_console()
    console.print(
        f"{plan.departures} departures: add {len(plan.vacancies)} agents "
        f"(minimum {holding.spec.agents_per_subsidiary} per subsidiary)"
    )
    table = Table(show_header=True, header_style="bold")
    for column in ("new id", "subsidiary", "level", "replaces"):
        table.add_column(column)
    for v in plan.vacancies:
        table.add_row(v.id, v.subsidiary, v.level, v.replaces or "-")
    console.print(table)
    if plan.orphaned_cohorts:
        console.print("cohorts without a trainer: " + ", ".join(plan.orphaned_cohorts))
