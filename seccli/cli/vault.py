"""``seccli vault``: audit secret ages, rotate overdue secrets, apply policies, wire consumers.

Connection settings are read here, as Vault's own CLI reads them: ``VAULT_ADDR``,
``VAULT_TOKEN`` (else ``~/.vault-token``), ``VAULT_NAMESPACE``, ``VAULT_CACERT``,
``VAULT_CAPATH``, ``VAULT_CLIENT_CERT``, ``VAULT_CLIENT_KEY``, ``VAULT_SKIP_VERIFY``,
``VAULT_CLIENT_TIMEOUT``; or Kubernetes auth with ``--kubernetes-role``. The token is never a
command-line flag (argv is visible to other users).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from seccli.core.findings import Finding
    from seccli.estate.loader import LoadedEstate
    from seccli.secrets.apply import PolicyChange
    from seccli.secrets.client import VaultApi
    from seccli.secrets.inventory import SecretStatus

app = typer.Typer(
    help="Vault secrets: age audit, two-phase rotation, policies and consumer wiring.",
    no_args_is_help=True,
)

_META_KEY = "seccli.vault.connection"
DEFAULT_JWT_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
ESTATE_ARGUMENT = typer.Argument(
    None, help="Estate file (default: the example estate).", show_default=False
)


@dataclass(frozen=True)
class _Connection:
    address: str | None
    namespace: str | None
    ca_cert: str | None
    ca_path: str | None
    client_cert: str | None
    client_key: str | None
    skip_verify: bool
    timeout: float
    kubernetes_role: str | None
    kubernetes_jwt_file: Path
    kubernetes_mount: str


@app.callback()
def _vault(
    ctx: typer.Context,
    address: str | None = typer.Option(
        None, "--address", envvar="VAULT_ADDR", help="Vault address (env VAULT_ADDR)."
    ),
    namespace: str | None = typer.Option(
        None, "--namespace", envvar="VAULT_NAMESPACE", help="Vault Enterprise namespace."
    ),
    ca_cert: str | None = typer.Option(
        None, "--ca-cert", envvar="VAULT_CACERT", help="CA certificate file (PEM)."
    ),
    ca_path: str | None = typer.Option(
        None, "--ca-path", envvar="VAULT_CAPATH", help="Directory of CA certificates."
    ),
    client_cert: str | None = typer.Option(
        None, "--client-cert", envvar="VAULT_CLIENT_CERT", help="Client certificate (PEM)."
    ),
    client_key: str | None = typer.Option(
        None, "--client-key", envvar="VAULT_CLIENT_KEY", help="Client certificate key (PEM)."
    ),
    skip_verify: bool = typer.Option(
        False, "--skip-verify", envvar="VAULT_SKIP_VERIFY", help="Do not verify TLS (unsafe)."
    ),
    timeout: str = typer.Option(
        "60s",
        "--timeout",
        envvar="VAULT_CLIENT_TIMEOUT",
        help="Request timeout: seconds or a duration such as 30s, 2m (env VAULT_CLIENT_TIMEOUT).",
    ),
    kubernetes_role: str | None = typer.Option(
        None, "--kubernetes-role", help="Log in with Kubernetes auth as this role."
    ),
    kubernetes_jwt_file: Path = typer.Option(
        DEFAULT_JWT_FILE, "--kubernetes-jwt-file", help="Service account token file."
    ),
    kubernetes_mount: str = typer.Option(
        "kubernetes", "--kubernetes-mount", help="Mount of the Kubernetes auth method."
    ),
) -> None:
    """Vault secrets: connection options apply to every subcommand."""
    ctx.meta[_META_KEY] = _Connection(
        address,
        namespace,
        ca_cert,
        ca_path,
        client_cert,
        client_key,
        skip_verify,
        _duration_seconds(timeout, "--timeout / VAULT_CLIENT_TIMEOUT"),
        kubernetes_role,
        kubernetes_jwt_file,
        kubernetes_mount,
    )


def _duration_seconds(text: str, what: str) -> float:
    """Seconds from ``30``, ``30s``, ``1m30s`` or ``2h`` (Go-style durations, as Vault's CLI)."""
    import re

    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
        if not parts or "".join(n + u for n, u in parts) != value:
            raise InputError(f"{what}: not a duration: {text!r}", hint="e.g. 30s, 2m, 90") from None
        scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
        seconds = sum(float(n) * scale[u] for n, u in parts)
    if seconds <= 0:
        raise InputError(f"{what}: must be positive, not {text!r}")
    return seconds


def _connect(ctx: typer.Context) -> VaultApi:
    from seccli.core.redaction import Secret
    from seccli.secrets.client import VaultSettings, connect

    conn: _Connection = ctx.meta[_META_KEY]
    if not conn.address:
        raise InputError(
            "no Vault address: set VAULT_ADDR or pass --address",
            hint="export VAULT_ADDR=https://vault.example:8200",
        )
    token_text = os.environ.get("VAULT_TOKEN") or _token_file()
    jwt: Secret | None = None
    if conn.kubernetes_role:
        try:
            jwt = Secret(_read_token(conn.kubernetes_jwt_file))
        except InputError as exc:
            raise InputError(f"cannot read the service account token: {exc.message}") from None
    settings = VaultSettings(
        address=conn.address,
        token=Secret(token_text) if token_text else None,
        namespace=conn.namespace,
        ca_cert=conn.ca_cert,
        ca_path=conn.ca_path,
        client_cert=conn.client_cert,
        client_key=conn.client_key,
        skip_verify=conn.skip_verify,
        timeout=conn.timeout,
        kubernetes_role=conn.kubernetes_role,
        kubernetes_jwt=jwt,
        kubernetes_mount=conn.kubernetes_mount,
    )
    return connect(settings)


def _token_file() -> str | None:
    path = Path.home() / ".vault-token"
    if not path.exists():
        return None
    return _read_token(path) or None


def _read_token(path: Path) -> str:
    """A token file: regular, at most 64 KiB, UTF-8 (a FIFO or device is refused, not read)."""
    from seccli.core.documents import LoadLimits, read_source

    return read_source(path, LoadLimits(max_bytes=64 * 1024)).strip()


def _load(estate_path: Path) -> LoadedEstate:
    from seccli.estate.loader import load_estate

    return load_estate(estate_path)


def _install_redacting_log_filter() -> None:
    import logging

    from seccli.core.redaction import RedactingFilter

    root = logging.getLogger()
    if not root.handlers:
        # Otherwise warnings would reach logging's unfiltered last-resort handler.
        fallback = logging.StreamHandler()
        fallback.setLevel(logging.WARNING)
        root.addHandler(fallback)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# --------------------------------------------------------------------- audit


AUDIT_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.SARIF)
TABLE_JSON = format_option(OutputFormat.TABLE, OutputFormat.JSON)
WIRING_FORMATS = format_option(OutputFormat.YAML, OutputFormat.JSON)


