"""An emulator of the subset of Vault's HTTP API that seccli uses, for tests and benchmarks.

No Vault server can be installed on the test machines, so this serves Vault's documented
request and response bodies on 127.0.0.1 and is driven through the real ``hvac`` client:

* KV v2 (``/v1/<mount>/...``): ``data`` (GET with ``?version=``, POST/PUT with
  ``options.cas``, PATCH as JSON merge patch with ``options.cas``, DELETE), ``metadata`` (GET,
  LIST, POST, PATCH as merge patch, DELETE), ``delete``/``undelete``/``destroy``, ``config``;
  ``max_versions`` trims the oldest versions, ``cas_required`` on the mount or the secret.
* ``sys/policies/acl`` (LIST, GET, PUT/POST, DELETE); the stored HCL is *enforced*: a token's
  requests are checked against the ``path`` blocks of its policies (exact, ``*`` suffix and
  ``+`` segment globs; capabilities are the union over matching blocks, ``deny`` wins).
* ``auth/kubernetes/role`` (LIST, GET, POST, DELETE) and ``auth/kubernetes/login`` with JWTs
  registered by the test for a namespace and service account.
* Database static roles: ``static-roles`` (GET, LIST, POST), ``static-creds``, ``rotate-role``.
* ``sys/seal-status``, ``sys/health``, ``auth/token/lookup-self``.
* Errors as Vault sends them: ``{"errors": [...]}`` with 400 (CAS mismatch...), 403
  ("permission denied"), 404 (``{"errors": []}``), 503 ("Vault is sealed").

Time comes from a settable clock so tests can age secrets. ``requests`` counts every request
(for the benchmark's requests-per-secret figures). ``hook`` runs before each request and may
change state (a concurrent writer) or raise ``Fault`` to answer with an error.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n"
CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"
DEFAULT_MAX_VERSIONS = 10
_MAX_CUSTOM_KEYS = 64
_MAX_CUSTOM_KEY_LEN = 128
_MAX_CUSTOM_VALUE_LEN = 512


class Fault(Exception):  # noqa: N818 - a scripted answer, not an error of the emulator
    """Raised by a hook to answer a request with ``status`` and Vault's ``errors`` body."""

    def __init__(self, status: int, errors: list[str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors or []


def iso(moment: datetime) -> str:
    """Vault's RFC 3339 timestamps with nanosecond-style fractions and a ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


@dataclass
class KvVersion:
    created: datetime
    data: dict[str, Any] | None
    deletion: datetime | None = None
    destroyed: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "created_time": iso(self.created),
            "deletion_time": iso(self.deletion) if self.deletion else "",
            "destroyed": self.destroyed,
        }


@dataclass
class KvSecret:
    created: datetime
    updated: datetime
    current_version: int = 0
    oldest_version: int = 0
    max_versions: int = 0
    cas_required: bool = False
    delete_version_after: str = "0s"
    custom_metadata: dict[str, str] | None = None
    versions: dict[int, KvVersion] = field(default_factory=dict)


@dataclass
class KvMount:
    max_versions: int = 0
    cas_required: bool = False
    delete_version_after: str = "0s"
    secrets: dict[str, KvSecret] = field(default_factory=dict)


@dataclass
class StaticRole:
    db_name: str
    username: str
    rotation_period: int
    password: str
    last_rotation: datetime
    rotation_statements: list[str] = field(default_factory=list)


@dataclass
class Token:
    policies: list[str]
    meta: dict[str, str] = field(default_factory=dict)


class Response(Exception):  # noqa: N818 - control flow inside the handler
    def __init__(self, status: int, body: dict[str, Any] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _error(status: int, *errors: str) -> Response:
    return Response(status, {"errors": list(errors)})


class FakeVault:
    """The emulator's state and its HTTP server (``start``/``stop``; ``url``; ``root_token``)."""

    def __init__(
        self,
        *,
        kv_mounts: tuple[str, ...] = ("kv",),
        database_mounts: tuple[str, ...] = ("database",),
        now: datetime | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.now = now or datetime(2026, 1, 1, tzinfo=UTC)
        self.root_token = "root-" + secrets.token_hex(8)
        self.tokens: dict[str, Token] = {self.root_token: Token(["root"])}
        self.policies: dict[str, str] = {
            "default": 'path "auth/token/lookup-self" {\n  capabilities = ["read"]\n}\n'
        }
        self.kv: dict[str, KvMount] = {m: KvMount() for m in kv_mounts}
        self.databases: dict[str, dict[str, StaticRole]] = {m: {} for m in database_mounts}
        self.k8s_roles: dict[str, dict[str, Any]] = {}
        self.k8s_jwts: dict[str, tuple[str, str]] = {}
        self.sealed = False
        self.requests = 0
        self.log: list[tuple[str, str]] = []
        self.namespaces_seen: set[str] = set()  # X-Vault-Namespace headers (not emulated)
        self.hook: Callable[[str, str, dict[str, Any]], None] | None = None
        self.rotate_role_fails = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._scheme = "http"

    # ----------------------------------------------------------------- lifecycle

    def start(self, *, tls: tuple[str, str] | None = None) -> FakeVault:
        """Serve on 127.0.0.1 on a free port, in a background thread (HTTPS with ``tls``:
        the certificate and key files)."""
        vault = self

        class Handler(_Handler):
            emulator = vault

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            self._scheme = "https"
        self._server = server
        self._thread = threading.Thread(
            # a short poll interval: stop() returns at once instead of after up to 0.5 s
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host}:{port}"

    # ------------------------------------------------------- test-side helpers

    def advance(self, delta: timedelta) -> None:
        """Move the emulator's clock forward."""
        with self.lock:
            self.now += delta

    def add_token(self, policies: list[str]) -> str:
        """A new token holding ``policies``."""
        token = "hvs." + secrets.token_hex(12)
        with self.lock:
            self.tokens[token] = Token(list(policies))
        return token

    def register_jwt(self, namespace: str, service_account: str) -> str:
        """A service-account JWT the kubernetes auth login accepts."""
        jwt = "eyJ." + secrets.token_hex(16)
        with self.lock:
            self.k8s_jwts[jwt] = (namespace, service_account)
        return jwt

    def put_kv(
        self,
        path: str,
        data: dict[str, Any],
        *,
        created: datetime | None = None,
        custom_metadata: dict[str, str] | None = None,
        max_versions: int | None = None,
    ) -> int:
        """Write a version directly (``<mount>/<path>``), optionally back-dated; its number."""
        mount, rest = path.split("/", 1)
        with self.lock:
            kv = self.kv[mount]
            secret = kv.secrets.get(rest)
            when = created or self.now
            if secret is None:
                secret = kv.secrets[rest] = KvSecret(created=when, updated=when)
            if custom_metadata is not None:
                secret.custom_metadata = dict(custom_metadata)
            if max_versions is not None:
                secret.max_versions = max_versions
            return self._kv_add_version(kv, secret, dict(data), when)

    def kv_secret(self, path: str) -> KvSecret | None:
        """The stored secret at ``<mount>/<path>``."""
        mount, rest = path.split("/", 1)
        with self.lock:
            return self.kv[mount].secrets.get(rest)

    def kv_value(self, path: str, version: int | None = None) -> dict[str, Any] | None:
        """The data of a version (default the current one), or None when deleted/destroyed."""
        secret = self.kv_secret(path)
        if secret is None:
            return None
        number = version or secret.current_version
        entry = secret.versions.get(number)
        if entry is None or entry.deletion is not None or entry.destroyed:
            return None
        return dict(entry.data or {})

    def add_static_role(
        self, mount: str, name: str, *, username: str, rotation_period: int, password: str
    ) -> None:
        """Declare a database static role with its current password."""
        with self.lock:
            self.databases[mount][name] = StaticRole(
                db_name="main",
                username=username,
                rotation_period=rotation_period,
                password=password,
                last_rotation=self.now,
            )

    # ------------------------------------------------------------ dispatching

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | None]:
        """Answer one request: (status, JSON body or None for 204)."""
        split = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        path = unquote(split.path)
        with self.lock:
            self.requests += 1
            self.log.append((method, path))
            if headers.get("x-vault-namespace"):
                self.namespaces_seen.add(headers["x-vault-namespace"])
        try:
            payload = self._parse_body(body)
            if self.hook is not None:
                self.hook(method, path, payload)
            if not path.startswith("/v1/"):
                raise _error(404)
            acl_route = path[len("/v1/") :].lstrip("/")
            route = acl_route.rstrip("/")
            if method == "GET" and query.get("list") == "true":
                method = "LIST"
            if method == "LIST" and not acl_route.endswith("/"):
                acl_route += "/"  # as Vault does: a list request always names a folder
            with self.lock:
                result = self._route(method, route, acl_route, query, headers, payload)
            return (200, result) if result is not None else (204, None)
        except Fault as fault:
            return fault.status, None if fault.status == 204 else {"errors": fault.errors}
        except Response as response:
            return response.status, response.body

    @staticmethod
    def _parse_body(body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        try:
            value = json.loads(body)
        except ValueError:
            raise _error(400, "failed to parse JSON input") from None
        if not isinstance(value, dict):
            raise _error(400, "failed to parse JSON input")
        return value

    def _route(
        self,
        method: str,
        route: str,
        acl_route: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: dict[str, Any],
    ) -> dict[str, Any] | None:
        if route == "sys/seal-status":
            return {"type": "shamir", "initialized": True, "sealed": self.sealed, "t": 1, "n": 1}
        if route == "sys/health":
            if self.sealed:
                raise Response(503, {"initialized": True, "sealed": True, "standby": False})
            return {"initialized": True, "sealed": False, "standby": False}
        if self.sealed:
            raise _error(503, "Vault is sealed")
        if route == "auth/kubernetes/login" and method in ("POST", "PUT"):
            return self._k8s_login(body)
        token = self.tokens.get(headers.get("x-vault-token", ""))
        if token is None:
            raise _error(403, PERMISSION_DENIED)
        if route == "auth/token/lookup-self":
            return {"data": {"policies": token.policies, "meta": token.meta, "ttl": 3600}}
        self._authorise(token, method, acl_route)
        first, _, rest = route.partition("/")
        if route.startswith("sys/policies/acl"):
            return self._acl(method, route[len("sys/policies/acl") :].strip("/"), body)
        if route.startswith("auth/kubernetes/role"):
            return self._k8s_role(method, route[len("auth/kubernetes/role") :].strip("/"), body)
        if first in self.kv:
            return self._kv(self.kv[first], method, rest, query, headers, body)
        if first in self.databases:
            return self._database(self.databases[first], method, rest, body)
        raise _error(404, f"no handler for route {route!r}. route entry not found.")

    # ----------------------------------------------------------------- ACLs

    def _authorise(self, token: Token, method: str, route: str) -> None:
        if "root" in token.policies:
            return
        needed = {"GET": "read", "LIST": "list", "DELETE": "delete", "PATCH": "patch"}.get(method)
        if needed is None:  # POST/PUT: create when new, update when it exists
            needed = "update" if self._exists(route) else "create"
        granted: set[str] = set()
        for name in token.policies:
            for pattern, capabilities in _parse_policy(self.policies.get(name, "")):
                if _glob_match(pattern, route):
                    granted |= capabilities
        if "deny" in granted or needed not in granted:
            raise _error(403, PERMISSION_DENIED)

    def _exists(self, route: str) -> bool:
        first, _, rest = route.rstrip("/").partition("/")
        if first in self.kv:
            kind, _, name = rest.partition("/")
            if kind in ("data", "metadata"):  # the only KV paths with an existence check
                return name in self.kv[first].secrets
        # Without an existence check, Vault treats a write as "update".
        return True

    def _acl(self, method: str, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if not name:
            if method != "LIST":
                raise _error(405)
            return {"data": {"keys": sorted([*self.policies, "root"])}}
        if method == "GET":
            if name not in self.policies:
                raise _error(404)
            return {"data": {"name": name, "policy": self.policies[name]}}
        if method in ("POST", "PUT"):
            policy = body.get("policy")
            if not isinstance(policy, str) or not policy.strip():
                raise _error(400, "'policy' parameter not supplied or empty")
            self.policies[name] = policy
            return None
        if method == "DELETE":
            self.policies.pop(name, None)
            return None
        raise _error(405)

    # ------------------------------------------------------- kubernetes auth

    def _k8s_role(self, method: str, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if not name:
            if method != "LIST" or not self.k8s_roles:
                raise _error(404)
            return {"data": {"keys": sorted(self.k8s_roles)}}
        if method == "GET":
            if name not in self.k8s_roles:
                raise _error(404)
            return {"data": dict(self.k8s_roles[name])}
        if method in ("POST", "PUT"):
            names = body.get("bound_service_account_names")
            namespaces = body.get("bound_service_account_namespaces")
            if not names or not namespaces:
                raise _error(
                    400,
                    '"bound_service_account_names" and "bound_service_account_namespaces" '
                    "can not be empty",
                )
            role = {
                "alias_name_source": "serviceaccount_uid",
                "audience": "",
                "bound_service_account_names": _as_list(names),
                "bound_service_account_namespaces": _as_list(namespaces),
                "token_bound_cidrs": [],
                "token_explicit_max_ttl": 0,
                "token_max_ttl": 0,
                "token_no_default_policy": False,
                "token_num_uses": 0,
                "token_period": 0,
                "token_policies": _as_list(body.get("token_policies", body.get("policies", []))),
                "token_ttl": _seconds(body.get("token_ttl", body.get("ttl", 0))),
                "token_type": "default",
            }
            self.k8s_roles[name] = role
            return None
        if method == "DELETE":
            self.k8s_roles.pop(name, None)
            return None
        raise _error(405)

    def _k8s_login(self, body: dict[str, Any]) -> dict[str, Any]:
        role = self.k8s_roles.get(str(body.get("role", "")))
        if role is None:
            raise _error(400, f'invalid role name "{body.get("role")}"')
        identity = self.k8s_jwts.get(str(body.get("jwt", "")))
        if identity is None:
            raise _error(403, PERMISSION_DENIED)
        namespace, account = identity
        if (
            account not in role["bound_service_account_names"]
            and "*" not in role["bound_service_account_names"]
        ):
            raise _error(403, "service account name not authorized")
        if (
            namespace not in role["bound_service_account_namespaces"]
            and "*" not in role["bound_service_account_namespaces"]
        ):
            raise _error(403, "namespace not authorized")
        policies = ["default", *role["token_policies"]]
        token = "hvs." + secrets.token_hex(12)
        meta = {
            "role": str(body["role"]),
            "service_account_name": account,
            "service_account_namespace": namespace,
        }
        self.tokens[token] = Token(policies, meta)
        return {
            "auth": {
                "client_token": token,
                "accessor": secrets.token_hex(8),
                "policies": policies,
                "token_policies": policies,
                "metadata": meta,
                "lease_duration": role["token_ttl"] or 2764800,
                "renewable": True,
            }
        }

    # ------------------------------------------------------------------ KV v2

    def _kv(
        self,
        kv: KvMount,
        method: str,
        rest: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: dict[str, Any],
    ) -> dict[str, Any] | None:
        kind, _, path = rest.partition("/")
        if kind == "config":
            if method == "GET":
                return {
                    "data": {
                        "max_versions": kv.max_versions,
                        "cas_required": kv.cas_required,
                        "delete_version_after": kv.delete_version_after,
                    }
                }
            if method in ("POST", "PUT"):
                kv.max_versions = int(body.get("max_versions", kv.max_versions))
                kv.cas_required = bool(body.get("cas_required", kv.cas_required))
                kv.delete_version_after = str(
                    body.get("delete_version_after", kv.delete_version_after)
                )
                return None
            raise _error(405)
        if kind == "metadata" and method == "LIST":
            return self._kv_list(kv, path)
        if not path:
            raise _error(404)
        if kind == "data":
            return self._kv_data(kv, method, path, query, headers, body)
        if kind == "metadata":
            return self._kv_metadata(kv, method, path, headers, body)
        if kind in ("delete", "undelete", "destroy") and method in ("POST", "PUT"):
            return self._kv_versions_op(kv, kind, path, body)
        raise _error(404)

    def _kv_list(self, kv: KvMount, prefix: str) -> dict[str, Any]:
        prefix = prefix.strip("/")
        base = f"{prefix}/" if prefix else ""
        keys: set[str] = set()
        for name in kv.secrets:
            if name.startswith(base):
                head, sep, _ = name[len(base) :].partition("/")
                keys.add(head + sep)
        if not keys:
            raise _error(404)
        return {"data": {"keys": sorted(keys)}}

    def _effective_max(self, kv: KvMount, secret: KvSecret) -> int:
        return secret.max_versions or kv.max_versions or DEFAULT_MAX_VERSIONS

    def _kv_add_version(
        self, kv: KvMount, secret: KvSecret, data: dict[str, Any], when: datetime
    ) -> int:
        secret.current_version += 1
        secret.versions[secret.current_version] = KvVersion(created=when, data=data)
        secret.updated = when
        limit = self._effective_max(kv, secret)
        # Like Vault, oldest_version stays 0 until versions have been trimmed.
        while len(secret.versions) > limit:
            del secret.versions[min(secret.versions)]
            secret.oldest_version = min(secret.versions)
        return secret.current_version

    def _version_body(self, secret: KvSecret, number: int) -> dict[str, Any]:
        version = secret.versions[number]
        return {
            **version.summary(),
            "custom_metadata": dict(secret.custom_metadata) if secret.custom_metadata else None,
            "version": number,
        }

    def _check_cas(self, kv: KvMount, secret: KvSecret | None, body: dict[str, Any]) -> None:
        options = body.get("options") or {}
        cas = options.get("cas") if isinstance(options, dict) else None
        required = kv.cas_required or (secret is not None and secret.cas_required)
        if cas is None:
            if required:
                raise _error(400, CAS_REQUIRED)
            return
        current = secret.current_version if secret is not None else 0
        if int(cas) != current:
            raise _error(400, CAS_MISMATCH)

    def _kv_data(
        self,
        kv: KvMount,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: dict[str, Any],
    ) -> dict[str, Any] | None:
        secret = kv.secrets.get(path)
        if method == "GET":
            if secret is None or secret.current_version == 0:
                raise _error(404)
            number = int(query.get("version") or 0) or secret.current_version
            version = secret.versions.get(number)
            if version is None:
                raise _error(404)
            meta = self._version_body(secret, number)
            if version.deletion is not None or version.destroyed:
                raise Response(404, {"data": {"data": None, "metadata": meta}})
            return {"data": {"data": dict(version.data or {}), "metadata": meta}}
        if method in ("POST", "PUT"):
            data = body.get("data")
            if not isinstance(data, dict):
                raise _error(400, "no data provided")
            self._check_cas(kv, secret, body)
            if secret is None:
                secret = kv.secrets[path] = KvSecret(created=self.now, updated=self.now)
            number = self._kv_add_version(kv, secret, dict(data), self.now)
            return {"data": self._version_body(secret, number)}
        if method == "PATCH":
            if not headers.get("content-type", "").startswith("application/merge-patch+json"):
                raise _error(415, "Unsupported Media Type")
            if secret is None or secret.current_version == 0:
                raise _error(404)
            current = secret.versions.get(secret.current_version)
            if current is None or current.deletion is not None or current.destroyed:
                raise _error(404)
            patch = body.get("data")
            if not isinstance(patch, dict):
                raise _error(400, "no data provided")
            self._check_cas(kv, secret, body)
            merged = _merge_patch(dict(current.data or {}), patch)
            number = self._kv_add_version(kv, secret, merged, self.now)
            return {"data": self._version_body(secret, number)}
        if method == "DELETE":
            if secret is not None and secret.current_version in secret.versions:
                secret.versions[secret.current_version].deletion = self.now
            return None
        raise _error(405)

    def _kv_metadata(
        self,
        kv: KvMount,
        method: str,
        path: str,
        headers: dict[str, str],
        body: dict[str, Any],
    ) -> dict[str, Any] | None:
        secret = kv.secrets.get(path)
        if method == "GET":
            if secret is None:
                raise _error(404)
            return {
                "data": {
                    "cas_required": secret.cas_required,
                    "created_time": iso(secret.created),
                    "current_version": secret.current_version,
                    "custom_metadata": (
                        dict(secret.custom_metadata) if secret.custom_metadata else None
                    ),
                    "delete_version_after": secret.delete_version_after,
                    "max_versions": secret.max_versions,
                    "oldest_version": secret.oldest_version,
                    "updated_time": iso(secret.updated),
                    "versions": {str(n): v.summary() for n, v in sorted(secret.versions.items())},
                }
            }
        if method in ("POST", "PUT", "PATCH"):
            if method == "PATCH":
                if not headers.get("content-type", "").startswith("application/merge-patch+json"):
                    raise _error(415, "Unsupported Media Type")
                if secret is None:
                    raise _error(404)
            if secret is None:
                secret = kv.secrets[path] = KvSecret(created=self.now, updated=self.now)
            if "max_versions" in body:
                secret.max_versions = int(body["max_versions"])
            if "cas_required" in body:
                secret.cas_required = bool(body["cas_required"])
            if "delete_version_after" in body:
                secret.delete_version_after = str(body["delete_version_after"])
            if "custom_metadata" in body:
                custom = body["custom_metadata"]
                if method == "PATCH" and isinstance(custom, dict):
                    merged = dict(secret.custom_metadata or {})
                    for key, value in custom.items():
                        if value is None:
                            merged.pop(key, None)
                        else:
                            merged[key] = value
                    custom = merged
                secret.custom_metadata = _check_custom(custom)
            secret.updated = self.now
            return None
        if method == "DELETE":
            kv.secrets.pop(path, None)
            return None
        raise _error(405)

    def _kv_versions_op(
        self, kv: KvMount, op: str, path: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        versions = body.get("versions")
        if not isinstance(versions, list) or not versions:
            raise _error(400, "no version number provided")
        secret = kv.secrets.get(path)
        if secret is None:
            return None
        for raw in versions:
            version = secret.versions.get(int(raw))
            if version is None:
                continue
            if op == "delete" and not version.destroyed:
                version.deletion = version.deletion or self.now
            elif op == "undelete" and not version.destroyed:
                version.deletion = None
            elif op == "destroy":
                version.destroyed = True
                version.data = None
        secret.updated = self.now
        return None

    # -------------------------------------------------------------- database

    def _database(
        self, roles: dict[str, StaticRole], method: str, rest: str, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        kind, _, name = rest.partition("/")
        if kind == "static-roles" and method == "LIST" and not name:
            if not roles:
                raise _error(404)
            return {"data": {"keys": sorted(roles)}}
        role = roles.get(name)
        if kind == "static-roles" and method == "GET":
            if role is None:
                raise _error(404)
            return {
                "data": {
                    "db_name": role.db_name,
                    "username": role.username,
                    "rotation_period": role.rotation_period,
                    "rotation_statements": list(role.rotation_statements),
                    "last_vault_rotation": iso(role.last_rotation),
                    "credential_type": "password",
                }
            }
        if kind == "static-roles" and method in ("POST", "PUT"):
            if not body.get("username") or not body.get("db_name"):
                raise _error(400, "username is a required field to create a static account")
            roles[name] = StaticRole(
                db_name=str(body["db_name"]),
                username=str(body["username"]),
                rotation_period=_seconds(body.get("rotation_period", 86400)),
                password=secrets.token_urlsafe(24),
                last_rotation=self.now,
                rotation_statements=list(body.get("rotation_statements") or []),
            )
            return None
        if kind == "static-creds" and method == "GET":
            if role is None:
                raise _error(400, "unknown role")
            elapsed = int((self.now - role.last_rotation).total_seconds())
            return {
                "data": {
                    "username": role.username,
                    "password": role.password,
                    "last_vault_rotation": iso(role.last_rotation),
                    "rotation_period": role.rotation_period,
                    "ttl": max(role.rotation_period - elapsed, 0),
                }
            }
        if kind == "rotate-role" and method in ("POST", "PUT"):
            if role is None:
                raise _error(400, "unable to find static role")
            if self.rotate_role_fails:
                raise _error(500, "1 error occurred:\n\t* failed to rotate credentials\n\n")
            role.password = secrets.token_urlsafe(24)
            role.last_rotation = self.now
            return None
        raise _error(404)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per response and no Nagle: avoids 40 ms delayed-ACK stalls.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    emulator: FakeVault

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.emulator.handle(self.command, self.path, headers, body)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_LIST = _serve  # noqa: N815


# ---------------------------------------------------------------- helpers

_PATH_BLOCK = re.compile(r'path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}')


def _parse_policy(text: str) -> list[tuple[str, set[str]]]:
    return [
        (match.group(1), {c.strip().strip('"') for c in match.group(2).split(",") if c.strip()})
        for match in _PATH_BLOCK.finditer(text)
    ]


def _glob_match(pattern: str, route: str) -> bool:
    prefix = pattern.endswith("*")
    body = pattern[:-1] if prefix else pattern
    regex = "^" + "/".join("[^/]+" if p == "+" else re.escape(p) for p in body.split("/"))
    regex += "" if prefix else "$"
    return re.match(regex, route) is not None


def _merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _merge_patch(dict(target[key]), value)
        else:
            target[key] = value
    return target


def _check_custom(custom: Any) -> dict[str, str] | None:
    if custom is None:
        return None
    if not isinstance(custom, dict):
        raise _error(400, "custom_metadata must be a map of strings")
    if len(custom) > _MAX_CUSTOM_KEYS:
        raise _error(400, f"custom_metadata can only have up to {_MAX_CUSTOM_KEYS} keys")
    for key, value in custom.items():
        if not isinstance(value, str):
            raise _error(400, f"custom_metadata value for key {key!r} is not a string")
        if len(key) > _MAX_CUSTOM_KEY_LEN or len(value) > _MAX_CUSTOM_VALUE_LEN:
            raise _error(400, f"custom_metadata key or value too long: {key!r}")
    return dict(custom)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or []]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    total = 0
    for number, unit in re.findall(r"(\d+)([smhd])", text):
        total += int(number) * _UNITS[unit]
    return total
