"""``seccli scan-worker status|stop``: the warm checkov worker that ``seccli scan`` keeps."""

from __future__ import annotations

import time
from typing import Any

import typer

from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import InputError

app = typer.Typer(
    help="The background worker that keeps checkov loaded between scans (exits when idle)."
)


FORMAT_OPTION = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def _runtime_dir() -> Any:
    from seccli.scan.worker_wire import WorkerUnavailable, runtime_dir

    try:
        return runtime_dir()
    except WorkerUnavailable as exc:
        raise InputError(
            str(exc), hint="set SECCLI_RUNTIME_DIR to a private (0700) directory"
        ) from None


def _describe(worker: dict[str, Any]) -> str:
    if worker.get("state") != "live":
        return f"stale socket {worker['socket']}"
    age = time.time() - float(worker.get("started", time.time()))
    return (
        f"pid {worker.get('pid')}: checkov {worker.get('checkov')}, up {age:.0f} s, "
        f"{worker.get('requests')} requests, exits after {worker.get('idle'):g} s idle"
    )


@app.command("status")
def status_command(
    output_format: OutputFormat = FORMAT_OPTION,
) -> None:
    """List the workers running for this user (exit 0 whether or not any run)."""
    from seccli.scan.worker_client import running_workers

    fmt = output_format
    directory = _runtime_dir()
    workers = running_workers(directory)
    if fmt is OutputFormat.JSON:
        print_json({"runtimeDir": str(directory), "workers": workers})
        return
    console = stdout_console()
    if not workers:
        console.print(f"no scan worker running (runtime directory {directory})")
    for worker in workers:
        console.print(_describe(worker))


@app.command("stop")
def stop_command(
    output_format: OutputFormat = FORMAT_OPTION,
) -> None:
    """Stop every worker of this user and remove stale sockets (exit 1 if one keeps running)."""
    from seccli.scan.worker_client import stop_workers

    fmt = output_format
    done = stop_workers(_runtime_dir())
    failed = [worker for worker in done if worker.get("action") == "still running"]
    if fmt is OutputFormat.JSON:
        print_json({"workers": done})
    else:
        console = stdout_console()
        if not done:
            console.print("no scan worker was running")
        for worker in done:
            console.print(f"{worker['action']}: {_describe(worker)}")
    if failed:
        raise typer.Exit(1)
