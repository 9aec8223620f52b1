"""``seccli audit``: list and verify the tamper-evident audit log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state
from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import ExitCode, InputError, SeccliError

if TYPE_CHECKING:
    from seccli.bus.audit_mirror import MirrorCheck
    from seccli.evidence.audit_signature import SignatureCheck
    from seccli.store.audit import AuditVerification
    from seccli.store.sqlite import SqliteStore

#: Configuration: a private key that signs the audit checkpoint after every command.
SIGNING_KEY_ENV = "SECCLI_AUDIT_SIGNING_KEY"

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
    key: Path | None = typer.Option(
        None,
        "--key",
        metavar="PUB",
        help="Also check the signed checkpoint with this public key (exit 1 if unsigned).",
    ),
) -> None:
    """Verify the hash chain and its checkpoint; exit 1 and name the entry if it is broken.

    A database or checkpoint that cannot be read is a broken log too (exit 1), never a pass.
    With ``--key`` the checkpoint's signature must verify and cover the whole log.
    """
    from seccli.cli.images import cache_key_path
    from seccli.store.errors import AuditLogBroken
    from seccli.supplychain.cache import audit_verification_cache

    state = app_state(ctx)
    public = _public_key(key) if key is not None else None
    signature: SignatureCheck | None = None
    try:
        with state.open_store(create=False) as store:
            result = store.verify_audit()
            if public is not None:
                signature = _check_signature(store, result, public)
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
    signature_ok = signature is None or signature.ok
    if output is OutputFormat.JSON:
        print_json(
            {
                "ok": result.ok and not cache.unauthenticated and mirror_ok and signature_ok,
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
                "signature": None if signature is None else signature.to_json(),
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
        if signature is not None:
            word = "ok" if signature.ok else "UNSIGNED" if signature.signed is None else "BROKEN"
            console.print(f"{word} {signature.reason}", markup=False, highlight=False)
    if not result.ok or cache.unauthenticated or not mirror_ok or not signature_ok:
        raise typer.Exit(int(ExitCode.VIOLATIONS))


def _public_key(path: Path) -> Any:
    from seccli.supplychain.keys import load_public_key_file

    return load_public_key_file(path)


def _check_signature(store: SqliteStore, result: AuditVerification, public: Any) -> SignatureCheck:
    from seccli.evidence.audit_signature import SignatureCheck, check_signature, read_envelope
    from seccli.supplychain.dsse import EnvelopeError

    try:
        envelope = read_envelope(store.path)
    except EnvelopeError as exc:
        return SignatureCheck(False, f"the signed checkpoint is unreadable: {exc}")
    signed_seq = _signed_seq(envelope)
    entry = None
    if signed_seq:
        found = store.audit_entries(after=signed_seq - 1, limit=1)
        entry = found[0] if found and found[0].seq == signed_seq else None
    head = result.head if result.ok else None
    return check_signature(envelope, public, head, entry)


def _signed_seq(envelope: Any) -> int:
    """The seq an envelope's statement names, read before verification only to look it up."""
    from seccli.core.documents import parse_json_bytes
    from seccli.core.errors import InputError

    if envelope is None:
        return 0
    try:
        data = parse_json_bytes(envelope.payload, "signed audit checkpoint")
    except InputError:
        return 0
    seq = data.get("seq") if isinstance(data, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq > 0 else 0


@app.command("show")
def show(
    ctx: typer.Context,
    seq: int = typer.Argument(..., min=1, help="The entry's sequence number."),
    output: OutputFormat = format_option(OutputFormat.TABLE, OutputFormat.JSON),
) -> None:
    """Print one audit entry with its payload."""
    from seccli.evidence.audit_export import entry_record

    with app_state(ctx).open_store(create=False) as store:
        found = store.audit_entries(after=seq - 1, limit=1)
    if not found or found[0].seq != seq:
        raise InputError(f"audit entry {seq} does not exist", hint="list entries: seccli audit log")
    record = entry_record(found[0])
    if output is OutputFormat.JSON:
        print_json(record)
        return
    import json

    console = stdout_console()
    for name in ("seq", "time", "actor", "action", "subject", "entryHash", "prevHash"):
        console.print(f"{name:>10}: {record[name]}", markup=False, highlight=False)
    console.print("   payload:", markup=False)
    console.print(
        json.dumps(record["payload"], indent=2, sort_keys=True, ensure_ascii=False),
        markup=False,
        highlight=False,
    )


@app.command("export")
def export(
    ctx: typer.Context,
    output: OutputFormat = format_option(OutputFormat.JSONL),
    out: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE, not stdout."),
) -> None:
    """Export the whole chain for an auditor: one JSON line per entry (payload text included,
    so every digest and hash can be recomputed), then the checkpoint and its signature."""
    from seccli.evidence.audit_export import export_lines

    with app_state(ctx).open_store(create=False) as store:
        data = "".join(line + "\n" for line in export_lines(store))
    if out is None:
        typer.echo(data, nl=False)
        return
    from seccli.core.atomic import atomic_write_text

    atomic_write_text(out, data)


@app.command("sign")
def sign(
    ctx: typer.Context,
    key: Path = typer.Option(..., "--key", metavar="KEY", help="Private key (PEM)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the key password from the first line of stdin."
    ),
) -> None:
    """Sign the audit checkpoint (the verified head of the chain) with KEY.

    A broken chain is never signed (exit 1). Set SECCLI_AUDIT_SIGNING_KEY to sign after every
    command instead.
    """
    from seccli.cli.sign import _password

    signed = sign_checkpoint(ctx, key, _password(password_stdin))
    stdout_console().print(f"ok signed audit checkpoint at entry {signed}", markup=False)


def sign_checkpoint(ctx: typer.Context, key_path: Path, password: Any) -> int:
    """Verify the chain, then sign its head; return the signed sequence number."""
    from seccli.core.clock import SystemClock, utc_iso
    from seccli.evidence.audit_signature import sign_head, write_signature
    from seccli.supplychain.keys import load_private_key

    private = load_private_key(key_path, password)
    state = app_state(ctx)
    with state.open_store(create=False) as store:
        result = store.verify_audit()
        if not result.ok or result.head is None:
            problem = result.problems[0] if result.problems else "no verified head"
            raise SeccliError(
                f"the audit log is broken, not signing it: {problem}",
                hint="run seccli audit verify and investigate",
                exit_code=ExitCode.VIOLATIONS,
            )
        write_signature(store.path, sign_head(result.head, private, utc_iso(SystemClock().now())))
        return result.head.seq


def sign_audit_after_command(ctx: typer.Context) -> None:
    """After a command, re-sign the audit checkpoint when ``SECCLI_AUDIT_SIGNING_KEY`` is set.

    A failure is one note on stderr: ``audit verify --key`` then reports the unsigned entries.
    """
    configured = os.environ.get(SIGNING_KEY_ENV)
    if not configured or not app_state(ctx).resolved_store_path().exists():
        return
    from seccli.cli.output import stderr_console
    from seccli.cli.sign import _password

    try:
        sign_checkpoint(ctx, Path(configured), _password(False))
    except SeccliError as exc:
        stderr_console().print(
            f"note: audit checkpoint not signed ({exc.message})", markup=False, highlight=False
        )


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