@app.command("audit")
def audit(
    ctx: typer.Context,
    path: Path | None = ESTATE_ARGUMENT,
    prefix: list[str] = typer.Option(
        [], "--prefix", "-p", help="Also list everything under <mount>/<path> (repeatable)."
    ),
    output: OutputFormat = AUDIT_FORMATS,
    fail_on: str = typer.Option(
        "high", "--fail-on", help="Exit 1 on findings at or above this severity."
    ),
    min_max_versions: int = typer.Option(
        3, "--min-max-versions", min=1, help="Smallest max_versions that is safe to rotate."
    ),
    workers: int = typer.Option(
        4, "--workers", min=1, max=64, help="Concurrent metadata reads (one client each)."
    ),
) -> None:
    """Audit secret ages from Vault metadata (never values); exit 1 when anything is overdue."""
    from seccli.core.clock import SystemClock
    from seccli.core.severity import Severity
    from seccli.secrets.audit_report import VaultAuditVerdict
    from seccli.secrets.inventory import audit_secrets
    from seccli.store.runs import recorded_run

    _install_redacting_log_filter()
    threshold = Severity.parse(fail_on)
    estate_path = path or default_estate_path()
    subject = str(estate_path)
    store = app_state(ctx).open_store()
    recording = recorded_run(
        store, "vault audit", current_actor(), subject, summary={"estate": subject}
    )
    with store, recording as run:
        loaded = _load(estate_path)
        report = audit_secrets(
            _connect(ctx),
            loaded.estate,
            clock=SystemClock(),
            prefixes=prefix,
            estate_file=subject,
            locate=loaded.document.locate,
            min_max_versions=min_max_versions,
            workers=workers,
        )
        verdict = VaultAuditVerdict(report, threshold)
        delta = store.record_findings(run.run_id, "vault", list(report.findings))
        summary = verdict.summary(len(delta.new), len(delta.resolved))
        run.finish(verdict.exit_code, summary=summary, audit=summary)
    if output is OutputFormat.JSON:
        print_json(verdict.as_json(subject, summary))
    elif output is OutputFormat.SARIF:
        from seccli.render.interface import render_findings

        # Relative estate paths are relative to here; an absolute one to its own folder.
        root = estate_path.parent if estate_path.is_absolute() else Path.cwd()
        sys.stdout.write(render_findings(output, verdict.findings_report(root)))
    else:
        _print_audit(report.statuses, report.findings, summary)
    raise typer.Exit(verdict.exit_code)


