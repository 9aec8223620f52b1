"""The ``seccli`` Typer application: global options, command groups and error handling.

Command groups are listed explicitly below; each lives in its own module and imports heavy
dependencies only inside the command that needs them, so ``seccli --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from seccli import __version__
from seccli.cli import assess, audit, estate, images, sbom, schema, sign
from seccli.cli import bus as bus_cli
from seccli.cli import drill as drill_cli
from seccli.cli import evidence as evidence_cli
from seccli.cli import gatekeeper as gatekeeper_cli
from seccli.cli import generate as generate_cli
from seccli.cli import netpol as netpol_cli
from seccli.cli import org as org_cli
from seccli.cli import playbook as playbook_cli
from seccli.cli import policy as policy_cli
from seccli.cli import scan as scan_cli
from seccli.cli import scan_worker as scan_worker_cli
from seccli.cli import vault as vault_cli
from seccli.cli.context import AppState
from seccli.cli.toplevel import run

app = typer.Typer(
    name="seccli",
    help="Security and compliance automation: generate Zero-Trust controls, enforce them in CI, "
    "operate secrets and playbooks, and prove it to auditors.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help and usage errors: Rich's help formatter costs ~0.15 s of imports per call.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Command groups: one module each, registered here explicitly.
app.add_typer(estate.app, name="estate")
app.add_typer(org_cli.app, name="org")
app.add_typer(audit.app, name="audit")
app.command(name="schema")(schema.schema_command)
app.add_typer(images.app, name="images")
app.add_typer(sign.keys_app, name="keys")
app.add_typer(sign.verify_app, name="verify")
app.command(name="sign")(sign.sign_command)
app.command(name="attest")(sign.attest_command)
app.command(name="sbom")(sbom.sbom_command)
app.command(name="generate")(generate_cli.generate_command)
app.add_typer(netpol_cli.app, name="netpol")
app.add_typer(vault_cli.app, name="vault")
app.command(name="scan")(scan_cli.scan_command)
app.add_typer(scan_cli.findings_app, name="findings")
app.add_typer(scan_worker_cli.app, name="scan-worker")
app.add_typer(policy_cli.app, name="policy")
app.add_typer(playbook_cli.app, name="playbook")
app.add_typer(drill_cli.app, name="drill")
policy_cli.app.command("verify")(gatekeeper_cli.verify_command)
policy_cli.app.command("test")(gatekeeper_cli.test_command)
app.command(
    name="submit",
    # seccli submit [OPTIONS] COMMAND...: everything from the command on belongs to the job.
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
    },
)(bus_cli.submit_command)
app.command(name="worker")(bus_cli.worker_command)
app.add_typer(bus_cli.jobs_app, name="jobs")
audit.app.command("sync")(bus_cli.audit_sync_command)
app.add_typer(evidence_cli.app, name="evidence")
app.command(name="assess")(assess.assess_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seccli {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    store: Path | None = typer.Option(
        None,
        "--store",
        envvar="SECCLI_STORE",
        help="State database (default .seccli/state.db; env SECCLI_STORE).",
        show_default=False,
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """seccli: security and compliance automation."""
    ctx.obj = AppState(store_path=store, debug=debug, invoke=invoke)
    ctx.call_on_close(lambda: bus_cli.mirror_audit_after_command(ctx))
    ctx.call_on_close(lambda: audit.sign_audit_after_command(ctx))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``seccli`` console script.

    Usage errors are reported by the parser itself (exit 2); seccli errors print one line per
    problem and a hint, and exit with their code; any other exception is exit 3 with one line
    (see ``seccli.cli.toplevel``). ``--debug`` adds the traceback and keeps the exit code.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    sys.exit(run(invoke, args))


def invoke(args: list[str]) -> object:
    """Run one seccli command line (``args`` without the program name) in this process."""
    return app(args=args, prog_name="seccli", standalone_mode=False)
