"""Which bus to use and how to reach it: ``--bus URL`` or ``SECCLI_BUS`` (read by the CLI).

``local`` (the default) needs no server. ``nats://HOST:PORT`` (or ``tls://``) selects NATS
JetStream; credentials are taken as the NATS tools take them: ``user:password@`` or a token in
the URL (or ``NATS_USER``/``NATS_PASSWORD``/``NATS_TOKEN``, read by the CLI), a ``.creds`` file,
an NKey seed file, TLS CA/client certificates. They are never shown: every printed URL goes
through ``redact_url`` and user, password and token are ``Secret`` values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from seccli.core.errors import InputError
from seccli.core.redaction import Secret
from seccli.core.urls import redact_url

LOCAL = "local"
NATS_SCHEMES = ("nats", "tls")


@dataclass(frozen=True, slots=True)
class BusConfig:
    """A selected bus: its kind (``local`` or ``nats``) and connection settings."""

    kind: str = LOCAL
    url: Secret | None = None
    creds_file: Path | None = None
    nkey_seed_file: Path | None = None
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    user: Secret | None = None
    password: Secret | None = None
    token: Secret | None = None
    connect_timeout: float = 2.0
    prefix: str = "org.claytom"
    local_path: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def display(self) -> str:
        """The bus as it may be printed: without credentials."""
        return redact_url(self.url.reveal()) if self.url is not None else LOCAL


def bus_config(
    selection: str | None,
    *,
    local_path: Path | None = None,
    creds_file: Path | None = None,
    nkey_seed_file: Path | None = None,
    tls_ca: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    user: str | None = None,
    password: str | None = None,
    token: str | None = None,
    connect_timeout: float = 2.0,
) -> BusConfig:
    """The bus ``selection`` names (``None``/``local`` or a NATS URL)."""
    if selection is None or selection.strip() in ("", LOCAL):
        return BusConfig(local_path=local_path)
    parts = urlsplit(selection.strip())
    if parts.scheme not in NATS_SCHEMES or not parts.hostname:
        raise InputError(
            f"bus {redact_url(selection)!r} is neither 'local' nor a NATS URL",
            hint="use --bus local, or --bus nats://HOST:PORT (tls://HOST:PORT for TLS)",
        )
    try:
        parts.port  # noqa: B018 (validates the port)
    except ValueError:
        raise InputError(f"bus {redact_url(selection)!r} has an invalid port") from None
    files = {
        "--creds": creds_file,
        "--nkey": nkey_seed_file,
        "--tls-ca": tls_ca,
        "--tls-cert": tls_cert,
        "--tls-key": tls_key,
    }
    for option, path in files.items():
        if path is not None and not path.is_file():
            state = "is not a regular file" if path.exists() else "does not exist"
            raise InputError(f"{option} file {path} {state}")
    if creds_file is not None and nkey_seed_file is not None:
        raise InputError("give either --creds or --nkey, not both")
    if tls_key is not None and tls_cert is None:
        raise InputError("--tls-key needs --tls-cert (the client certificate it belongs to)")
    if password and not user:
        raise InputError("a NATS password needs a user (NATS_USER)")
    return BusConfig(
        kind="nats",
        url=Secret(selection.strip()),
        creds_file=creds_file,
        nkey_seed_file=nkey_seed_file,
        tls_ca=tls_ca,
        tls_cert=tls_cert,
        tls_key=tls_key,
        user=Secret(user) if user else None,
        password=Secret(password) if password else None,
        token=Secret(token) if token else None,
        connect_timeout=connect_timeout,
        local_path=local_path,
    )