def _print_audit(
    statuses: Sequence[SecretStatus], findings: Sequence[Finding], summary: dict[str, int]
) -> None:
    from rich.table import Table
    from rich.text import Text

    console = stdout_console()
    table = Table(show_header=True, header_style="bold")
    for column in ("secret", "owner", "version", "age (days)", "period", "status"):
        table.add_column(column, overflow="fold")
    for status in statuses:
        if not status.exists:
            state = "MISSING"
        elif not status.declared:
            state = "undeclared"
        elif status.overdue:
            state = "OVERDUE"
        else:
            state = status.rotation_state or "ok"
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    status.path,
                    status.owner or "-",
                    str(status.current_version or "-"),
                    f"{status.age_days:.0f}" if status.age_days is not None else "-",
                    str(status.rotation_days or "-"),
                    state,
                )
            )
        )
    console.print(table)
    for finding in findings:
        console.print(
            f"[{finding.severity.value}] {finding.rule_id}: {finding.message}", markup=False
        )
    console.print(
        f"{summary['secrets']} secrets, {summary['overdue']} overdue, "
        f"{summary['findings']} findings"
    )


# -------------------------------------------------------------------- rotate


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    path: Path | None = ESTATE_ARGUMENT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would rotate; write nothing."),
    only: list[str] = typer.Option([], "--only", help="Rotate only this secret path (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Rotate even when not yet due."),
    lease_minutes: float = typer.Option(
        15.0, "--lease-minutes", min=0, help="Age after which an interrupted rotation is resumed."
    ),
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Rotate overdue secrets in two phases (write with CAS, verify, then retire the old one)."""
    from datetime import timedelta

    from seccli.core.clock import SystemClock
    from seccli.secrets.rotation import (
        RotationOptions,
        Rotator,
        outcome_counts,
        rotation_exit_code,
    )
    from seccli.store.runs import recorded_run

    _install_redacting_log_filter()
    estate_path = path or default_estate_path()
    options = RotationOptions(
        dry_run=dry_run, only=tuple(only), force=force, lease=timedelta(minutes=lease_minutes)
    )
    actor = current_actor()
    subject = str(estate_path)
    store = app_state(ctx).open_store()
    recording = recorded_run(store, "vault rotate", actor, subject, summary={"estate": subject})
    with store, recording as run:
        loaded = _load(estate_path)
        rotator = Rotator(api=_connect(ctx), audit=store, actor=actor, clock=SystemClock())
        outcomes = rotator.rotate_estate(loaded.estate, options)
        counts = outcome_counts(outcomes)
        exit_code = rotation_exit_code(outcomes)
        run.finish(exit_code, summary=counts, audit={"dryRun": dry_run, "counts": counts})
    if output is OutputFormat.JSON:
        print_json(
            {
                "estate": str(estate_path),
                "dryRun": dry_run,
                "counts": counts,
                "outcomes": [o.to_json() for o in outcomes],
            }
        )
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=True, header_style="bold")
        for column in ("secret", "action", "from", "to", "detail"):
            table.add_column(column, overflow="fold")
        for outcome in outcomes:
            if outcome.action == "not-due" and not only:
                continue
            table.add_row(
                *(
                    Text(cell)
                    for cell in (
                        outcome.path,
                        outcome.action,
                        str(outcome.from_version or "-"),
                        str(outcome.to_version or "-"),
                        outcome.detail,
                    )
                )
            )
        console = stdout_console()
        console.print(table)
        console.print(", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing")
    raise typer.Exit(exit_code)


# ------------------------------------------------------------ apply-policies


@app.command("apply-policies")
def apply_policies_command(
    ctx: typer.Context,
    path: Path | None = ESTATE_ARGUMENT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the diff; write nothing."),
    auth_mount: str = typer.Option(
        "kubernetes", "--auth-mount", help="Mount of the Kubernetes auth method."
    ),
    operators: bool = typer.Option(
        False,
        "--operator-policies",
        help="Also write seccli's own least-privilege auditor and rotator policies.",
    ),
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Write each service's read-only policy and Kubernetes auth role, showing the diff first."""
    from seccli.secrets.apply import apply_policies, change_summary, plan_policies
    from seccli.store.runs import recorded_run

    estate_path = path or default_estate_path()
    actor = current_actor()
    store = app_state(ctx).open_store()
    recording = recorded_run(store, "vault apply-policies", actor, str(estate_path))
    with store, recording as run:
        loaded = _load(estate_path)
        api = _connect(ctx)
        changes = plan_policies(
            api, loaded.estate, kubernetes_mount=auth_mount, operators=operators
        )
        pending = [c for c in changes if c.action != "unchanged"]
        if output is not OutputFormat.JSON:
            _print_diffs(pending)
        written = []
        if not dry_run and pending:
            written = apply_policies(
                api, pending, kubernetes_mount=auth_mount, audit=store, actor=actor
            )
        summary = change_summary(changes, written)
        run.finish(0, summary=summary, audit={"dryRun": dry_run, **summary})
    if output is OutputFormat.JSON:
        print_json(
            {
                "dryRun": dry_run,
                "summary": summary,
                "changes": [c.to_json() for c in changes],
            }
        )
    else:
        verb = "would write" if dry_run else "wrote"
        stdout_console().print(
            f"{summary['create']} to create, {summary['update']} to update, "
            f"{summary['unchanged']} unchanged; {verb} {len(pending) if dry_run else len(written)}"
        )


