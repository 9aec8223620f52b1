"""``seccli keys generate``, ``seccli sign``, ``seccli attest`` and ``seccli verify blob``.

Key passwords come from ``SECCLI_KEY_PASSWORD`` or ``--password-stdin``; they are never shown.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from seccli.cli.context import app_state, current_actor
from seccli.cli.images import (
    DOCKER_CONFIG_OPTION,
    INSECURE_OPTION,
    TIMEOUT_OPTION,
    registry_options,
)
from seccli.cli.output import OutputFormat, format_option, print_json, stdout_console
from seccli.core.errors import ExitCode, InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from seccli.core.redaction import Secret
    from seccli.supplychain.registry import RegistryClient
    from seccli.supplychain.sign_run import Signed

keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
verify_app = typer.Typer(help="Verify signed artifacts offline.", no_args_is_help=True)

PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the key password from the first line of stdin."
)
TABLE_JSON = format_option(OutputFormat.TABLE, OutputFormat.JSON)


def _password(from_stdin: bool) -> Secret | None:
    from seccli.core.redaction import Secret

    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        return Secret(line) if line else None
    value = os.environ.get("SECCLI_KEY_PASSWORD")
    return Secret(value) if value else None


@keys_app.command("generate")
def generate(
    prefix: Path = typer.Option(
        Path("cosign"), "--output-key-prefix", help="Writes PREFIX.key and PREFIX.pub."
    ),
    password_stdin: bool = PASSWORD_STDIN,
    force: bool = typer.Option(False, "--force", help="Overwrite existing key files."),
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Generate an ECDSA P-256 key pair (private key PKCS#8 PEM, mode 0600; encrypted when a
    password is given)."""
    from seccli.supplychain.sign_run import generate_keys

    pair = generate_keys(prefix, _password(password_stdin), force=force)
    if output is OutputFormat.JSON:
        print_json(pair.to_json())
        return
    state = "encrypted" if pair.encrypted else "NOT encrypted (no password given)"
    stdout_console().print(f"private key: {pair.private} ({state})\npublic key:  {pair.public}")


def _record(ctx: typer.Context, command: str, act: Callable[[], Signed]) -> Signed:
    """Run a signing action inside a recorded run (its audit action is the result's)."""
    from seccli.store.runs import recorded_run

    store = app_state(ctx).open_store()
    with store, recorded_run(store, command, current_actor(), command) as run:
        signed = act()
        run.subject = signed.subject
        run.action = signed.action
        run.finish(ExitCode.OK, summary={"where": signed.where}, audit=signed.audit_payload())
    return signed


def _show(signed: Signed, output: OutputFormat, text: str) -> None:
    if output is OutputFormat.JSON:
        print_json(signed.to_json())
    else:
        stdout_console().print(text, markup=False)


def _client(insecure: list[str], docker_config: Path | None, timeout: float) -> RegistryClient:
    from seccli.supplychain.registry import RegistryClient

    return RegistryClient(registry_options(insecure, docker_config, timeout))


