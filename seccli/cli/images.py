"""``seccli images``: list the images manifests use, and gate them against a trust policy."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.cli.walking import (
    EXCLUDE_OPTION,
    HELM_OPTION,
    NO_IGNORE_OPTION,
    VERBOSE_OPTION,
    report_skipped,
)
from seccli.core.errors import ExitCode

if TYPE_CHECKING:
    from seccli.supplychain.gate_run import GateRun
    from seccli.supplychain.registry import RegistryOptions

app = typer.Typer(
    help="List the container images of manifests, Dockerfiles and kustomizations, and verify "
    "their signatures and attestations against a trust policy.",
    no_args_is_help=True,
)

PATHS_ARGUMENT = typer.Argument(
    None,
    help="Files or folders (manifests, Dockerfiles, kustomizations); '-' reads YAML on stdin.",
    show_default=False,
)
ESTATE_OPTION = typer.Option(
    None, "--estate", help="Also every service image declared in this estate file."
)
INSECURE_OPTION = typer.Option(
    [],
    "--insecure-registry",
    help="Registry (host:port) to reach over plain HTTP, e.g. a localhost registry. Repeatable.",
)
DOCKER_CONFIG_OPTION = typer.Option(
    None,
    "--docker-config",
    help="Docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json "
    "or ~/.docker/config.json).",
    show_default=False,
)
TIMEOUT_OPTION = typer.Option(
    10.0,
    "--timeout",
    min=0.1,
    help="Deadline for each registry request, seconds, the whole answer included.",
)
CACHE_KEY_ENV = "SECCLI_CACHE_KEY"


def registry_options(
    insecure: list[str], docker_config: Path | None, timeout: float, retries: int = 2
) -> RegistryOptions:
    """Registry client options from the command line and the Docker config."""
    from seccli.supplychain.registry import RegistryOptions, load_docker_config

    if docker_config is None:
        base = os.environ.get("DOCKER_CONFIG")
        docker_config = (Path(base) if base else Path.home() / ".docker") / "config.json"
    credentials = load_docker_config(docker_config)
    return RegistryOptions(
        timeout=timeout,
        retries=retries,
        insecure=frozenset(insecure),
        credentials=credentials,
    )


def cache_key_path() -> Path:
    """Where the verification cache's HMAC key lives: ``$SECCLI_CACHE_KEY``, else the user's
    config folder (``$XDG_CONFIG_HOME/seccli`` or ``~/.config/seccli``), never the folder of the
    state database, which CI jobs often share as a cache."""
    from seccli.supplychain.cache import KEY_FILE_NAME

    explicit = os.environ.get(CACHE_KEY_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "seccli" / KEY_FILE_NAME


LIST_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON)
VERIFY_FORMATS = format_option(OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.SARIF)


@app.command("list")
def list_images(
    paths: list[Path] | None = PATHS_ARGUMENT,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = LIST_FORMATS,
    exclude: list[str] = EXCLUDE_OPTION,
    helm: bool = HELM_OPTION,
    no_ignore: bool = NO_IGNORE_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """List every image reference, normalised, with the file and line it was written on.

    In folders, files that are not manifests (Helm templates, JSON with comments) are skipped
    with a note; a file named explicitly must parse."""
    from seccli.cli.walking import walk_options
    from seccli.supplychain.gate_run import list_images as find_listing

    options = walk_options(exclude, helm, no_ignore)
    listing = find_listing(paths or [], estate, stdin=sys.stdin.buffer, options=options)
    report_skipped(listing.skipped, verbose)
    if output is OutputFormat.JSON:
        print_json(listing.to_json())
        return
    from rich.markup import escape

    console = stdout_console()
    for item in listing.images:
        if item.ref is None:
            text = f"[bold red]{escape(item.text)}[/] (invalid: {escape(item.error or '')})"
        else:
            text = escape(str(item.ref)) + ("" if item.ref.pinned else " [yellow](not pinned)[/]")
        console.print(f"{text}  [dim]{escape(str(item.location))}[/]")
    console.print(f"{len(listing.images)} reference(s), {listing.distinct} distinct")


@app.command("verify")
def verify_images(
    ctx: typer.Context,
    paths: list[Path] | None = PATHS_ARGUMENT,
    estate: Path | None = ESTATE_OPTION,
    policy: Path = typer.Option(..., "--policy", "-p", help="TrustPolicy document."),
    output: OutputFormat = VERIFY_FORMATS,
    require_digest: bool = typer.Option(
        False, "--require-digest", help="Block references that are not pinned by digest."
    ),
    insecure: list[str] = INSECURE_OPTION,
    docker_config: Path | None = DOCKER_CONFIG_OPTION,
    timeout: float = TIMEOUT_OPTION,
    workers: int = typer.Option(16, "--workers", min=1, max=128, help="Parallel verifications."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not fill the cache."),
    image_timeout: float = typer.Option(
        60.0,
        "--image-timeout",
        min=0.1,
        help="Overall deadline for each image, seconds (all its requests); past it: blocked.",
    ),
    max_platforms: int = typer.Option(
        64,
        "--max-platforms",
        min=1,
        help="Block an index that lists more platform manifests than this.",
    ),
    oci_layout: Path | None = typer.Option(
        None,
        "--oci-layout",
        metavar="DIR",
        help="Read images from this OCI image layout, not registries (offline, like cosign "
        "--local-image); an input oci:DIR also verifies every image the layout names.",
    ),
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Exit 0 when an input holds no image (default: exit 2, nothing to judge).",
    ),
    exclude: list[str] = EXCLUDE_OPTION,
    helm: bool = HELM_OPTION,
    no_ignore: bool = NO_IGNORE_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Verify every image against the trust policy: exit 1 if any is blocked, 3 if a registry
    failed or timed out (still blocked) or the policy is broken, 2 if an input holds no image."""
    from seccli.cli.walking import walk_options
    from seccli.store.runs import recorded_run
    from seccli.supplychain.gate_run import (
        GateInputs,
        GateSettings,
        gate_inputs,
        load_gate_policy,
        open_gate_cache,
        run_gate,
    )
    from seccli.supplychain.oci_layout import OciLayoutClient, layout_images, split_layout_inputs
    from seccli.supplychain.registry import RegistryClient

    trust = load_gate_policy(policy)
    files, layout_input = split_layout_inputs(list(paths or []))
    layout = oci_layout or layout_input
    inputs = (
        gate_inputs(
            files,
            estate,
            stdin=sys.stdin.buffer,
            allow_empty=allow_empty,
            options=walk_options(exclude, helm, no_ignore),
        )
        if files or estate or layout_input is None
        else GateInputs([])
    )
    report_skipped(inputs.skipped, verbose)
    if layout_input is not None:
        inputs.images.extend(layout_images(layout_input, allow_empty=allow_empty))
    settings = GateSettings(require_digest, workers, image_timeout, max_platforms)
    options = registry_options(insecure, docker_config, timeout)
    store = app_state(ctx).open_store()
    subject = str(policy)
    recording = recorded_run(
        store, "images verify", current_actor(), subject, summary={"policy": subject}
    )
    client = OciLayoutClient(layout) if layout else RegistryClient(options)
    with store, recording as run, client:
        cache, cache_note = (
            (None, None) if no_cache else open_gate_cache(store.path, cache_key_path())
        )
        notes = [cache_note] if cache_note else []
        try:
            result = run_gate(trust, inputs, client, cache=cache, settings=settings, notes=notes)
        finally:
            if cache is not None:
                cache.close()
        run.finish(result.exit_code, summary=result.counts, audit=result.audit_payload())
    _render(result, output)
    if result.exit_code is not ExitCode.OK:
        raise typer.Exit(int(result.exit_code))


