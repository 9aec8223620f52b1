"""``seccli assess``: the main job, every check on the estate and the signed evidence pack.

The work is done by ``seccli.assess.run.assess``; this module reads the options and the
environment (Vault, signing key, SOURCE_DATE_EPOCH), shows progress and renders one summary.
"""

from __future__ import annotations

import os
import sys
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
from seccli.core.errors import DocumentInvalid, ExitCode

if TYPE_CHECKING:
    from seccli.assess.model import AssessResult, StepResult
    from seccli.secrets.client import VaultApi

DEFAULT_WORK = Path(".seccli") / "assess"
ASSESS_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def assess_command(
    ctx: typer.Context,
    estate: Path | None = typer.Argument(
        None,
        help="Estate file, or a folder holding estate.yaml (default: the example estate).",
        show_default=False,
    ),
    pack: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        metavar="PACK.zip",
        help="Where to write the evidence pack (default: WORK/evidence-pack.zip).",
        show_default=False,
    ),
    work: Path = typer.Option(
        DEFAULT_WORK, "--work", "-w", help="Folder for the generated tree and the local key."
    ),
    org: Path | None = typer.Option(
        None, "--org", help="Org file (default: SECCLI_ORG or the example org).", show_default=False
    ),
    key: Path | None = typer.Option(
        None,
        "--key",
        metavar="KEY",
        help="Key that signs the pack (default: $SECCLI_EVIDENCE_SIGNING_KEY, else a key pair "
        "kept in WORK, made on first use).",
        show_default=False,
    ),
    trust_policy: Path | None = typer.Option(
        None,
        "--trust-policy",
        help="Trust policy for the images (default: beside the estate: oci/trust-policy.demo."
        "yaml with an OCI layout, else trust-policy.yaml).",
        show_default=False,
    ),
    oci_layout: Path | None = typer.Option(
        None,
        "--oci-layout",
        metavar="DIR",
        help="Verify images offline from this OCI layout (default: oci/layout beside the "
        "estate, if there is one; else the registries).",
        show_default=False,
    ),
    scan_target: Path | None = typer.Option(
        None,
        "--scan",
        metavar="DIR",
        help="Repository content to scan (default: the estate's folder).",
        show_default=False,
    ),
    suppressions: Path | None = typer.Option(
        None,
        "--suppressions",
        help="Accepted risks for the scan and the pack (default: suppressions.yaml beside the "
        "estate, if there is one).",
        show_default=False,
    ),
    period: str | None = typer.Option(
        None, "--period", help="Evidence period: 2026-Q4, 2026-11 or 2026 (default: this quarter)."
    ),
    output: OutputFormat = ASSESS_FORMATS,
) -> None:
    """Assess the estate end to end, offline on the bundled example: validate the estate and
    org, generate the Zero-Trust tree and prove it, run the policy library, verify the images,
    audit Vault (not assessed without VAULT_ADDR), scan the repository, then build and verify
    the signed evidence pack.

    Exit 0 when every assessed step passed, 1 when a gate failed, 2 for bad input, 3 when a
    step could not run (a dependency failed). Steps not assessed are listed as such.
    """
    from datetime import UTC, datetime

    from seccli.assess.run import AssessRequest, assess
    from seccli.cli.evidence import SIGNING_KEY_ENV, _source_date_epoch
    from seccli.cli.org import default_org_path
    from seccli.cli.scan import _use_worker
    from seccli.cli.sign import _password
    from seccli.evidence.period import resolve_period
    from seccli.scan.engine import ScanOptions

    estate_path = estate or default_estate_path()
    if estate_path.is_dir():
        # a folder holding an estate: its estate.yaml, and its org.yaml when there is one
        folder = estate_path
        estate_path = folder / "estate.yaml"
        if org is None and (folder / "org.yaml").is_file():
            org = folder / "org.yaml"
    epoch = _source_date_epoch()
    now = datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else datetime.now(UTC)
    configured = os.environ.get(SIGNING_KEY_ENV)
    key_path = key or (Path(configured) if configured else None)
    signing = None
    if key_path is not None:
        from seccli.supplychain.keys import load_private_key

        signing = load_private_key(key_path, _password(False))
    request = AssessRequest(
        estate=estate_path,
        org=org or default_org_path(),
        work=work,
        pack=pack,
        key=signing,
        trust_policy=trust_policy,
        oci_layout=oci_layout,
        scan_target=scan_target,
        suppressions=suppressions,
        scan_options=ScanOptions(warm=_use_worker(None)),
        vault=_vault_from_environment(),
        period=resolve_period(period, None, None, now) if period else None,
        source_date_epoch=epoch,
        workers=min(os.cpu_count() or 1, 8),
    )
    state = app_state(ctx)
    try:
        with _Progress(enabled=sys.stderr.isatty()) as on_step:
            result = assess(request, state.open_store, current_actor(), on_step)
    except DocumentInvalid as exc:
        if output is not OutputFormat.JSON:
            raise
        # the estate or org named in the problems (the first problem's file)
        named = Path(exc.problems[0].location.file) if exc.problems else estate_path
        print_json({"verdict": "error", "exitCode": 2, **invalid_document_payload(named, exc)})
        raise typer.Exit(int(ExitCode.INPUT)) from None
    if output is OutputFormat.JSON:
        print_json(result.to_json())
    else:
        _print_summary(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _vault_from_environment() -> Any:
    """A Vault connection factory when ``VAULT_ADDR`` is set (as Vault's CLI reads it), else
    ``None``: the Vault step is then not assessed."""
    address = os.environ.get("VAULT_ADDR")
    if not address:
        return None

    def connect() -> VaultApi:
        from seccli.cli.vault import _token_file
        from seccli.core.redaction import Secret
        from seccli.secrets.client import VaultSettings
        from seccli.secrets.client import connect as open_vault

        token = os.environ.get("VAULT_TOKEN") or _token_file()
        skip = os.environ.get("VAULT_SKIP_VERIFY", "").strip().lower() in {"1", "true", "yes"}
        return open_vault(
            VaultSettings(
                address=address,
                token=Secret(token) if token else None,
                namespace=os.environ.get("VAULT_NAMESPACE") or None,
                ca_cert=os.environ.get("VAULT_CACERT") or None,
                ca_path=os.environ.get("VAULT_CAPATH") or None,
                client_cert=os.environ.get("VAULT_CLIENT_CERT") or None,
                client_key=os.environ.get("VAULT_CLIENT_KEY") or None,
                skip_verify=skip,
            )
        )

    return connect


class _Progress:
    """On a terminal, a spinner on stderr naming the running step and a line per finished
    one; entering gives the step sink (which does nothing off a terminal)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from seccli.cli.output import stderr_console

        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=stderr_console(),
            transient=True,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("assessing", total=None)
        return self.on_step

    def on_step(self, step: str, result: StepResult | None) -> None:
        from seccli.assess.model import STEPS

        if result is None:
            self.bar.update(self.task, description=f"{STEPS[step]} ...")
            return
        self.bar.console.print(
            f"{_MARK[result.status.value]} {result.title}", markup=False, highlight=False
        )

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


_MARK = {"passed": "ok  ", "failed": "FAIL", "not assessed": "n/a ", "error": "ERR "}
_STYLE = {"passed": "green", "failed": "bold red", "not assessed": "yellow", "error": "bold red"}


def _print_summary(result: AssessResult) -> None:
    from rich.markup import escape
    from rich.table import Table

    from seccli.cli.evidence import _summary_table

    console = stdout_console()
    table = Table(show_header=True, header_style="bold", title=f"seccli assess {result.estate}")
    for column in ("step", "status", "detail", "s"):
        table.add_column(column, overflow="fold", justify="right" if column == "s" else "left")
    for step in result.steps:
        status = step.status.value
        table.add_row(
            escape(step.title),
            f"[{_STYLE[status]}]{status}[/]",
            escape(step.detail),
            f"{step.seconds:.1f}",
        )
    console.print(table)
    if result.pack_summary:
        _summary_table(result.pack_summary, result.pack_overall)
    if result.pack is not None:
        pub = result.public_key or Path("PUB")
        console.print(
            f"auditor: seccli evidence verify {result.pack} --key {pub}",
            markup=False,
            highlight=False,
        )
    counts: dict[str, int] = {}
    for step in result.steps:
        counts[step.status.value] = counts.get(step.status.value, 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    console.print(f"{result.verdict.upper()}: {tally}", markup=False, highlight=False)
