"""New secret values: random passwords with a policy, random API tokens, or a plug-in hook.

The table ``GENERATORS`` names the implementations; callers may pass their own table (e.g. to
add a provider's API). Every value is returned wrapped in ``Secret`` and registered with the
redactor before anything else sees it.
"""

from __future__ import annotations

import secrets
import string
import subprocess
from collections.abc import Mapping

from seccli.core.errors import DependencyError, InputError
from seccli.core.redaction import DEFAULT_REDACTOR, Secret
from seccli.estate.model import SecretGenerator
from seccli.secrets.interface import Generator

HOOK_TIMEOUT_S = 60.0


def generate_password(spec: SecretGenerator) -> Secret:
    """A random password of ``length`` characters meeting the minimum counts per class."""
    classes = [
        (string.ascii_lowercase, spec.min_lower),
        (string.ascii_uppercase, spec.min_upper),
        (string.digits, spec.min_digits),
        (spec.symbols, spec.min_symbols),
    ]
    required = sum(count for _, count in classes)
    if required > spec.length:
        raise InputError(
            f"password policy asks for {required} required characters but length is {spec.length}"
        )
    if spec.min_symbols and not spec.symbols:
        raise InputError("password policy requires symbols but the symbol set is empty")
    alphabet = "".join(chars for chars, _ in classes)
    chars = [secrets.choice(pool) for pool, count in classes for _ in range(count)]
    chars += [secrets.choice(alphabet) for _ in range(spec.length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return Secret("".join(chars), redactor=DEFAULT_REDACTOR)


def generate_token(spec: SecretGenerator) -> Secret:
    """A random URL-safe API token of ``length`` random bytes, after an optional prefix."""
    return Secret(spec.prefix + secrets.token_urlsafe(spec.length), redactor=DEFAULT_REDACTOR)


def generate_with_command(spec: SecretGenerator) -> Secret:
    """The plug-in hook: run ``command`` (argv, no shell); its stdout is the new value."""
    if not spec.command:
        raise InputError("generator kind 'command' needs a command (argv list)")
    try:
        done = subprocess.run(  # noqa: S603 - argv from the estate, no shell
            list(spec.command),
            capture_output=True,
            text=True,
            timeout=HOOK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(
            f"generator hook {spec.command[0]!r} failed to run: {type(exc).__name__}"
        ) from None
    value = done.stdout.strip()
    if done.returncode != 0 or not value:
        raise DependencyError(
            f"generator hook {spec.command[0]!r} failed (exit {done.returncode}, "
            f"{'no value' if not value else 'value discarded'})"
        )
    return Secret(value, redactor=DEFAULT_REDACTOR)


GENERATORS: Mapping[str, Generator] = {
    "password": generate_password,
    "token": generate_token,
    "command": generate_with_command,
}
DEFAULT_GENERATOR = SecretGenerator()
