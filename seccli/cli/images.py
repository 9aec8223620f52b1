"""``seccli images``: list the images manifests use, and gate them against a trust policy."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.output import print_json, require_format, stdout_console
from seccli.core.errors import ExitCode, InputError, SeccliError
from seccli.render.formats import OutputFormat

if TYPE_CHECKING:
    from seccli.supplychain.refs import FoundImage
    from seccli.supplychain.registry import RegistryOptions
    from seccli.supplychain.verify import ImageVerdict

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


def _find_per_input(
    paths: list[Path] | None, estate: Path | None
) -> tuple[list[FoundImage], list[str]]:
    """Every image of the inputs, and why each input that holds none has nothing to judge."""
    from seccli.supplychain.refs import images_in_estate, scan_inputs

    if not paths and estate is None:
        raise InputError("give files or folders to read (or --estate FILE)")
    found: list[FoundImage] = []
    empty: list[str] = []
    for item in scan_inputs(paths or [], stdin=sys.stdin.buffer):
        found.extend(item.images)
        if item.emptiness is not None:
            empty.append(item.emptiness)
    if estate is not None:
        services = images_in_estate(estate)
        found.extend(services)
        if not services:
            empty.append(f"{estate}: the estate declares no service images")
    return found, empty


def _find(paths: list[Path] | None, estate: Path | None) -> list[FoundImage]:
    from seccli.supplychain.refs import find_images, images_in_estate

    if not paths and estate is None:
        raise InputError("give files or folders to read (or --estate FILE)")
    found = find_images(paths or [], stdin=sys.stdin.buffer)
    if estate is not None:
        found.extend(images_in_estate(estate))
    return found


@app.command("list")
def list_images(
    paths: list[Path] | None = PATHS_ARGUMENT,
    estate: Path | None = ESTATE_OPTION,
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
) -> None:
    """List every image reference, normalised, with the file and line it was written on."""
    require_format(output, "images list")
    found = _find(paths, estate)
    if output is OutputFormat.JSON:
        print_json(
            {
                "images": [
                    {
                        "reference": item.text,
                        "normalised": str(item.ref) if item.ref else None,
                        "pinned": bool(item.ref and item.ref.pinned),
                        "error": item.error,
                        "source": item.source_kind,
                        "file": item.location.file,
                        "line": item.location.line,
                        "path": item.location.path,
                    }
                    for item in found
                ]
            }
        )
        return
    from rich.markup import escape

    console = stdout_console()
    for item in found:
        if item.ref is None:
            text = f"[bold red]{escape(item.text)}[/] (invalid: {escape(item.error or '')})"
        else:
            text = escape(str(item.ref)) + ("" if item.ref.pinned else " [yellow](not pinned)[/]")
        console.print(f"{text}  [dim]{escape(str(item.location))}[/]")
    console.print(f"{len(found)} reference(s), {len({i.normalised for i in found})} distinct")


@app.command("verify")
def verify_images(
    ctx: typer.Context,
    paths: list[Path] | None = PATHS_ARGUMENT,
    estate: Path | None = ESTATE_OPTION,
    policy: Path = typer.Option(..., "--policy", "-p", help="TrustPolicy document."),
    output: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", "-f", help="table|json|sarif"
    ),
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
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Exit 0 when an input holds no image (default: exit 2, nothing to judge).",
    ),
) -> None:
    """Verify every image against the trust policy: exit 1 if any is blocked, 3 if a registry
    failed or timed out (still blocked) or the policy is broken, 2 if an input holds no image."""
    from seccli.store.interface import AuditRecord
    from seccli.supplychain.cache import CacheKeyError, SqliteCache, open_cache_key
    from seccli.supplychain.policy import load_trust_policy
    from seccli.supplychain.registry import RegistryClient
    from seccli.supplychain.verify import Gate, Verdict, summarise

    try:
        trust = load_trust_policy(policy)
    except SeccliError as exc:
        exc.exit_code = ExitCode.DEPENDENCY  # a broken policy: the gate cannot decide
        raise
    found, empty = _find_per_input(paths, estate)
    if empty and not allow_empty:
        raise InputError(
            "nothing to verify: " + "; ".join(empty),
            hint="pass --allow-empty if an input without images is expected",
        )
    notes = [f"{reason} (allowed by --allow-empty)" for reason in empty]
    options = registry_options(insecure, docker_config, timeout)
    state = app_state(ctx)
    with state.open_store() as store, RegistryClient(options) as client:
        cache = None
        if not no_cache:
            try:
                cache = SqliteCache(store.path, open_cache_key(cache_key_path()))
            except CacheKeyError as exc:
                notes.append(f"verification cache not used: {exc}")
        run_id = store.start_run("images verify", current_actor(), {"policy": str(policy)})
        gate = Gate(
            trust,
            client,
            cache=cache,
            require_digest=require_digest,
            workers=workers,
            image_timeout=image_timeout,
            max_platforms=max_platforms,
        )
        verdicts = gate.verify_found(found)
        counts = summarise(verdicts)
        blocked = counts[Verdict.BLOCK.value] > 0
        failed = any(v.dependency_failure and v.verdict is Verdict.BLOCK for v in verdicts)
        store.append_audit(
            AuditRecord(
                actor=current_actor(),
                action="images.verify",
                subject=str(policy),
                payload={
                    "policy": trust.name,
                    "policyDigest": trust.digest,
                    "counts": counts,
                    "notes": notes + [n for v in verdicts for n in v.notes],
                    "images": [
                        {
                            "reference": v.reference,
                            "digest": v.digest,
                            "verdict": v.verdict.value,
                            "reasons": list(v.reasons)[:10],
                            "signers": list(v.signers),
                            "attestations": list(v.attestations),
                        }
                        for v in verdicts
                    ],
                },
            )
        )
        exit_code = (
            ExitCode.DEPENDENCY if failed else ExitCode.VIOLATIONS if blocked else ExitCode.OK
        )
        store.finish_run(run_id, "blocked" if blocked else "ok", int(exit_code), counts)
        if cache is not None:
            cache.close()
    _render(verdicts, output, trust.name, trust.digest, counts, notes)
    if exit_code is not ExitCode.OK:
        raise typer.Exit(int(exit_code))


def _render(
    verdicts: list[ImageVerdict],
    output: OutputFormat,
    policy_name: str,
    policy_digest: str,
    counts: dict[str, int],
    notes: list[str],
) -> None:
    if output is OutputFormat.JSON:
        print_json(
            {
                "policy": {"name": policy_name, "digest": policy_digest},
                "summary": counts,
                "notes": notes,
                "images": [v.to_json() for v in verdicts],
            }
        )
        return
    image_notes = [n for v in verdicts for n in v.notes] if output is OutputFormat.SARIF else []
    for note in notes + image_notes:  # a table shows each image's notes under it
        sys.stderr.write(f"warning: {note}\n")
    if output is OutputFormat.SARIF:
        import json

        sys.stdout.write(json.dumps(sarif_report(verdicts), indent=2, sort_keys=True) + "\n")
        return
    if output is not OutputFormat.TABLE:
        raise InputError(
            f"images verify supports --format table, json or sarif, not {output.value}"
        )
    from rich.markup import escape

    styles = {"pass": "green", "warn": "yellow", "block": "bold red"}
    console = stdout_console()
    for item in verdicts:
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
            shown = ", ".join(str(loc) for loc in item.locations[:3])
            more = f" (+{len(item.locations) - 3} more)" if len(item.locations) > 3 else ""
            console.print(f"      [dim]in {escape(shown)}{more}[/]")
    console.print(
        f"{len(verdicts)} image(s): {counts['pass']} pass, {counts['warn']} warn, "
        f"{counts['block']} blocked (policy {policy_name})"
    )
    if not verdicts:
        console.print("[yellow]nothing was verified; exit 0 only because of --allow-empty[/]")


_SARIF_RULES = {
    "block": ("SC001", "Image blocked by the trust policy", "error"),
    "warn": ("SC002", "Image fails the trust policy (warn mode)", "warning"),
}


def sarif_report(verdicts: list[ImageVerdict]) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one result per location of each blocked or warned image."""
    from seccli import __version__

    results: list[dict[str, Any]] = []
    for item in verdicts:
        if item.verdict.value == "pass":
            continue
        rule_id, _, level = _SARIF_RULES[item.verdict.value]
        locations = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": loc.file},
                    "region": {"startLine": loc.line or 1},
                }
            }
            for loc in item.locations
        ]
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "level": level,
            "message": {"text": f"{item.reference}: " + "; ".join(item.reasons)},
            "properties": {"digest": item.digest, "verdict": item.verdict.value},
        }
        if locations:
            result["locations"] = locations
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "seccli-images",
                        "version": __version__,
                        "rules": [
                            {
                                "id": rule_id,
                                "shortDescription": {"text": text},
                                "defaultConfiguration": {"level": level},
                            }
                            for rule_id, text, level in _SARIF_RULES.values()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
