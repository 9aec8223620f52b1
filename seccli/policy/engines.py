"""Policy engine backends: native (default), the ``opa`` binary, and an OPA server.

The table :data:`ENGINES` names them; :func:`get_engine` builds one.  The OPA backends are
optional: ``opa`` is used only when the binary is on PATH, the server backend talks to a
running OPA through ``opa-python-client``.  Both fail closed with ``DependencyError``.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seccli.core.errors import DependencyError, InputError
from seccli.core.urls import redact_url, redact_urls
from seccli.policy.interface import PolicyEngine, PreparedPolicy
from seccli.policy.rego import EvalResult, Policy, RegoError, compile, entrypoint_path, to_json
from seccli.policy.rego.errors import RegoEvalError
from seccli.policy.rego.values import UNDEF


def _entry_ref(query: str) -> str | None:
    """``data.a.b`` for an entrypoint query (``data.a.b`` or ``a/b``), else None."""
    path = entrypoint_path(query)
    return None if path is None else ".".join(["data", *path])


def _result_from_bindings(rows: list[dict[str, Any]], entry: bool) -> EvalResult:
    res = EvalResult()
    for row in rows:
        if entry:
            v = row.get("__seccli_x", UNDEF)
            if v is UNDEF:
                continue
            res.bindings.append({})
            res.expressions.append([v])
        else:
            res.bindings.append({k: v for k, v in row.items() if not k.startswith("__")})
            res.expressions.append([True])
    if res.expressions:
        res.value = res.expressions[0][-1]
    return res


# -- native -----------------------------------------------------------------------------------
class NativeEngine:
    """The in-process engine (``seccli.policy.rego``)."""

    name = "native"

    def __init__(
        self, *, v0_keywords: bool = False, allow_net: frozenset[str] | None = None
    ) -> None:
        self.v0_keywords = v0_keywords
        self.allow_net = allow_net

    def prepare(
        self, modules: Mapping[str, str], data: Any = None, *, v0: bool = False
    ) -> PreparedPolicy:
        policy: Policy = compile(
            modules, data, v0=v0, v0_keywords=self.v0_keywords, allow_net=self.allow_net
        )
        return policy


# -- opa binary -------------------------------------------------------------------------------
class OpaBinaryPolicy:
    """Modules written to a temporary bundle directory, evaluated with ``opa eval``."""

    def __init__(self, opa: str, modules: Mapping[str, str], data: Any, v0: bool) -> None:
        self._opa = opa
        self._v0 = v0
        self._dir = Path(tempfile.mkdtemp(prefix="seccli-opa-"))
        for i, (name, src) in enumerate(sorted(modules.items())):
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).name) or f"m{i}"
            (self._dir / f"{i:04d}_{safe}.rego").write_text(src, encoding="utf-8")
        (self._dir / "data.json").write_text(json.dumps(to_json(data or {})), encoding="utf-8")

    def eval(
        self, query: str, input: Any = UNDEF, *, strict_builtin_errors: bool = False
    ) -> EvalResult:
        entry = _entry_ref(query)
        q = f"__seccli_x = {entry}" if entry else query
        cmd = [self._opa, "eval", "--format", "json", "--bundle", str(self._dir)]
        if self._v0:
            cmd.append("--v0-compatible")
        if strict_builtin_errors:
            cmd.append("--strict-builtin-errors")
        stdin = None
        if input is not UNDEF:
            cmd += ["--stdin-input"]
            stdin = json.dumps(to_json(input))
        cmd.append(q)
        try:
            proc = subprocess.run(
                cmd, input=stdin, capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise DependencyError(f"opa eval failed: {err}") from None
        try:
            out = json.loads(proc.stdout or "{}")
        except (ValueError, RecursionError):
            raise DependencyError(f"opa eval produced no JSON: {proc.stderr.strip()}") from None
        errors = out.get("errors")
        if errors:
            first = errors[0]
            loc = first.get("location") or {}
            raise RegoEvalError(
                str(first.get("code", "opa_error")),
                str(first.get("message", "")),
                file=loc.get("file"),
                line=loc.get("row"),
                column=loc.get("col"),
            )
        rows = [r.get("bindings", {}) for r in out.get("result", []) or []]
        return _result_from_bindings(rows, entry is not None)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


class OpaBinaryEngine:
    """Runs the ``opa`` binary (only when it is on PATH)."""

    name = "opa"

    def __init__(self, binary: str | None = None) -> None:
        found = binary or shutil.which("opa")
        if not found:
            raise DependencyError(
                "the opa binary is not on PATH",
                hint="install OPA or use --engine native (the default)",
            )
        self.binary = found

    def prepare(
        self, modules: Mapping[str, str], data: Any = None, *, v0: bool = False
    ) -> PreparedPolicy:
        return OpaBinaryPolicy(self.binary, modules, data, v0)


# -- opa server -------------------------------------------------------------------------------
class OpaServerPolicy:
    """Modules uploaded to an OPA server under unique ids; queries via ``/v1/query``."""

    def __init__(self, client: Any, modules: Mapping[str, str], data: Any) -> None:
        self._client = client
        self._ids: list[str] = []
        tag = uuid.uuid4().hex[:12]
        try:
            if data:
                for key, value in to_json(data).items():
                    client.update_or_create_data(
                        value if isinstance(value, dict) else {"value": value}, key
                    )
            for i, (_name, src) in enumerate(sorted(modules.items())):
                pid = f"seccli-{tag}-{i}"
                client.update_policy_from_string(src, pid, rego_compat=False)
                self._ids.append(pid)
        except RegoError:
            raise
        except Exception as err:
            self.close()
            raise _server_error(err) from None

    def eval(
        self, query: str, input: Any = UNDEF, *, strict_builtin_errors: bool = False
    ) -> EvalResult:
        entry = _entry_ref(query)
        q = f"__seccli_x = {entry}" if entry else query
        try:
            params = {"strict-builtin-errors": True} if strict_builtin_errors else None
            out = self._client.ad_hoc_query(
                q, None if input is UNDEF else to_json(input), query_params=params
            )
        except Exception as err:
            raise _server_error(err) from None
        rows = out.get("result", []) if isinstance(out, dict) else []
        return _result_from_bindings(list(rows or []), entry is not None)

    def close(self) -> None:
        for pid in self._ids:
            with contextlib.suppress(Exception):  # best effort clean-up
                self._client.delete_policy(pid)
        self._ids = []


def _server_error(err: Exception) -> Exception:
    text = str(err)
    m = re.search(r"(rego_[a-z_]+_error|eval_[a-z_]+_error)", text)
    if m:
        return RegoEvalError(m.group(1), text)
    return DependencyError(f"OPA server request failed: {redact_urls(text)}")


class OpaServerEngine:
    """An OPA server reached through ``opa-python-client`` (``--opa-url``)."""

    name = "opa-server"

    def __init__(self, url: str | None) -> None:
        if not url:
            raise InputError("--opa-url is required with --engine opa-server")
        m = re.match(r"^(https?)://([^/:@]+)(?::(\d+))?/?$", url)
        if not m:
            raise InputError(
                f"invalid --opa-url {redact_url(url)!r} (expected http://host:port)",
                hint="credentials in the URL are not supported" if "@" in url else None,
            )
        from opa_client import OpaClient

        self.url = url
        self.client = OpaClient(
            host=m.group(2), port=int(m.group(3) or 8181), ssl=m.group(1) == "https"
        )

    def prepare(
        self, modules: Mapping[str, str], data: Any = None, *, v0: bool = False
    ) -> PreparedPolicy:
        return OpaServerPolicy(self.client, modules, data)


ENGINES: dict[str, Callable[..., PolicyEngine]] = {
    "native": lambda opa_url=None: NativeEngine(),
    "opa": lambda opa_url=None: OpaBinaryEngine(),
    "opa-server": lambda opa_url=None: OpaServerEngine(opa_url),
}


def get_engine(name: str, *, opa_url: str | None = None) -> PolicyEngine:
    """Build the engine called ``name`` (see :data:`ENGINES`)."""
    try:
        factory = ENGINES[name]
    except KeyError:
        raise InputError(
            f"unknown policy engine {name!r}", hint=f"choose one of {', '.join(ENGINES)}"
        ) from None
    return factory(opa_url=opa_url)
