"""URLs fit to print: credentials in the userinfo or in token-like query parameters removed.

``redact_url`` is the one function every message, log line and exception uses for a URL
(``VAULT_ADDR=http://user:password@host``, registry and NATS URLs, ``--opa-url``).
``redact_urls`` does the same for every URL inside a longer text (an exception message from a
library that quoted the URL it was given). ``same_origin`` compares scheme, host and port.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from seccli.core.redacted import REDACTED

# Query parameters that carry a credential (compared lower-case, "-" taken as "_").
_SECRET_PARAMS = frozenset(
    {
        "token",
        "access_token",
        "id_token",
        "refresh_token",
        "auth",
        "auth_token",
        "authorization",
        "api_key",
        "apikey",
        "key",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "signature",
        "sig",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
        "x_goog_signature",
        "x_goog_credential",
        "session_token",
        "jwt",
        "code",
    }
)
# Anything that looks like ``scheme://...`` up to white space or a closing quote/bracket.
_URL_IN_TEXT = re.compile(r"""\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'"<>`)\]]+""")
# ``scheme://user:pass@`` where the rest did not parse as a URL: strip the userinfo anyway.
_USERINFO = re.compile(r"""(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s'"<>`@]*@""")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "nats": 4222, "tls": 4222}


def _secret_param(name: str) -> bool:
    return name.strip().lower().replace("-", "_") in _SECRET_PARAMS


def redact_url(url: str) -> str:
    """``url`` without its userinfo (``user:password@`` becomes ``***REDACTED***@``) and with
    the values of token-like query parameters replaced. A string that does not parse as a URL
    still loses anything that looks like userinfo."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_secret_param(name) for name, _value in pairs):
                query = "&".join(
                    f"{quote(name, safe='')}={REDACTED if _secret_param(name) else quote(value)}"
                    for name, value in pairs
                )
        fragment = parts.fragment
        if fragment and ("=" in fragment or "token" in fragment.lower()):
            fragment = REDACTED
        if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
            return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", url)
        return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
    except ValueError:
        return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", url)


def redact_urls(text: str) -> str:
    """``text`` with every URL in it passed through ``redact_url``."""
    if "://" not in text:
        return text
    text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``, the port filled in for well-known schemes."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def same_origin(first: str, second: str) -> bool:
    """True when both URLs have the same scheme, host and port."""
    return origin(first) == origin(second)
