"""The extension points of secret rotation: how a new value is made and how it is checked.

Implementations are named in plain tables — ``seccli.secrets.generators.GENERATORS`` and
``seccli.secrets.verify.VERIFIERS`` — and a caller may pass ``Rotator`` its own tables (e.g. to
add a provider's API). Neither may put a value in a message: return ``Secret`` values and
value-free details.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from seccli.core.redaction import Secret
from seccli.estate.model import SecretGenerator, SecretVerify


@dataclass(frozen=True)
class Verification:
    """Whether the new value works, and a value-free explanation."""

    ok: bool
    detail: str


class Generator(Protocol):
    """Makes a new value for a secret from its declared generator spec."""

    def __call__(self, spec: SecretGenerator, /) -> Secret: ...


class Verifier(Protocol):
    """Checks that a new value works before the previous one is retired."""

    def __call__(self, spec: SecretVerify, value: Secret, /) -> Verification: ...
