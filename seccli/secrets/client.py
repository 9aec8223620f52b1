"""A thin, fail-closed layer over ``hvac``: connection settings, errors, and the calls we use.

Connection settings are given by the caller (the CLI reads ``VAULT_ADDR``, ``VAULT_TOKEN``...);
nothing here reads the environment. Every failure becomes a ``DependencyError`` (exit 3) with
a clear message — unreachable, sealed, permission denied — whose text went through the
redactor; values read from Vault are returned wrapped in ``Secret``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from seccli.core.errors import DependencyError
from seccli.core.redaction import DEFAULT_REDACTOR, Secret
from seccli.core.urls import redact_url, redact_urls

if TYPE_CHECKING:
    import hvac

T = TypeVar("T")

CAS_MISMATCH = "check-and-set parameter did not match the current version"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


@dataclass(frozen=True)
class VaultSettings:
    """How to reach and authenticate to Vault (as Vault's own CLI is configured)."""

    address: str
    token: Secret | None = None
    namespace: str | None = None
    ca_cert: str | None = None
    ca_path: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    skip_verify: bool = False
    timeout: float = 30.0
    kubernetes_role: str | None = None
    kubernetes_jwt: Secret | None = None
    kubernetes_mount: str = "kubernetes"


class CasConflict(DependencyError):  # noqa: N818 - an expected outcome callers handle
    """A check-and-set write lost against another writer."""

    def __init__(self, what: str) -> None:
        super().__init__(f"check-and-set lost on {what}: another writer changed it first")


class PermissionDenied(DependencyError):
    """Vault answered 403: the token's policies do not allow the request."""


class NotFound(DependencyError):  # noqa: N818 - an expected outcome callers handle
    """The path does not exist (HTTP 404)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"Vault has nothing at {what} (404)")


class SecretData:
    """A KV version's data (any JSON values) that never shows itself; ``reveal()`` to use it.

    Values are not registered with the redactor wholesale (a username such as a service's
    name would then be blanked out of every path in the output); a value taken out with
    ``get`` becomes a ``Secret`` and is registered then. ``reveal`` is only for request bodies.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = json.loads(json.dumps(dict(data)))

    def reveal(self) -> dict[str, Any]:
        """A copy of the data itself. Pass it only to the place that needs it."""
        copy: dict[str, Any] = json.loads(json.dumps(self._data))
        return copy

    def get(self, key: str) -> Secret | None:
        """One key's value as a ``Secret`` (JSON text when not a string), or None."""
        if key not in self._data:
            return None
        value = self._data[key]
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        return Secret(text, redactor=DEFAULT_REDACTOR)

    def keys(self) -> list[str]:
        """The keys (names are not secret)."""
        return sorted(self._data)

    def __repr__(self) -> str:
        return f"SecretData(keys={self.keys()!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretData) and other._data == self._data

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("SecretData cannot be pickled")


class VaultApi:
    """The Vault calls seccli makes, through one authenticated ``hvac.Client``."""

    def __init__(
        self, client: hvac.Client, address: str, settings: VaultSettings | None = None
    ) -> None:
        self.client = client
        self.address = address
        # What messages show: the address without credentials in its userinfo or query.
        self.shown_address = redact_url(address)
        self._settings = settings

    def clone(self) -> VaultApi:
        """Another client with the same address, TLS settings and token (one per thread)."""
        settings = self._settings or VaultSettings(address=self.address)
        token = self.client.token
        copy = _client(settings, Secret(token, redactor=DEFAULT_REDACTOR) if token else None)
        return VaultApi(copy, self.address, settings)

    # ------------------------------------------------------------- plumbing

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one hvac call, translating every failure into a seccli error."""
        import hvac.exceptions as hx
        import requests

        try:
            return fn()
        except hx.InvalidPath:
            raise NotFound(what) from None
        except hx.InvalidRequest as exc:
            if CAS_MISMATCH in " ".join(exc.errors or []):
                raise CasConflict(what) from None
            raise _failure(f"Vault rejected {what}", exc) from None
        except hx.Forbidden:
            raise PermissionDenied(
                f"Vault denied {what}: permission denied",
                hint="the token's policies do not grant this path; check VAULT_TOKEN or the "
                "Kubernetes auth role",
            ) from None
        except hx.Unauthorized as exc:
            raise _failure(f"Vault refused the credentials for {what}", exc) from None
        except hx.VaultDown:
            raise DependencyError(
                f"Vault at {self.shown_address} is sealed or unavailable ({what})",
                hint="unseal Vault (vault operator unseal) or wait for it to become active",
            ) from None
        except hx.VaultError as exc:
            raise _failure(f"Vault failed {what}", exc) from None
        except requests.exceptions.SSLError:
            raise DependencyError(
                f"TLS verification failed talking to Vault at {self.shown_address}",
                hint="set VAULT_CACERT/VAULT_CAPATH to the CA that signed Vault's certificate",
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
            raise DependencyError(
                f"Vault is unreachable at {self.shown_address} ({what})",
                hint="check VAULT_ADDR and that Vault is running",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise DependencyError(
                f"cannot talk to Vault at {self.shown_address}: {type(exc).__name__}",
                hint="check VAULT_ADDR (scheme, host and port)",
            ) from None
        except OSError as exc:  # e.g. VAULT_CACERT names a missing file
            raise DependencyError(
                f"cannot set up the connection to Vault at {self.shown_address}: "
                f"{redact_urls(DEFAULT_REDACTOR.redact(str(exc)))}",
                hint="check VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_CERT and VAULT_CLIENT_KEY",
            ) from None

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """A raw request through hvac's adapter; the JSON body, or None for 204."""

        def send() -> dict[str, Any] | None:
            kwargs: dict[str, Any] = {}
            if json is not None:
                kwargs["json"] = dict(json)
            if params is not None:
                kwargs["params"] = dict(params)
            response = self.client.adapter.request(
                method, f"/v1/{path}", headers=dict(headers or {}), **kwargs
            )
            if isinstance(response, dict):
                return response
            if getattr(response, "status_code", 204) == 204 or not response.content:
                return None
            body = response.json()
            return body if isinstance(body, dict) else None

        return self.call(f"{method} {path}", send)

    # ---------------------------------------------------------------- health

    def seal_status(self) -> dict[str, Any]:
        """``sys/seal-status`` (answers even when sealed)."""
        return self.request("GET", "sys/seal-status") or {}

    def ensure_unsealed(self) -> None:
        """Raise a clear ``DependencyError`` when Vault is sealed."""
        if self.seal_status().get("sealed"):
            raise DependencyError(
                f"Vault at {self.shown_address} is sealed",
                hint="unseal Vault (vault operator unseal) before running seccli vault",
            )

    # ------------------------------------------------------------------ KV v2

    def kv_metadata(self, mount: str, path: str) -> dict[str, Any] | None:
        """A KV v2 secret's metadata (never its value), or None when absent."""
        try:
            body = self.request("GET", f"{mount}/metadata/{path}")
        except NotFound:
            return None
        return (body or {}).get("data") or None

    def kv_list(self, mount: str, prefix: str) -> list[str]:
        """Keys directly under ``prefix`` (folders end with ``/``); empty when none."""
        try:
            folder = prefix.strip("/")
            body = self.request(
                "LIST", f"{mount}/metadata/{folder}/" if folder else f"{mount}/metadata/"
            )
        except NotFound:
            return []
        keys = ((body or {}).get("data") or {}).get("keys") or []
        return [str(k) for k in keys]

    def kv_mount_config(self, mount: str) -> dict[str, Any]:
        """The mount's KV v2 configuration (``max_versions``, ``cas_required``)."""
        try:
            body = self.request("GET", f"{mount}/config")
        except NotFound:
            return {}
        return (body or {}).get("data") or {}

    def kv_read(self, mount: str, path: str, version: int) -> SecretData | None:
        """One version's data, wrapped in ``SecretData``; None when deleted or absent."""
        try:
            body = self.request("GET", f"{mount}/data/{path}", params={"version": version})
        except NotFound:
            return None
        data = ((body or {}).get("data") or {}).get("data")
        if not isinstance(data, dict):
            return None
        return SecretData(data)

    def kv_write(self, mount: str, path: str, data: SecretData, *, cas: int) -> int:
        """Write a whole new version (e.g. a previous one, restored) with check-and-set."""
        body = self.request(
            "POST", f"{mount}/data/{path}", json={"options": {"cas": cas}, "data": data.reveal()}
        )
        return int(((body or {}).get("data") or {}).get("version") or 0)

    def kv_patch(self, mount: str, path: str, data: Mapping[str, Secret], *, cas: int) -> int:
        """Merge ``data`` into the current version as a new version (server side, with CAS)."""
        body = self.request(
            "PATCH",
            f"{mount}/data/{path}",
            json={"options": {"cas": cas}, "data": {k: v.reveal() for k, v in data.items()}},
            headers=MERGE_PATCH,
        )
        return int(((body or {}).get("data") or {}).get("version") or 0)

    def kv_patch_custom_metadata(
        self, mount: str, path: str, changes: Mapping[str, str | None]
    ) -> None:
        """Merge ``changes`` into ``custom_metadata`` (None removes a key); nothing else.

        Uses ``PATCH metadata`` rather than hvac's ``update_metadata``, which always sends
        ``delete_version_after`` and would silently reset it.
        """
        self.request(
            "PATCH",
            f"{mount}/metadata/{path}",
            json={"custom_metadata": dict(changes)},
            headers=MERGE_PATCH,
        )

    def kv_retire(self, mount: str, path: str, versions: list[int], *, destroy: bool) -> None:
        """Soft-delete (or permanently destroy) ``versions``."""
        action = "destroy" if destroy else "delete"
        self.request("POST", f"{mount}/{action}/{path}", json={"versions": versions})

    def kv_undelete(self, mount: str, path: str, versions: list[int]) -> None:
        """Undo the soft delete of ``versions`` (destroyed versions stay gone)."""
        self.request("POST", f"{mount}/undelete/{path}", json={"versions": versions})

    # -------------------------------------------------------------- database

    def static_role(self, mount: str, name: str) -> dict[str, Any] | None:
        """A database static role's definition (no password), or None."""
        try:
            body = self.request("GET", f"{mount}/static-roles/{name}")
        except NotFound:
            return None
        return (body or {}).get("data") or None

    def rotate_static_role(self, mount: str, name: str) -> None:
        """Ask Vault to rotate a static role's password now."""
        self.request("POST", f"{mount}/rotate-role/{name}")

    def static_creds(self, mount: str, name: str) -> tuple[dict[str, Any], Secret]:
        """A static role's current credentials: (fields without the password, the password)."""
        body = self.request("GET", f"{mount}/static-creds/{name}") or {}
        data = dict(body.get("data") or {})
        password = Secret(str(data.pop("password", "")), redactor=DEFAULT_REDACTOR)
        return data, password

    # ---------------------------------------------------- policies and roles

    def read_policy(self, name: str) -> str | None:
        """The HCL text of an ACL policy, or None."""
        try:
            body = self.request("GET", f"sys/policies/acl/{name}")
        except NotFound:
            return None
        return str(((body or {}).get("data") or {}).get("policy") or "") or None

    def write_policy(self, name: str, hcl: str) -> None:
        """Create or replace an ACL policy."""
        self.request("PUT", f"sys/policies/acl/{name}", json={"policy": hcl})

    def read_kubernetes_role(self, mount: str, name: str) -> dict[str, Any] | None:
        """A Kubernetes auth role, or None."""
        try:
            body = self.request("GET", f"auth/{mount}/role/{name}")
        except NotFound:
            return None
        return (body or {}).get("data") or None

    def write_kubernetes_role(self, mount: str, name: str, role: Mapping[str, Any]) -> None:
        """Create or replace a Kubernetes auth role."""
        self.request("POST", f"auth/{mount}/role/{name}", json=dict(role))


def connect(settings: VaultSettings) -> VaultApi:
    """An authenticated ``VaultApi`` (token, or Kubernetes auth login when a role is given)."""
    client = _client(settings, settings.token)
    api = VaultApi(client, settings.address, settings)
    if settings.kubernetes_role:
        if settings.kubernetes_jwt is None:
            raise DependencyError(
                "Kubernetes auth needs the service account token",
                hint="run inside a pod or pass --kubernetes-jwt-file",
            )
        jwt = settings.kubernetes_jwt
        body = api.request(
            "POST",
            f"auth/{settings.kubernetes_mount}/login",
            json={"role": settings.kubernetes_role, "jwt": jwt.reveal()},
        )
        token = str(((body or {}).get("auth") or {}).get("client_token") or "")
        if not token:
            raise DependencyError("Vault's Kubernetes auth login returned no token")
        client.token = Secret(token, redactor=DEFAULT_REDACTOR).reveal()
    elif settings.token is None:
        raise DependencyError(
            "no Vault token: set VAULT_TOKEN (or ~/.vault-token) or use Kubernetes auth",
            hint="export VAULT_TOKEN=... or pass --kubernetes-role",
        )
    return api


def _client(settings: VaultSettings, token: Secret | None) -> hvac.Client:
    import hvac

    verify: bool | str = True
    if settings.skip_verify:
        verify = False
    elif settings.ca_cert:
        verify = settings.ca_cert
    elif settings.ca_path:
        verify = settings.ca_path
    cert = (
        (settings.client_cert, settings.client_key)
        if settings.client_cert and settings.client_key
        else None
    )
    return hvac.Client(
        url=settings.address,
        token=token.reveal() if token else None,
        namespace=settings.namespace,
        verify=verify,
        cert=cert,
        timeout=settings.timeout,
    )


def _failure(message: str, exc: Exception) -> DependencyError:
    errors = getattr(exc, "errors", None) or []
    detail = "; ".join(str(e).strip() for e in errors if str(e).strip())
    text = f"{message}: {detail}" if detail else message
    return DependencyError(redact_urls(DEFAULT_REDACTOR.redact(text)))
