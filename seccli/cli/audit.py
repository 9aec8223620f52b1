"""``seccli audit``: list and verify the tamper-evident audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state
from seccli.cli.output import OutputFormat, print_json, stdout_console
from seccli.core.errors import ExitCode, SeccliError

if TYPE_CHECKING:
    from seccli.bus.audit_mirror import MirrorCheck

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("log")
def log(
    ctx: typer.Context,
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Show the last N."),
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
) -> None:
    """List audit log entries, oldest first."""
    with app_state(ctx).open_store(create=False) as store:
        head = store.audit_head()
        after = max(0, head.seq - limit) if (limit and head) else 0
        entries = store.audit_entries(after=after)
    if output is OutputFormat.JSON:
        print_json({"entries": [entry.to_json() for entry in entries]})
        return
    from rich.table import Table

    table = Table(show_header=True, header_style="bold")
    for column in ("seq", "time (UTC)", "actor", "action", "subject", "hash"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.time,
            entry.actor,
            entry.action,
            entry.subject,
            entry.entry_hash[:12],
        )
    stdout_console().print(table)


@app.command("verify")
def verify(
    ctx: typer.Context,
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
    bus: str | None = typer.Option(
        None,
        "--bus",
        metavar="<nats://HOST:PORT>",
        help="Also check the copy on the organisation's audit subject; name the first divergence.",
    ),
) -> None:
    """Verify the hash chain and its checkpoint; exit 1 and name the entry if it is broken.

    A database or checkpoint that cannot be read is a broken log too (exit 1), never a pass.
    """
    from seccli.cli.images import cache_key_path
    from seccli.store.errors import AuditLogBroken
    from seccli.supplychain.cache import audit_verification_cache

    state = app_state(ctx)
    try:
        with state.open_store(create=False) as store:
            result = store.verify_audit()
    except AuditLogBroken as exc:
        _report_unreadable(exc, output)
        raise typer.Exit(int(ExitCode.VIOLATIONS)) from None
    # Cached image verdicts live in the same database (often a CI cache others can write):
    # a row that fails authentication is ignored by the gate and reported here.
    cache = audit_verification_cache(state.resolved_store_path(), cache_key_path())
    mirror = None
    if bus is not None:
        from seccli.cli.bus import check_audit_mirror

        mirror = check_audit_mirror(ctx, bus)
    mirror_ok = mirror is None or mirror.ok
    if output is OutputFormat.JSON:
        print_json(
            {
                "ok": result.ok and not cache.unauthenticated and mirror_ok,
                "entries": result.entries,
                "head": {"seq": result.head.seq, "entryHash": result.head.entry_hash}
                if result.head
                else None,
                "problems": [{"seq": p.seq, "reason": p.reason} for p in result.problems],
                "verificationCache": {
                    "entries": cache.entries,
                    "unauthenticated": list(cache.unauthenticated),
                    "problem": cache.problem,
                },
                "bus": None
                if mirror is None
                else {
                    "ok": mirror.ok,
                    "mirrored": mirror.mirrored,
                    "divergence": mirror.divergence,
                    "unsent": mirror.unsent,
                },
            }
        )
    else:
        console = stdout_console()
        if result.ok:
            console.print(f"[green]ok[/green] audit log intact: {result.entries} entries verified")
        for problem in result.problems:
            console.print(f"[red]BROKEN[/red] {problem}", markup=True, highlight=False)
        for entry in cache.unauthenticated:
            console.print(
                f"[red]FORGED[/red] verification cache entry {entry} fails authentication "
                "(ignored by the image gate)",
                markup=True,
                highlight=False,
            )
        if cache.problem and (cache.unauthenticated or not cache.entries):
            console.print(f"note: {cache.problem}", markup=False, highlight=False)
        if mirror is not None:
            console.print(_mirror_line(mirror), markup=False, highlight=False)
    if not result.ok or cache.unauthenticated or not mirror_ok:
        raise typer.Exit(int(ExitCode.VIOLATIONS))


def _mirror_line(mirror: MirrorCheck) -> str:
    if mirror.divergence is not None:
        return f"BROKEN audit subject copy diverges at {mirror.divergence}"
    if mirror.unsent:
        return (
            f"BROKEN {mirror.unsent} entries are not on the audit subject yet "
            "(send them with seccli audit sync)"
        )
    return f"ok audit subject holds the same {mirror.mirrored} entries"


def _report_unreadable(exc: SeccliError, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        print_json({"ok": False, "entries": None, "head": None, "error": exc.message})
        return
    from rich.text import Text

    console = stdout_console()
    console.print(Text.assemble(("BROKEN", "red"), " ", exc.message))
    if exc.hint:
        console.print(Text(f"hint: {exc.hint}"))
