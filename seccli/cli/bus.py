"""``seccli submit``, ``seccli worker``, ``seccli jobs`` and ``seccli audit sync``: the same
commands spread over many workers through a bus (local by default, NATS JetStream with
``--bus nats://HOST:PORT`` or ``SECCLI_BUS``)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from seccli.cli.context import app_state
from seccli.cli.output import format_option, print_json, stderr_console, stdout_console
from seccli.core.errors import ExitCode
from seccli.render.formats import OutputFormat

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from seccli.bus.audit_mirror import MirrorCheck
    from seccli.bus.config import BusConfig
    from seccli.bus.interface import AuditCopy, Bus
    from seccli.bus.worker import CommandOutcome

BUS_ENV = "SECCLI_BUS"
T = TypeVar("T")

jobs_app = typer.Typer(
    help="Jobs submitted to the bus: their state and results.", no_args_is_help=True
)

BUS_OPTION = typer.Option(
    None,
    "--bus",
    envvar=BUS_ENV,
    metavar="<local|nats://HOST:PORT>",
    help="Bus to use (default local; env SECCLI_BUS). Credentials in the URL are never shown.",
    show_default=False,
)
#: Credential files as the NATS tools take them: option, or the NATS CLI's environment variable.
CREDENTIAL_ENV = {
    "creds": "NATS_CREDS",
    "nkey": "NATS_NKEY",
    "tls_ca": "NATS_CA",
    "tls_cert": "NATS_CERT",
    "tls_key": "NATS_KEY",
}
CREDS_OPTION = typer.Option(
    None, "--creds", metavar="<path>", help="NATS .creds file (user JWT and seed; NATS_CREDS)."
)
NKEY_OPTION = typer.Option(
    None, "--nkey", metavar="<path>", help="NATS NKey seed file (NATS_NKEY)."
)
TLS_CA_OPTION = typer.Option(
    None,
    "--tls-ca",
    metavar="<path>",
    help="CA bundle the server's certificate is checked against (NATS_CA).",
)
TLS_CERT_OPTION = typer.Option(
    None, "--tls-cert", metavar="<path>", help="Client certificate for TLS (NATS_CERT)."
)
TLS_KEY_OPTION = typer.Option(
    None, "--tls-key", metavar="<path>", help="Client certificate's key (NATS_KEY)."
)
SUBMIT_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)
STATUS_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def _config(
    ctx: typer.Context,
    bus: str | None,
    creds: Path | None = None,
    nkey: Path | None = None,
    tls_ca: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> BusConfig:
    """The selected bus; credential files not given as options come from NATS_CREDS, NATS_NKEY,
    NATS_CA, NATS_CERT and NATS_KEY, user/password/token from NATS_USER, NATS_PASSWORD and
    NATS_TOKEN (NATS_USER without a password is a token, as for the NATS CLI). Passwords and
    tokens have no command-line option: other users of the machine can read command lines."""
    from seccli.bus.config import bus_config

    def env_path(given: Path | None, name: str) -> Path | None:
        if given is not None:
            return given
        value = os.environ.get(CREDENTIAL_ENV[name], "").strip()
        return Path(value) if value else None

    user = os.environ.get("NATS_USER") or None
    password = os.environ.get("NATS_PASSWORD") or None
    token = os.environ.get("NATS_TOKEN") or None
    if user and not password and not token:
        user, token = None, user
    store = app_state(ctx).resolved_store_path()
    return bus_config(
        bus,
        local_path=store.with_name(store.name + ".bus.db"),
        creds_file=env_path(creds, "creds"),
        nkey_seed_file=env_path(nkey, "nkey"),
        tls_ca=env_path(tls_ca, "tls_ca"),
        tls_cert=env_path(tls_cert, "tls_cert"),
        tls_key=env_path(tls_key, "tls_key"),
        user=user,
        password=password,
        token=token,
    )


async def _with_bus(bus: Bus, work: Callable[[Bus], Awaitable[T]]) -> T:
    await bus.connect()
    try:
        return await work(bus)
    finally:
        await bus.close()


def submit_command(
    ctx: typer.Context,
    bus: str | None = BUS_OPTION,
    subsidiary: str = typer.Option(
        "holding",
        "--subsidiary",
        metavar="<name>",
        help="Subject token of the subsidiary the job belongs to (holding-wide: holding).",
    ),
    wait: bool = typer.Option(False, "--wait", help="Wait for the result and exit with its code."),
    timeout: float = typer.Option(600.0, "--timeout", min=0.1, help="Seconds to wait with --wait."),
    output: OutputFormat = SUBMIT_FORMATS,
    creds: Path | None = CREDS_OPTION,
    nkey: Path | None = NKEY_OPTION,
    tls_ca: Path | None = TLS_CA_OPTION,
    tls_cert: Path | None = TLS_CERT_OPTION,
    tls_key: Path | None = TLS_KEY_OPTION,
) -> None:
    """Submit a command as a job (submit's options first): scan PATH | images verify REF...
    --policy P | policy test PATH... | playbook run NAME --incident F | drill simulate S | noop.

    File and folder arguments travel with the job; a job submitted twice is one job.
    """
    import asyncio

    from seccli.bus.interface import JobStatus
    from seccli.bus.jobs import prepare
    from seccli.bus.model import JobState
    from seccli.bus.select import open_bus

    words = list(ctx.args)
    prepared = prepare(words, subsidiary, Path.cwd())
    config = _config(ctx, bus, creds, nkey, tls_ca, tls_cert, tls_key)

    async def work(b: Bus) -> bool:
        for name, data in prepared.payloads:
            await b.put_payload(name, data)  # payloads first: a job never lacks its files
        new = await b.submit(prepared.job)
        if new:
            await b.set_status(JobStatus(prepared.job.id, JobState.QUEUED))
        return new

    new = asyncio.run(_with_bus(open_bus(config), work))
    job = prepared.job
    if output is OutputFormat.JSON and not wait:
        print_json(
            {
                "jobId": job.id,
                "subject": job.subject(config.prefix),
                "duplicate": not new,
                "bus": config.display,
            }
        )
    elif not wait:
        state = "submitted" if new else "duplicate of a job already submitted"
        stdout_console().print(
            f"{job.id} {state} on {job.subject(config.prefix)}", markup=False, highlight=False
        )
    if wait:
        _wait_and_exit(config, job.id, timeout, output)


def worker_command(
    ctx: typer.Context,
    bus: str | None = BUS_OPTION,
    concurrency: int = typer.Option(
        1, "--concurrency", "-c", min=1, max=64, help="Jobs run at once (each in its own process)."
    ),
    subjects: str | None = typer.Option(
        None,
        "--subjects",
        metavar="<subject>",
        help="Only jobs on this subject filter, e.g. 'org.claytom.*.command.scan'.",
    ),
    max_deliver: int = typer.Option(
        5, "--max-deliver", min=1, help="Attempts before a job is dead-lettered."
    ),
    ack_wait: float = typer.Option(
        30.0, "--ack-wait", min=0.5, help="Seconds before an unacknowledged job is redelivered."
    ),
    idle_exit: float | None = typer.Option(
        None, "--idle-exit", min=0.0, help="Stop after this many seconds without jobs."
    ),
    max_jobs: int | None = typer.Option(None, "--max-jobs", min=1, help="Stop after N jobs."),
    creds: Path | None = CREDS_OPTION,
    nkey: Path | None = NKEY_OPTION,
    tls_ca: Path | None = TLS_CA_OPTION,
    tls_cert: Path | None = TLS_CERT_OPTION,
    tls_key: Path | None = TLS_KEY_OPTION,
) -> None:
    """Run jobs from the bus: one durable consumer shared by every worker, heartbeats on long
    jobs, retries with backoff, dead letters after --max-deliver attempts."""
    import asyncio
    import socket

    from seccli.bus.select import open_bus
    from seccli.bus.worker import WorkerSettings, run_worker

    config = _config(ctx, bus, creds, nkey, tls_ca, tls_cert, tls_key)
    state = app_state(ctx)
    if state.invoke is None:  # pragma: no cover - the app always sets it
        raise RuntimeError("the worker runs inside the seccli app")
    store = state.resolved_store_path().resolve()
    pool = _start_pool(concurrency)
    settings = WorkerSettings(
        concurrency=concurrency,
        max_deliver=max_deliver,
        heartbeat=max(0.2, ack_wait / 3),
        idle_exit=idle_exit,
        max_jobs=max_jobs,
        name=f"{socket.gethostname()}:{os.getpid()}",
    )
    err = stderr_console()
    err.print(
        f"worker {settings.name} on {config.display} (concurrency {concurrency})",
        markup=False,
        highlight=False,
    )
    bus_impl = open_bus(
        config, ack_wait=ack_wait, max_deliver=max_deliver, subjects=[subjects] if subjects else []
    )
    execute = _pool_executor(pool, state.invoke, store)

    async def work(b: Bus) -> Any:
        return await run_worker(
            b, execute, settings, on_event=lambda e: err.print(e, markup=False, highlight=False)
        )

    try:
        stats = asyncio.run(_with_bus(bus_impl, work))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    err.print(
        f"worker stopped: {stats.done} done, {stats.retried} retried, {stats.dead} dead, "
        f"{stats.skipped} already done",
        markup=False,
        highlight=False,
    )


def _start_pool(concurrency: int) -> ProcessPoolExecutor:
    """Processes forked before any connection exists, with seccli's commands already loaded
    (the worker runs inside the app, which imported every command module)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        max_workers=concurrency,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    for future in [pool.submit(_warm) for _ in range(concurrency)]:
        future.result()
    return pool


def _die_with_parent(parent: int) -> None:
    """A job process ends when its worker does, even on SIGKILL (Linux ``PR_SET_PDEATHSIG``);
    otherwise a killed worker would leave its pool processes waiting forever."""
    import signal

    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the worker died before the line above took effect
        os._exit(0)


def _warm() -> int:
    return os.getpid()


def _pool_executor(
    pool: ProcessPoolExecutor, invoke: Callable[[list[str]], object], store: Path
) -> Callable[[list[str], Path], Awaitable[CommandOutcome]]:
    import asyncio
    from concurrent.futures.process import BrokenProcessPool

    from seccli.bus.worker import CommandOutcome

    async def execute(args: list[str], workdir: Path) -> CommandOutcome:
        loop = asyncio.get_running_loop()
        try:
            code, out, err = await loop.run_in_executor(
                pool, run_captured, invoke, ["--store", str(store), *args], str(workdir)
            )
        except BrokenProcessPool:
            return CommandOutcome(3, "", "error: the job's process died")
        return CommandOutcome(code, out, err)

    return execute


def run_captured(
    invoke: Callable[[list[str]], object], args: list[str], workdir: str
) -> tuple[int, str, str]:
    """Run one seccli command line with ``invoke`` (``seccli.cli.app.invoke``) in this process,
    stdout/stderr captured (in a pool process; ``invoke`` is pickled by reference)."""
    import tempfile

    from seccli.cli.toplevel import run

    previous = os.getcwd()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            os.chdir(workdir)
            code = run(invoke, args)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            os.chdir(previous)
        out.seek(0)
        err.seek(0)
        return code, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")


@jobs_app.command("status")
def status_command(
    ctx: typer.Context,
    job: str | None = typer.Argument(None, metavar="[JOB]", help="Job id (all jobs if omitted)."),
    bus: str | None = BUS_OPTION,
    output: OutputFormat = STATUS_FORMATS,
    creds: Path | None = CREDS_OPTION,
    nkey: Path | None = NKEY_OPTION,
    tls_ca: Path | None = TLS_CA_OPTION,
    tls_cert: Path | None = TLS_CERT_OPTION,
    tls_key: Path | None = TLS_KEY_OPTION,
) -> None:
    """Show a job's state (queued, running, done, dead), attempts and last error."""
    import asyncio

    from seccli.bus.select import open_bus

    config = _config(ctx, bus, creds, nkey, tls_ca, tls_cert, tls_key)

    async def work(b: Bus) -> list[Any]:
        if job is None:
            return list(await b.statuses())
        found = await b.status(job)
        return [found] if found is not None else []

    statuses = asyncio.run(_with_bus(open_bus(config), work))
    if job is not None and not statuses:
        from seccli.core.errors import InputError

        raise InputError(f"job {job} is unknown on {config.display}")
    if output is OutputFormat.JSON:
        print_json({"bus": config.display, "jobs": [s.to_json() for s in statuses]})
        return
    console = stdout_console()
    for s in statuses:
        tail = f"  {s.error}" if s.error else ""
        console.print(
            f"{s.job_id} {s.state.value} attempts={s.attempts}{tail}", markup=False, highlight=False
        )
    if not statuses:
        console.print("no jobs", markup=False, highlight=False)


@jobs_app.command("wait")
def wait_command(
    ctx: typer.Context,
    job: str = typer.Argument(..., metavar="JOB", help="Job id."),
    bus: str | None = BUS_OPTION,
    timeout: float = typer.Option(600.0, "--timeout", min=0.1, help="Seconds to wait."),
    output: OutputFormat = STATUS_FORMATS,
    creds: Path | None = CREDS_OPTION,
    nkey: Path | None = NKEY_OPTION,
    tls_ca: Path | None = TLS_CA_OPTION,
    tls_cert: Path | None = TLS_CERT_OPTION,
    tls_key: Path | None = TLS_KEY_OPTION,
) -> None:
    """Wait for a job's result; print the command's output and exit with its exit code
    (a dead-lettered job: its error and exit 3, or 2 for an input error)."""
    _wait_and_exit(_config(ctx, bus, creds, nkey, tls_ca, tls_cert, tls_key), job, timeout, output)


def _wait_and_exit(config: BusConfig, job_id: str, timeout: float, output: OutputFormat) -> None:
    import asyncio

    from seccli.bus.model import JobState
    from seccli.bus.select import open_bus
    from seccli.core.errors import DependencyError

    async def work(b: Bus) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            status = await b.status(job_id)
            if status is not None and status.state in (JobState.DONE, JobState.DEAD):
                result = await b.result(status)
                stdout = ""
                if result is not None and result.output_object:
                    stdout = (await b.get_payload(result.output_object)).decode("utf-8", "replace")
                return status, result, stdout
            if time.monotonic() >= deadline:
                return status, None, ""
            await asyncio.sleep(0.05)

    status, result, big_stdout = asyncio.run(_with_bus(open_bus(config), work))
    if result is None:
        state = status.state.value if status else "unknown"
        raise DependencyError(f"job {job_id} has no result after {timeout:g} s (state: {state})")
    if output is OutputFormat.JSON:
        payload = result.to_json()
        if big_stdout:
            payload["stdout"] = big_stdout
        print_json(payload)
    else:
        sys.stdout.write(big_stdout or result.stdout)
        sys.stdout.flush()
        if result.stderr:
            sys.stderr.write(result.stderr)
        if result.state is JobState.DEAD:
            stderr_console().print(
                f"error: job {job_id} dead-lettered after {result.attempts} "
                f"attempt(s): {result.error}",
                markup=False,
                highlight=False,
            )
    if result.state is JobState.DEAD:
        raise typer.Exit(2 if result.exit_code == 2 else int(ExitCode.DEPENDENCY))
    raise typer.Exit(result.exit_code or 0)


def audit_sync_command(
    ctx: typer.Context,
    bus: str | None = BUS_OPTION,
    output: OutputFormat = STATUS_FORMATS,
    creds: Path | None = CREDS_OPTION,
    nkey: Path | None = NKEY_OPTION,
    tls_ca: Path | None = TLS_CA_OPTION,
    tls_cert: Path | None = TLS_CERT_OPTION,
    tls_key: Path | None = TLS_KEY_OPTION,
) -> None:
    """Send audit entries not yet on the bus to the organisation's audit subject."""

    config = _config(ctx, bus, creds, nkey, tls_ca, tls_cert, tls_key)
    published, mark, total = sync_audit(ctx, config)
    if output is OutputFormat.JSON:
        print_json(
            {"bus": config.display, "published": published, "mirroredUpTo": mark, "entries": total}
        )
        return
    stdout_console().print(
        f"audit: {published} entries sent to {config.display} "
        f"(mirrored up to seq {mark} of {total})",
        markup=False,
        highlight=False,
    )


def sync_audit(
    ctx: typer.Context, config: BusConfig, connect_timeout: float | None = None
) -> tuple[int, int, int]:
    """Publish pending audit entries; (published, mark, local entries)."""
    import asyncio
    from dataclasses import replace

    from seccli.bus.audit_mirror import read_mark, sync, write_mark
    from seccli.bus.select import open_bus

    state = app_state(ctx)
    store_path = state.resolved_store_path()
    with state.open_store(create=False) as store:
        entries = store.audit_entries()
    mark = read_mark(store_path, config.display)
    if entries and mark > entries[-1].seq:
        mark = 0  # the log was replaced: send everything (the bus keeps one copy per entry)
    if connect_timeout is not None:
        config = replace(config, connect_timeout=connect_timeout)

    async def work(b: Bus) -> tuple[int, int]:
        return await sync(b, entries, mark)

    published, new_mark = asyncio.run(_with_bus(open_bus(config), work))
    write_mark(store_path, config.display, new_mark)
    return published, new_mark, len(entries)


def mirror_audit_after_command(ctx: typer.Context) -> None:
    """After a command, send its audit entries to ``SECCLI_BUS`` if one is set; an unreachable
    bus only leaves them queued (one note on stderr), never fails or blocks the command."""
    selection = os.environ.get(BUS_ENV)
    if not selection or selection.strip() == "local":
        return
    state = app_state(ctx)
    if not state.resolved_store_path().exists():
        return
    from seccli.core.errors import SeccliError

    try:
        sync_audit(ctx, _config(ctx, selection), connect_timeout=1.0)
    except SeccliError as exc:
        stderr_console().print(
            f"note: audit entries queued for the bus ({exc.message}); "
            "send them with seccli audit sync",
            markup=False,
            highlight=False,
        )


def check_audit_mirror(ctx: typer.Context, selection: str) -> MirrorCheck:
    """Compare the local chain with its copy on the bus's audit subject."""
    import asyncio

    from seccli.bus.audit_mirror import compare
    from seccli.bus.select import open_bus

    config = _config(ctx, selection)
    with app_state(ctx).open_store(create=False) as store:
        entries = store.audit_entries()

    async def work(b: Bus) -> list[AuditCopy]:
        return await b.audit_copies()

    copies = asyncio.run(_with_bus(open_bus(config), work))
    return compare(entries, copies)


def publish_metrics(ctx: typer.Context, selection: str | None, records: list[Any]) -> int:
    """Publish one security metrics record per subsidiary on
    ``org.claytom.<subsidiary>.metrics.security``; return how many were sent."""
    import asyncio

    from seccli.bus.select import open_bus

    config = _config(ctx, selection)

    async def work(b: Bus) -> int:
        for record in records:
            await b.publish_metrics(str(record["subsidiary"]), record)
        return len(records)

    return asyncio.run(_with_bus(open_bus(config), work))
