"""``seccli org``: validate the security org, generate its roster, answer on-call and ownership
questions, report headcount/coverage/load, and plan the holding's replenishment.

The org file defaults to ``SECCLI_ORG`` or ``examples/claytom/org.yaml``; the estate (whose
subdomains every squad check needs) to the usual default estate.
"""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import OutputFormat, invalid_document_payload, print_json, stdout_console
from seccli.core.errors import DocumentInvalid, ExitCode, InputError

if TYPE_CHECKING:
    from seccli.org.loader import LoadedOrg

app = typer.Typer(
    help="The security organisation: roster, squads, on-call, ownership.", no_args_is_help=True
)

EXAMPLE_ORG = Path("examples") / "claytom" / "org.yaml"

ORG_OPTION = typer.Option(
    None, "--org", help="Org file (default: SECCLI_ORG or the example org).", show_default=False
)
ESTATE_OPTION = typer.Option(
    None, "--estate", help="Estate file (default: the example estate).", show_default=False
)
MAX_INPUT_OPTION = typer.Option(
    20 * 1024 * 1024, "--max-input-size", min=1, help="Largest input file accepted, in bytes."
)


class RosterFormat(StrEnum):
    """Roster export formats."""

    CSV = "csv"
    JSON = "json"
    TABLE = "table"


class ReportKind(StrEnum):
    """Reports ``seccli org report`` can produce."""

    HEADCOUNT = "headcount"
    COVERAGE = "coverage"
    LOAD = "load"
    CHART = "chart"


class ReportFormat(StrEnum):
    """Report formats (dot and svg for the chart only)."""

    TABLE = "table"
    JSON = "json"
    DOT = "dot"
    SVG = "svg"


def default_org_path() -> Path:
    """``SECCLI_ORG``, else the example org in the current folder or beside the source tree."""
    configured = os.environ.get("SECCLI_ORG")
    if configured:
        return Path(configured)
    if EXAMPLE_ORG.exists():
        return EXAMPLE_ORG
    beside_source = Path(__file__).resolve().parents[2] / EXAMPLE_ORG
    return beside_source if beside_source.exists() else EXAMPLE_ORG


def _subdomains(estate: Path | None, max_bytes: int) -> list[str]:
    from seccli.core.documents import LoadLimits
    from seccli.estate.loader import load_estate

    loaded = load_estate(estate or default_estate_path(), LoadLimits(max_bytes=max_bytes))
    return [subdomain.name for subdomain in loaded.estate.subdomains]


