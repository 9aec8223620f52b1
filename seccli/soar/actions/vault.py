"""Vault actions through ``seccli.secrets``: rotate a KV v2 secret or revoke its current version.

Both are two-phase. Rotate writes a new random value with check-and-set against the version it
read, then reads it back and compares digests before reporting success. Revoke marks the
secret's custom metadata with the run first, then deletes (or destroys) the version it marked.
Values are ``Secret`` objects: outputs carry versions and digests' absence, never a value.
"""

from __future__ import annotations

import hmac
import secrets as random_source
from typing import TYPE_CHECKING, Any

from pydantic import Field

from seccli.core.errors import SeccliError
from seccli.core.redaction import Secret
from seccli.soar.interface import Action, ActionArgs, ActionContext, ActionFailed, SoarConfig

if TYPE_CHECKING:
    from seccli.secrets.client import VaultApi

KV_PATH = r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"


class VaultArgs(ActionArgs):
    path: str = Field(pattern=KV_PATH)
    """The secret's path with its mount first, e.g. ``kv/holding/api-gateway``."""


def _split(path: str) -> tuple[str, str]:
    mount, _, rest = path.partition("/")
    if not rest:
        raise ActionFailed(f"{path}: expected MOUNT/PATH", kind="config")
    return mount, rest


def _api(ctx: ActionContext) -> VaultApi:
    if ctx.config.vault is None:
        raise ActionFailed("Vault is not configured (VAULT_ADDR/VAULT_TOKEN)", kind="config")
    try:
        return ctx.config.vault()
    except SeccliError as exc:
        raise ActionFailed(f"Vault: {exc.message}", kind="unreachable") from None


def _current_version(api: VaultApi, mount: str, path: str) -> int:
    metadata = api.kv_metadata(mount, path)
    if metadata is None:
        raise ActionFailed(f"{mount}/{path}: no such secret", kind="not-found")
    return int(metadata.get("current_version") or 0)


def _estate_secret(config: SoarConfig, path: str) -> list[str]:
    if config.estate is None or "${" in path:
        return []
    declared = {s.path for service in config.estate.services for s in service.secrets}
    return [] if path in declared else [f"secret {path!r} is not declared in the estate"]


class RotateArgs(VaultArgs):
    key: str = Field(default="value", pattern=r"^[A-Za-z0-9._-]+$")
    """The key inside the secret that gets a new random value."""
    length: int = Field(default=32, ge=16, le=256)


class RotateAction(Action[RotateArgs]):
    name = "vault.rotate"
    summary = "write a new random value (check-and-set), read it back, compare"
    args_model = RotateArgs

    def describe(self, args: RotateArgs, config: SoarConfig) -> str:
        return f"rotate key {args.key} of Vault secret {args.path} (CAS write, read-back check)"

    def check(self, args: RotateArgs, config: SoarConfig) -> list[str]:
        return _estate_secret(config, args.path)

    def execute(self, args: RotateArgs, ctx: ActionContext) -> dict[str, Any]:
        mount, path = _split(args.path)
        try:
            api = _api(ctx)
            before = _current_version(api, mount, path)
            value = Secret(random_source.token_urlsafe(args.length)[: args.length])
            version = api.kv_patch(mount, path, {args.key: value}, cas=before)
            written = api.kv_read(mount, path, version)
            stored = written.get(args.key) if written is not None else None
            if stored is None or not hmac.compare_digest(stored.reveal(), value.reveal()):
                raise ActionFailed(f"{args.path}: the new version does not read back as written")
        except ActionFailed:
            raise
        except SeccliError as exc:
            raise ActionFailed(f"Vault: {exc.message}", kind="vault") from None
        return {"path": args.path, "previousVersion": before, "version": version}


class RevokeArgs(VaultArgs):
    destroy: bool = False
    """Destroy the version's data for good instead of a (recoverable) delete."""


class RevokeAction(Action[RevokeArgs]):
    name = "vault.revoke"
    summary = "mark the current version with the run, then delete or destroy it"
    args_model = RevokeArgs

    def describe(self, args: RevokeArgs, config: SoarConfig) -> str:
        how = "destroy" if args.destroy else "delete"
        return f"{how} the current version of Vault secret {args.path}"

    def check(self, args: RevokeArgs, config: SoarConfig) -> list[str]:
        return _estate_secret(config, args.path)

    def execute(self, args: RevokeArgs, ctx: ActionContext) -> dict[str, Any]:
        mount, path = _split(args.path)
        try:
            api = _api(ctx)
            version = _current_version(api, mount, path)
            api.kv_patch_custom_metadata(
                mount, path, {"seccli-revoked-by": ctx.run_id, "seccli-revoked": str(version)}
            )
            api.kv_retire(mount, path, [version], destroy=args.destroy)
        except ActionFailed:
            raise
        except SeccliError as exc:
            raise ActionFailed(f"Vault: {exc.message}", kind="vault") from None
        return {"path": args.path, "version": version, "destroyed": args.destroy}
