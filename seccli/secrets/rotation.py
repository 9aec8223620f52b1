"""Safe two-phase rotation of the estate's Vault secrets, resumable and concurrency-safe.

KV v2 secret, per overdue secret (6 requests on the happy path):

1. read the metadata (current version *v*, rotation state in ``custom_metadata``);
2. generate the new value (declared generator), mark ``pending`` (from *v*);
3. write it as a new version with check-and-set ``cas=v`` — a JSON merge ``PATCH`` so the
   secret's other keys are kept server side, without reading them; losing the CAS means
   another writer got there first: stop, never rotate twice;
4. mark ``verifying`` (to *v+1*), run the declared verification with the new value;
5. verified: retire *v* (delete, or destroy when declared) and mark ``done``;
   failed: roll back — re-write version *v*'s data as the current version (CAS), delete the
   failed version, record when the restored value was really set, mark ``rolled-back``.

An interrupted run leaves ``pending``/``verifying`` behind; the next run resumes from it
(re-reading the already written value from Vault when needed) instead of rotating again. A
state younger than the lease belongs to a rotator that may still be running and is left alone.

Database static roles: ``rotate-role``, then the new credentials' TTL must have been renewed.
Every step is appended to the audit log, without values.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from seccli.core.clock import Clock, utc_iso
from seccli.core.errors import DependencyError, InputError
from seccli.core.redaction import DEFAULT_REDACTOR, Secret
from seccli.estate.model import Estate
from seccli.secrets.client import CasConflict, PermissionDenied, VaultApi
from seccli.secrets.generators import DEFAULT_GENERATOR, GENERATORS
from seccli.secrets.interface import Generator, Verification, Verifier
from seccli.secrets.inventory import (
    FROM_KEY,
    ID_KEY,
    STARTED_KEY,
    STATE_KEY,
    TO_KEY,
    VALUE_SINCE_KEY,
    VALUE_VERSION_KEY,
    DeclaredSecret,
    declared_secrets,
    effective_max_versions,
    parse_vault_time,
    value_since,
)
from seccli.secrets.verify import VERIFIERS
from seccli.store.interface import AuditRecord

ROTATED_AT_KEY = "seccli-rotated-at"
ERROR_KEY = "seccli-rotation-error"
DEFAULT_LEASE = timedelta(minutes=15)
TTL_TOLERANCE_S = 120
MIN_VERSIONS_FOR_ROLLBACK = 2

Checkpoint = Callable[[str, str], None]
"""Called with (phase, path) after each durable step; tests use it to crash on purpose."""


class AuditSink(Protocol):
    """Where rotation steps are recorded (the store)."""

    def append_audit(self, record: AuditRecord) -> Any:
        """Append one entry to the audit log."""
        ...

    def append_audit_many(self, records: Sequence[AuditRecord]) -> Any:
        """Append several entries in one transaction."""
        ...


@dataclass(frozen=True)
class RotationOutcome:
    """What happened to one secret (never its value)."""

    path: str
    action: str
    detail: str = ""
    from_version: int | None = None
    to_version: int | None = None

    @property
    def failed(self) -> bool:
        """True when the secret is left unrotated because something went wrong."""
        return self.action in ("rolled-back", "failed", "conflict")

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "path": self.path,
            "action": self.action,
            "detail": self.detail,
            "fromVersion": self.from_version,
            "toVersion": self.to_version,
        }


@dataclass
class RotationOptions:
    """How a rotation run behaves."""

    dry_run: bool = False
    only: tuple[str, ...] = ()
    force: bool = False
    lease: timedelta = DEFAULT_LEASE


@dataclass
class Rotator:
    """Rotates the estate's overdue secrets through ``api``, recording steps in ``audit``."""

    api: VaultApi
    audit: AuditSink
    actor: str
    clock: Clock
    generators: Mapping[str, Generator] = field(default_factory=lambda: dict(GENERATORS))
    verifiers: Mapping[str, Verifier] = field(default_factory=lambda: dict(VERIFIERS))
    checkpoint: Checkpoint | None = None
    _deferred: list[AuditRecord] = field(default_factory=list, init=False, repr=False)
    _mount_max: dict[str, int | None] = field(default_factory=dict, init=False, repr=False)

    # ----------------------------------------------------------------- entry

    def rotate_estate(
        self, estate: Estate, options: RotationOptions | None = None
    ) -> list[RotationOutcome]:
        """Rotate every overdue (or interrupted) declared secret; one outcome each."""
        opts = options or RotationOptions()
        items = select(declared_secrets(estate), opts.only)
        outcomes: list[RotationOutcome] = []
        try:
            for item in items:
                if item.ref.engine == "database":
                    outcomes.append(self.rotate_database(item, opts))
                else:
                    outcomes.append(self.rotate_kv(item, opts))
        finally:
            self._flush()  # steps deferred before a failure are still recorded
        return outcomes

    # ------------------------------------------------------------------ KV v2

    def rotate_kv(self, item: DeclaredSecret, opts: RotationOptions) -> RotationOutcome:
        """Rotate (or resume rotating) one KV v2 secret."""
        now = self.clock.now()
        metadata = self.api.kv_metadata(item.mount, item.name)
        if metadata is None or int(metadata.get("current_version") or 0) == 0:
            return RotationOutcome(item.path, "failed", "secret does not exist in Vault")
        current = int(metadata["current_version"])
        custom: dict[str, str] = dict(metadata.get("custom_metadata") or {})
        state = custom.get(STATE_KEY)
        if state in ("pending", "verifying"):
            return self._resume(item, opts, metadata, custom, now)
        since = value_since(metadata)
        if since is None:
            return RotationOutcome(
                item.path,
                "failed",
                f"the current version ({current}) is deleted or destroyed: undelete it or write "
                "a value before rotating",
                current,
            )
        overdue = (now - since) > timedelta(days=item.rotation_days)
        if not overdue and not opts.force:
            return RotationOutcome(item.path, "not-due", from_version=current)
        keep = self._max_versions(item, metadata)
        if keep is not None and keep < MIN_VERSIONS_FOR_ROLLBACK:
            return RotationOutcome(
                item.path,
                "failed",
                f"max_versions is {keep}: writing a new version would drop the previous one, "
                "leaving nothing to roll back to; raise max_versions to at least 3",
                current,
            )
        if opts.dry_run:
            return RotationOutcome(item.path, "planned", "would rotate", current, current + 1)
        value = self._generate(item)
        if isinstance(value, RotationOutcome):
            return value
        rotation_id = uuid.uuid4().hex
        self._record("vault.rotate.start", item, {"fromVersion": current, "id": rotation_id})
        self._mark(
            item,
            {
                STATE_KEY: "pending",
                FROM_KEY: str(current),
                TO_KEY: None,
                ID_KEY: rotation_id,
                STARTED_KEY: utc_iso(now),
                ERROR_KEY: None,
            },
        )
        self._checkpoint("pending", item)
        return self._write_and_verify(item, current, value, since, rotation_id)

    def _write_and_verify(
        self,
        item: DeclaredSecret,
        current: int,
        value: Secret,
        since: datetime | None,
        rotation_id: str,
    ) -> RotationOutcome:
        key = (item.ref.generator or DEFAULT_GENERATOR).key
        try:
            new_version = self.api.kv_patch(item.mount, item.name, {key: value}, cas=current)
        except CasConflict:
            return self._conflict(item, current, rotation_id)
        self._checkpoint("written", item)
        self._record(
            "vault.rotate.written", item, {"fromVersion": current, "toVersion": new_version}
        )
        self._mark(item, {STATE_KEY: "verifying", TO_KEY: str(new_version)})
        self._checkpoint("verifying", item)
        return self._verify_and_finish(item, current, new_version, value, since)

    def _verify_and_finish(
        self,
        item: DeclaredSecret,
        old: int,
        new: int,
        value: Secret,
        since: datetime | None,
    ) -> RotationOutcome:
        result = self._verify(item, value)
        destroy = item.ref.retire == "destroy"
        # Before an irreversible destroy (or a rollback) the verdict is durable at once; before a
        # (reversible) delete it is written with "done" in one transaction: 3 log writes a secret.
        self._record(
            "vault.rotate.verified" if result.ok else "vault.rotate.verify-failed",
            item,
            {"toVersion": new, "ok": result.ok, "detail": result.detail},
            defer=result.ok and not destroy,
        )
        if not result.ok:
            return self._rollback(item, old, new, since, result.detail)
        self.api.kv_retire(item.mount, item.name, [old], destroy=destroy)
        self._record(
            "vault.rotate.retired", item, {"version": old, "how": item.ref.retire}, defer=True
        )
        self._checkpoint("retired", item)
        self._mark(
            item,
            {
                STATE_KEY: "done",
                FROM_KEY: None,
                TO_KEY: None,
                ID_KEY: None,
                STARTED_KEY: None,
                VALUE_VERSION_KEY: None,
                VALUE_SINCE_KEY: None,
                ROTATED_AT_KEY: utc_iso(self.clock.now()),
            },
        )
        self._record("vault.rotate.done", item, {"fromVersion": old, "toVersion": new})
        return RotationOutcome(item.path, "rotated", result.detail, old, new)

    def _verify(self, item: DeclaredSecret, value: Secret) -> Verification:
        spec = item.ref.verify
        if spec is None:
            return Verification(True, "no verification declared")
        verifier = self.verifiers.get(spec.kind)
        if verifier is None:
            return Verification(False, f"unknown verification kind {spec.kind!r}")
        try:
            result = verifier(spec, value)
        except Exception as exc:  # noqa: BLE001 - a verifier failing must roll back, not crash
            return Verification(False, f"verification raised {type(exc).__name__}")
        return Verification(result.ok, DEFAULT_REDACTOR.redact(result.detail))

    def _rollback(
        self, item: DeclaredSecret, old: int, new: int, since: datetime | None, why: str
    ) -> RotationOutcome:
        previous = self.api.kv_read(item.mount, item.name, old)
        if previous is None:  # retired before a crash: a soft delete can be undone
            self.api.kv_undelete(item.mount, item.name, [old])
            previous = self.api.kv_read(item.mount, item.name, old)
        if previous is None:
            self._mark(item, {STATE_KEY: "failed", ERROR_KEY: "verification failed; no rollback"})
            self._record("vault.rotate.rollback-impossible", item, {"version": old})
            return RotationOutcome(
                item.path, "failed", f"{why}; previous version {old} is gone", old, new
            )
        try:
            restored = self.api.kv_write(item.mount, item.name, previous, cas=new)
        except CasConflict:
            self._record("vault.rotate.rollback-conflict", item, {"version": new})
            return RotationOutcome(
                item.path, "conflict", f"{why}; another writer changed it during rollback"
            )
        self.api.kv_retire(item.mount, item.name, [new], destroy=False)
        changes: dict[str, str | None] = {
            STATE_KEY: "rolled-back",
            VALUE_VERSION_KEY: str(restored),
            ERROR_KEY: why[:500],
            TO_KEY: None,
            ID_KEY: None,
        }
        if since is not None:
            changes[VALUE_SINCE_KEY] = utc_iso(since)
        self._mark(item, changes)
        self._record(
            "vault.rotate.rolled-back",
            item,
            {"failedVersion": new, "restoredFrom": old, "restoredAs": restored, "detail": why},
        )
        return RotationOutcome(
            item.path,
            "rolled-back",
            f"verification failed ({why}); restored version {old} as version {restored}",
            old,
            restored,
        )

    def _conflict(self, item: DeclaredSecret, current: int, rotation_id: str) -> RotationOutcome:
        self._record("vault.rotate.conflict", item, {"fromVersion": current, "id": rotation_id})
        # Clear our own pending mark, unless another rotator has already replaced it.
        metadata = self.api.kv_metadata(item.mount, item.name) or {}
        custom = metadata.get("custom_metadata") or {}
        if custom.get(ID_KEY) == rotation_id and custom.get(STATE_KEY) == "pending":
            self._mark(item, _cleared())
        return RotationOutcome(
            item.path,
            "conflict",
            f"version {current} changed underneath (check-and-set lost): another writer "
            "rotated it; not rotated twice",
            current,
        )

    def _resume(
        self,
        item: DeclaredSecret,
        opts: RotationOptions,
        metadata: dict[str, Any],
        custom: dict[str, str],
        now: datetime,
    ) -> RotationOutcome:
        state = custom.get(STATE_KEY, "")
        current = int(metadata.get("current_version") or 0)
        started = custom.get(STARTED_KEY)
        if started and now - parse_vault_time(started) < opts.lease:
            return RotationOutcome(
                item.path,
                "in-progress",
                f"another rotation ({state}, started {started}) holds the lease",
                current,
            )
        try:
            old = int(custom.get(FROM_KEY, ""))
        except ValueError:
            old = -1
        target = int(custom[TO_KEY]) if custom.get(TO_KEY, "").isdigit() else old + 1
        if opts.dry_run:
            return RotationOutcome(item.path, "planned", f"would resume ({state})", old, target)
        rotation_id = custom.get(ID_KEY) or uuid.uuid4().hex
        self._record(
            "vault.rotate.resume",
            item,
            {"state": state, "fromVersion": old, "currentVersion": current, "id": rotation_id},
        )
        since = _since_of_version(metadata, old)
        key = (item.ref.generator or DEFAULT_GENERATOR).key
        if state == "pending" and current == old:
            # The new value was never written: write one now (still CAS-protected).
            value = self._generate(item)
            if isinstance(value, RotationOutcome):
                return value
            self._mark(item, {ID_KEY: rotation_id, STARTED_KEY: utc_iso(now)})
            return self._write_and_verify(item, old, value, since, rotation_id)
        if current == target and old >= 1:
            # Written but not verified (or not marked): verify the value already in Vault.
            values = self.api.kv_read(item.mount, item.name, target)
            written = values.get(key) if values is not None else None
            if written is None:
                return self._abandon(item, state, old, current, "the new version is unreadable")
            if state == "pending":
                self._mark(item, {STATE_KEY: "verifying", TO_KEY: str(target)})
            return self._verify_and_finish(item, old, target, written, since)
        return self._abandon(item, state, old, current, f"versions moved on to {current} since")

    def _abandon(
        self, item: DeclaredSecret, state: str, old: int, current: int, why: str
    ) -> RotationOutcome:
        self._mark(item, _cleared())
        self._record(
            "vault.rotate.abandoned", item, {"state": state, "fromVersion": old, "why": why}
        )
        return RotationOutcome(
            item.path,
            "conflict",
            f"interrupted rotation from version {old} abandoned: {why}; rerun to rotate",
            old,
            current,
        )

    # -------------------------------------------------------------- database

    def rotate_database(self, item: DeclaredSecret, opts: RotationOptions) -> RotationOutcome:
        """Rotate an overdue database static role and check the new password's TTL."""
        now = self.clock.now()
        role = self.api.static_role(item.mount, item.database_role)
        if role is None:
            return RotationOutcome(item.path, "failed", "no such database static role")
        last = role.get("last_vault_rotation")
        since = parse_vault_time(str(last)) if last else None
        overdue = since is None or (now - since) > timedelta(days=item.rotation_days)
        if not overdue and not opts.force:
            return RotationOutcome(item.path, "not-due")
        if opts.dry_run:
            return RotationOutcome(item.path, "planned", "would trigger rotate-role")
        self._record("vault.rotate.start", item, {"engine": "database"})
        self.api.rotate_static_role(item.mount, item.database_role)
        self._checkpoint("written", item)
        creds, password = self.api.static_creds(item.mount, item.database_role)
        ttl = int(creds.get("ttl") or 0)
        period = int(creds.get("rotation_period") or role.get("rotation_period") or 0)
        rotated = creds.get("last_vault_rotation")
        rotated_at = parse_vault_time(str(rotated)) if rotated else None
        fresh = rotated_at is not None and (since is None or rotated_at > since)
        ttl_ok = ttl > 0 and (period == 0 or period - ttl <= TTL_TOLERANCE_S)
        if not (fresh and ttl_ok and password.reveal()):
            detail = f"rotate-role did not renew the password (ttl {ttl}s of {period}s)"
            self._record("vault.rotate.failed", item, {"ttl": ttl, "rotationPeriod": period})
            return RotationOutcome(item.path, "failed", detail)
        result = self._verify(item, password)
        if not result.ok:
            self._record("vault.rotate.verify-failed", item, {"detail": result.detail})
            return RotationOutcome(item.path, "failed", f"new password failed: {result.detail}")
        self._record("vault.rotate.done", item, {"ttl": ttl, "rotationPeriod": period})
        return RotationOutcome(item.path, "rotated", f"new password valid for {ttl}s")

    # ---------------------------------------------------------------- helpers

    def _generate(self, item: DeclaredSecret) -> Secret | RotationOutcome:
        """The new value, or a failed outcome when the generator cannot make one."""
        spec = item.ref.generator or DEFAULT_GENERATOR
        generator = self.generators.get(spec.kind)
        if generator is None:
            raise InputError(f"{item.path}: unknown generator kind {spec.kind!r}")
        try:
            return generator(spec)
        except DependencyError as exc:  # a provider hook failed: this secret only
            detail = DEFAULT_REDACTOR.redact(exc.message)
            self._record("vault.rotate.generate-failed", item, {"detail": detail})
            return RotationOutcome(item.path, "failed", f"no new value: {detail}")

    def _max_versions(self, item: DeclaredSecret, metadata: dict[str, Any]) -> int | None:
        """Versions Vault keeps for this secret; None when the mount's setting is unreadable."""
        own = int(metadata.get("max_versions") or 0)
        if own:
            return own
        if item.mount not in self._mount_max:
            try:
                config = self.api.kv_mount_config(item.mount)
            except PermissionDenied:
                self._mount_max[item.mount] = None
            else:
                self._mount_max[item.mount] = int(config.get("max_versions") or 0)
        mount_max = self._mount_max[item.mount]
        return None if mount_max is None else effective_max_versions(metadata, mount_max)

    def _mark(self, item: DeclaredSecret, changes: Mapping[str, str | None]) -> None:
        self.api.kv_patch_custom_metadata(item.mount, item.name, changes)

    def _record(
        self, action: str, item: DeclaredSecret, payload: dict[str, Any], *, defer: bool = False
    ) -> None:
        """Append a step to the audit log (deferred steps go with the next immediate one)."""
        body = {"path": item.path, **payload}
        record = AuditRecord(actor=self.actor, action=action, subject=item.path, payload=body)
        self._deferred.append(record)
        if not defer:
            self._flush()

    def _flush(self) -> None:
        records, self._deferred = self._deferred, []
        if len(records) == 1:
            self.audit.append_audit(records[0])
        elif records:
            self.audit.append_audit_many(records)

    def _checkpoint(self, phase: str, item: DeclaredSecret) -> None:
        if self.checkpoint is not None:
            self.checkpoint(phase, item.path)


