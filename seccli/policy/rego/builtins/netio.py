"""Builtins that reach the network: ``http.send`` and ``net.lookup_ip_addr``.

They are not in the default builtin table.  A module calling one compiles only when the caller
allowed network access for a list of hosts (``--allow-net HOSTS``, like OPA's ``allow_net``
capability); every request or lookup is then checked against that list at evaluation.
"""

from __future__ import annotations

import time
import urllib.parse
from functools import partial
from typing import Any

from seccli.policy.rego.budget import json_loads
from seccli.policy.rego.builtins.base import Builtin, builtin, fail, obj, string, table, type_err
from seccli.policy.rego.errors import BuiltinError
from seccli.policy.rego.values import RegoSet

#: Largest response body read (bytes); a larger one is an error, never truncated silently.
MAX_RESPONSE = 8 * 1024 * 1024
DEFAULT_TIMEOUT = 5.0

_KNOWN_KEYS = frozenset(
    {
        "method",
        "url",
        "body",
        "raw_body",
        "headers",
        "timeout",
        "enable_redirect",
        "force_json_decode",
        "raise_error",
        "cache",
        "force_cache",
        "force_cache_duration_seconds",
        "tls_insecure_skip_verify",
        "max_retry_attempts",
    }
)


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """True when ``host`` (case-insensitive) is in ``allowed`` or ``*`` allows every host."""
    return "*" in allowed or host.lower() in allowed


def _timeout_seconds(v: Any) -> float:
    if v is None:
        return DEFAULT_TIMEOUT
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) / 1e9  # OPA: a number is nanoseconds
    if isinstance(v, str):
        from seccli.policy.rego.builtins.timefns import parse_duration

        return parse_duration(v) / 1e9
    raise type_err(1, "number or duration string for timeout", v)


def _http_send(allowed: frozenset[str], ctx: Any, request: Any) -> Any:
    req = obj(request, 1)
    unknown = sorted(str(k) for k in req if k not in _KNOWN_KEYS)
    if unknown:
        raise fail(f"http.send: invalid request parameters(s): {', '.join(unknown)}")
    raise_error = req.get("raise_error", True) is not False
    try:
        return _do_send(allowed, ctx, req)
    except BuiltinError as err:
        if raise_error:
            raise
        return {
            "status_code": 0,
            "error": {"code": "eval_http_send_network_error", "message": str(err)},
        }


def _do_send(allowed: frozenset[str], ctx: Any, req: dict[Any, Any]) -> Any:
    from urllib import error as url_error
    from urllib import request as url_request

    method = string(req.get("method"), 1).upper()
    url = string(req.get("url"), 1)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail(f"http.send: unsupported URL {url!r} (http or https with a host)")
    if not host_allowed(parts.hostname, allowed):
        raise fail(f"http.send: unallowed host: {parts.hostname}")
    headers = {str(k): str(v) for k, v in obj(req.get("headers") or {}, 1).items()}
    data: bytes | None = None
    if "raw_body" in req:
        data = string(req["raw_body"], 1).encode()
    elif "body" in req:
        import json

        from seccli.policy.rego.values import to_json

        data = json.dumps(to_json(req["body"]), separators=(",", ":")).encode()
        headers.setdefault("Content-Type", "application/json")
    remaining = max(0.05, ctx.deadline - time.monotonic())
    timeout = min(_timeout_seconds(req.get("timeout")), remaining)
    follow = req.get("enable_redirect") is True

    class _Redirects(url_request.HTTPRedirectHandler):
        def redirect_request(
            self, r: Any, fp: Any, code: int, msg: str, hdrs: Any, new: str
        ) -> Any:
            host = urllib.parse.urlsplit(new).hostname or ""
            if not follow or not host_allowed(host, allowed):
                return None
            return super().redirect_request(r, fp, code, msg, hdrs, new)

    opener = url_request.build_opener(_Redirects)
    request = url_request.Request(url, data=data, headers=headers, method=method)
    try:
        with opener.open(request, timeout=timeout) as resp:
            status, reason, hdrs, raw = (
                resp.status,
                resp.reason,
                resp.headers,
                resp.read(MAX_RESPONSE + 1),
            )
    except url_error.HTTPError as err:
        status, reason, hdrs, raw = err.code, err.reason, err.headers, err.read(MAX_RESPONSE + 1)
    except (url_error.URLError, OSError, ValueError) as err:
        reason_text = getattr(err, "reason", err)
        # name the host and port only: the URL's user info, path and query may hold secrets
        where = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        raise fail(f"http.send: {method} {parts.scheme}://{where}: {reason_text}") from None
    if len(raw) > MAX_RESPONSE:
        raise fail(f"http.send: response body larger than {MAX_RESPONSE} bytes")
    text = raw.decode("utf-8", errors="replace")
    out_headers: dict[str, Any] = {}
    for k, v in hdrs.items():
        out_headers.setdefault(k.lower(), []).append(v)
    body: Any = None
    ctype = str(hdrs.get("Content-Type", ""))
    if req.get("force_json_decode") is True or "json" in ctype.lower():
        try:
            body = json_loads(text) if text else None
        except ValueError:
            body = None
    return {
        "status": f"{status} {reason}",
        "status_code": status,
        "body": body,
        "raw_body": text,
        "headers": out_headers,
    }


def _lookup_ip_addr(allowed: frozenset[str], name: Any) -> Any:
    import socket

    host = string(name, 1)
    if not host_allowed(host, allowed):
        raise fail(f"net.lookup_ip_addr: unallowed host: {host}")
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError) as err:
        raise fail(f"net.lookup_ip_addr: {host}: {err}") from None
    return RegoSet(str(info[4][0]) for info in infos)


_TABLE = table(
    builtin("http.send", _http_send, 1, needs_ctx=True, pure=False),
    builtin("net.lookup_ip_addr", _lookup_ip_addr, 1, pure=False),
)

#: Names of the builtins that need ``--allow-net``.
NAMES = frozenset(_TABLE)


def network_builtin(name: str, allowed: frozenset[str]) -> Builtin:
    """The builtin ``name`` bound to the hosts it may reach."""
    b = _TABLE[name]
    import dataclasses

    return dataclasses.replace(b, fn=partial(b.fn, allowed))