def _load(org: Path | None, estate: Path | None, max_bytes: int = 20 * 1024 * 1024) -> LoadedOrg:
    from seccli.core.documents import LoadLimits
    from seccli.org.loader import load_org

    return load_org(
        org or default_org_path(), _subdomains(estate, max_bytes), LoadLimits(max_bytes=max_bytes)
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


@app.command("validate")
def validate(
    ctx: typer.Context,
    path: Path | None = typer.Argument(
        None, help="Org file (default: the example org).", show_default=False
    ),
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
    max_input_size: int = MAX_INPUT_OPTION,
) -> None:
    """Validate an org: schema, headcounts, lead chains, squads, allocations, 24x7 on-call,
    and the holding. Every problem at once, with file and line; exit 2 when any."""
    from seccli.core.hashing import sha256_file
    from seccli.org.holding import generate_holding, validate_holding
    from seccli.store.interface import AuditRecord

    org_path = path or default_org_path()
    try:
        loaded = _load(org_path, estate, max_input_size)
    except DocumentInvalid as exc:
        if output is OutputFormat.JSON:
            print_json(invalid_document_payload(org_path, exc))
            raise typer.Exit(int(ExitCode.INPUT)) from None
        raise
    org = loaded.org
    holding_agents = 0
    if org.holding is not None:
        holding = generate_holding(org)
        issues = validate_holding(org, holding)
        if issues:
            location = loaded.document.locate(("holding",))
            from seccli.core.errors import Problem

            raise DocumentInvalid([Problem(location, issue) for issue in issues])
        holding_agents = len(holding)
    counts = {
        "teams": len(org.teams),
        "security": sum(t.headcount for t in org.teams if t.track.value == "security"),
        "api": sum(t.headcount for t in org.teams if t.track.value == "api"),
        "squads": len(org.squads),
        "subdomains": len(org.squad_of_subdomain),
        "schedules": len(org.schedules),
        "escalationPolicies": len(org.escalation_policies),
        "raciFamilies": len(org.raci),
        "holdingAgents": holding_agents,
    }
    digest = sha256_file(org_path)
    with app_state(ctx).open_store() as store:
        run_id = store.start_run("org validate", current_actor(), {"file": str(org_path)})
        store.append_audit(
            AuditRecord(
                actor=current_actor(),
                action="org.validate",
                subject=str(org_path),
                payload={"sha256": digest, "valid": True, "counts": counts},
            )
        )
        store.finish_run(run_id, "ok", 0, {"counts": counts})
    if output is OutputFormat.JSON:
        print_json(
            {
                "file": str(org_path),
                "sha256": digest,
                "valid": True,
                "organisation": org.organisation,
                "counts": counts,
            }
        )
        return
    from rich.table import Table

    console = stdout_console()
    console.print(f"[green]valid[/green] {org_path}: {org.organisation}")
    table = Table(show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in counts.items():
        table.add_row(name, f"{value:,}")
    console.print(table)


@app.command("roster")
def roster(
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    seed: int | None = typer.Option(None, "--seed", help="Seed (default: the org's roster.seed)."),
    output: RosterFormat = typer.Option(RosterFormat.CSV, "--format", "-f", help="csv|json|table"),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write to a file instead."),
) -> None:
    """Generate the roster: stable IDs, synthetic names, team, level, region, skills, squads.
    The same seed always gives the same roster, byte for byte."""
    from seccli.core.atomic import atomic_write_text
    from seccli.org.roster import generate_roster

    generated = generate_roster(_load(org, estate).org, seed)
    if output is RosterFormat.TABLE:
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
    text = generated.to_csv() if output is RosterFormat.CSV else generated.to_json()
    if out is not None:
        atomic_write_text(out, text)
        typer.echo(f"wrote {len(generated.people)} people to {out}", err=True)
    else:
        typer.echo(text, nl=False)


@app.command("who")
def who(
    subdomain: str = typer.Option(..., "--subdomain", "-s", help="Subdomain, e.g. payments."),
    at: str | None = typer.Option(None, "--at", help="ISO 8601 instant (default: now)."),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
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
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
) -> None:
    """The on-call timeline between two instants (hand-offs, overrides and gaps)."""
    from seccli.org.oncall import OnCallIndex, gaps, iso, to_epoch

    loaded = _load(org, estate)
    low = to_epoch(parse_instant(start, "--from"))
    high = to_epoch(parse_instant(end, "--to"))
    if high <= low:
        raise InputError("--to must be after --from")
    if high - low > 366 * 86400:
        raise InputError("the window is limited to 366 days")
    the_org = loaded.org
    if schedule is not None:
        if schedule not in the_org.schedules_by_id:
            raise InputError(f"no schedule {schedule!r} in the org")
        ids = [schedule]
    elif subdomain is not None:
        squad = the_org.squad_of_subdomain.get(subdomain)
        if squad is None:
            raise InputError(f"no squad owns subdomain {subdomain!r}")
        ids = [s.id for s in the_org.schedules if s.squad == squad.id]
    else:
        ids = [s.id for s in the_org.schedules]
    index = OnCallIndex(the_org)
    timelines = {sid: index.timeline(sid, low, high) for sid in ids}
    if output is OutputFormat.JSON:
        print_json(
            {
                "from": iso(low),
                "to": iso(high),
                "schedules": {
                    sid: {
                        "segments": [seg.as_dict() for seg in segs],
                        "gaps": [
                            {"start": iso(g.start), "end": iso(g.end)}
                            for g in gaps(segs, low, high)
                        ],
                    }
                    for sid, segs in timelines.items()
                },
            }
        )
        return
    lines = [f"on call from {iso(low)} to {iso(high)}"]
    for sid, segs in timelines.items():
        rows = [(seg.start, seg.end, seg.person, seg.source) for seg in segs]
        rows += [(g.start, g.end, "NOBODY", "gap") for g in gaps(segs, low, high)]
        lines.append(f"{sid}:")
        lines += [
            f"  {iso(begin)}  {iso(finish)}  {person:<24} {source}"
            for begin, finish, person, source in sorted(rows)
        ]
    typer.echo("\n".join(lines))


@app.command("report")
def report(
    kind: ReportKind = typer.Argument(..., help="headcount|coverage|load|chart"),
    org: Path | None = ORG_OPTION,
    estate: Path | None = ESTATE_OPTION,
    output: ReportFormat = typer.Option(
        ReportFormat.TABLE, "--format", "-f", help="table|json (dot|svg for chart)"
    ),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write to a file instead."),
    start: str | None = typer.Option(None, "--from", help="Load window start (ISO 8601)."),
    end: str | None = typer.Option(None, "--to", help="Load window end (ISO 8601)."),
    squads: bool = typer.Option(False, "--squads", help="Chart: draw the squads too."),
) -> None:
    """Headcount vs plan, coverage per subdomain, on-call load per person, or the org chart."""
    from seccli.org.oncall import OnCallIndex, to_epoch
    from seccli.org.reports import coverage_report, headcount_report, load_report, org_chart_dot
    from seccli.org.roster import generate_roster
    from seccli.org.validate import coverage_window

    loaded = _load(org, estate)
    the_org = loaded.org
    if kind is ReportKind.CHART:
        dot = org_chart_dot(the_org, generate_roster(the_org), squads=squads)
        if output is ReportFormat.SVG:
            _write_or_echo(_render_svg(dot), out)
        else:
            _write_or_echo(dot, out)
        return
    if output in (ReportFormat.DOT, ReportFormat.SVG):
        raise InputError(f"--format {output.value} is only for the chart report")
    payload: dict[str, Any]
    if kind is ReportKind.HEADCOUNT:
        payload = headcount_report(the_org, generate_roster(the_org))
    elif kind is ReportKind.COVERAGE:
        window = coverage_window(the_org)
        if window is None:
            raise InputError("the org has no schedules to check")
        payload = {
            "subdomains": coverage_report(
                the_org, _subdomains(estate, 20 * 1024 * 1024), window[0], window[1]
            )
        }
    else:
        window = coverage_window(the_org)
        low = to_epoch(parse_instant(start, "--from")) if start else (window or (0, 0))[0]
        high = to_epoch(parse_instant(end, "--to")) if end else low + 28 * 86400
        if high <= low or high - low > 366 * 86400:
            raise InputError("the load window must be positive and at most 366 days")
        payload = load_report(OnCallIndex(the_org), low, high)
    if output is ReportFormat.JSON:
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


def _write_or_echo(text: str, out: Path | None) -> None:
    from seccli.core.atomic import atomic_write_text

    if out is not None:
        atomic_write_text(out, text)
    else:
        typer.echo(text, nl=False)


def _render_svg(dot: str) -> str:
    import shutil
    import subprocess

    from seccli.core.errors import DependencyError

    binary = shutil.which("dot")
    if binary is None:
        raise DependencyError(
            "Graphviz is not installed (no `dot` on PATH)",
            hint="install graphviz or use --format dot",
        )
    try:
        done = subprocess.run(
            [binary, "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(f"Graphviz failed: {exc}") from None
    if done.returncode != 0:
        raise DependencyError(f"Graphviz failed: {done.stderr.strip()[:300]}")
    return done.stdout


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
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
) -> None:
    """Who owns a finding (squad) and who responds to it (team)."""
    from seccli.core.documents import LoadLimits
    from seccli.estate.loader import load_estate
    from seccli.org.loader import load_org
    from seccli.org.routing import FindingLocation, Router

    loaded_estate = load_estate(estate or default_estate_path(), LoadLimits())
    the_estate = loaded_estate.estate
    loaded = load_org(org or default_org_path(), [s.name for s in the_estate.subdomains])
    services = {svc.key: svc.subdomain for svc in the_estate.services}
    by_namespace: dict[str, dict[str, int]] = {}
    for svc in the_estate.services:
        counts = by_namespace.setdefault(svc.namespace, {})
        counts[svc.subdomain] = counts.get(svc.subdomain, 0) + 1
    namespaces = {
        ns: sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        for ns, counts in by_namespace.items()
    }
    result = Router(loaded.org, services, namespaces).route(
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
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
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
    output: RosterFormat = typer.Option(
        RosterFormat.TABLE, "--format", "-f", help="table|csv|json"
    ),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write csv/json to a file."),
) -> None:
    """The holding's agents: headcount per subsidiary and level, one agent, or a full export."""
    from seccli.org.holding import generate_holding, validate_holding

    the_org = _load(org, estate).org
    generated = generate_holding(the_org, seed)
    if agent is not None:
        found = generated.agent(agent)
        if found is None:
            raise InputError(f"no agent {agent!r} in the holding")
        role, cohort = generated.training_roles().get(found.id, (None, None))
        info = {
            "id": found.id,
            "name": found.name,
            "subsidiary": found.subsidiary,
            "level": found.level,
            "trainingRole": role,
            "cohort": cohort,
            "cohortMembers": list(generated.cohorts.get(cohort, ())) if cohort else [],
        }
        if output is RosterFormat.JSON:
            print_json(info)
        else:
            typer.echo("\n".join(f"{k}: {v}" for k, v in info.items()))
        return
    if output is not RosterFormat.TABLE:
        text = generated.to_csv() if output is RosterFormat.CSV else generated.to_json()
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
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
) -> None:
    """List who must be added so each subsidiary stays at or above its minimum headcount."""
    from seccli.org.holding import generate_holding, simulate_departures
    from seccli.org.holding import replenish as plan_for

    if (departures is None) == (simulate is None):
        raise InputError("give exactly one of --departures FILE or --simulate N")
    the_org = _load(org, estate).org
    holding = generate_holding(the_org, seed)
    if departures is not None:
        gone = _read_departures(departures, holding)
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


def _read_departures(path: Path, holding: Any) -> list[str]:
    from seccli.core.documents import read_source
    from seccli.core.errors import Problem
    from seccli.core.location import Location

    text = read_source(path)
    ids: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if holding.agent(line) is None:
            problems.append(Problem(Location(str(path), number), f"unknown agent {line!r}"))
        else:
            ids.append(line)
    if problems:
        raise DocumentInvalid(problems)
    return ids
