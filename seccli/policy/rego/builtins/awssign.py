"""``providers.aws.sign_req``: AWS Signature Version 4 by the Authorization header.

Follows AWS's documented algorithm: a canonical request (method, URI-encoded path, sorted
query, lower-cased sorted headers, signed-header list, payload hash), the string to sign
(``AWS4-HMAC-SHA256``, timestamp, credential scope, hash of the canonical request), the signing
key derived by HMAC-SHA256 over date, region, service and ``aws4_request``, and the signature.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import urllib.parse
from typing import Any

from seccli.policy.rego.builtins.base import builtin, fail, integer, obj, string, table

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED = "UNSIGNED-PAYLOAD"


def _uri_encode(s: str, *, keep_slash: bool) -> str:
    return urllib.parse.quote(s, safe="/~" if keep_slash else "~")


def canonical_query(query: str) -> str:
    """The query string with each name and value URI-encoded, sorted by name then value."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = sorted(
        (_uri_encode(k, keep_slash=False), _uri_encode(v, keep_slash=False)) for k, v in pairs
    )
    return "&".join(f"{k}={v}" for k, v in enc)


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key: HMAC chain over date, region, service and ``aws4_request``."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature_v4(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    payload_hash: str,
    secret: str,
    region: str,
    service: str,
    amz_date: str,
) -> tuple[str, str, str]:
    """(signature, signed header list, canonical request) over every header in ``headers``
    (which must include ``host`` and ``x-amz-date``)."""
    parts = urllib.parse.urlsplit(url)
    lowered = {k.strip().lower(): " ".join(str(v).split()) for k, v in headers.items()}
    names = sorted(lowered)
    signed = ";".join(names)
    canonical = "\n".join(
        [
            method.upper(),
            _uri_encode(urllib.parse.unquote(parts.path) or "/", keep_slash=True),
            canonical_query(parts.query),
            "".join(f"{n}:{lowered[n]}\n" for n in names),
            signed,
            payload_hash,
        ]
    )
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        [ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    sig = hmac.new(
        signing_key(secret, date, region, service), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return sig, signed, canonical


def _sign_req(request: Any, config: Any, time_ns: Any) -> Any:
    req = obj(request, 1)
    cfg = obj(config, 2)
    ns = integer(time_ns, 3)
    for key in ("aws_access_key", "aws_secret_access_key", "aws_service", "aws_region"):
        if key not in cfg:
            raise fail(f"providers.aws.sign_req: aws_config is missing {key}")
    access = string(cfg["aws_access_key"], 2)
    secret = string(cfg["aws_secret_access_key"], 2)
    service = string(cfg["aws_service"], 2)
    region = string(cfg["aws_region"], 2)
    token = cfg.get("aws_session_token")
    method = string(req.get("method", "GET"), 1)
    url = string(req.get("url"), 1)
    host = urllib.parse.urlsplit(url).netloc
    if not host:
        raise fail(f"providers.aws.sign_req: url {url!r} has no host")
    try:
        when = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise fail("providers.aws.sign_req: time outside of valid range") from None
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    if "raw_body" in req:
        body = string(req["raw_body"], 1).encode()
    elif "body" in req:
        import json

        from seccli.policy.rego.values import to_json

        body = json.dumps(to_json(req["body"]), separators=(",", ":")).encode()
    else:
        body = b""
    unsigned = cfg.get("disable_payload_signing") is True
    payload_hash = UNSIGNED if unsigned else hashlib.sha256(body).hexdigest()
    out_headers: dict[str, Any] = {
        str(k): v for k, v in obj(req.get("headers") or {}, 1).items() if str(k).lower() != "host"
    }
    out_headers["host"] = host
    out_headers["x-amz-date"] = amz_date
    out_headers["x-amz-content-sha256"] = payload_hash
    if token is not None:
        out_headers["x-amz-security-token"] = string(token, 2)
    sig, signed, _ = signature_v4(
        method=method,
        url=url,
        headers={k: str(v) for k, v in out_headers.items()},
        payload_hash=payload_hash,
        secret=secret,
        region=region,
        service=service,
        amz_date=amz_date,
    )
    out_headers["Authorization"] = (
        f"{ALGORITHM} Credential={access}/{amz_date[:8]}/{region}/{service}/aws4_request, "
        f"SignedHeaders={signed}, Signature={sig}"
    )
    return {**req, "headers": out_headers}


TABLE = table(builtin("providers.aws.sign_req", _sign_req, 3))