def _print_diffs(pending: Sequence[PolicyChange]) -> None:
    from rich.text import Text

    console = stdout_console()
    for change in pending:
        console.print(Text(f"{change.action} {change.kind} {change.name}", style="bold"))
        console.out(change.diff, highlight=False)


# -------------------------------------------------------------------- wiring


@app.command("wiring")
def wiring(
    path: Path | None = ESTATE_ARGUMENT,
    mode: str = typer.Option("vso", "--mode", help="vso (Vault Secrets Operator) or agent."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write one file per service here (default: stdout)."
    ),
    auth_mount: str = typer.Option("kubernetes", "--auth-mount", help="Kubernetes auth mount."),
    refresh_after: str = typer.Option("60s", "--refresh-after", help="VSO refresh interval."),
    output: OutputFormat = WIRING_FORMATS,
) -> None:
    """Generate the Kubernetes consumer wiring so workloads pick up rotated values.

    ``--format json`` prints one entry per file (path, SHA-256, and the YAML text unless
    ``--out`` wrote it)."""
    from seccli.core.atomic import atomic_write_many
    from seccli.core.hashing import sha256_hex
    from seccli.secrets.wiring import consumer_wiring

    if mode not in ("vso", "agent"):
        raise InputError(f"--mode must be vso or agent, not {mode!r}")
    loaded = _load(path or default_estate_path())
    files = consumer_wiring(
        loaded.estate,
        mode="vso" if mode == "vso" else "agent",
        auth_mount=auth_mount,
        refresh_after=refresh_after,
    )
    if out is not None:
        # Every target is judged first (no link or non-folder inside --out): all or nothing.
        encoded = {out / name: text.encode("utf-8") for name, text in files.items()}
        atomic_write_many(encoded, root=out)
    if output is OutputFormat.JSON:
        entries = [
            {
                "path": str(out / name) if out is not None else name,
                "sha256": sha256_hex(text.encode("utf-8")),
                **({} if out is not None else {"content": text}),
            }
            for name, text in sorted(files.items())
        ]
        print_json({"mode": mode, "written": out is not None, "files": entries})
    elif out is None:
        sys.stdout.write("".join(files.values()))
    else:
        stdout_console().print(f"wrote {len(files)} files under {out}")
