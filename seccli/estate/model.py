"""The ``Estate`` document: namespaces, subdomains, services, intents, images, secrets, SLOs.

Field names are camelCase in YAML (``serviceAccount``) and snake_case in Python.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from seccli.core.imageref import ImageRef, parse_image_ref
from seccli.core.userdoc import DocumentModel, UserDocument

API_VERSION = "seccli.dev/v1alpha1"

_DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_PORT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_SECRET_PATH = re.compile(r"^[a-z0-9][a-z0-9_.-]*(/[A-Za-z0-9_.-]+)+$")
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$")
_TRUST_DOMAIN = re.compile(r"^[a-z0-9._-]+$")

DnsLabel = Annotated[str, Field(pattern=_DNS_LABEL, min_length=1, max_length=63)]
PortNumber = Annotated[int, Field(ge=1, le=65535, strict=True)]
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]


class DataClass(StrEnum):
    """Kinds of data a service handles; drive controls and evidence (GDPR, PCI scope)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    PII = "pii"
    PAYMENT = "payment"
    HEALTH = "health"
    CREDENTIALS = "credentials"
    VOICE = "voice"


class Slo(DocumentModel):
    """Service level objectives."""

    latency_p99_ms: int = Field(250, gt=0, description="99th percentile latency budget in ms.")
    availability: float = Field(99.99, gt=0, le=100, description="Availability target in %.")
    mtta_minutes: float | None = Field(
        None, gt=0, le=10080, description="Incident mean time to acknowledge target (drills)."
    )
    mttr_minutes: float | None = Field(
        None, gt=0, le=100800, description="Incident mean time to recover target (drills)."
    )


class Defaults(DocumentModel):
    """Values applied where a service or secret does not say otherwise."""

    rotation_days: int = Field(90, ge=1, le=3650)
    slo: Slo = Slo()


class Metadata(DocumentModel):
    """Document metadata."""

    name: DnsLabel
    description: str | None = None


class Namespace(DocumentModel):
    """A Kubernetes namespace: the holding company's, a subsidiary's or a shared platform one."""

    name: DnsLabel
    role: Literal["holding", "subsidiary", "platform"]
    display_name: str | None = None
    labels: dict[str, str] = {}

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_labels(value)


class Subdomain(DocumentModel):
    """A business subdomain (``payments``, ``voice``...) owned by one squad."""

    name: DnsLabel
    squad: DnsLabel
    description: str | None = None
    slo: Slo | None = None


class Port(DocumentModel):
    """A named container port a service exposes."""

    name: Annotated[str, Field(pattern=_PORT_NAME, max_length=15)]
    port: PortNumber
    protocol: Literal["TCP", "UDP", "SCTP"] = "TCP"
    app_protocol: Literal["http", "http2", "grpc", "tcp", "tls"] | None = None


class Intent(DocumentModel):
    """A declared call: this service may call ``to`` (``[namespace/]service``) on ``port``."""

    to: Annotated[
        str, Field(pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    ]
    port: Annotated[str, Field(pattern=_PORT_NAME, max_length=15)] | PortNumber
    methods: tuple[HttpMethod, ...] = ()
    paths: tuple[Annotated[str, Field(pattern=r"^/\S*$")], ...] = ()

    def target(self, caller_namespace: str) -> tuple[str, str]:
        """The (namespace, service) this intent names; no namespace means the caller's."""
        if "/" in self.to:
            namespace, name = self.to.split("/", 1)
            return namespace, name
        return caller_namespace, self.to


class Egress(DocumentModel):
    """Traffic to a destination outside the cluster (a payment or messaging provider...)."""

    host: str
    cidrs: tuple[str, ...] = ()
    ports: tuple[PortNumber, ...] = (443,)
    protocol: Literal["TCP", "UDP"] = "TCP"

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not _HOST.match(value):
            raise ValueError(f"not a DNS host name: {value!r}")
        return value

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"not a CIDR: {cidr!r} ({exc})") from None
        return value


class SecretGenerator(DocumentModel):
    """How rotation makes a secret's new value (KV secrets only)."""

    kind: Literal["password", "token", "command"] = "password"
    key: str = Field("value", min_length=1, description="The key of the KV secret to rotate.")
    length: int = Field(32, ge=12, le=256, description="Characters (password) or bytes (token).")
    min_lower: int = Field(1, ge=0)
    min_upper: int = Field(1, ge=0)
    min_digits: int = Field(1, ge=0)
    min_symbols: int = Field(0, ge=0)
    symbols: str = "-_.@%+="
    prefix: str = Field("", max_length=32, description="Token prefix (e.g. ``ct_live_``).")
    command: tuple[str, ...] = Field(
        (), description="Plug-in hook (kind command): argv printing the new value on stdout."
    )

    @model_validator(mode="after")
    def _complete(self) -> SecretGenerator:
        if self.kind == "command" and not self.command:
            raise ValueError("generator kind 'command' needs a command (argv list)")
        return self