def sign_command(
    ctx: typer.Context,
    image: str | None = typer.Argument(None, help="Image to sign (omit with --blob)."),
    key: Path = typer.Option(..., "--key", help="Private key (PEM)."),
    signature_format: str = typer.Option(
        "cosign",
        "--signature-format",
        help="cosign (simple signing at sha256-<hex>.sig) or bundle "
        "(Sigstore bundle attached as a referrer).",
    ),
    blob: Path | None = typer.Option(None, "--blob", help="Sign a file instead of an image."),
    bundle_out: Path | None = typer.Option(
        None,
        "--bundle",
        help="With --blob: where to write the bundle (default FILE.sigstore.json).",
    ),
    password_stdin: bool = PASSWORD_STDIN,
    insecure: list[str] = INSECURE_OPTION,
    docker_config: Path | None = DOCKER_CONFIG_OPTION,
    timeout: float = TIMEOUT_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Sign an image with a key (cosign's key-based format by default), or a file (--blob)."""
    from seccli.supplychain.keys import load_private_key
    from seccli.supplychain.sign_run import parse_reference, sign_blob_file, sign_image_ref

    private = load_private_key(key, _password(password_stdin))
    if blob is not None:
        if image is not None:
            raise InputError("give an image or --blob, not both")
        signed = _record(ctx, "sign", lambda: sign_blob_file(blob, private, bundle_out))
        _show(signed, output, f"signed {blob} → {signed.where}")
        return
    if image is None:
        raise InputError("give the image to sign (or --blob FILE)")
    ref = parse_reference(image)

    def sign() -> Signed:
        with _client(insecure, docker_config, timeout) as client:
            return sign_image_ref(client, ref, private, signature_format)

    signed = _record(ctx, "sign", sign)
    _show(signed, output, f"signed {signed.subject} → {signed.where}")


def attest_command(
    ctx: typer.Context,
    image: str = typer.Argument(..., help="Image the attestation is about."),
    key: Path = typer.Option(..., "--key", help="Private key (PEM)."),
    predicate: Path = typer.Option(..., "--predicate", help="Predicate JSON (e.g. an SBOM)."),
    predicate_kind: str = typer.Option(
        "custom",
        "--type",
        help="Predicate type URI or alias: slsaprovenance, slsaprovenance1, cyclonedx, spdx, "
        "vuln, custom.",
    ),
    password_stdin: bool = PASSWORD_STDIN,
    insecure: list[str] = INSECURE_OPTION,
    docker_config: Path | None = DOCKER_CONFIG_OPTION,
    timeout: float = TIMEOUT_OPTION,
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Attach a key-signed in-toto attestation (DSSE in a Sigstore bundle) to an image."""
    from seccli.supplychain.dsse import predicate_type
    from seccli.supplychain.keys import load_private_key
    from seccli.supplychain.sign_run import attest_image_ref, load_predicate, parse_reference

    body = load_predicate(predicate)
    private = load_private_key(key, _password(password_stdin))
    predicate_type(predicate_kind)  # an unknown alias is refused before the registry is reached
    ref = parse_reference(image)

    def attest() -> Signed:
        with _client(insecure, docker_config, timeout) as client:
            return attest_image_ref(client, ref, private, body, predicate_kind)

    signed = _record(ctx, "attest", attest)
    _show(
        signed,
        output,
        f"attested {signed.predicate_type} for {signed.subject} → {signed.where}",
    )


@verify_app.command("blob")
def verify_blob(
    artifact: str = typer.Argument(..., help="The file, or its digest as sha256:<hex>."),
    bundle: Path = typer.Option(..., "--bundle", help="Sigstore bundle (v0.1–v0.3)."),
    identity: str | None = typer.Option(None, "--identity", help="Certificate identity (exact)."),
    identity_regex: str | None = typer.Option(None, "--identity-regex", help="Identity regex."),
    issuer: str | None = typer.Option(None, "--issuer", help="OIDC issuer URL (exact)."),
    issuer_regex: str | None = typer.Option(None, "--issuer-regex", help="OIDC issuer regex."),
    key: Path | None = typer.Option(None, "--key", help="Public key for key-based bundles."),
    trusted_root: str = typer.Option(
        "sigstore:production",
        "--trusted-root",
        help="trusted_root.json, or sigstore:production / sigstore:staging (embedded).",
    ),
    output: OutputFormat = TABLE_JSON,
) -> None:
    """Verify a Sigstore bundle for a file, offline (no network: the trusted root is a file or
    embedded): exit 0 verified, 1 not verified."""
    from seccli.supplychain.sign_run import SignerRequirement
    from seccli.supplychain.sign_run import verify_blob as check_blob

    signer = SignerRequirement(key, identity, identity_regex, issuer, issuer_regex)
    checked = check_blob(artifact, bundle, signer, trusted_root)
    if output is OutputFormat.JSON:
        print_json(checked.to_json())
    else:
        status = "[green]VERIFIED[/]" if checked.result.ok else "[bold red]NOT VERIFIED[/]"
        stdout_console().print(f"{status} {artifact}: {checked.result.reason}")
    if not checked.result.ok:
        raise typer.Exit(int(ExitCode.VIOLATIONS))