def select(items: Iterable[DeclaredSecret], only: Iterable[str]) -> list[DeclaredSecret]:
    """The declared secrets named in ``only`` (all when empty); unknown names are an error."""
    chosen = list(items)
    wanted = [p.strip("/") for p in only]
    if not wanted:
        return chosen
    known = {d.path for d in chosen}
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise InputError(
            f"not declared in the estate: {', '.join(unknown)}",
            hint="--only takes secret paths as the estate declares them, e.g. kv/holding/x",
        )
    return [d for d in chosen if d.path in set(wanted)]


def _since_of_version(metadata: dict[str, Any], version: int) -> datetime | None:
    custom = metadata.get("custom_metadata") or {}
    if custom.get(VALUE_VERSION_KEY) == str(version) and custom.get(VALUE_SINCE_KEY):
        return parse_vault_time(str(custom[VALUE_SINCE_KEY]))
    entry = (metadata.get("versions") or {}).get(str(version)) or {}
    created = entry.get("created_time")
    return parse_vault_time(str(created)) if created else None


def _cleared() -> dict[str, str | None]:
    return {STATE_KEY: None, FROM_KEY: None, TO_KEY: None, ID_KEY: None, STARTED_KEY: None}


def outcome_counts(outcomes: Sequence[RotationOutcome]) -> dict[str, int]:
    """How many secrets ended in each action (``rotated``, ``not-due``, ``rolled-back``...)."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    return counts


def rotation_exit_code(outcomes: Sequence[RotationOutcome]) -> int:
    """1 when any secret was left unrotated because something went wrong, else 0."""
    return 1 if any(o.failed for o in outcomes) else 0