def _render(result: GateRun, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        print_json(result.to_json())
        return
    shown = result.all_notes if output is OutputFormat.SARIF else result.notes
    for note in shown:  # a table shows each image's notes under it
        sys.stderr.write(f"warning: {note}\n")
    if output is OutputFormat.SARIF:
        from seccli.render.interface import render_findings

        # Relative file names in the verdicts are relative to the working directory.
        sys.stdout.write(render_findings(output, result.findings_report(Path.cwd())))
        return
    from rich.markup import escape

    styles = {"pass": "green", "warn": "yellow", "block": "bold red"}
    console = stdout_console()
    for item in result.verdicts:
        verdict = item.verdict.value
        where = f" @ {item.digest}" if item.digest and not item.pinned else ""
        console.print(
            f"[{styles[verdict]}]{verdict.upper():5}[/] {escape(item.reference)}{where}"
            + (" (cached)" if item.cached else "")
        )
        for reason in item.reasons:
            console.print(f"      {escape(reason)}")
        for note in item.notes:
            console.print(f"      [yellow]warning: {escape(note)}[/]")
        if item.locations:
            shown_locations = ", ".join(str(loc) for loc in item.locations[:3])
            more = f" (+{len(item.locations) - 3} more)" if len(item.locations) > 3 else ""
            console.print(f"      [dim]in {escape(shown_locations)}{more}[/]")
    counts = result.counts
    console.print(
        f"{len(result.verdicts)} image(s): {counts['pass']} pass, {counts['warn']} warn, "
        f"{counts['block']} blocked (policy {result.policy.name})"
    )
    if not result.verdicts:
        console.print("[yellow]nothing was verified; exit 0 only because of --allow-empty[/]")
