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

from seccli.core.redaction import DEFAULT_REDACTOR, Secret
from seccli.estate.model import SecretVerify
from seccli.secrets.interface import Verification, Verifier

VALUE_ENV = "SECCLI_SECRET_VALUE"


def verify_http(spec: SecretVerify, value: Secret) -> Verification:
    """Call ``url`` with ``<header>: <scheme> <value>``; ok when the status is expected."""
    if not spec.url:
        return Verification(False, "http verification needs a url")
    header_value = f"{spec.scheme} {value.reveal()}" if spec.scheme else value.reveal()
    request = urllib.request.Request(  # noqa: S310 - URL declared in the estate
        spec.url, method=spec.method, headers={spec.header: header_value}
    )
    try:
        with urllib.request.urlopen(request, timeout=spec.timeout_seconds) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Verification(False, _clean(f"{spec.method} {spec.url} failed: {reason}"))
    ok = status in spec.expect_status
    return Verification(ok, _clean(f"{spec.method} {spec.url} answered {status}"))


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
