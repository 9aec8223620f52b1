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
from seccli.cli.output import OutputFormat, print_json, stdout_console
from seccli.core.errors import ExitCode, InputError

if TYPE_CHECKING:
    from seccli.core.imageref import ImageRef
    from seccli.core.redaction import Secret
    from seccli.supplychain.registry import RegistryClient

keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
verify_app = typer.Typer(help="Verify signed artifacts offline.", no_args_is_help=True)

# sign --blob reads the whole file to sign it; larger artifacts are better signed by digest.
MAX_BLOB_BYTES = 2 * 1024 * 1024 * 1024

PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the key password from the first line of stdin."
)


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
) -> None:
    """Generate an ECDSA P-256 key pair (private key PKCS#8 PEM, mode 0600; encrypted when a
    password is given)."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.supplychain.keys import generate_key_pair

    private = prefix.with_name(prefix.name + ".key")
    public = prefix.with_name(prefix.name + ".pub")
    for path in (private, public):
        if path.exists() and not force:
            raise InputError(f"{path}: already exists", hint="pass --force to overwrite")
    password = _password(password_stdin)
    private_pem, public_pem = generate_key_pair(password)
    atomic_write_bytes(private, private_pem, mode=0o600)
    atomic_write_bytes(public, public_pem)
    state = "encrypted" if password is not None else "NOT encrypted (no password given)"
    stdout_console().print(f"private key: {private} ({state})\npublic key:  {public}")


def _client_and_ref(
    image: str, insecure: list[str], docker_config: Path | None, timeout: float
) -> tuple[RegistryClient, ImageRef]:
    from seccli.core.imageref import parse_image_ref
    from seccli.supplychain.registry import RegistryClient

    try:
        ref = parse_image_ref(image)
    except ValueError as exc:
        raise InputError(f"invalid image reference: {exc}") from None
    return RegistryClient(registry_options(insecure, docker_config, timeout)), ref


def _audit(ctx: typer.Context, action: str, subject: str, payload: dict[str, str]) -> None:
    from seccli.store.interface import AuditRecord

    with app_state(ctx).open_store() as store:
        store.append_audit(AuditRecord(current_actor(), action, subject, payload))


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
) -> None:
    """Sign an image with a key (cosign's key-based format by default), or a file (--blob)."""
    from seccli.core.atomic import atomic_write_bytes
    from seccli.supplychain.keys import load_private_key
    from seccli.supplychain.signing import sign_blob, sign_image, sign_image_bundle

    private = load_private_key(key, _password(password_stdin))
    if blob is not None:
        if image is not None:
            raise InputError("give an image or --blob, not both")
        from seccli.core.documents import read_file_bytes

        data = read_file_bytes(blob, MAX_BLOB_BYTES)
        target = bundle_out or blob.with_name(blob.name + ".sigstore.json")
        atomic_write_bytes(target, sign_blob(data, private))
        _audit(ctx, "blob.sign", str(blob), {"bundle": str(target)})
        stdout_console().print(f"signed {blob} → {target}")
        return
    if image is None:
        raise InputError("give the image to sign (or --blob FILE)")
    if signature_format not in {"cosign", "bundle"}:
        raise InputError("--signature-format is cosign or bundle")
    client, ref = _client_and_ref(image, insecure, docker_config, timeout)
    with client:
        signer = sign_image if signature_format == "cosign" else sign_image_bundle
        pushed = signer(client, ref, private)
    _audit(ctx, "image.sign", f"{pushed.image}@{pushed.digest}", {"signature": pushed.where})
    stdout_console().print(f"signed {pushed.image}@{pushed.digest} → {pushed.where}")


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
) -> None:
    """Attach a key-signed in-toto attestation (DSSE in a Sigstore bundle) to an image."""
    from seccli.core.documents import load_documents, only_document
    from seccli.supplychain.dsse import predicate_type
    from seccli.supplychain.keys import load_private_key
    from seccli.supplychain.signing import attest_image

    body = only_document(load_documents(predicate, fmt="json"), str(predicate)).data
    private = load_private_key(key, _password(password_stdin))
    kind = predicate_type(predicate_kind)
    client, ref = _client_and_ref(image, insecure, docker_config, timeout)
    with client:
        pushed = attest_image(client, ref, private, body, kind)
    _audit(ctx, "image.attest", f"{pushed.image}@{pushed.digest}", {"predicateType": kind})
    stdout_console().print(f"attested {kind} for {pushed.image}@{pushed.digest} → {pushed.where}")


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
    output: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", "-f", help="table|json"),
) -> None:
    """Verify a Sigstore bundle for a file, fully offline: exit 0 verified, 1 not verified."""
    from seccli.supplychain.bundles import KeylessIdentity, verify_bundle_file
    from seccli.supplychain.keys import load_public_key_file

    keyless = any(v is not None for v in (identity, identity_regex, issuer, issuer_regex))
    if key is not None and keyless:
        raise InputError("give --key, or --identity/--issuer, not both")
    if key is None and not keyless:
        raise InputError(
            "say who must have signed: --identity and --issuer (keyless) or --key",
            hint="there is no 'any signer' mode: that would verify nothing",
        )
    if keyless and (
        (identity is None) == (identity_regex is None) or (issuer is None) == (issuer_regex is None)
    ):
        raise InputError(
            "keyless verification needs one of --identity/--identity-regex "
            "and one of --issuer/--issuer-regex"
        )
    keys = [load_public_key_file(key)] if key is not None else []
    identities = (
        [KeylessIdentity("cli", identity, identity_regex, issuer, issuer_regex)] if keyless else []
    )
    if trusted_root.startswith("sigstore:") and trusted_root not in {
        "sigstore:production",
        "sigstore:staging",
    }:
        raise InputError(f"unknown trusted root {trusted_root!r}")
    result = verify_bundle_file(
        artifact, bundle, keys=keys, identities=identities, trusted_root=trusted_root
    )
    if output is OutputFormat.JSON:
        print_json(
            {
                "artifact": artifact,
                "bundle": str(bundle),
                "verified": result.ok,
                "reason": result.reason,
                "signer": result.signer,
                "predicateType": result.statement.predicate_type if result.statement else None,
            }
        )
    else:
        status = "[green]VERIFIED[/]" if result.ok else "[bold red]NOT VERIFIED[/]"
        stdout_console().print(f"{status} {artifact}: {result.reason}")
    if not result.ok:
        raise typer.Exit(int(ExitCode.VIOLATIONS))