class SecretVerify(DocumentModel):
    """How rotation checks a new value works before the old one is retired."""

    kind: Literal["http", "command"]
    url: str | None = Field(None, description="http: URL called with the new value.")
    method: Literal["GET", "HEAD", "POST"] = "GET"
    header: str = "Authorization"
    scheme: str = Field("Bearer", description="http: header value is '<scheme> <value>'.")
    expect_status: tuple[int, ...] = (200,)
    allow_redirects: bool = Field(
        False,
        description="http: follow redirects to the same origin (scheme, host, port); "
        "a redirect elsewhere, or any redirect when false, fails the verification.",
    )
    command: tuple[str, ...] = Field(
        (), description="command: argv run with the new value in SECCLI_SECRET_VALUE."
    )
    timeout_seconds: float = Field(10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _complete(self) -> SecretVerify:
        if self.kind == "http" and not (self.url and self.url.startswith(("https://", "http://"))):
            raise ValueError("verify kind 'http' needs an http(s) url")
        if self.kind == "command" and not self.command:
            raise ValueError("verify kind 'command' needs a command (argv list)")
        return self


class SecretRef(DocumentModel):
    """A Vault secret a service reads, with its rotation period."""

    path: str = Field(description="Vault path: mount followed by the secret's path.")
    engine: Literal["kv", "database"] = "kv"
    rotation_days: int | None = Field(None, ge=1, le=3650)
    owner: str | None = None
    generator: SecretGenerator | None = None
    verify: SecretVerify | None = None
    retire: Literal["delete", "destroy"] = Field(
        "delete", description="What happens to the previous version after a verified rotation."
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _SECRET_PATH.match(value) or "/../" in f"/{value}/" or "/./" in f"/{value}/":
            raise ValueError(
                f"malformed secret path {value!r}: expected <mount>/<path> with letters, "
                "digits, '.', '_' and '-'"
            )
        return value


class Service(DocumentModel):
    """A workload: where it runs, who it is, what it exposes, calls, reads and handles."""

    name: DnsLabel
    namespace: DnsLabel
    subdomain: DnsLabel
    service_account: DnsLabel | None = None
    owner: str | None = None
    labels: dict[str, str] = {}
    ports: tuple[Port, ...] = ()
    image: str
    secrets: tuple[SecretRef, ...] = ()
    data_classes: tuple[DataClass, ...] = ()
    intents: tuple[Intent, ...] = ()
    egress: tuple[Egress, ...] = ()

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        parse_image_ref(value)
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_labels(value)

    @property
    def account(self) -> str:
        """The Kubernetes service account (defaults to the service name)."""
        return self.service_account or self.name

    @property
    def image_ref(self) -> ImageRef:
        """The parsed, normalised image reference."""
        return parse_image_ref(self.image)

    @property
    def key(self) -> tuple[str, str]:
        """(namespace, name): unique across the estate."""
        return self.namespace, self.name

    def port_named(self, port: str | int) -> Port | None:
        """The exposed port matching a name or a number."""
        for candidate in self.ports:
            if candidate.name == port or candidate.port == port:
                return candidate
        return None


class Estate(UserDocument):
    """An organisation's estate: the single input of generators, gates and evidence."""

    api_version: Literal["seccli.dev/v1alpha1"]
    kind: Literal["Estate"]
    metadata: Metadata
    organisation: str = Field(min_length=1)
    trust_domain: str = Field(min_length=1, max_length=255)
    cluster: DnsLabel
    mesh: Literal["istio", "linkerd", "none"] = "istio"
    defaults: Defaults = Defaults()
    namespaces: tuple[Namespace, ...]
    subdomains: tuple[Subdomain, ...] = ()
    services: tuple[Service, ...] = ()

    _by_key: dict[tuple[str, str], Service] | None = PrivateAttr(None)

    @field_validator("trust_domain")
    @classmethod
    def _trust_domain(cls, value: str) -> str:
        if not _TRUST_DOMAIN.match(value):
            raise ValueError(
                f"trust domain {value!r} must be lower-case letters, digits, '.', '_' or '-'"
            )
        return value

    def service(self, namespace: str, name: str) -> Service | None:
        """The service ``name`` in ``namespace``, if declared."""
        return self._services_by_key().get((namespace, name))

    def _services_by_key(self) -> dict[tuple[str, str], Service]:
        if self._by_key is None:
            self._by_key = {svc.key: svc for svc in self.services}
        return self._by_key

    def rotation_days(self, secret: SecretRef) -> int:
        """The rotation period of ``secret`` (its own, or the estate default)."""
        return secret.rotation_days or self.defaults.rotation_days

    def subdomain_slo(self, subdomain: Subdomain) -> Slo:
        """The SLO of ``subdomain`` (its own, or the estate default)."""
        return subdomain.slo or self.defaults.slo


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        if not _LABEL_KEY.match(key):
            raise ValueError(f"invalid label key {key!r}")
        if not _LABEL_VALUE.match(value) or len(value) > 63:
            raise ValueError(f"invalid value {value!r} for label {key!r}")
    return labels
