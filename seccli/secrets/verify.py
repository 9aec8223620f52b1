"""Checking that a freshly rotated value works before the previous one is retired.

The table ``VERIFIERS`` names the implementations: an HTTP call carrying the value in a header,
or a command receiving it in the ``SECCLI_SECRET_VALUE`` environment variable (never argv,
which other users can read). Results never carry the value: details are redacted.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from seccli.core.redaction import DEFAULT_REDACTOR, Secret
from seccli.core.urls import redact_url, same_origin
from seccli.estate.model import SecretVerify
from seccli.secrets.interface import Verification, Verifier

VALUE_ENV = "SECCLI_SECRET_VALUE"
_MAX_REDIRECTS = 5


def verify_http(spec: SecretVerify, value: Secret) -> Verification:
    """Call ``url`` with ``<header>: <scheme> <value>``; ok when the status is expected.

    Redirects are not followed: a 3xx that is not itself an expected status fails the
    verification (the answer came from somewhere else). With ``allowRedirects`` a redirect
    to the same origin (scheme, host and port) is followed, at most five times; one to
    another origin never is, so the new value is sent to the declared origin only.
    """
    if not spec.url:
        return Verification(False, "http verification needs a url")
    header_value = f"{spec.scheme} {value.reveal()}" if spec.scheme else value.reveal()
    opener = urllib.request.build_opener(_NoRedirects())
    url = spec.url
    method = spec.method
    for _hop in range(_MAX_REDIRECTS + 1):
        shown = redact_url(url)
        request = urllib.request.Request(  # noqa: S310 - URL declared in the estate
            url, method=method, headers={spec.header: header_value}
        )
        location: str | None = None
        try:
            with opener.open(request, timeout=spec.timeout_seconds) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
            location = exc.headers.get("Location") if exc.headers else None
            exc.close()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return Verification(False, _clean(f"{spec.method} {shown} failed: {reason}"))
        if status in spec.expect_status:
            return Verification(True, _clean(f"{method} {shown} answered {status}"))
        if not 300 <= status < 400:
            return Verification(False, _clean(f"{method} {shown} answered {status}"))
        if not location:
            return Verification(False, _clean(f"{method} {shown} redirected ({status}) nowhere"))
        target = urljoin(url, location)
        if not spec.allow_redirects:
            return Verification(
                False,
                _clean(
                    f"{method} {shown} redirected ({status}) to {redact_url(target)}; "
                    "redirects are not followed (allowRedirects: true follows same-origin ones)"
                ),
            )
        if not same_origin(url, target):
            return Verification(
                False,
                _clean(
                    f"{method} {shown} redirected ({status}) to another origin "
                    f"({redact_url(target)}); the value is never sent there"
                ),
            )
        url = target
        if status == 303 and method != "HEAD":
            method = "GET"
    return Verification(False, _clean(f"{spec.method} {redact_url(spec.url)}: too many redirects"))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hands every 3xx back as an ``HTTPError`` instead of following it (with the header)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def verify_command(spec: SecretVerify, value: Secret) -> Verification:
    """Run ``command`` with the value in ``SECCLI_SECRET_VALUE``; ok on exit status 0."""
    if not spec.command:
        return Verification(False, "command verification needs a command")
    env = {**os.environ, VALUE_ENV: value.reveal()}
    try:
        done = subprocess.run(  # noqa: S603 - argv from the estate, no shell
            list(spec.command),
            env=env,
            capture_output=True,
            timeout=spec.timeout_seconds,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Verification(False, f"{spec.command[0]} could not run: {type(exc).__name__}")
    return Verification(done.returncode == 0, f"{spec.command[0]} exited {done.returncode}")


VERIFIERS: Mapping[str, Verifier] = {"http": verify_http, "command": verify_command}


def _clean(text: str) -> str:
    return DEFAULT_REDACTOR.redact(text)
