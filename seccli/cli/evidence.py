"""``seccli evidence``: control catalogs, the signed evidence pack, its verification and KPIs."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import typer

from seccli.cli.output import (
    OutputFormat,
    format_option,
    print_json,
    stderr_console,
    stdout_console,
)

app = typer.Typer(
    help="Audit evidence: control catalogs, signed evidence packs, verification, KPIs.",
    no_args_is_help=True,
)

CONTROLS_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.CSV)


@app.command("controls")
def controls_command(
    framework: str | None = typer.Option(
        None, "--framework", help="soc2, iso27001 or gdpr (default: all)."
    ),
    output: OutputFormat = CONTROLS_FORMATS,
) -> None:
    """List the controls of the catalogs, the checks that evidence them and the crosswalk."""
    from seccli.evidence.controls_view import control_rows

    rows = control_rows(framework)
    if output is OutputFormat.JSON:
        print_json({"controls": rows})
    elif output is OutputFormat.CSV:
        typer.echo(_csv(rows), nl=False)
    else:
        _table(rows)


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["framework", "id", "title", "group", "checks", "related"])
    for row in rows:
        writer.writerow(
            [
                row["framework"],
                row["id"],
                row["title"],
                row["group"],
                " ".join(row["checks"]),
                " ".join(
                    f"{r['framework']}:{r['id']}({r['relationship']})" for r in row["related"]
                ),
            ]
        )
    return buffer.getvalue()


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("framework", "id", "title", "checks", "crosswalk"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["framework"],
            row["id"],
            row["title"],
            ", ".join(row["checks"]) or "-",
            ", ".join(f"{r['id']} ({r['relationship']})" for r in row["related"]) or "-",
        )
    stdout_console().print(table)


BUILD_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)
#: Configuration: the private key that signs evidence packs when --key is not given.
SIGNING_KEY_ENV = "SECCLI_EVIDENCE_SIGNING_KEY"


def _source_date_epoch() -> int | None:
    import os

    from seccli.core.errors import InputError

    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None or not value.strip():
        return None
    if not value.strip().isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds")
    return int(value.strip())


@app.command("build")
def build_command(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--output", "-o", help="Where to write PACK.zip."),
    framework: list[str] = typer.Option(
        [], "--framework", help="soc2, iso27001, gdpr (repeatable; default all)."
    ),
    period: str | None = typer.Option(None, "--period", help="2026-Q4, 2026-11 or 2026."),
    start: str | None = typer.Option(None, "--from", help="Period start (ISO 8601)."),
    end: str | None = typer.Option(None, "--to", help="Period end, exclusive (ISO 8601)."),
    key: Path | None = typer.Option(
        None, "--key", metavar="KEY", help=f"Signing key (PEM); default ${SIGNING_KEY_ENV}."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the key password from the first line of stdin."
    ),
    estate: Path | None = typer.Option(None, "--estate", help="Estate file (default: example)."),
    suppressions: Path | None = typer.Option(
        None, "--suppressions", help="Accepted risks (default: .seccli-suppressions.yaml)."
    ),
    output: OutputFormat = BUILD_FORMATS,
) -> None:
    """Build the signed, deterministic evidence pack for a period from the store."""
    built = build_pack_from_cli(
        ctx,
        out=out,
        frameworks=tuple(framework),
        period=period,
        start=start,
        end=end,
        key=key,
        password_stdin=password_stdin,
        estate=estate,
        suppressions=suppressions,
    )
    if output is OutputFormat.JSON:
        print_json(
            {
                "pack": str(out),
                "keyId": built.key_id,
                "period": built.manifest["period"],
                "overall": built.overall,
                "summary": built.summary,
                "files": len(built.manifest["files"]),
            }
        )
        return
    console = stdout_console()
    console.print(
        f"wrote {out} ({len(built.manifest['files'])} files, period "
        f"{built.manifest['period']['label']}, "
        + (f"signed by key {built.key_id[:16]})" if built.key_id else "UNSIGNED)"),
        markup=False,
        highlight=False,
    )
    _summary_table(built.summary, built.overall)


def build_pack_from_cli(
    ctx: typer.Context,
    *,
    out: Path,
    frameworks: tuple[str, ...],
    period: str | None,
    start: str | None,
    end: str | None,
    key: Path | None,
    password_stdin: bool,
    estate: Path | None,
    suppressions: Path | None,
) -> Any:
    """Resolve the options, build the pack and write it atomically (shared with ``assess``)."""
    import os
    from datetime import UTC, datetime

    from seccli.cli.context import app_state, default_estate_path
    from seccli.cli.sign import _password
    from seccli.core.atomic import atomic_write_bytes
    from seccli.evidence.catalog import framework_key
    from seccli.evidence.pack import BuildRequest, build_pack
    from seccli.evidence.period import resolve_period
    from seccli.supplychain.keys import load_private_key

    keys = tuple(framework_key(name) for name in frameworks)
    epoch = _source_date_epoch()
    now = datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else datetime.now(UTC)
    chosen = resolve_period(period, start, end, now)
    configured = os.environ.get(SIGNING_KEY_ENV)
    key_path = key or (Path(configured) if configured else None)
    private = load_private_key(key_path, _password(password_stdin)) if key_path else None
    default_suppressions = Path(".seccli-suppressions.yaml")
    if suppressions is None and default_suppressions.is_file():
        suppressions = default_suppressions
    request = BuildRequest(
        estate_path=estate or default_estate_path(),
        period=chosen,
        frameworks=keys,
        key=private,
        source_date_epoch=epoch,
        suppressions=suppressions,
    )
    with app_state(ctx).open_store(create=False) as store:
        built = build_pack(store, request)
    atomic_write_bytes(out, built.data)
    return built


def _summary_table(counts: dict[str, dict[str, int]], overall: dict[str, str]) -> None:
    from rich.table import Table

    from seccli.evidence.status import STATUSES

    table = Table(show_header=True, header_style="bold")
    table.add_column("framework")
    table.add_column("overall")
    for status in STATUSES:
        table.add_column(status, justify="right")
    for name, values in counts.items():
        table.add_row(name, overall.get(name, ""), *(str(values[s]) for s in STATUSES))
    stdout_console().print(table)


VERIFY_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


@app.command("verify")
def verify_command(
    pack: Path = typer.Argument(..., help="The evidence pack (zip)."),
    key: Path | None = typer.Option(
        None, "--key", metavar="PUB", help="The signer's public key (from the organisation)."
    ),
    output: OutputFormat = VERIFY_FORMATS,
) -> None:
    """Verify a pack offline: exit 0 only if the signature is valid and every file matches the
    manifest; 1 naming what differs; 2 if it is not a pack. Nothing is extracted."""
    from seccli.core.errors import ExitCode
    from seccli.evidence.verify import verify_pack
    from seccli.supplychain.keys import load_public_key_file

    public = load_public_key_file(key) if key is not None else None
    result = verify_pack(pack, public)
    if output is OutputFormat.JSON:
        print_json({"pack": str(pack), **result.to_json()})
    else:
        console = stdout_console()
        if result.ok:
            console.print(
                f"ok {pack}: signature by key {str(result.key_id)[:16]} valid, "
                f"{result.files} files match the manifest",
                markup=False,
                highlight=False,
            )
        for problem in result.problems:
            word = "NOT VERIFIED" if problem.kind == "signature" else "TAMPERED"
            console.print(f"{word} {problem}", markup=False, highlight=False)
        manifest = result.manifest or {}
        if manifest.get("summary"):
            label = (manifest.get("period") or {}).get("label", "?")
            note = "" if result.ok else " (from the manifest as found: NOT trustworthy)"
            console.print(f"period {label}{note}", markup=False, highlight=False)
            _summary_table(manifest["summary"], manifest.get("overall") or {})
    if not result.ok:
        raise typer.Exit(int(ExitCode.VIOLATIONS))


KPI_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


@app.command("kpis")
def kpis_command(
    ctx: typer.Context,
    estate: Path | None = typer.Option(None, "--estate", help="Estate file (default: example)."),
    output: OutputFormat = KPI_FORMATS,
    publish: bool = typer.Option(
        False,
        "--publish",
        help="Also publish each record on org.claytom.<subsidiary>.metrics.security "
        "(the bus of --bus or SECCLI_BUS).",
    ),
    bus: str | None = typer.Option(
        None,
        "--bus",
        envvar="SECCLI_BUS",
        metavar="<local|nats://HOST:PORT>",
        help="Bus for --publish (default local).",
        show_default=False,
    ),
) -> None:
    """Security KPIs per subsidiary in the organisation's metrics JSON (one record each)."""
    from datetime import UTC, datetime, timedelta

    from seccli.cli.context import app_state, default_estate_path
    from seccli.estate.loader import load_estate
    from seccli.evidence.collect import collect
    from seccli.evidence.kpis import compute_kpis
    from seccli.evidence.period import Period

    epoch = _source_date_epoch()
    now = datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else datetime.now(UTC)
    loaded = load_estate(estate or default_estate_path())
    # to the end of the current second: the store's times have microseconds
    period = Period("to-date", datetime(1970, 1, 1, tzinfo=UTC), now + timedelta(seconds=1))
    with app_state(ctx).open_store(create=False) as store:
        collected = collect(store, period)
    records = compute_kpis(loaded.estate, collected, now.replace(microsecond=0))
    if publish:
        from seccli.cli.bus import publish_metrics

        sent = publish_metrics(ctx, bus, records)
        stderr_console().print(f"published {sent} metrics records", markup=False, highlight=False)
    if output is OutputFormat.JSON:
        import json

        typer.echo(json.dumps(records, indent=2, sort_keys=True))
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    table.add_column("subsidiary")
    names = list(records[0]["kpis"]) if records else []
    for name in names:
        table.add_column(name, justify="right", overflow="fold")
    for record in records:
        cells = []
        for name in names:
            value, met = record["kpis"][name], record["okrs"][name]["met"]
            mark = "" if met is None else (" ✓" if met else " ✗")
            cells.append(("n/a" if value is None else str(value)) + mark)
        table.add_row(record["subsidiary"], *cells)
    stdout_console().print(table)
