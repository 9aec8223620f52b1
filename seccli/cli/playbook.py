"""``seccli playbook``: validate, dry-run, execute, resume, approve and exchange playbooks.

Configuration of actions is read here: endpoints from ``--endpoint NAME=URL`` or
``SECCLI_SOAR_ENDPOINT_<NAME>``, their tokens from ``SECCLI_SOAR_TOKEN_<NAME>`` (a ``Secret``),
Vault from ``VAULT_ADDR``/``VAULT_TOKEN``, the playbook folder from ``--playbooks`` or
``SECCLI_PLAYBOOKS`` (default ``playbooks/``), the work folder from ``SECCLI_SOAR_WORKDIR``
(default ``.seccli/soar``). The soar package is imported inside each command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor, default_estate_path
from seccli.cli.output import OutputFormat, format_option, print_json

if TYPE_CHECKING:
    from seccli.soar.engine import Engine, RunResult
    from seccli.soar.interface import SoarConfig
    from seccli.soar.loader import PlaybookLibrary

app = typer.Typer(help="SOAR playbooks: validate, dry-run, execute, resume, approve, CACAO 2.0.")

RUN_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)
PLAYBOOKS = typer.Option(
    None, "--playbooks", envvar="SECCLI_PLAYBOOKS", help="Playbook folder (default playbooks/)."
)
ENDPOINTS = typer.Option(
    [], "--endpoint", help="NAME=URL of an endpoint HTTP actions may call (repeatable)."
)
GITOPS = typer.Option(None, "--gitops", help="GitOps tree containment actions write into.")
EXAMPLE_PLAYBOOKS = Path("playbooks")


def _playbook_folder(given: Path | None) -> Path:
    if given is not None:
        return given
    from seccli.core.resources import default_input

    return default_input(EXAMPLE_PLAYBOOKS)


def _config(endpoints: list[str], gitops: Path | None, *, store_path: Path) -> SoarConfig:
    from seccli.core.errors import InputError
    from seccli.core.redaction import Secret
    from seccli.soar.interface import Endpoint, SoarConfig

    urls: dict[str, str] = {}
    for key, value in os.environ.items():
        if key.startswith("SECCLI_SOAR_ENDPOINT_") and value:
            urls[key.removeprefix("SECCLI_SOAR_ENDPOINT_").lower().replace("_", "-")] = value
    for text in endpoints:
        name, sep, url = text.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise InputError(f"--endpoint {text!r}: expected NAME=http(s)://URL")
        urls[name] = url
    resolved: dict[str, Endpoint] = {}
    for name, url in urls.items():
        token_text = os.environ.get("SECCLI_SOAR_TOKEN_" + name.upper().replace("-", "_"))
        resolved[name] = Endpoint(url, Secret(token_text) if token_text else None)
    workdir = Path(os.environ.get("SECCLI_SOAR_WORKDIR") or Path(".seccli") / "soar")
    return SoarConfig(
        workdir=workdir,
        gitops=gitops,
        endpoints=resolved,
        estate=_estate(),
        org=_org(),
        vault=_vault_factory(),
        recent_findings=lambda: _recent_findings(store_path),
    )


def _estate() -> Any:
    from seccli.estate.loader import load_estate

    path = default_estate_path()
    return load_estate(path).estate if path.exists() else None


def _org() -> Any:
    from seccli.cli.org import default_org_path
    from seccli.org.loader import load_org

    path = default_org_path()
    return load_org(path).org if path.exists() else None


def _vault_factory() -> Any:
    address = os.environ.get("VAULT_ADDR")
    token = os.environ.get("VAULT_TOKEN")
    if not address or not token:
        return None

    def connect_vault() -> Any:
        from seccli.core.redaction import Secret
        from seccli.secrets.client import VaultSettings, connect

        return connect(VaultSettings(address=address, token=Secret(token)))

    return connect_vault


def _recent_findings(store_path: Path) -> list[dict[str, Any]]:
    from seccli.store.sqlite import SqliteStore

    if not store_path.exists():
        return []
    with SqliteStore.open(store_path) as store:
        history = store.finding_history()
    open_findings = [h for h in history if h.resolved_at is None]
    open_findings.sort(key=lambda h: h.last_seen, reverse=True)
    return [
        {
            "fingerprint": h.fingerprint,
            "rule": h.rule_id,
            "tool": h.tool,
            "severity": h.severity,
            "file": h.file,
            "lastSeen": h.last_seen,
        }
        for h in open_findings[:200]
    ]


def _library(folder: Path | None, config: SoarConfig) -> PlaybookLibrary:
    from seccli.soar.loader import PlaybookLibrary

    return PlaybookLibrary((_playbook_folder(folder),), config)


def _parse_vars(values: list[str]) -> dict[str, Any]:
    from seccli.core.errors import InputError

    parsed: dict[str, Any] = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise InputError(f"--var {text!r}: expected NAME=VALUE")
        parsed[name] = value
    return parsed


@app.command("list")
def list_command(
    ctx: typer.Context, playbooks: Path | None = PLAYBOOKS, output: OutputFormat = RUN_FORMATS
) -> None:
    """List the playbooks in the folder."""
    from seccli.soar.interface import SoarConfig

    library = _library(playbooks, SoarConfig())
    rows = []
    for name in library.names():
        found = library.resolve(name)
        rows.append({"name": name, "description": found.metadata.description if found else ""})
    if output is OutputFormat.JSON:
        print_json({"playbooks": rows})
        return
    for row in rows:
        typer.echo(f"{row['name']:<28} {row['description']}")


@app.command("actions")
def actions_command(output: OutputFormat = RUN_FORMATS) -> None:
    """List the actions playbooks may use, with their arguments."""
    from seccli.soar.actions import ACTIONS

    rows = [
        {
            "name": name,
            "summary": action.summary,
            "arguments": sorted(
                (info.alias or field) for field, info in action.args_model.model_fields.items()
            ),
        }
        for name, action in sorted(ACTIONS.items())
    ]
    if output is OutputFormat.JSON:
        print_json({"actions": rows})
        return
    for row in rows:
        typer.echo(f"{row['name']:<26} {row['summary']} ({', '.join(row['arguments'])})")


@app.command("validate")
def validate_command(
    ctx: typer.Context,
    names: list[str] = typer.Argument(..., help="Playbook names or files."),
    playbooks: Path | None = PLAYBOOKS,
) -> None:
    """Check playbooks: schema, graph, variables, actions and called playbooks (exit 2)."""
    from seccli.core.errors import DocumentInvalid

    config = _config([], None, store_path=app_state(ctx).resolved_store_path())
    library = _library(playbooks, config)
    problems: list[Any] = []
    for name in names:
        try:
            library.validated(name)
        except DocumentInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise DocumentInvalid(problems)
    typer.echo(f"{len(names)} playbook(s) valid")


def _engine(ctx: typer.Context, config: SoarConfig, library: PlaybookLibrary) -> tuple[Any, Any]:
    from seccli.core.clock import SystemClock
    from seccli.soar.engine import Engine
    from seccli.soar.records import RunRecords

    state = app_state(ctx)
    store = state.open_store()
    records = RunRecords(
        store.path, SystemClock(), fsync=os.environ.get("SECCLI_SOAR_FSYNC") == "1"
    )
    engine = Engine(records, store, config, SystemClock(), current_actor(), library.resolve)
    return store, engine


@app.command("run")
def run_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Playbook name or file."),
    incident: Path = typer.Option(..., "--incident", help="Incident JSON supplying the inputs."),
    var: list[str] = typer.Option([], "--var", help="NAME=VALUE overriding an input."),
    execute: bool = typer.Option(False, "--execute", help="Run the actions (default: dry run)."),
    playbooks: Path | None = PLAYBOOKS,
    endpoint: list[str] = ENDPOINTS,
    gitops: Path | None = GITOPS,
    output: OutputFormat = RUN_FORMATS,
) -> None:
    """Dry-run a playbook on an incident (every branch), or execute it with --execute."""
    from seccli.soar.engine import bind_inputs, dry_run
    from seccli.soar.loader import load_incident

    state = app_state(ctx)
    config = _config(endpoint, gitops, store_path=state.resolved_store_path())
    library = _library(playbooks, config)
    playbook, _, _ = library.validated(name)
    fields, source = load_incident(incident)
    inputs = bind_inputs(playbook, {**fields, **_parse_vars(var)}, source)
    if not execute:
        plan = dry_run(playbook, inputs, config, library.resolve)
        _print_plan(playbook.metadata.name, plan, output)
        return
    from seccli.store.runs import recorded_run

    store, engine = _engine(ctx, config, library)
    with store, recorded_run(store, "playbook run", current_actor(), playbook.metadata.name) as run:
        result = engine.start(playbook, inputs)
        run.finish(result.exit_code, summary=_summary(result), audit=_summary(result))
    _print_result(result, output)
    raise typer.Exit(result.exit_code)


def _summary(result: RunResult) -> dict[str, Any]:
    return {"playbookRun": result.run_id, "playbook": result.playbook, "state": result.state}


def _continue(
    ctx: typer.Context,
    command: str,
    run_id: str,
    playbooks: Path | None,
    endpoint: list[str],
    gitops: Path | None,
    output: OutputFormat,
    decide: Any = None,
) -> None:
    from seccli.store.runs import recorded_run

    state = app_state(ctx)
    config = _config(endpoint, gitops, store_path=state.resolved_store_path())
    library = _library(playbooks, config)
    store, engine = _engine(ctx, config, library)
    with store, recorded_run(store, command, current_actor(), run_id) as run:
        engine.records.run(run_id)  # an unknown run is an input error
        if decide is not None:
            decide(engine)
        result = engine.resume(run_id)
        run.finish(result.exit_code, summary=_summary(result), audit=_summary(result))
    _print_result(result, output)
    raise typer.Exit(result.exit_code)


@app.command("resume")
def resume_command(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., metavar="RUN"),
    playbooks: Path | None = PLAYBOOKS,
    endpoint: list[str] = ENDPOINTS,
    gitops: Path | None = GITOPS,
    output: OutputFormat = RUN_FORMATS,
) -> None:
    """Continue a run that was interrupted or waited for approval (no step runs twice)."""
    _continue(ctx, "playbook resume", run_id, playbooks, endpoint, gitops, output)


def _decision(command: str, decision: str) -> Any:
    def decide(
        ctx: typer.Context,
        run_id: str = typer.Argument(..., metavar="RUN"),
        step: str = typer.Argument(..., help="The approval step (its key in `status`)."),
        reason: str = typer.Option(..., "--reason", help="Why (recorded)."),
        playbooks: Path | None = PLAYBOOKS,
        endpoint: list[str] = ENDPOINTS,
        gitops: Path | None = GITOPS,
        output: OutputFormat = RUN_FORMATS,
    ) -> None:
        def record(engine: Engine) -> None:
            engine.decide(run_id, step, decision, reason)

        _continue(ctx, f"playbook {command}", run_id, playbooks, endpoint, gitops, output, record)

    decide.__doc__ = f"{command.capitalize()} a waiting approval step (you are the approver)."
    return decide


app.command("approve")(_decision("approve", "approved"))
app.command("reject")(_decision("reject", "rejected"))


@app.command("status")
def status_command(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., metavar="RUN"),
    output: OutputFormat = RUN_FORMATS,
) -> None:
    """Show a run: its state, every step record and approvals."""
    from seccli.core.clock import SystemClock
    from seccli.soar.records import RunRecords

    state = app_state(ctx)
    with state.open_store(create=False) as store:
        records = RunRecords(store.path, SystemClock())
        row = records.run(run_id)
        payload: dict[str, Any] = {
            "run": row.id,
            "playbook": row.playbook,
            "actor": row.actor,
            "state": row.state,
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
            "failure": row.result.get("failure"),
            "steps": [s.to_json() for s in records.steps(run_id)],
            "approvals": [a.to_json() for a in records.approvals(run_id)],
        }
        records.close()
    if output is OutputFormat.JSON:
        print_json(payload)
        return
    typer.echo(f"run {row.id}  playbook {row.playbook}  state {row.state}")
    for step in payload["steps"]:
        typer.echo(f"  {step['step']:<36} {step['state']:<10} attempt {step['attempt']}")
    for approval in payload["approvals"]:
        typer.echo(
            f"  approval {approval['step']}: {approval['decision'] or 'open'} "
            f"(expires {approval['expiresAt']})"
        )


@app.command("runs")
def runs_command(ctx: typer.Context, output: OutputFormat = RUN_FORMATS) -> None:
    """List playbook runs, newest first."""
    from seccli.core.clock import SystemClock
    from seccli.soar.records import RunRecords

    state = app_state(ctx)
    with state.open_store() as store:
        records = RunRecords(store.path, SystemClock())
        rows = [
            {
                "run": r.id,
                "playbook": r.playbook,
                "state": r.state,
                "actor": r.actor,
                "createdAt": r.created_at,
            }
            for r in records.runs()
        ]
        records.close()
    if output is OutputFormat.JSON:
        print_json({"runs": rows})
        return
    for row in rows:
        typer.echo(f"{row['run']}  {row['state']:<17} {row['playbook']:<28} {row['createdAt']}")


@app.command("export")
def export_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Playbook name or file."),
    cacao: bool = typer.Option(False, "--cacao", help="Write CACAO 2.0 JSON (required)."),
    out: Path | None = typer.Option(None, "-o", "--output", help="File (default stdout)."),
    playbooks: Path | None = PLAYBOOKS,
) -> None:
    """Export a playbook as CACAO 2.0 JSON (IDs kept in NAME.ids.json beside it)."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.core.errors import InputError
    from seccli.soar.cacao import export_playbook
    from seccli.soar.interface import SoarConfig

    if not cacao:
        raise InputError("playbook export writes CACAO 2.0 only: pass --cacao")
    library = _library(playbooks, SoarConfig())
    playbook, _, path = library.validated(name)
    data = export_playbook(playbook, path)
    if out is None:
        typer.echo(data.decode(), nl=False)
    else:
        atomic_write_bytes(out, data)


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CACAO 2.0 playbook JSON."),
    out: Path | None = typer.Option(None, "-o", "--output", help="YAML file (default stdout)."),
    playbooks: Path | None = PLAYBOOKS,
) -> None:
    """Import a CACAO 2.0 playbook (schema and graph checks) as seccli YAML."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.soar.cacao import import_playbook, lock_path
    from seccli.soar.interface import SoarConfig

    library = _library(playbooks, SoarConfig())
    result = import_playbook(file, library.resolve)
    if out is None:
        typer.echo(result.yaml, nl=False)
        return
    atomic_write_bytes(out, result.yaml.encode())
    atomic_write_bytes(lock_path(out), result.lock)


def _print_plan(name: str, plan: list[dict[str, Any]], output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        print_json({"playbook": name, "dryRun": True, "steps": plan})
        return
    typer.echo(f"dry run of {name}: {len(plan)} step(s), nothing is changed")
    for entry in plan:
        typer.echo(f"{entry['step']:<32} {entry['type']:<17} {entry['does']}")
        if "withTheseInputs" in entry:
            typer.echo(f"{'':<50} with these inputs: {entry['withTheseInputs']}")
        for branch in entry["branches"]:
            typer.echo(f"{'':<50} on {branch['when']} -> {branch['next']}")


def _print_result(result: RunResult, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        print_json(result.to_json())
        return
    typer.echo(f"run {result.run_id}  playbook {result.playbook}  state {result.state}")
    for step in result.steps:
        outcome = step["outcome"] or ""
        typer.echo(f"  {step['step']:<36} {step['state']:<10} {outcome}")
    for waiting in result.waiting:
        typer.echo(
            f"  waiting for approval at {waiting['step']} (expires {waiting['expiresAt']}): "
            f"seccli playbook approve {result.run_id} {waiting['step']} --reason ..."
        )
    if result.failure:
        typer.echo(f"  failed at {result.failure['step']}: {result.failure['message']}")
